// ImageUpsampler: the path and impl decided once, the same results as the
// one-call functions it plans (upsample_interleaved, run_with_border), any
// thread count, and its refusals.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "tconv/core/error.hpp"
#include "tconv/resample/border.hpp"
#include "tconv/resample/image_upsampler.hpp"
#include "tconv/resample/resample.hpp"

using namespace tconv;

namespace {

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(0, 255);
  std::vector<std::uint8_t> v(n);
  for (auto& x : v) x = static_cast<std::uint8_t>(dist(rng));
  return v;
}

ImageUpsamplerSpec spec_for(Interpolation kind, int factor, int channels, Border border,
                            bool linear = false) {
  return {make_upsampler(kind, {factor, factor}, channels), kind, border, linear, std::nullopt};
}

}  // namespace

TEST_CASE("image upsampler: interleaved images give upsample_interleaved's bytes", "[upsampler]") {
  for (const auto kind : {Interpolation::kBilinear, Interpolation::kBicubic, Interpolation::kLanczos3})
    for (const int factor : {2, 3})
      for (const int channels : {1, 3}) {
        const auto up = ImageUpsampler::create(spec_for(kind, factor, channels, Border::kReflect),
                                               {channels, SampleType::kU8});
        INFO(to_string(kind) << " x" << factor << ", " << channels << " channels: " << up.impl_name());
        REQUIRE(up.interleaved());
        const int h = 9, w = 7;
        const auto src = random_bytes(static_cast<std::size_t>(h) * w * channels, 3);
        const Shape3 out = up.output_shape({h, w});
        CHECK(out == Shape3{channels, h * factor, w * factor});
        const std::size_t n = static_cast<std::size_t>(out.elements());
        std::vector<std::uint8_t> expected(n), got1(n), got3(n);
        const InterleavedView<const std::uint8_t> in{src.data(), h, w, channels, w * channels};
        auto view = [&](std::vector<std::uint8_t>& v) {
          return InterleavedView<std::uint8_t>{v.data(), out.h, out.w, channels,
                                               std::ptrdiff_t{out.w} * channels};
        };
        upsample_interleaved(kind, {factor, factor}, Border::kReflect, in, view(expected), 1);
        up.run(in, view(got1), 1);
        up.run(in, view(got3), 3);
        CHECK(got1 == expected);
        CHECK(got3 == expected);
        CHECK(up.impl_name() == upsample_interleaved_impl<std::uint8_t>(kind, {factor, factor}, channels));
      }
}

TEST_CASE("image upsampler: the planar path is run_with_border with alpha premultiplied", "[upsampler]") {
  const int h = 6, w = 5;
  Tensor image(Shape3{4, h, w});
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  for (float& v : image.span()) v = dist(rng);
  for (const Border border : {Border::kZero, Border::kReplicate, Border::kReflect, Border::kNormalize}) {
    INFO(to_string(border));
    const auto up = ImageUpsampler::create(spec_for(Interpolation::kBicubic, 2, 4, border),
                                           {4, SampleType::kU8});
    REQUIRE_FALSE(up.interleaved());
    // The same by hand: premultiply, the op with its border, divide by alpha.
    Tensor pre = image.clone();
    const std::size_t plane = static_cast<std::size_t>(h) * w;
    for (int c = 0; c < 3; ++c)
      for (std::size_t i = 0; i < plane; ++i) pre.data()[c * plane + i] *= pre.data()[3 * plane + i];
    Layer layer = make_upsampler(Interpolation::kBicubic, {2, 2}, 4);
    const auto op = ConvTranspose2d::create(layer.params, std::move(layer.weights));
    Tensor expected = run_with_border(op, pre.view(), border);
    const std::size_t out_plane = static_cast<std::size_t>(expected.shape().h) * expected.shape().w;
    for (int c = 0; c < 3; ++c)
      for (std::size_t i = 0; i < out_plane; ++i) {
        const float a = expected.data()[3 * out_plane + i];
        float& v = expected.data()[c * out_plane + i];
        v = a > 0.0f ? v / a : 0.0f;
      }
    for (const int threads : {1, 2, 5}) {
      const Tensor got = up.run(image.clone(), threads);
      REQUIRE(got.shape() == expected.shape());
      for (std::size_t i = 0; i < got.span().size(); ++i) {
        INFO("threads " << threads << ", element " << i);
        REQUIRE(got.span()[i] == expected.span()[i]);
      }
    }
  }
}

TEST_CASE("image upsampler: forced impls of either family and the refusals", "[upsampler]") {
  const auto spec = [] { return spec_for(Interpolation::kBilinear, 2, 3, Border::kReplicate); };
  ImageUpsamplerOptions options;
  options.force_impl = "upsample_u8_fixed";
  CHECK(ImageUpsampler::create(spec(), {3, SampleType::kU8}, options).impl_name() == "upsample_u8_fixed");
  options.force_impl = "tconv2d_f32_ref";
  const auto planar = ImageUpsampler::create(spec(), {3, SampleType::kU8}, options);
  CHECK_FALSE(planar.interleaved());
  CHECK(planar.impl_name() == "tconv2d_f32_ref");
  // An interleaved impl cannot serve alpha, another sample type or linear light.
  options.force_impl = "upsample_u8_fixed";
  CHECK_THROWS_AS(ImageUpsampler::create(spec_for(Interpolation::kBilinear, 2, 4, Border::kReplicate),
                                         {4, SampleType::kU8}, options),
                  InvalidArgument);
  CHECK_THROWS_AS(ImageUpsampler::create(spec(), {3, SampleType::kU16}, options), InvalidArgument);
  CHECK_THROWS_AS(ImageUpsampler::create(spec_for(Interpolation::kBilinear, 2, 3, Border::kReplicate, true),
                                         {3, SampleType::kU8}, options),
                  InvalidArgument);
  options.force_impl = "no_such_impl";
  CHECK_THROWS_WITH(ImageUpsampler::create(spec(), {3, SampleType::kU8}, options),
                    Catch::Contains("unknown") && Catch::Contains("upsample_u8_float"));
  // The interpolation must name the layer's own kernel.
  ImageUpsamplerSpec mismatched = spec();
  mismatched.layer.weights.values[0] += 0.5f;
  CHECK_THROWS_AS(ImageUpsampler::create(mismatched, {3, SampleType::kU8}), InvalidArgument);
  ImageUpsamplerSpec other_kernel = spec();
  other_kernel.interpolation = Interpolation::kBicubic;
  CHECK_THROWS_AS(ImageUpsampler::create(other_kernel, {3, SampleType::kU8}), InvalidArgument);
  // The caller's choice: no interleaved result when it is not allowed.
  ImageUpsamplerOptions planar_only;
  planar_only.interleaved_allowed = false;
  CHECK_FALSE(ImageUpsampler::create(spec(), {3, SampleType::kU8}, planar_only).interleaved());
  // A run of the other form, or of other samples, is refused.
  const auto up = ImageUpsampler::create(spec(), {3, SampleType::kU8});
  CHECK_THROWS_AS(up.run(Tensor(Shape3{3, 2, 2}), 1), InvalidArgument);
  std::vector<std::uint16_t> a(12), b(48);
  CHECK_THROWS_AS(up.run(InterleavedView<const std::uint16_t>{a.data(), 2, 2, 3, 6},
                         InterleavedView<std::uint16_t>{b.data(), 4, 4, 3, 12}, 1),
                  InvalidArgument);
  std::vector<std::uint8_t> c(12), d(27);
  CHECK_THROWS_AS(up.run(InterleavedView<const std::uint8_t>{c.data(), 2, 2, 3, 6},
                         InterleavedView<std::uint8_t>{d.data(), 3, 3, 3, 9}, 1),
                  ShapeMismatch);
  CHECK_THROWS_AS(up.run(InterleavedView<const std::uint8_t>{c.data(), 2, 2, 3, 6},
                         InterleavedView<std::uint8_t>{d.data(), 4, 4, 3, 12}, 300),
                  InvalidArgument);
}

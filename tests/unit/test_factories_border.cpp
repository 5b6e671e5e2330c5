// Weight factories and border modes.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/parallel.hpp"
#include "tconv/core/error.hpp"
#include "tconv/resample/border.hpp"
#include "tconv/resample/factories.hpp"
#include "tconv_tester.hpp"

using tconv::Border;
using tconv::Interpolation;
using tconv::Shape3;
using tconv::Tensor;

namespace {

Tensor constant(Shape3 shape, float value) {
  Tensor t(shape);
  for (float& v : t.span()) v = value;
  return t;
}

Tensor upsample(const Tensor& src, Interpolation kind, tconv::Size2 f, Border border) {
  tconv::Layer layer = tconv::make_upsampler(kind, f, src.shape().c);
  const auto op = tconv::ConvTranspose2d::create(layer.params, std::move(layer.weights));
  return tconv::run_with_border(op, src.view(), border);
}

}  // namespace

TEST_CASE("bilinear factory is the FCN/Caffe construction", "[factories]") {
  for (int f : {1, 2, 3, 4, 5}) {
    const tconv::Layer l = tconv::make_upsampler(Interpolation::kBilinear, {f, f}, 1);
    const int k = 2 * f - f % 2;
    INFO("factor " << f);
    REQUIRE(l.params.kernel == tconv::Size2{k, k});
    REQUIRE(l.params.pad_begin == tconv::Size2{f / 2, f / 2});
    // Caffe BilinearFiller: (1 - |x / f - c|)(1 - |y / f - c|), c = (2f - 1 - f % 2) / (2f).
    const double ff = (k + 1) / 2;
    const double c = (2 * ff - 1 - static_cast<int>(ff) % 2) / (2 * ff);
    for (int y = 0; y < k; ++y)
      for (int x = 0; x < k; ++x) {
        const double expected = (1 - std::abs(x / ff - c)) * (1 - std::abs(y / ff - c));
        REQUIRE(l.weights.values[static_cast<std::size_t>(y * k + x)] == Approx(expected).margin(1e-7));
      }
  }
}

TEST_CASE("every factory maps a constant to the same constant with replicate", "[factories][border]") {
  const auto kind = GENERATE(Interpolation::kNearest, Interpolation::kBilinear,
                             Interpolation::kBicubic, Interpolation::kLanczos3);
  const int fh = GENERATE(1, 2, 3, 4);
  const int fw = GENERATE(2, 3);
  const Tensor src = constant({2, 5, 4}, 0.7f);
  const Tensor out = upsample(src, kind, {fh, fw}, Border::kReplicate);
  INFO(tconv::to_string(kind) << " factor " << fh << "x" << fw);
  REQUIRE(out.shape() == Shape3{2, 5 * fh, 4 * fw});
  for (float v : out.span()) REQUIRE(v == Approx(0.7f).margin(1e-6));
}

TEST_CASE("zero border darkens the edge; replicate, reflect and normalize do not", "[border]") {
  const Tensor src = constant({1, 6, 6}, 1.0f);
  const Tensor zero = upsample(src, Interpolation::kBilinear, {2, 2}, Border::kZero);
  REQUIRE(zero.at(0, 0, 0) == Approx(0.75f * 0.75f));  // only the inner tap sees the image
  REQUIRE(zero.at(0, 6, 6) == Approx(1.0f));
  for (Border b : {Border::kReplicate, Border::kReflect, Border::kNormalize}) {
    const Tensor out = upsample(src, Interpolation::kBilinear, {2, 2}, b);
    INFO(tconv::to_string(b));
    for (float v : out.span()) REQUIRE(v == Approx(1.0f).margin(1e-6));
  }
}

TEST_CASE("reflect mirrors without repeating the edge", "[border]") {
  // A ramp 0, 1, 2, 3: bilinear x2 at output 0 samples source -0.25, which
  // reflect-101 reads as 0.75 * v[0] + 0.25 * v[1] = 0.25; replicate gives v[0] = 0.
  const Tensor src(Shape3{1, 1, 4}, {0, 1, 2, 3});
  const Tensor reflect = upsample(src, Interpolation::kBilinear, {1, 2}, Border::kReflect);
  const Tensor replicate = upsample(src, Interpolation::kBilinear, {1, 2}, Border::kReplicate);
  REQUIRE(reflect.at(0, 0, 0) == Approx(0.25f));
  REQUIRE(replicate.at(0, 0, 0) == Approx(0.0f));
  REQUIRE(reflect.at(0, 0, 7) == Approx(2.75f));
  REQUIRE(replicate.at(0, 0, 7) == Approx(3.0f));
}

TEST_CASE("reflect handles margins wider than the image", "[border]") {
  const Tensor src(Shape3{1, 1, 2}, {0, 1});
  const Tensor out = upsample(src, Interpolation::kLanczos3, {1, 3}, Border::kReflect);
  REQUIRE(out.shape() == Shape3{1, 1, 6});
  for (float v : out.span()) REQUIRE(std::isfinite(v));
}

TEST_CASE("normalize removes the uneven-overlap gain of a 3x3 stride-2 box", "[border]") {
  tconv::ConvParams p;
  p.in_channels = p.out_channels = 1;
  p.kernel = {3, 3};
  p.stride = {2, 2};
  const auto op = tconv::ConvTranspose2d::create(p, {{1, 1, 3, 3}, std::vector<float>(9, 1.0f), {}});
  const Tensor src = constant({1, 4, 4}, 1.0f);
  const Tensor zero = tconv::run_with_border(op, src.view(), Border::kZero);
  REQUIRE(zero.at(0, 2, 2) == 4.0f);  // gains 4, 2, 2, 1 by phase
  REQUIRE(zero.at(0, 2, 3) == 2.0f);
  REQUIRE(zero.at(0, 3, 3) == 1.0f);
  const Tensor norm = tconv::run_with_border(op, src.view(), Border::kNormalize);
  for (float v : norm.span()) REQUIRE(v == Approx(1.0f));
}

TEST_CASE("normalize refuses weights with a zero response", "[border]") {
  tconv::ConvParams p;
  p.in_channels = p.out_channels = 1;
  p.kernel = {1, 2};
  const auto op = tconv::ConvTranspose2d::create(p, {{1, 1, 1, 2}, {1.0f, -1.0f}, {}});
  const Tensor src = constant({1, 3, 3}, 1.0f);
  REQUIRE_THROWS_AS(tconv::run_with_border(op, src.view(), Border::kNormalize), tconv::InvalidArgument);
  REQUIRE_THROWS_WITH(tconv::run_with_border(op, src.view(), Border::kNormalize),
                      Catch::Contains("normalize needs a positive response everywhere"));
}

TEST_CASE("borders keep the op's geometry for raw weights", "[border]") {
  tconv::test::TConvTester t;
  t.input(2, 5, 6).output_channels(3).kernel(4, 3).stride(2, 3).padding(1, 0, 2, 1).output_padding(1, 2).bias(true);
  const auto op = tconv::ConvTranspose2d::create(t.params(), t.weights());
  const Tensor src = tconv::test::random_tensor({2, 5, 6}, 3);
  const Tensor zero = tconv::run_with_border(op, src.view(), Border::kZero);
  for (Border b : {Border::kReplicate, Border::kReflect}) {
    INFO(tconv::to_string(b));
    REQUIRE(tconv::run_with_border(op, src.view(), b).shape() == zero.shape());
  }
  // normalize needs a positive response: the same geometry with positive weights.
  tconv::Weights positive = t.weights();
  for (float& v : positive.values) v = std::abs(v) + 0.1f;
  const auto positive_op = tconv::ConvTranspose2d::create(t.params(), std::move(positive));
  REQUIRE(tconv::run_with_border(positive_op, src.view(), Border::kNormalize).shape() == zero.shape());
  // Away from the edges every border mode computes the same interior.
  const Tensor rep = tconv::run_with_border(op, src.view(), Border::kReplicate);
  REQUIRE(rep.at(1, 4, 6) == Approx(zero.at(1, 4, 6)).margin(1e-5));
}

TEST_CASE("factory arguments are validated", "[factories][params]") {
  REQUIRE_THROWS_AS(tconv::make_upsampler(Interpolation::kBilinear, {0, 2}, 3), tconv::InvalidArgument);
  REQUIRE_THROWS_WITH(tconv::make_upsampler(Interpolation::kBilinear, {0, 2}, 3),
                      "upsampler factor 0x2: factor must be in [1, 1024]");
  REQUIRE_THROWS_WITH(tconv::make_upsampler(Interpolation::kBilinear, {2, 2}, 0),
                      "upsampler channels 0: must be in [1, 65536]");
}

TEST_CASE("run_with_border into a caller's output checks its shape", "[border]") {
  tconv::Layer layer = tconv::make_upsampler(Interpolation::kBilinear, {2, 2}, 1);
  const auto op = tconv::ConvTranspose2d::create(layer.params, std::move(layer.weights));
  const Tensor src = constant({1, 4, 5}, 0.5f);
  Tensor wrong(Shape3{1, 8, 9});
  REQUIRE_THROWS_AS(tconv::run_with_border(op, src.view(), wrong.view(), Border::kReplicate),
                    tconv::ShapeMismatch);
  Tensor right(Shape3{1, 8, 10});
  tconv::run_with_border(op, src.view(), right.view(), Border::kReplicate);
  for (float v : right.span()) REQUIRE(v == Approx(0.5f));
}

TEST_CASE("border: a batch of many small items is handed to the threads once, not per item",
          "[border][threads]") {
  tconv::Layer layer = tconv::make_upsampler(Interpolation::kBilinear, {2, 2}, 1);
  tconv::OpOptions options;
  options.threads = 2;
  const auto op = tconv::ConvTranspose2d::create(layer.params, layer.weights, options);
  // The counter counts: one large image on two threads is one hand-off at least.
  const Tensor large = constant({1, 256, 256}, 0.25f);
  const std::uint64_t before_large = tconv::detail::handoff_count().load();
  (void)tconv::run_with_border(op, large.view(), Border::kReplicate);
  CHECK(tconv::detail::handoff_count().load() > before_large);
  // Item by item (numeric mode before batches were split), each 2x2 item is
  // its own hand-off: what made 200 000 items take seconds.
  const std::uint64_t before_items = tconv::detail::handoff_count().load();
  const Tensor small = constant({1, 2, 2}, 0.5f);
  for (int i = 0; i < 100; ++i) (void)tconv::run_with_border(op, small.view(), Border::kZero);
  CHECK(tconv::detail::handoff_count().load() - before_items >= 100);
  // Ten and twenty thousand 2x2 items: one batched call of the op, split
  // over the two threads in one hand-off; normalize plans its response on
  // an all-ones item first (at most two more, once per batch). The count
  // does not grow with the items.
  const Shape3 item{1, 2, 2};
  for (const Border border : {Border::kZero, Border::kReplicate, Border::kNormalize}) {
    std::uint64_t handoffs[2] = {};
    for (const int count : {10000, 20000}) {
      INFO("border " << tconv::to_string(border) << " items " << count);
      std::vector<float> src(static_cast<std::size_t>(item.elements() * count), 0.5f);
      std::vector<float> dst(static_cast<std::size_t>(op.output_shape(item).elements() * count));
      const std::uint64_t before = tconv::detail::handoff_count().load();
      tconv::run_batch_with_border(op, src, item, dst, border);
      handoffs[count == 10000 ? 0 : 1] = tconv::detail::handoff_count().load() - before;
      CHECK(handoffs[count == 10000 ? 0 : 1] <= (border == Border::kNormalize ? 3u : 1u));
      CHECK(handoffs[count == 10000 ? 0 : 1] >= 1u);
    }
    CHECK(handoffs[0] == handoffs[1]);
  }
}

TEST_CASE("border: a batch gives each item's run_with_border bytes for any thread count", "[border]") {
  const Shape3 item{2, 5, 7};
  for (const Border border : {Border::kZero, Border::kReplicate, Border::kReflect, Border::kNormalize}) {
    for (const int threads : {1, 2, 3}) {
      for (const int count : {1, 3, 40}) {
        INFO("border " << tconv::to_string(border) << " threads " << threads << " items " << count);
        tconv::Layer layer = tconv::make_upsampler(Interpolation::kBicubic, {2, 3}, item.c);
        tconv::OpOptions options;
        options.threads = threads;
        const auto op = tconv::ConvTranspose2d::create(layer.params, layer.weights, options);
        const Shape3 out = op.output_shape(item);
        std::vector<float> src(static_cast<std::size_t>(item.elements() * count));
        for (std::size_t i = 0; i < src.size(); ++i) src[i] = std::sin(0.7f * float(i)) + 0.5f;
        std::vector<float> dst(static_cast<std::size_t>(out.elements() * count));
        tconv::run_batch_with_border(op, src, item, dst, border);
        for (int b = 0; b < count; ++b) {
          const Tensor one = tconv::run_with_border(
              op, {src.data() + b * item.elements(), item}, border);
          REQUIRE(std::equal(one.span().begin(), one.span().end(),
                             dst.begin() + b * out.elements()));
        }
        CHECK(tconv::run_batch_with_border_scratch_bytes(op, item, count, border) >= 0);
      }
    }
  }
  tconv::Layer layer = tconv::make_upsampler(Interpolation::kBilinear, {2, 2}, item.c);
  const auto op = tconv::ConvTranspose2d::create(layer.params, layer.weights);
  std::vector<float> src(static_cast<std::size_t>(item.elements()) * 2 + 1);
  std::vector<float> dst(static_cast<std::size_t>(op.output_shape(item).elements()) * 2);
  REQUIRE_THROWS_AS(tconv::run_batch_with_border(op, src, item, dst, Border::kZero),
                    tconv::ShapeMismatch);
  // Replicate holds the input extended by one pixel on every side (bilinear
  // x2 reaches one pixel out) beside the widened op's scratch.
  CHECK(tconv::run_with_border_scratch_bytes(op, item, Border::kReplicate) >=
        std::int64_t{item.c} * (item.h + 2) * (item.w + 2) * 4);
  CHECK(tconv::run_with_border_scratch_bytes(op, item, Border::kZero) >= 0);
}

TEST_CASE("kernel names: the four kernels, the other tools' aliases, any case", "[factories]") {
  using tconv::Interpolation;
  const std::pair<const char*, Interpolation> names[] = {
      {"nearest", Interpolation::kNearest},   {"box", Interpolation::kNearest},
      {"BOX", Interpolation::kNearest},       {"bilinear", Interpolation::kBilinear},
      {"linear", Interpolation::kBilinear},   {"Linear", Interpolation::kBilinear},
      {"bicubic", Interpolation::kBicubic},   {"cubic", Interpolation::kBicubic},
      {"CatRom", Interpolation::kBicubic},    {"lanczos3", Interpolation::kLanczos3},
      {"Lanczos", Interpolation::kLanczos3},  {"LANCZOS3", Interpolation::kLanczos3}};
  for (const auto& [name, kind] : names) {
    INFO(name);
    REQUIRE(tconv::parse_interpolation(name) == kind);
  }
  for (const char* bad : {"", "sinc", "lanczos2", "bilinear ", "cubicc", "near"}) {
    INFO("'" << bad << "'");
    CHECK_FALSE(tconv::parse_interpolation(bad).has_value());
  }
  // Every listed name parses, and each kernel's own name round-trips.
  const auto listed = tconv::interpolation_names();
  REQUIRE(listed.size() == 9);
  for (const std::string_view name : listed) CHECK(tconv::parse_interpolation(name).has_value());
  for (const auto kind : {Interpolation::kNearest, Interpolation::kBilinear, Interpolation::kBicubic,
                          Interpolation::kLanczos3})
    CHECK(tconv::parse_interpolation(tconv::to_string(kind)) == kind);
}

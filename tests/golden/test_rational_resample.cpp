// Rational factors (tconv::Ratio): the one-pass polyphase resampler against
// three independent oracles: a double-precision evaluation of the kernels
// written here from their definitions, the same factor computed as a
// stride-num conv_transpose2d followed by a stride-den conv2d (our own ops,
// zero border), and cv::resize(INTER_LINEAR) on photos and thin images.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <vector>

#include "tconv/core/conv2d.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/error.hpp"
#include "tconv/resample/factories.hpp"
#include "tconv/resample/image_upsampler.hpp"
#include "tconv/resample/resample.hpp"

namespace {

using tconv::Border;
using tconv::InterleavedView;
using tconv::Interpolation;
using tconv::Ratio;
using tconv::Ratio2;

double sinc(double x) {
  if (x == 0.0) return 1.0;
  return std::sin(std::numbers::pi * x) / (std::numbers::pi * x);
}

// The kernels from their definitions (factories.hpp): radius and value.
double radius(Interpolation kind) {
  switch (kind) {
    case Interpolation::kNearest: return 0.5;
    case Interpolation::kBilinear: return 1.0;
    case Interpolation::kBicubic: return 2.0;
    case Interpolation::kLanczos3: return 3.0;
  }
  return 0.0;
}

double phi(Interpolation kind, double x) {
  const double a = std::abs(x);
  switch (kind) {
    case Interpolation::kNearest: return x >= -0.5 && x < 0.5 ? 1.0 : 0.0;
    case Interpolation::kBilinear: return std::max(0.0, 1.0 - a);
    case Interpolation::kBicubic:  // Keys, a = -0.5
      if (a <= 1.0) return 1.5 * a * a * a - 2.5 * a * a + 1.0;
      if (a < 2.0) return -0.5 * a * a * a + 2.5 * a * a - 4.0 * a + 2.0;
      return 0.0;
    case Interpolation::kLanczos3: return a < 3.0 ? sinc(x) * sinc(x / 3.0) : 0.0;
  }
  return 0.0;
}

int border_index(Border border, long i, int n) {
  if (i >= 0 && i < n) return static_cast<int>(i);
  if (border == Border::kReplicate) return i < 0 ? 0 : n - 1;
  if (border == Border::kReflect) {
    if (n == 1) return 0;
    const long period = 2L * n - 2;
    long m = ((i % period) + period) % period;
    return static_cast<int>(m < n ? m : period - m);
  }
  return -1;
}

// One axis of the oracle: for output o, the (input, weight) pairs.
std::vector<std::vector<std::pair<int, double>>> oracle_axis(Interpolation kind, Ratio r, int in,
                                                             int out, Border border) {
  std::vector<std::vector<std::pair<int, double>>> axis(static_cast<std::size_t>(out));
  for (int o = 0; o < out; ++o) {
    const double x = (o + 0.5) * r.den / r.num - 0.5;
    std::vector<std::pair<long, double>> taps;
    if (kind == Interpolation::kNearest) {
      taps.emplace_back(static_cast<long>(std::floor(x + 0.5)), 1.0);
    } else {
      double sum = 0.0;
      for (long i = static_cast<long>(std::ceil(x - radius(kind)));
           i <= static_cast<long>(std::floor(x + radius(kind))); ++i) {
        taps.emplace_back(i, phi(kind, x - static_cast<double>(i)));
        sum += taps.back().second;
      }
      for (auto& t : taps) t.second /= sum;
    }
    double inside = 0.0;
    for (const auto& [i, w] : taps) {
      const int m = border_index(border, i, in);
      if (m < 0) continue;
      axis[static_cast<std::size_t>(o)].emplace_back(m, w);
      inside += w;
    }
    if (border == Border::kNormalize)
      for (auto& t : axis[static_cast<std::size_t>(o)]) t.second /= inside;
  }
  return axis;
}

// The exact (double) result of resampling an interleaved image.
std::vector<double> oracle(Interpolation kind, Ratio2 r, Border border, const std::vector<double>& src,
                           int h, int w, int c, int oh, int ow) {
  const auto ys = oracle_axis(kind, r.h, h, oh, border);
  const auto xs = oracle_axis(kind, r.w, w, ow, border);
  std::vector<double> out(static_cast<std::size_t>(oh) * ow * c, 0.0);
  for (int oy = 0; oy < oh; ++oy)
    for (int ox = 0; ox < ow; ++ox)
      for (int ch = 0; ch < c; ++ch) {
        double sum = 0.0;
        for (const auto& [iy, wy] : ys[static_cast<std::size_t>(oy)])
          for (const auto& [ix, wx] : xs[static_cast<std::size_t>(ox)])
            sum += wy * wx * src[(static_cast<std::size_t>(iy) * w + ix) * c + ch];
        out[(static_cast<std::size_t>(oy) * ow + ox) * c + ch] = sum;
      }
  return out;
}

template <typename T>
std::vector<T> random_samples(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<T> v(n);
  for (T& x : v) {
    if constexpr (std::is_same_v<T, float>)
      x = std::uniform_real_distribution<float>(0.0f, 1.0f)(rng);
    else
      x = static_cast<T>(std::uniform_int_distribution<int>(0, std::numeric_limits<T>::max())(rng));
  }
  return v;
}

// Runs the resampler and the oracle on one random image; returns the worst
// difference (in samples for integer types).
template <typename T>
double worst_vs_oracle(Interpolation kind, Ratio2 r, Border border, int h, int w, int c,
                       std::uint32_t seed) {
  const auto src = random_samples<T>(static_cast<std::size_t>(h) * w * c, seed);
  const int oh = static_cast<int>(tconv::resampled_length(h, tconv::reduced(r.h)));
  const int ow = static_cast<int>(tconv::resampled_length(w, tconv::reduced(r.w)));
  std::vector<T> dst(static_cast<std::size_t>(oh) * ow * c);
  tconv::resample_interleaved(kind, r, border, InterleavedView<const T>{src.data(), h, w, c, w * c},
                              InterleavedView<T>{dst.data(), oh, ow, c, ow * c});
  const std::vector<double> exact =
      oracle(kind, r, border, std::vector<double>(src.begin(), src.end()), h, w, c, oh, ow);
  double worst = 0.0;
  for (std::size_t i = 0; i < dst.size(); ++i) {
    double expected = exact[i];
    if constexpr (!std::is_same_v<T, float>)
      expected = std::nearbyint(std::clamp(expected, 0.0, double(std::numeric_limits<T>::max())));
    worst = std::max(worst, std::abs(static_cast<double>(dst[i]) - expected));
  }
  return worst;
}

}  // namespace

TEST_CASE("resampled_length rounds in * num / den to nearest, ties to even, as cv::resize", "[rational]") {
  CHECK(tconv::resampled_length(101, {3, 2}) == 152);  // 151.5 -> 152
  CHECK(tconv::resampled_length(103, {3, 2}) == 154);  // 154.5 -> 154
  CHECK(tconv::resampled_length(10, {3, 2}) == 15);
  CHECK(tconv::resampled_length(1, {3, 2}) == 2);      // 1.5 -> 2
  CHECK(tconv::resampled_length(1, {5, 4}) == 1);      // 1.25 -> 1
  CHECK(tconv::resampled_length(1081, {1920, 1081}) == 1920);
  for (int in = 1; in < 300; ++in)
    for (const Ratio r : {Ratio{3, 2}, Ratio{5, 4}, Ratio{7, 3}, Ratio{2, 1}})
      REQUIRE(tconv::resampled_length(in, r) ==
              cv::saturate_cast<int>(static_cast<double>(in) * r.num / r.den));
}

TEST_CASE("reduced() brings a ratio to lowest terms and refuses factors below 1", "[rational]") {
  CHECK(tconv::reduced({6, 4}) == Ratio{3, 2});
  CHECK(tconv::reduced({1920, 1080}) == Ratio{16, 9});
  CHECK(tconv::reduced({4, 2}) == Ratio{2, 1});
  CHECK_THROWS_AS(tconv::reduced({2, 3}), tconv::InvalidArgument);
  CHECK_THROWS_AS(tconv::reduced({0, 0}), tconv::InvalidArgument);
  CHECK_THROWS_AS(tconv::reduced({tconv::kMaxRatioTerm + 1, 1}), tconv::InvalidArgument);
  CHECK(tconv::to_string(Ratio{3, 2}) == "3/2");
  CHECK(tconv::to_string(Ratio{2, 1}) == "2");
}

TEST_CASE("rational factors match the double-precision oracle for every kernel, border and type",
          "[rational][golden]") {
  const Interpolation kind = GENERATE(Interpolation::kNearest, Interpolation::kBilinear,
                                      Interpolation::kBicubic, Interpolation::kLanczos3);
  const Border border = GENERATE(Border::kZero, Border::kReplicate, Border::kReflect);
  const Ratio2 r = GENERATE(Ratio2{{3, 2}, {3, 2}}, Ratio2{{5, 3}, {7, 4}}, Ratio2{{2, 1}, {5, 2}},
                            Ratio2{{13, 8}, {1, 1}}, Ratio2{{1920, 1081}, {4, 3}},
                            Ratio2{{2049, 1}, {3, 1}});
  struct Shape {
    int h, w, c;
  };
  const Shape shape = GENERATE(Shape{1, 1, 1}, Shape{1, 7, 3}, Shape{6, 1, 4}, Shape{2, 3, 2},
                               Shape{13, 11, 3});
  if (r.h.num == 2049 && shape.h > 2) return;  // keeps the output small
  if (r.h.num == 1920 && shape.h > 6) return;
  INFO(to_string(kind) << " x" << r.h.num << "/" << r.h.den << "," << r.w.num << "/" << r.w.den
                       << " border " << static_cast<int>(border) << " " << shape.h << "x" << shape.w
                       << "x" << shape.c);
  const auto seed = static_cast<std::uint32_t>(shape.h * 131 + shape.w * 7 + r.w.num);
  CHECK(worst_vs_oracle<std::uint8_t>(kind, r, border, shape.h, shape.w, shape.c, seed) <= 1.0);
  CHECK(worst_vs_oracle<std::uint16_t>(kind, r, border, shape.h, shape.w, shape.c, seed) <= 1.0);
  CHECK(worst_vs_oracle<float>(kind, r, border, shape.h, shape.w, shape.c, seed) <= 1e-5);
}

TEST_CASE("a ratio with den 1 gives the integer factor's bytes", "[rational]") {
  const Interpolation kind = GENERATE(Interpolation::kNearest, Interpolation::kBilinear,
                                      Interpolation::kBicubic, Interpolation::kLanczos3);
  const int f = GENERATE(2, 3, 4);
  const int h = 9, w = 14, c = 3;
  const auto src = random_samples<std::uint8_t>(static_cast<std::size_t>(h) * w * c, 5);
  std::vector<std::uint8_t> a(static_cast<std::size_t>(h) * f * w * f * c), b(a.size());
  const InterleavedView<const std::uint8_t> in{src.data(), h, w, c, w * c};
  tconv::upsample_interleaved(kind, {f, f}, Border::kReplicate, in,
                              InterleavedView<std::uint8_t>{a.data(), h * f, w * f, c, w * f * c});
  tconv::resample_interleaved(kind, Ratio2{{2 * f, 2}, {3 * f, 3}}, Border::kReplicate, in,
                              InterleavedView<std::uint8_t>{b.data(), h * f, w * f, c, w * f * c});
  CHECK(a == b);
}

// The polyphase identity: num/den is the stride-num transposed convolution
// (the kernel sampled every 1/num input pixel, centred so that its output u
// sits at source position (u - centre) / num) followed by a stride-den
// convolution whose one tap keeps output u = o * den + offset.
TEST_CASE("a rational factor is a stride-num conv_transpose2d then a stride-den conv2d",
          "[rational][golden]") {
  const Interpolation kind =
      GENERATE(Interpolation::kBilinear, Interpolation::kBicubic, Interpolation::kLanczos3);
  const Ratio2 r = GENERATE(Ratio2{{3, 2}, {3, 2}}, Ratio2{{5, 3}, {7, 4}}, Ratio2{{5, 2}, {2, 1}},
                            Ratio2{{7, 5}, {9, 8}});
  const int h = 7, w = 10;
  INFO(to_string(kind) << " x" << r.h.num << "/" << r.h.den << "," << r.w.num << "/" << r.w.den);
  struct Axis {
    std::vector<double> kernel;
    int offset = 0;
  };
  // Output o samples x = (o + 0.5) den / num - 0.5 = (u - centre) / num at
  // u = o den + offset, so centre = offset + (num - den) / 2; the smallest
  // offset with centre >= R num keeps every tap at t >= 0.
  auto make_axis = [&](Ratio a) {
    Axis axis;
    const double rad = radius(kind) * a.num;
    axis.offset = static_cast<int>(std::ceil(rad - 0.5 * (a.num - a.den)));
    const double centre = axis.offset + 0.5 * (a.num - a.den);
    const int k = static_cast<int>(std::floor(centre + rad)) + 1;
    axis.kernel.resize(static_cast<std::size_t>(k));
    for (int t = 0; t < k; ++t) axis.kernel[static_cast<std::size_t>(t)] = phi(kind, (t - centre) / a.num);
    for (int phase = 0; phase < a.num; ++phase) {  // each output phase's taps sum to 1
      double sum = 0.0;
      for (int t = phase; t < k; t += a.num) sum += axis.kernel[static_cast<std::size_t>(t)];
      if (sum != 0.0)
        for (int t = phase; t < k; t += a.num) axis.kernel[static_cast<std::size_t>(t)] /= sum;
    }
    return axis;
  };
  const Axis ay = make_axis(r.h);
  const Axis ax = make_axis(r.w);
  const int kh = static_cast<int>(ay.kernel.size());
  const int kw = static_cast<int>(ax.kernel.size());

  tconv::ConvParams up;
  up.in_channels = up.out_channels = up.groups = 1;
  up.kernel = {kh, kw};
  up.stride = {r.h.num, r.w.num};
  tconv::Weights up_weights;
  up_weights.shape = {1, 1, kh, kw};
  for (double wy : ay.kernel)
    for (double wx : ax.kernel) up_weights.values.push_back(static_cast<float>(wy * wx));

  tconv::ConvParams select;
  select.in_channels = select.out_channels = select.groups = 1;
  select.kernel = {ay.offset + 1, ax.offset + 1};
  select.stride = {r.h.den, r.w.den};
  tconv::Weights select_weights;
  select_weights.shape = {1, 1, ay.offset + 1, ax.offset + 1};
  select_weights.values.assign(static_cast<std::size_t>((ay.offset + 1) * (ax.offset + 1)), 0.0f);
  select_weights.values.back() = 1.0f;

  const auto samples = random_samples<float>(static_cast<std::size_t>(h) * w, 17);
  tconv::Tensor src(tconv::Shape3{1, h, w}, std::vector<float>(samples.begin(), samples.end()));
  const tconv::Tensor wide =
      tconv::ConvTranspose2d::create(up, std::move(up_weights)).run(src.view());
  const tconv::Tensor layered =
      tconv::Conv2d::create(select, std::move(select_weights)).run(wide.view());

  const int oh = static_cast<int>(tconv::resampled_length(h, r.h));
  const int ow = static_cast<int>(tconv::resampled_length(w, r.w));
  REQUIRE(layered.shape().h >= oh);
  REQUIRE(layered.shape().w >= ow);
  std::vector<float> fused(static_cast<std::size_t>(oh) * ow);
  tconv::resample_interleaved(kind, r, Border::kZero,
                              InterleavedView<const float>{samples.data(), h, w, 1, w},
                              InterleavedView<float>{fused.data(), oh, ow, 1, ow});
  float worst = 0.0f;
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x)
      worst = std::max(worst, std::abs(layered.at(0, y, x) - fused[static_cast<std::size_t>(y) * ow + x]));
  CHECK(worst <= 2e-6f);
}

namespace {

// cv::resize and ours on one 8-bit image; `fx`/`fy` as cv takes them, or a
// target size (fx = fy = 0). Returns the worst difference in samples.
int worst_vs_opencv(const cv::Mat& src, Ratio2 r, cv::Size target, double fx, double fy) {
  cv::Mat expected;
  cv::resize(src, expected, target, fx, fy, cv::INTER_LINEAR);
  const int c = src.channels();
  cv::Mat ours(expected.rows, expected.cols, src.type());
  tconv::resample_interleaved(
      Interpolation::kBilinear, r, Border::kReplicate,
      InterleavedView<const std::uint8_t>{src.ptr<std::uint8_t>(), src.rows, src.cols, c,
                                          static_cast<std::ptrdiff_t>(src.step1())},
      InterleavedView<std::uint8_t>{ours.ptr<std::uint8_t>(), ours.rows, ours.cols, c,
                                    static_cast<std::ptrdiff_t>(ours.step1())});
  cv::Mat diff;
  cv::absdiff(ours, expected, diff);
  double worst = 0.0;
  cv::minMaxLoc(diff.reshape(1), nullptr, &worst);
  return static_cast<int>(worst);
}

}  // namespace

TEST_CASE("bilinear at rational factors equals cv::resize INTER_LINEAR within 1 LSB", "[rational][opencv]") {
  const cv::Mat photo = cv::imread(TCONV_SAMPLES_DIR "/photo.png", cv::IMREAD_COLOR);
  REQUIRE(!photo.empty());
  SECTION("factors as cv::resize takes them (fx, fy)") {
    for (const double f : {1.5, 1.25, 2.5, 1.75, 3.5, 1.125}) {
      const Ratio q = tconv::reduced({static_cast<int>(f * 8), 8});
      INFO("factor " << f);
      CHECK(worst_vs_opencv(photo, {q, q}, {}, f, f) <= 1);
    }
    CHECK(worst_vs_opencv(photo, {{3, 2}, {2, 1}}, {}, 2.0, 1.5) <= 1);  // fy 1.5, fx 2
  }
  SECTION("target sizes") {
    for (const cv::Size size : {cv::Size(1000, 700), cv::Size(photo.cols + 1, photo.rows + 3),
                                cv::Size(997, 601)}) {
      const Ratio2 r{tconv::reduced({size.height, photo.rows}), tconv::reduced({size.width, photo.cols})};
      INFO("size " << size.width << "x" << size.height);
      CHECK(worst_vs_opencv(photo, r, size, 0, 0) <= 1);
    }
  }
  SECTION("1x1 and thin images") {
    cv::RNG rng(3);
    for (const cv::Size in : {cv::Size(1, 1), cv::Size(1, 9), cv::Size(9, 1), cv::Size(2, 2), cv::Size(3, 17)}) {
      cv::Mat m(in, CV_8UC3);
      rng.fill(m, cv::RNG::UNIFORM, 0, 256);
      for (const cv::Size out : {cv::Size(in.width * 3, in.height * 3 + 1), cv::Size(in.width * 2 + 1, in.height * 5)}) {
        const Ratio2 r{tconv::reduced({out.height, in.height}), tconv::reduced({out.width, in.width})};
        INFO(in.width << "x" << in.height << " -> " << out.width << "x" << out.height);
        CHECK(worst_vs_opencv(m, r, out, 0, 0) <= 1);
      }
    }
  }
}

TEST_CASE("the image upsampler plans a ratio once and serves every path", "[rational]") {
  const Interpolation kind = GENERATE(Interpolation::kBilinear, Interpolation::kLanczos3);
  const Ratio2 r{{3, 2}, {5, 3}};
  tconv::ImageUpsamplerSpec spec;
  spec.interpolation = kind;
  spec.ratio = r;
  const int h = 11, w = 13;
  const auto rgb = random_samples<std::uint8_t>(static_cast<std::size_t>(h) * w * 3, 9);
  const auto up = tconv::ImageUpsampler::create(spec, {3, tconv::SampleType::kU8});
  REQUIRE(up.interleaved());
  const tconv::Shape3 out = up.output_shape({h, w});
  CHECK(out == tconv::Shape3{3, 16, 22});  // 16.5 -> 16 (even), 21.67 -> 22
  std::vector<std::uint8_t> interleaved(static_cast<std::size_t>(out.elements()));
  up.run(InterleavedView<const std::uint8_t>{rgb.data(), h, w, 3, w * 3},
         InterleavedView<std::uint8_t>{interleaved.data(), out.h, out.w, 3, out.w * 3}, 2);
  CHECK(up.problem() == std::string(to_string(kind)) + " x3/2,5/3");

  // The planar path (the caller needs floats) gives the same values.
  tconv::ImageUpsamplerOptions planar_only;
  planar_only.interleaved_allowed = false;
  const auto planar = tconv::ImageUpsampler::create(spec, {3, tconv::SampleType::kU8}, planar_only);
  REQUIRE(!planar.interleaved());
  CHECK_THAT(std::string(planar.impl_name()), Catch::StartsWith("upsample_f32_float"));
  tconv::Tensor src(tconv::Shape3{3, h, w});
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) src.at(c, y, x) = rgb[(static_cast<std::size_t>(y) * w + x) * 3 + c] / 255.0f;
  const tconv::Tensor result = planar.run(std::move(src), 1);
  REQUIRE(result.shape() == out);
  int worst = 0;
  for (int y = 0; y < out.h; ++y)
    for (int x = 0; x < out.w; ++x)
      for (int c = 0; c < 3; ++c) {
        const int v = static_cast<int>(std::nearbyint(std::clamp(result.at(c, y, x), 0.0f, 1.0f) * 255.0f));
        worst = std::max(worst, std::abs(v - interleaved[(static_cast<std::size_t>(y) * out.w + x) * 3 + c]));
      }
  CHECK(worst <= 1);

  // The normalize border: every output the weighted mean of the inputs it
  // reaches, so a constant image stays constant up to its edges.
  spec.border = Border::kNormalize;
  const auto normalized = tconv::ImageUpsampler::create(spec, {1, tconv::SampleType::kF32});
  REQUIRE(!normalized.interleaved());
  tconv::Tensor flat(tconv::Shape3{1, 4, 5}, std::vector<float>(20, 0.25f));
  const tconv::Tensor flat_out = normalized.run(std::move(flat), 1);
  for (float v : std::vector<float>(flat_out.data(), flat_out.data() + flat_out.shape().elements()))
    REQUIRE(std::abs(v - 0.25f) < 1e-6f);
}

TEST_CASE("the image upsampler refuses what a ratio cannot be", "[rational]") {
  tconv::ImageUpsamplerSpec spec;
  spec.ratio = Ratio2{{3, 2}, {3, 2}};
  CHECK_THROWS_AS(tconv::ImageUpsampler::create(spec, {3, tconv::SampleType::kU8}), tconv::InvalidArgument);
  spec.interpolation = Interpolation::kBilinear;
  spec.ratio = Ratio2{{2, 3}, {3, 2}};
  CHECK_THROWS_WITH(tconv::ImageUpsampler::create(spec, {3, tconv::SampleType::kU8}),
                    Catch::Contains("2/3") && Catch::Contains("at least 1"));
  spec.ratio = Ratio2{{3, 2}, {3, 2}};
  tconv::ImageUpsamplerOptions forced;
  forced.force_impl = "tconv2d_f32_ref";
  CHECK_THROWS_AS(tconv::ImageUpsampler::create(spec, {3, tconv::SampleType::kU8}, forced),
                  tconv::InvalidArgument);
  forced.force_impl = "upsample_u8_fixed";  // integer factors only
  CHECK_THROWS_AS(tconv::ImageUpsampler::create(spec, {3, tconv::SampleType::kU8}, forced),
                  tconv::InvalidArgument);
}

TEST_CASE("every float impl gives the portable impl's bits at rational factors", "[rational][impl]") {
  const Interpolation kind = GENERATE(Interpolation::kBilinear, Interpolation::kBicubic, Interpolation::kLanczos3);
  const Border border = GENERATE(Border::kZero, Border::kReplicate, Border::kReflect);
  const Ratio2 r{{5, 3}, {3, 2}};
  const int h = 23, w = 37, c = 3;
  const auto src = random_samples<std::uint8_t>(static_cast<std::size_t>(h) * w * c, 21);
  const int oh = static_cast<int>(tconv::resampled_length(h, r.h));
  const int ow = static_cast<int>(tconv::resampled_length(w, r.w));
  auto run = [&](const std::string& impl) {
    std::vector<std::uint8_t> dst(static_cast<std::size_t>(oh) * ow * c);
    tconv::ResampleOptions options;
    options.force_impl = impl;
    options.threads = 2;
    tconv::resample_interleaved(kind, r, border, InterleavedView<const std::uint8_t>{src.data(), h, w, c, w * c},
                                InterleavedView<std::uint8_t>{dst.data(), oh, ow, c, ow * c}, options);
    return dst;
  };
  const std::vector<std::uint8_t> portable = run("upsample_u8_float");
  for (const std::string_view name : tconv::upsample_interleaved_impls<std::uint8_t>()) {
    if (name.find("float") == std::string_view::npos || name == "upsample_u8_float") continue;
    if (!tconv::upsample_interleaved_applicable<std::uint8_t>(name, kind, {3, 3}, c)) {
      WARN(std::string(name) << " skipped: this CPU lacks its ISA");
      continue;
    }
    INFO(name);
    CHECK(run(std::string(name)) == portable);
  }
}

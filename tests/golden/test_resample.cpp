// The interleaved integer path against the float path and cv::resize.
#include <catch2/catch.hpp>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "tconv/border.hpp"
#include "tconv/error.hpp"
#include "tconv/factories.hpp"
#include "tconv/resample.hpp"

namespace {

template <typename T>
cv::Mat random_image(int rows, int cols, int channels, std::uint32_t seed) {
  cv::Mat m(rows, cols, CV_MAKETYPE(cv::DataType<T>::depth, channels));
  cv::RNG rng(seed);
  rng.fill(m, cv::RNG::UNIFORM, 0, double(T(~T{0})) + 1);
  return m;
}

template <typename T>
cv::Mat fused(const cv::Mat& src, tconv::Interpolation kind, tconv::Size2 f, tconv::Border border,
              int threads = 0) {
  cv::Mat dst(src.rows * f.h, src.cols * f.w, src.type());
  tconv::upsample_interleaved(
      kind, f, border,
      tconv::InterleavedView<const T>{src.ptr<T>(), src.rows, src.cols, src.channels(),
                                      static_cast<std::ptrdiff_t>(src.step1())},
      tconv::InterleavedView<T>{dst.ptr<T>(), dst.rows, dst.cols, dst.channels(),
                                static_cast<std::ptrdiff_t>(dst.step1())},
      threads);
  return dst;
}

// The float path: planar tensor in [0, 1], make_upsampler + run_with_border, rounded.
template <typename T>
cv::Mat float_path(const cv::Mat& src, tconv::Interpolation kind, tconv::Size2 f, tconv::Border border) {
  const int c = src.channels();
  const float max = float(T(~T{0}));
  tconv::Tensor t(tconv::Shape3{c, src.rows, src.cols});
  for (int y = 0; y < src.rows; ++y)
    for (int x = 0; x < src.cols; ++x)
      for (int ch = 0; ch < c; ++ch) t.at(ch, y, x) = src.ptr<T>(y)[x * c + ch] / max;
  tconv::Layer layer = tconv::make_upsampler(kind, f, c);
  const auto op = tconv::ConvTranspose2d::create(layer.params, std::move(layer.weights));
  const tconv::Tensor out = tconv::run_with_border(op, t.view(), border);
  cv::Mat dst(out.shape().h, out.shape().w, src.type());
  for (int y = 0; y < dst.rows; ++y)
    for (int x = 0; x < dst.cols; ++x)
      for (int ch = 0; ch < c; ++ch)
        dst.ptr<T>(y)[x * c + ch] = static_cast<T>(std::nearbyint(std::clamp(out.at(ch, y, x), 0.0f, 1.0f) * max));
  return dst;
}

}  // namespace

TEST_CASE("interleaved 8-bit path equals the float path within 1 LSB", "[golden][resample]") {
  const auto kind = GENERATE(tconv::Interpolation::kNearest, tconv::Interpolation::kBilinear,
                             tconv::Interpolation::kBicubic, tconv::Interpolation::kLanczos3);
  const auto border = GENERATE(tconv::Border::kZero, tconv::Border::kReplicate, tconv::Border::kReflect);
  const int c = GENERATE(1, 3, 4);
  for (const tconv::Size2 f : {tconv::Size2{2, 2}, tconv::Size2{3, 3}, tconv::Size2{1, 4}, tconv::Size2{3, 2}}) {
    const cv::Mat src = random_image<std::uint8_t>(9, 7, c, static_cast<std::uint32_t>(f.h * 7 + f.w));
    const cv::Mat a = fused<std::uint8_t>(src, kind, f, border);
    const cv::Mat b = float_path<std::uint8_t>(src, kind, f, border);
    INFO(tconv::to_string(kind) << " " << tconv::to_string(border) << " c" << c << " factor " << tconv::to_string(f));
    REQUIRE(cv::norm(a, b, cv::NORM_INF) <= 1.0);
  }
}

TEST_CASE("interleaved 16-bit path equals the float path within 1 LSB", "[golden][resample]") {
  const auto border = GENERATE(tconv::Border::kReplicate, tconv::Border::kReflect);
  const cv::Mat src = random_image<std::uint16_t>(11, 6, 3, 5);
  const cv::Mat a = fused<std::uint16_t>(src, tconv::Interpolation::kBicubic, {2, 3}, border);
  const cv::Mat b = float_path<std::uint16_t>(src, tconv::Interpolation::kBicubic, {2, 3}, border);
  REQUIRE(cv::norm(a, b, cv::NORM_INF) <= 1.0);
}

TEST_CASE("interleaved bilinear equals cv::resize INTER_LINEAR within 1 LSB", "[golden][resample][opencv]") {
  const int f = GENERATE(2, 3, 4);
  const cv::Mat src = random_image<std::uint8_t>(17, 23, 3, static_cast<std::uint32_t>(f));
  cv::Mat expected;
  cv::resize(src, expected, {}, f, f, cv::INTER_LINEAR);
  const cv::Mat ours = fused<std::uint8_t>(src, tconv::Interpolation::kBilinear, {f, f}, tconv::Border::kReplicate);
  REQUIRE(cv::norm(ours, expected, cv::NORM_INF) <= 1.0);
}

TEST_CASE("interleaved path is bit-identical for any thread count, tiny images included", "[resample][threads]") {
  for (const cv::Size size : {cv::Size(1, 1), cv::Size(2, 1), cv::Size(3, 2), cv::Size(37, 29)}) {
    const cv::Mat src = random_image<std::uint8_t>(size.height, size.width, 3, 3);
    const cv::Mat one = fused<std::uint8_t>(src, tconv::Interpolation::kLanczos3, {3, 2}, tconv::Border::kReflect, 1);
    for (int threads : {2, 3, 64}) {
      const cv::Mat many = fused<std::uint8_t>(src, tconv::Interpolation::kLanczos3, {3, 2}, tconv::Border::kReflect, threads);
      REQUIRE(cv::norm(one, many, cv::NORM_INF) == 0.0);
    }
    REQUIRE(cv::norm(one, float_path<std::uint8_t>(src, tconv::Interpolation::kLanczos3, {3, 2}, tconv::Border::kReflect), cv::NORM_INF) <= 1.0);
  }
}

TEST_CASE("interleaved path refuses normalize and mismatched shapes", "[resample][params]") {
  const cv::Mat src = random_image<std::uint8_t>(4, 4, 3, 1);
  cv::Mat dst(8, 8, src.type());
  const tconv::InterleavedView<const std::uint8_t> in{src.ptr<std::uint8_t>(), 4, 4, 3, 12};
  REQUIRE_THROWS_AS(tconv::upsample_interleaved(tconv::Interpolation::kBilinear, {2, 2}, tconv::Border::kNormalize, in,
                                                {dst.ptr<std::uint8_t>(), 8, 8, 3, 24}),
                    tconv::InvalidArgument);
  REQUIRE_THROWS_AS(tconv::upsample_interleaved(tconv::Interpolation::kBilinear, {2, 2}, tconv::Border::kReplicate, in,
                                                {dst.ptr<std::uint8_t>(), 8, 7, 3, 24}),
                    tconv::ShapeMismatch);
}

TEST_CASE("interleaved float path equals the planar float op within 1e-5", "[golden][resample]") {
  const auto kind = GENERATE(tconv::Interpolation::kBilinear, tconv::Interpolation::kBicubic,
                             tconv::Interpolation::kLanczos3);
  const auto border = GENERATE(tconv::Border::kZero, tconv::Border::kReplicate, tconv::Border::kReflect);
  const int c = 3;
  cv::Mat src(7, 10, CV_32FC3);
  cv::RNG rng(11);
  rng.fill(src, cv::RNG::UNIFORM, 0.0, 1.0);
  const tconv::Size2 f{3, 2};
  cv::Mat ours(src.rows * f.h, src.cols * f.w, src.type());
  tconv::upsample_interleaved(kind, f, border,
                              {src.ptr<float>(), src.rows, src.cols, c, static_cast<std::ptrdiff_t>(src.step1())},
                              {ours.ptr<float>(), ours.rows, ours.cols, c, static_cast<std::ptrdiff_t>(ours.step1())});
  tconv::Tensor t(tconv::Shape3{c, src.rows, src.cols});
  for (int y = 0; y < src.rows; ++y)
    for (int x = 0; x < src.cols; ++x)
      for (int ch = 0; ch < c; ++ch) t.at(ch, y, x) = src.ptr<float>(y)[x * c + ch];
  tconv::Layer layer = tconv::make_upsampler(kind, f, c);
  const auto op = tconv::ConvTranspose2d::create(layer.params, std::move(layer.weights));
  const tconv::Tensor expected = tconv::run_with_border(op, t.view(), border);
  float worst = 0.0f;
  for (int y = 0; y < ours.rows; ++y)
    for (int x = 0; x < ours.cols; ++x)
      for (int ch = 0; ch < c; ++ch)
        worst = std::max(worst, std::abs(ours.ptr<float>(y)[x * c + ch] - expected.at(ch, y, x)));
  INFO(tconv::to_string(kind) << " " << tconv::to_string(border));
  REQUIRE(worst <= 1e-5f);
}

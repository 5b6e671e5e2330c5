// Independent oracle: the bilinear (and nearest) factory through
// conv_transpose2d with the replicate border equals cv::resize.
#include <catch2/catch.hpp>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "tconv/resample/border.hpp"
#include "tconv/resample/factories.hpp"
#include "tconv_tester.hpp"

namespace {

// Planar tensor from an interleaved float Mat.
tconv::Tensor to_tensor(const cv::Mat& m) {
  tconv::Tensor t(tconv::Shape3{m.channels(), m.rows, m.cols});
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x)
      for (int c = 0; c < m.channels(); ++c)
        t.at(c, y, x) = m.ptr<float>(y)[x * m.channels() + c];
  return t;
}

tconv::Tensor upsample(const tconv::Tensor& src, tconv::Interpolation kind, int f,
                       tconv::Border border) {
  tconv::Layer layer = tconv::make_upsampler(kind, {f, f}, src.shape().c);
  const auto op = tconv::ConvTranspose2d::create(layer.params, std::move(layer.weights));
  return tconv::run_with_border(op, src.view(), border);
}

cv::Mat random_mat(int rows, int cols, int type, std::uint32_t seed) {
  cv::Mat m(rows, cols, type);
  cv::RNG rng(seed);
  if (CV_MAT_DEPTH(type) == CV_8U)
    rng.fill(m, cv::RNG::UNIFORM, 0, 256);
  else
    rng.fill(m, cv::RNG::UNIFORM, 0.0f, 1.0f);
  return m;
}

}  // namespace

TEST_CASE("bilinear + replicate equals cv::resize INTER_LINEAR on float images", "[golden][opencv]") {
  const int f = GENERATE(2, 3, 4);
  const int channels = GENERATE(1, 3);
  const cv::Mat src = random_mat(13, 11, CV_32FC(channels), static_cast<std::uint32_t>(f * 10 + channels));
  cv::Mat expected;
  cv::resize(src, expected, {}, f, f, cv::INTER_LINEAR);
  const tconv::Tensor out =
      upsample(to_tensor(src), tconv::Interpolation::kBilinear, f, tconv::Border::kReplicate);
  INFO("factor " << f << " channels " << channels);
  REQUIRE(out.shape() == tconv::Shape3{channels, expected.rows, expected.cols});
  float worst = 0.0f;
  for (int y = 0; y < expected.rows; ++y)
    for (int x = 0; x < expected.cols; ++x)
      for (int c = 0; c < channels; ++c)
        worst = std::max(worst, std::abs(out.at(c, y, x) - expected.ptr<float>(y)[x * channels + c]));
  REQUIRE(worst <= 1e-5f);
}

TEST_CASE("bilinear + replicate equals cv::resize INTER_LINEAR on 8-bit images within 1 LSB", "[golden][opencv]") {
  const int f = GENERATE(2, 3, 4);
  const cv::Mat src8 = random_mat(17, 9, CV_8UC3, static_cast<std::uint32_t>(f));
  cv::Mat expected;
  cv::resize(src8, expected, {}, f, f, cv::INTER_LINEAR);
  cv::Mat srcf;
  src8.convertTo(srcf, CV_32F, 1.0 / 255.0);
  const tconv::Tensor out =
      upsample(to_tensor(srcf), tconv::Interpolation::kBilinear, f, tconv::Border::kReplicate);
  int worst = 0;
  for (int y = 0; y < expected.rows; ++y)
    for (int x = 0; x < expected.cols; ++x)
      for (int c = 0; c < 3; ++c) {
        const int ours = static_cast<int>(std::nearbyint(std::clamp(out.at(c, y, x), 0.0f, 1.0f) * 255.0f));
        worst = std::max(worst, std::abs(ours - int{expected.ptr<std::uint8_t>(y)[x * 3 + c]}));
      }
  INFO("factor " << f);
  REQUIRE(worst <= 1);
}

TEST_CASE("nearest equals cv::resize INTER_NEAREST", "[golden][opencv]") {
  const int f = GENERATE(2, 3, 5);
  const cv::Mat src = random_mat(6, 7, CV_32FC1, 99);
  cv::Mat expected;
  cv::resize(src, expected, {}, f, f, cv::INTER_NEAREST);
  const tconv::Tensor out =
      upsample(to_tensor(src), tconv::Interpolation::kNearest, f, tconv::Border::kZero);
  REQUIRE(out.shape() == tconv::Shape3{1, expected.rows, expected.cols});
  for (int y = 0; y < expected.rows; ++y)
    for (int x = 0; x < expected.cols; ++x) REQUIRE(out.at(0, y, x) == expected.at<float>(y, x));
}

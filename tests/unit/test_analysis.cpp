// Checkerboard analysis: phase gains, phase metrics, the least-squares 3x3 fit.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>

#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/error.hpp"
#include "tconv/resample/border.hpp"
#include "tconv/resample/factories.hpp"
#include "tconv/sr/analysis.hpp"

using tconv::Interpolation;
using tconv::Shape3;
using tconv::Size2;
using tconv::Tensor;

namespace {

// samples/photo.png as a planar float image on the 0-255 scale.
Tensor photo() {
  const std::string path = std::string(TCONV_SAMPLES_DIR) + "/photo.png";
  const cv::Mat m = cv::imread(path, cv::IMREAD_COLOR);
  REQUIRE(!m.empty());
  Tensor t(Shape3{3, m.rows, m.cols});
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x)
      for (int c = 0; c < 3; ++c) t.at(c, y, x) = m.at<cv::Vec3b>(y, x)[2 - c];
  return t;
}

Tensor upsample(const Tensor& src, Interpolation kind, Size2 f) {
  tconv::Layer layer = tconv::make_upsampler(kind, f, src.shape().c);
  const auto op = tconv::ConvTranspose2d::create(layer.params, std::move(layer.weights));
  return tconv::run_with_border(op, src.view(), tconv::Border::kReplicate);
}

tconv::Weights all_ones(int in, int out, int k) {
  tconv::Weights w;
  w.shape = {in, out, k, k};
  w.values.assign(static_cast<std::size_t>(w.shape.elements()), 1.0f);
  return w;
}

// Adds +a where (y + x) is even and -a elsewhere: a checkerboard of amplitude a.
void add_checkerboard(Tensor& t, float a) {
  for (int c = 0; c < t.shape().c; ++c)
    for (int y = 0; y < t.shape().h; ++y)
      for (int x = 0; x < t.shape().w; ++x) t.at(c, y, x) += (y + x) % 2 == 0 ? a : -a;
}

}  // namespace

TEST_CASE("all-ones 3x3 kernel at stride 2 has gains 4, 2, 2, 1 and ratio 4", "[analysis]") {
  tconv::ConvParams p;
  p.in_channels = p.out_channels = 1;
  p.kernel = {3, 3};
  p.stride = {2, 2};
  const tconv::PhaseGains g = tconv::phase_gains(p, all_ones(1, 1, 3));
  REQUIRE(g.gains.size() == 1);
  CHECK(g.gains[0] == std::vector<double>{4, 2, 2, 1});
  CHECK(g.ratio == 4.0);
  CHECK(g.uneven_overlap);
  CHECK(g.taps == std::vector<int>{4, 2, 2, 1});
  // Padding 1 moves the phases: the one-tap phase is now (0, 0).
  p.padding(1);
  CHECK(tconv::phase_gains(p, all_ones(1, 1, 3)).gains[0] == std::vector<double>{1, 2, 2, 4});
  // Dense 3 -> 2 channels: every input channel adds its kernel.
  p.in_channels = 3;
  p.out_channels = 2;
  const auto dense = tconv::phase_gains(p, all_ones(3, 2, 3));
  CHECK(dense.gains[1] == std::vector<double>{3, 6, 6, 12});
  CHECK(dense.ratio == 4.0);
}

TEST_CASE("phase gains: sign rules of the ratio", "[analysis]") {
  tconv::ConvParams p;
  p.in_channels = p.out_channels = 1;
  p.kernel = {2, 2};
  p.stride = {2, 2};
  tconv::Weights w = all_ones(1, 1, 2);
  CHECK(tconv::phase_gains(p, w).ratio == 1.0);
  CHECK_FALSE(tconv::phase_gains(p, w).uneven_overlap);
  w.values = {-1, -2, -4, -1};
  CHECK(tconv::phase_gains(p, w).ratio == 4.0);
  w.values = {1, -1, 1, 1};
  CHECK(std::isinf(tconv::phase_gains(p, w).ratio));
  w.values = {0, 0, 0, 0};
  CHECK(tconv::phase_gains(p, w).ratio == 1.0);
  w.values = {1, 2, 3};
  CHECK_THROWS_AS(tconv::phase_gains(p, w), tconv::ShapeMismatch);
}

TEST_CASE("phase gains equal the op's response to an all-ones input", "[analysis][property]") {
  std::mt19937 rng(1234);
  auto uni = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int trial = 0; trial < 60; ++trial) {
    tconv::ConvParams p;
    p.groups = uni(1, 2);
    p.in_channels = p.groups * uni(1, 2);
    p.out_channels = p.groups * uni(1, 2);
    p.kernel = {uni(1, 5), uni(1, 5)};
    p.stride = {uni(1, 3), uni(1, 3)};
    p.dilation = {uni(1, 2), uni(1, 2)};
    p.pad_begin = {uni(0, 2), uni(0, 2)};
    p.pad_end = {uni(0, 2), uni(0, 2)};
    tconv::Weights w;
    w.shape = p.weight_shape(tconv::ConvKind::kConvTranspose2d);
    std::uniform_real_distribution<float> val(-1.0f, 1.0f);
    for (std::int64_t i = 0; i < w.shape.elements(); ++i) w.values.push_back(val(rng));
    INFO("problem " << p.to_string() << " trial " << trial);
    const tconv::PhaseGains g = tconv::phase_gains(p, w);
    const Tensor ones = [&] {
      Tensor t(Shape3{p.in_channels, 12, 12});
      for (float& v : t.span()) v = 1.0f;
      return t;
    }();
    const Tensor out = tconv::conv_transpose2d(ones.view(), p, w);
    // Interior: a band as wide as the kernel's extent removed on each side.
    const int eh = p.dilation.h * (p.kernel.h - 1) + 1;
    const int ew = p.dilation.w * (p.kernel.w - 1) + 1;
    for (int oc = 0; oc < p.out_channels; ++oc)
      for (int y = eh; y < out.shape().h - eh; ++y)
        for (int x = ew; x < out.shape().w - ew; ++x) {
          const double expected = g.gains[oc][(y % p.stride.h) * p.stride.w + x % p.stride.w];
          REQUIRE(out.at(oc, y, x) == Approx(expected).margin(1e-5));
        }
  }
}

TEST_CASE("bilinear weights have gain ratio 1 and no phase-mean spread on a photo", "[analysis]") {
  for (int f : {2, 3, 4}) {
    const tconv::Layer l = tconv::make_upsampler(Interpolation::kBilinear, {f, f}, 3);
    INFO("factor " << f);
    CHECK(tconv::phase_gains(l.params, l.weights).ratio == Approx(1.0).margin(1e-6));
  }
  const Tensor up = upsample(photo(), Interpolation::kBilinear, {2, 2});
  const double spread = tconv::phase_mean_spread(up.view(), {2, 2}, {4, 4});
  INFO("bilinear x2 spread " << spread);
  CHECK(spread < 0.05);
}

TEST_CASE("nearest-neighbour upsampling has a high phase-energy ratio", "[analysis]") {
  const Tensor src = photo();
  for (int f : {3, 4}) {
    const double nearest =
        tconv::phase_energy_ratio(upsample(src, Interpolation::kNearest, {f, f}).view(), {f, f}, {f, f});
    INFO("factor " << f << ": nearest " << nearest);
    CHECK(nearest > 100.0);  // phases inside a block have no Laplacian at all
  }
  // At factor 2 every nearest-neighbour phase touches one block edge per
  // axis, so the Laplacian sees no modulation; the replicated spectrum does.
  const Tensor nearest2 = upsample(src, Interpolation::kNearest, {2, 2});
  const Tensor bilinear2 = upsample(src, Interpolation::kBilinear, {2, 2});
  CHECK(tconv::phase_energy_ratio(bilinear2.view(), {2, 2}, {4, 4}) < 1.1);
  CHECK(tconv::spectral_peak_ratio(nearest2.view(), {2, 2}, {4, 4}) > 100.0);
  CHECK(tconv::spectral_peak_ratio(bilinear2.view(), {2, 2}, {4, 4}) < 20.0);
}

TEST_CASE("an additive checkerboard of amplitude A measures phase_mean_spread of A", "[analysis]") {
  const Tensor up = upsample(photo(), Interpolation::kBilinear, {2, 2});
  for (float a : {1.0f, 4.0f, 16.0f}) {
    Tensor t = up.clone();
    add_checkerboard(t, a);
    const double spread = tconv::phase_mean_spread(t.view(), {2, 2}, {4, 4});
    INFO("amplitude " << a << " measured " << spread);
    CHECK(spread == Approx(a).epsilon(0.05));
    // The same pattern is a spectral peak at (1/2, 1/2) cycles per pixel.
    CHECK(tconv::spectral_peak_ratio(t.view(), {2, 2}, {4, 4}) > 100.0);
  }
  CHECK(tconv::spectral_peak_ratio(up.view(), {2, 2}, {4, 4}) < 20.0);
}

TEST_CASE("the all-ones 3x3 transposed convolution leaves a measurable checkerboard", "[analysis]") {
  const Tensor src = photo();
  tconv::ConvParams p;
  p.in_channels = p.out_channels = p.groups = 3;
  p.kernel = {3, 3};
  p.stride = {2, 2};
  tconv::Weights w = all_ones(3, 1, 3);
  for (float& v : w.values) v = 1.0f / 2.25f;  // mean gain 1
  const Tensor out = tconv::conv_transpose2d(src.view(), p, w);
  const tconv::PhaseMetrics m = tconv::phase_metrics(out.view(), {2, 2}, {3, 3});
  INFO("spread " << m.phase_mean_spread << " energy " << m.phase_energy_ratio << " spectral "
                 << m.spectral_peak_ratio);
  CHECK(m.phase_mean_spread > 30.0);
  CHECK(m.phase_energy_ratio > 2.0);
  CHECK(m.spectral_peak_ratio > 100.0);
}

TEST_CASE("local phase-mean spread finds where the checkerboard is", "[analysis]") {
  Tensor t = upsample(photo(), Interpolation::kBilinear, {2, 2});  // 384 x 512
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 16; ++y)
      for (int x = 32; x < 48; ++x) t.at(c, y, x) += (y + x) % 2 == 0 ? 8.0f : -8.0f;
  const Tensor map = tconv::local_phase_mean_spread(t.view(), {2, 2}, {16, 16});
  REQUIRE(map.shape() == Shape3{1, 24, 32});
  CHECK(map.at(0, 0, 2) == Approx(8.0).epsilon(0.05));
  CHECK(map.at(0, 5, 5) < 1.0);
}

TEST_CASE("the least-squares fit recovers a known 3x3 kernel", "[analysis]") {
  const Tensor src = upsample(photo(), Interpolation::kBilinear, {2, 2});
  std::mt19937 rng(77);
  std::uniform_real_distribution<float> val(-0.5f, 0.5f);
  SECTION("dense") {
    tconv::Weights known;
    known.shape = {3, 3, 3, 3};
    for (int i = 0; i < 81; ++i) known.values.push_back(val(rng));
    known.bias = {0.25f, -3.0f, 7.5f};
    const Tensor target = tconv::conv3x3_replicate(src.view(), known);
    const tconv::Weights fit = tconv::fit_conv3x3(src.view(), target.view(), {2, 2});
    REQUIRE(fit.shape == known.shape);
    for (std::size_t i = 0; i < known.values.size(); ++i) CHECK(fit.values[i] == Approx(known.values[i]).margin(1e-4));
    for (std::size_t i = 0; i < 3; ++i) CHECK(fit.bias[i] == Approx(known.bias[i]).margin(1e-4 * 255));
  }
  SECTION("depthwise") {
    tconv::Weights known;
    known.shape = {3, 1, 3, 3};
    for (int i = 0; i < 27; ++i) known.values.push_back(val(rng));
    known.bias = {1.0f, 0.0f, -1.0f};
    const Tensor target = tconv::conv3x3_replicate(src.view(), known);
    const tconv::Weights fit = tconv::fit_conv3x3(src.view(), target.view(), {2, 2}, true);
    REQUIRE(fit.shape == known.shape);
    for (std::size_t i = 0; i < known.values.size(); ++i) CHECK(fit.values[i] == Approx(known.values[i]).margin(1e-4));
  }
}

TEST_CASE("analysis rejects interiors too small to measure", "[analysis]") {
  const Tensor t(Shape3{1, 10, 10});
  CHECK_THROWS_AS(tconv::phase_mean_spread(t.view(), {2, 2}, {5, 5}), tconv::InvalidArgument);
  CHECK_THROWS_WITH(tconv::spectral_peak_ratio(t.view(), {2, 2}, {0, 0}),
                    Catch::Contains("spectral_peak_ratio image 1x10x10"));
  CHECK_THROWS_AS(tconv::phase_energy_ratio(t.view(), {0, 2}, {1, 1}), tconv::InvalidArgument);
}

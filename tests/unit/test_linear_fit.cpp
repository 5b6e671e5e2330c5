// LinearFit: recovers a known linear upsampler exactly, its geometry
// centres the taps, bad values are refused, and (with the shared training
// images) a learned x2 layer beats MATLAB bicubic on held-out images.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <random>

#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/error.hpp"
#include "tconv/resample/border.hpp"
#include "tconv/sr/linear_fit.hpp"
#include "tconv/sr/quality.hpp"
#include "tconv/sr/sr_protocol.hpp"

namespace {

namespace fs = std::filesystem;
using tconv::Shape3;
using tconv::Tensor;

// Smooth-ish random image: noise plus a gradient, values around [0, 1].
Tensor random_image(int c, int h, int w, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  Tensor t(Shape3{c, h, w});
  for (int k = 0; k < c; ++k)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) t.at(k, y, x) = 0.5f * u(rng) + 0.5f * float(x + y) / float(h + w);
  return t;
}

double psnr_peak1(const Tensor& a, const Tensor& b) {
  double se = 0;
  for (std::size_t i = 0; i < a.span().size(); ++i) {
    const double d = double(a.span()[i]) - double(b.span()[i]);
    se += d * d;
  }
  return 10.0 * std::log10(double(a.span().size()) / se);
}

}  // namespace

TEST_CASE("linear fit recovers a known linear upsampler", "[linear_fit]") {
  struct Case {
    int scale;
    int kernel;
    int channels;
  };
  const Case cases[] = {{2, 12, 1}, {3, 9, 1}, {2, 5, 1}, {2, 8, 3}, {4, 8, 1}};
  for (const Case& cs : cases) {
    const unsigned seed = 1234u + unsigned(cs.scale * 100 + cs.kernel * 10 + cs.channels);
    INFO("scale " << cs.scale << " kernel " << cs.kernel << " channels " << cs.channels
                  << " seed " << seed);
    std::mt19937 rng(seed);
    const tconv::ConvParams params =
        tconv::linear_fit_geometry(cs.scale, cs.kernel, cs.channels);
    tconv::Weights truth;
    truth.shape = params.weight_shape(tconv::ConvKind::kConvTranspose2d);
    std::normal_distribution<float> g(0.0f, 0.2f);
    truth.values.resize(std::size_t(truth.shape.elements()));
    for (float& v : truth.values) v = g(rng);
    for (int c = 0; c < cs.channels; ++c) truth.bias.push_back(0.1f * float(c + 1));
    const auto known = tconv::ConvTranspose2d::create(params, truth);

    auto fit = tconv::LinearFit::create({cs.scale, cs.kernel, cs.channels});
    for (int i = 0; i < 6; ++i) {
      const Tensor lr = random_image(cs.channels, 23 + i, 19 + 2 * i, rng);
      const Tensor hr = known.run(lr.view());
      REQUIRE(hr.shape() == Shape3{cs.channels, lr.shape().h * cs.scale, lr.shape().w * cs.scale});
      fit.add(lr.view(), hr.view());
    }
    const tconv::LinearFitResult r = fit.solve(0.0);
    CHECK(r.train_psnr > 80.0);
    double worst = 0;
    for (std::size_t i = 0; i < truth.values.size(); ++i)
      worst = std::max(worst, double(std::abs(r.layer.weights.values[i] - truth.values[i])));
    CHECK(worst < 1e-4);
    const auto learned = tconv::ConvTranspose2d::create(r.layer.params, r.layer.weights);
    for (int i = 0; i < 3; ++i) {  // held-out images
      const Tensor lr = random_image(cs.channels, 31, 27, rng);
      CHECK(psnr_peak1(known.run(lr.view()), learned.run(lr.view())) > 60.0);
    }
  }
}

TEST_CASE("linear fit geometry centres the taps and keeps out = s * in", "[linear_fit]") {
  // x2, 12 taps: 6 per phase, pad 5 both sides (PyTorch padding=5).
  tconv::ConvParams p = tconv::linear_fit_geometry(2, 12, 1);
  CHECK(p.pad_begin == tconv::Size2{5, 5});
  CHECK(p.pad_end == tconv::Size2{5, 5});
  CHECK(p.output_padding == tconv::Size2{0, 0});
  // x3, 18 taps: pad 8, output_padding 1 (end pad 7).
  p = tconv::linear_fit_geometry(3, 18, 1);
  CHECK(p.pad_begin == tconv::Size2{8, 8});
  CHECK(p.output_padding == tconv::Size2{1, 1});
  for (int s = 1; s <= 5; ++s)
    for (int k = s; k <= 6 * s; ++k) {
      INFO("scale " << s << " kernel " << k);
      p = tconv::linear_fit_geometry(s, k, 1);
      CHECK(!p.first_violation(tconv::ConvKind::kConvTranspose2d));
      CHECK(p.output_shape(tconv::ConvKind::kConvTranspose2d, {1, 7, 9}) ==
            Shape3{1, 7 * s, 9 * s});
    }
}

TEST_CASE("linear fit refuses bad values", "[linear_fit]") {
  CHECK_THROWS_WITH(tconv::LinearFit::create({0, 0, 1}), Catch::Contains("scale 0"));
  CHECK_THROWS_WITH(tconv::LinearFit::create({3, 2, 1}), Catch::Contains("kernel 2"));
  CHECK_THROWS_WITH(tconv::LinearFit::create({2, 0, 5}), Catch::Contains("channels 5"));
  auto fit = tconv::LinearFit::create({2, 0, 1});
  const Tensor lr(Shape3{1, 20, 20});
  const Tensor bad(Shape3{1, 40, 41});
  CHECK_THROWS_AS(fit.add(lr.view(), bad.view()), tconv::ShapeMismatch);
  CHECK_THROWS_WITH(fit.solve(0.0), Catch::Contains("no samples"));
  CHECK_THROWS_AS(fit.solve(-1.0), tconv::InvalidArgument);
  // All-zero images: X^T X = 0, not positive definite without a ridge.
  const Tensor hr(Shape3{1, 40, 40});
  fit.add(lr.view(), hr.view());
  CHECK_THROWS_WITH(fit.solve(0.0), Catch::Contains("not positive definite"));
}

TEST_CASE("dihedral covers the 8 symmetries", "[linear_fit]") {
  Tensor t(Shape3{1, 2, 3});
  for (int i = 0; i < 6; ++i) t.span()[std::size_t(i)] = float(i);  // 0 1 2 / 3 4 5
  CHECK(tconv::dihedral(t.view(), 1).at(0, 0, 0) == 2.0f);          // left-right
  CHECK(tconv::dihedral(t.view(), 2).at(0, 0, 0) == 3.0f);          // top-bottom
  const Tensor tr = tconv::dihedral(t.view(), 4);                   // transpose
  CHECK(tr.shape() == Shape3{1, 3, 2});
  CHECK(tr.at(0, 2, 1) == 5.0f);
  CHECK(tr.at(0, 1, 0) == 1.0f);
  CHECK_THROWS_AS(tconv::dihedral(t.view(), 8), tconv::InvalidArgument);
}

TEST_CASE("a learned x2 layer beats MATLAB bicubic on held-out images",
          "[linear_fit][shared]") {
  const fs::path train = fs::path(TCONV_SHARED_DIR) / "data" / "sr" / "train" / "T91";
  const fs::path held_out = fs::path(TCONV_SHARED_DIR) / "data" / "sr" / "Set14";
  if (!fs::exists(train) || !fs::exists(held_out)) {
    WARN("SKIPPED: shared data " << train.string() << " is absent");
    return;
  }
  auto read_y = [](const fs::path& p) {
    const cv::Mat m = cv::imread(p.string(), cv::IMREAD_COLOR);
    REQUIRE(!m.empty());
    Tensor rgb(Shape3{3, m.rows / 2 * 2, m.cols / 2 * 2});
    for (int y = 0; y < rgb.shape().h; ++y)
      for (int x = 0; x < rgb.shape().w; ++x)
        for (int k = 0; k < 3; ++k) rgb.at(k, y, x) = m.ptr<unsigned char>(y)[x * 3 + 2 - k];
    return tconv::protocol_luma(rgb.view());
  };
  auto fit = tconv::LinearFit::create({2, 0, 1});
  int used = 0;
  for (const char* name : {"t1.png", "t2.png", "t3.png", "t5.png", "t8.png", "t10.png",
                           "t12.png", "t15.png", "t20.png", "tt1.png", "tt3.png", "tt5.png"}) {
    const Tensor hr = read_y(train / name);
    const Tensor lr = tconv::protocol_downscale(hr.view(), 2);
    Tensor hr01 = hr.clone();
    for (float& v : hr01.span()) v /= 255.0f;
    for (int k = 0; k < 8; k += 3) fit.add(tconv::dihedral(lr.view(), k).view(),
                                           tconv::dihedral(hr01.view(), k).view());
    ++used;
  }
  const tconv::LinearFitResult r = fit.solve(1e-6);
  INFO("trained on " << used << " images, training PSNR " << r.train_psnr);
  const auto op = tconv::ConvTranspose2d::create(r.layer.params, r.layer.weights);
  for (const char* name : {"lenna.png", "monarch.png", "pepper.png", "zebra.png"}) {
    const Tensor hr = read_y(held_out / name);
    const Tensor lr = tconv::protocol_downscale(hr.view(), 2);
    const Tensor sr = tconv::to_8bit_scale(
        tconv::run_with_border(op, lr.view(), tconv::Border::kReplicate).view());
    const tconv::SrScore learned = tconv::protocol_score(hr.view(), sr.view(), 2);
    const Tensor bic = tconv::protocol_bicubic(hr.view(), 2);
    const tconv::SrScore bicubic = tconv::protocol_score(hr.view(), bic.view(), 2);
    INFO(name << ": learned " << learned.psnr << " dB / " << learned.ssim << ", bicubic "
              << bicubic.psnr << " dB / " << bicubic.ssim);
    CHECK(learned.psnr > bicubic.psnr + 0.3);
    CHECK(learned.ssim > bicubic.ssim);
  }
}

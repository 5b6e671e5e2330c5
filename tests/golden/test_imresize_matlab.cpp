// MATLAB-compatible imresize against MATLAB's own output and against LR
// images made by MATLAB (BasicSR's generate_bicubic_img.m). Both data sets
// are in the shared folder; the tests skip loudly when it is absent.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "tconv/sr/imresize.hpp"

namespace {

namespace fs = std::filesystem;
using tconv::Shape3;
using tconv::Size2;
using tconv::Tensor;

const fs::path kSr = fs::path(TCONV_SHARED_DIR) / "data" / "sr";

bool have(const fs::path& p) {
  if (fs::exists(p)) return true;
  WARN("SKIPPED: shared data " << p.string() << " is absent");
  return false;
}

// The image's channels as a planar tensor on the 0..255 scale, R, G, B order
// (OpenCV gives B, G, R). `top_h` x `top_w`: the top-left crop (0: all).
Tensor read_planar(const fs::path& p, int top_h = 0, int top_w = 0) {
  const cv::Mat m = cv::imread(p.string(), cv::IMREAD_UNCHANGED);
  REQUIRE(!m.empty());
  REQUIRE(m.depth() == CV_8U);
  const int c = m.channels();
  const int h = top_h > 0 ? top_h : m.rows;
  const int w = top_w > 0 ? top_w : m.cols;
  Tensor t(Shape3{c, h, w});
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) {
        const int src_k = c >= 3 ? (k < 3 ? 2 - k : k) : k;
        t.at(k, y, x) = static_cast<float>(m.ptr<unsigned char>(y)[x * c + src_k]);
      }
  return t;
}

struct Diff {
  long long differing = 0;
  float worst = 0;
};

Diff compare(const Tensor& expected, const Tensor& actual) {
  REQUIRE(expected.shape() == actual.shape());
  Diff d;
  for (std::size_t i = 0; i < expected.span().size(); ++i) {
    const float e = std::abs(expected.span()[i] - actual.span()[i]);
    if (e > 0) ++d.differing;
    d.worst = std::max(d.worst, e);
  }
  return d;
}

// round(imresize(x / 255, size) * 255), MATLAB's double path then imwrite.
Tensor resize_double_path(const Tensor& u8, Size2 size) {
  Tensor x = u8.clone();
  for (float& v : x.span()) v /= 255.0f;
  // In double from the exact quotients: v / 255 in float would lose bits.
  Tensor out(Shape3{u8.shape().c, size.h, size.w});
  const std::size_t plane = static_cast<std::size_t>(u8.shape().h) * u8.shape().w;
  std::vector<double> in(plane);
  std::vector<double> res(static_cast<std::size_t>(size.h) * size.w);
  for (int c = 0; c < u8.shape().c; ++c) {
    for (std::size_t i = 0; i < plane; ++i) in[i] = u8.span()[c * plane + i] / 255.0;
    tconv::imresize_bicubic(in, {u8.shape().h, u8.shape().w}, res, size);
    for (std::size_t i = 0; i < res.size(); ++i)
      out.span()[c * res.size() + i] =
          static_cast<float>(std::clamp(std::round(res[i] * 255.0), 0.0, 255.0));
  }
  return out;
}

}  // namespace

TEST_CASE("imresize bicubic equals MATLAB's output for lena 512x512 -> 123x234",
          "[golden][imresize][shared]") {
  const fs::path dir = kSr / "matlab_imresize_ref";
  if (!have(dir)) return;
  const Tensor lena = read_planar(dir / "lena_512x512.png");
  const Size2 size{123, 234};  // shrinks rows by 0.24, columns by 0.457: antialiased, unequal
  SECTION("uint8 image: rounded after each pass") {
    tconv::ImresizeOptions opt;
    opt.round_to_u8 = true;
    const Tensor out = tconv::imresize_bicubic(lena.view(), size, opt);
    const Diff d = compare(read_planar(dir / "lena_123x234_uint8.png"), out);
    INFO("differing samples " << d.differing << ", worst " << d.worst);
    CHECK(d.differing == 0);
  }
  SECTION("double image: floating point, rounded once") {
    const Diff d = compare(read_planar(dir / "lena_123x234_double.png"),
                           resize_double_path(lena, size));
    INFO("differing samples " << d.differing << ", worst " << d.worst);
    CHECK(d.differing == 0);
  }
}

TEST_CASE("imresize bicubic reproduces BasicSR's MATLAB-made LR images",
          "[golden][imresize][shared]") {
  const fs::path dir = kSr / "basicsr_lr_ref";
  if (!have(dir)) return;
  struct Case {
    std::string set;
    std::string lr;
    int scale;
  };
  const Case cases[] = {{"Set5", "LRbicx2", 2}, {"Set5", "LRbicx4", 4}, {"Set14", "LRbicx4", 4}};
  long long total_differing = 0;
  long long total_samples = 0;
  for (const Case& c : cases) {
    for (const auto& entry : fs::directory_iterator(dir / c.set / c.lr)) {
      const fs::path name = entry.path().filename();
      // The HR original cropped top-left to a multiple of 12 (modcrop(12)).
      const cv::Mat hr_head = cv::imread((kSr / c.set / name).string(), cv::IMREAD_UNCHANGED);
      REQUIRE(!hr_head.empty());
      const Tensor hr = read_planar(kSr / c.set / name, hr_head.rows / 12 * 12,
                                    hr_head.cols / 12 * 12);
      const Tensor lr = resize_double_path(hr, {hr.shape().h / c.scale, hr.shape().w / c.scale});
      Tensor expected = read_planar(entry.path());
      // bridge is gray but was saved with three equal channels.
      if (expected.shape().c == 3 && lr.shape().c == 1) {
        Tensor first(Shape3{1, expected.shape().h, expected.shape().w});
        for (std::size_t i = 0; i < first.span().size(); ++i) first.span()[i] = expected.span()[i];
        expected = std::move(first);
      }
      const Diff d = compare(expected, lr);
      INFO(c.set << "/" << c.lr << "/" << name.string() << ": differing " << d.differing
                 << ", worst " << d.worst);
      // MATLAB's sums run in another order; a value within rounding of a
      // half may land on the other side, never further than 1.
      CHECK(d.worst <= 1.0f);
      CHECK(d.differing <= 2);
      total_differing += d.differing;
      total_samples += static_cast<long long>(lr.span().size());
    }
  }
  INFO("samples " << total_samples << ", differing " << total_differing);
  CHECK(total_samples > 0);
  CHECK(total_differing <= 6);
}

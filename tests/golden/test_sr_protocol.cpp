// The SR evaluation protocol's bicubic baseline on Set5 against the
// published numbers (SRCNN / FSRCNN tables) and per-image reference values.
// Needs the shared data; skips loudly without it.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <string>

#include "tconv/core/error.hpp"
#include "tconv/sr/sr_protocol.hpp"

namespace {

namespace fs = std::filesystem;
using tconv::Shape3;
using tconv::Tensor;

const fs::path kSr = fs::path(TCONV_SHARED_DIR) / "data" / "sr";

// Planar R, G, B (or gray) on the 0..255 scale.
Tensor read_rgb255(const fs::path& p) {
  const cv::Mat m = cv::imread(p.string(), cv::IMREAD_UNCHANGED);
  REQUIRE(!m.empty());
  const int c = m.channels();
  Tensor t(Shape3{c, m.rows, m.cols});
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x)
      for (int k = 0; k < c; ++k)
        t.at(k, y, x) = m.ptr<unsigned char>(y)[x * c + (c >= 3 && k < 3 ? 2 - k : k)];
  return t;
}

// "baby.png 512x512 c=3 A:bicubic 37.0660/0.9520 ..." -> {37.0660, 0.9520}.
std::map<std::string, tconv::SrScore> read_reference(const fs::path& p) {
  std::map<std::string, tconv::SrScore> out;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string name;
    std::string size;
    std::string channels;
    std::string scores;
    ss >> name >> size >> channels >> scores;
    if (scores != "A:bicubic") continue;  // the MEAN line
    ss >> scores;                          // "37.0660/0.9520"
    std::istringstream vs(scores);
    tconv::SrScore s;
    char slash = 0;
    vs >> s.psnr >> slash >> s.ssim;
    out[name] = s;
  }
  return out;
}

}  // namespace

TEST_CASE("protocol bicubic reproduces the published Set5 numbers", "[golden][protocol][shared]") {
  if (!fs::exists(kSr / "Set5")) {
    WARN("SKIPPED: shared data " << (kSr / "Set5").string() << " is absent");
    return;
  }
  struct Published {
    int scale;
    double psnr;
    double ssim;
  };
  // SRCNN (Dong et al. 2014/2016) Table: bicubic on Set5.
  const Published published[] = {{2, 33.66, 0.9299}, {3, 30.39, 0.8682}, {4, 28.42, 0.8104}};
  for (const Published& pub : published) {
    const auto reference = read_reference(kSr / "reference_results" /
                                          ("set5_x" + std::to_string(pub.scale) + ".txt"));
    double sum_psnr = 0;
    double sum_ssim = 0;
    int count = 0;
    for (const char* name : {"baby.png", "bird.png", "butterfly.png", "head.png", "woman.png"}) {
      const Tensor y = tconv::protocol_luma(read_rgb255(kSr / "Set5" / name).view());
      const Tensor hr = tconv::modcrop(y.view(), pub.scale);
      const Tensor sr = tconv::protocol_bicubic(hr.view(), pub.scale);
      const tconv::SrScore s = tconv::protocol_score(hr.view(), sr.view(), pub.scale);
      INFO("x" << pub.scale << " " << name << ": psnr " << s.psnr << " ssim " << s.ssim);
      if (reference.count(name)) {
        // The reference values are printed to 4 decimals.
        CHECK(s.psnr == Approx(reference.at(name).psnr).margin(0.0002));
        CHECK(s.ssim == Approx(reference.at(name).ssim).margin(0.00006));
      } else {
        WARN("no per-image reference for " << name << " x" << pub.scale);
      }
      sum_psnr += s.psnr;
      sum_ssim += s.ssim;
      ++count;
    }
    INFO("x" << pub.scale << " mean psnr " << sum_psnr / count << " ssim " << sum_ssim / count);
    CHECK(sum_psnr / count == Approx(pub.psnr).margin(0.01));
    CHECK(sum_ssim / count == Approx(pub.ssim).margin(0.0005));
  }
}

TEST_CASE("protocol building blocks on small cases", "[protocol]") {
  Tensor rgb(Shape3{3, 2, 3});
  for (int x = 0; x < 3; ++x) {
    rgb.at(0, 0, x) = 255;
    rgb.at(1, 0, x) = 255;
    rgb.at(2, 0, x) = 255;
  }
  rgb.at(0, 1, 1) = 255;  // pure red
  const Tensor y = tconv::protocol_luma(rgb.view());
  CHECK(y.at(0, 0, 0) == 235.0f);  // white: 16 + 219
  CHECK(y.at(0, 1, 0) == 16.0f);   // black
  CHECK(y.at(0, 1, 1) == 81.0f);   // red: round(16 + 65.481) = round(81.481)
  const Tensor cropped = tconv::modcrop(rgb.view(), 2);
  CHECK(cropped.shape() == Shape3{3, 2, 2});
  // A constant image stays constant through both resizes (weights sum to 1).
  Tensor flat(Shape3{1, 12, 12});
  for (float& v : flat.span()) v = 100.0f;
  const Tensor lr = tconv::protocol_downscale(flat.view(), 3);
  CHECK(lr.shape() == Shape3{1, 4, 4});
  for (float v : lr.span()) CHECK(v == Approx(100.0 / 255.0).epsilon(1e-6));
  const Tensor up = tconv::protocol_bicubic(flat.view(), 3);
  for (float v : up.span()) CHECK(v == 100.0f);
  CHECK_THROWS_AS(tconv::protocol_downscale(cropped.view(), 3), tconv::ShapeMismatch);
}

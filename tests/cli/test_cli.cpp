// CLI tests: run the real tconv-upsample binary and check exit codes,
// messages and files.
#include <sys/wait.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <sstream>
#include <tuple>

#include "cli_support.hpp"
#include "image/image_io.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/io/npy.hpp"
#include "test_images.hpp"

namespace fs = std::filesystem;

namespace {

using tconv::test::read_bytes;
using tconv::test::write_bytes;

using Result = tconv::test::CliResult;

Result run(const std::string& args) { return tconv::test::run_cli(TCONV_CLI, args); }

// A fresh, empty folder per test, removed afterwards.
struct TempDir : tconv::test::TempDir {
  TempDir() : tconv::test::TempDir("tconv_cli_") {}
};



using tconv::test::gradient;

const char* kGoodImage = "in.png";

}  // namespace

TEST_CASE("version and help flags exit 0", "[cli]") {
  const Result v = run("--version");
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.output, Catch::StartsWith("tconv-upsample "));
  const Result h = run("--help");
  CHECK(h.exit_code == 0);
  CHECK_THAT(h.output, Catch::Contains("Exit codes") && Catch::Contains("--border"));
}

TEST_CASE("writes <stem>_x2.png beside the input", "[cli]") {
  TempDir dir;
  cv::imwrite(dir / kGoodImage, gradient(9, 7, CV_8UC3));
  const Result r = run(dir / kGoodImage + " -s 2");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const cv::Mat out = cv::imread(dir / "in_x2.png", cv::IMREAD_UNCHANGED);
  REQUIRE(out.rows == 18);
  REQUIRE(out.cols == 14);
  REQUIRE(out.type() == CV_8UC3);
}

TEST_CASE("an existing output is never overwritten without --overwrite", "[cli]") {
  TempDir dir;
  cv::imwrite(dir / kGoodImage, gradient(9, 7, CV_8UC3));
  write_bytes(dir / "out.png", {'o', 'l', 'd'});
  const Result r = run(dir / kGoodImage + " -s 2 -o " + dir / "out.png");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("exists (use --overwrite"));
  CHECK(read_bytes(dir / "out.png") == "old");
  const Result o = run(dir / kGoodImage + " -s 2 --overwrite -o " + dir / "out.png");
  CHECK(o.exit_code == 0);
  CHECK(cv::imread(dir / "out.png").rows == 18);
  // No temporary files are left behind.
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path)) ++files;
  CHECK(files == 2);
}

TEST_CASE("the input is never written over, even with --overwrite", "[cli]") {
  TempDir dir;
  cv::imwrite(dir / kGoodImage, gradient(9, 7, CV_8UC3));
  const std::string before = read_bytes(dir / kGoodImage);
  fs::create_hard_link(dir / kGoodImage, dir / "link.png");
  for (const std::string& target : {dir / kGoodImage, dir / "link.png"}) {
    const Result r = run(dir / kGoodImage + " -s 2 --overwrite -o " + target);
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.output, Catch::Contains("is the input file"));
  }
  CHECK(read_bytes(dir / kGoodImage) == before);
}

TEST_CASE("kernel aliases give the same bytes as the kernels' own names", "[cli]") {
  TempDir dir;
  cv::imwrite(dir / kGoodImage, gradient(9, 7, CV_8UC3));
  const std::string in = dir / kGoodImage;
  const std::pair<const char*, const char*> aliases[] = {
      {"bilinear", "LINEAR"}, {"nearest", "box"}, {"bicubic", "catrom"}, {"bicubic", "Cubic"},
      {"lanczos3", "lanczos"}};
  for (const auto& [kernel, alias] : aliases) {
    INFO(kernel << " / " << alias);
    const std::string a = dir / (std::string(kernel) + ".png");
    const std::string b = dir / (std::string(alias) + "_alias.png");
    REQUIRE(run(in + " -s 3 -k " + kernel + " -o " + a + " --overwrite").exit_code == 0);
    REQUIRE(run(in + " -s 3 -k " + alias + " -o " + b).exit_code == 0);
    CHECK(read_bytes(a) == read_bytes(b));
  }
  // The kernels differ from each other, so equal bytes above mean the same kernel.
  CHECK(read_bytes(dir / "bilinear.png") != read_bytes(dir / "bicubic.png"));
}

TEST_CASE("bad parameters exit 2 with one line naming the value and write nothing", "[cli]") {
  TempDir dir;
  cv::imwrite(dir / kGoodImage, gradient(9, 7, CV_8UC3));
  tconv::NpyArray w{{3, 1, 4, 4}, std::vector<float>(48, 0.25f)};
  write_bytes(dir / "w.npy", tconv::encode_npy(w));
  tconv::NpyArray b{{2}, {0.0f, 1.0f}};
  write_bytes(dir / "b.npy", tconv::encode_npy(b));
  const std::string in = dir / kGoodImage;
  const std::string wts = " -w " + dir / "w.npy";
  struct Case {
    std::string args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"-s 0", "-s 0: factors below 1 are refused: this tool upsamples"},
      {"-s 2,x", "-s 2,x: expected a factor such as 2, 1.5 or 150%"},
      {"-k sinc", "--kernel sinc: unknown kernel (bilinear, nearest, bicubic, lanczos3; also"},
      {"-k bicubc", "--kernel bicubc: unknown kernel; did you mean bicubic?"},
      {"--border wrap", "--border wrap: unknown border"},
      {"-s 0,2" + wts + " --groups 3", "-s 0,2: factors below 1 are refused"},
      {"-s 2" + wts + " --groups 3 --padding 1,-1", "conv_transpose2d padding 1,-1,1,-1: padding must be >= 0"},
      {"-s 2" + wts + " --groups 3 --output-padding 2", "conv_transpose2d output_padding 2x2: output_padding must be >= 0 and < max(stride, dilation) = 2x2"},
      {"-s 2" + wts + " --groups 3 --dilation 0", "conv_transpose2d dilation 0x0: dilation must be >= 1"},
      {"-s 2" + wts + " --groups 2", "conv_transpose2d groups 2: in_channels 3 must be divisible by groups"},
      {"-s 2" + wts + " --groups 3 --bias " + dir / "b.npy", "conv_transpose2d bias 2: expected out_channels = 3 values"},
      {"-s 2 --padding 1", "--padding applies only with --weights"},
      {"-s 2 -k nearest" + wts, "--kernel and --weights exclude each other"},
      {"--no-such-flag", "no-such-flag"},
  };
  for (const Case& c : cases) {
    const Result r = run(in + " " + c.args + " -o " + dir / "out.png");
    INFO(c.args << "\n" << r.output);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(c.message));
    CHECK_FALSE(fs::exists(dir / "out.png"));
    if (c.args != "--no-such-flag") CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  }
}

TEST_CASE("weights whose in_channels differ from the image's channels exit 2", "[cli]") {
  TempDir dir;
  cv::imwrite(dir / kGoodImage, gradient(9, 7, CV_8UC1));
  write_bytes(dir / "w.npy", tconv::encode_npy({{3, 3, 2, 2}, std::vector<float>(36, 0.1f)}));
  const Result r = run(dir / kGoodImage + " -s 2 -w " + dir / "w.npy -o " + dir / "out.png");
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("conv_transpose2d input 1x9x7: expected 3 channels"));
  CHECK_FALSE(fs::exists(dir / "out.png"));
}

TEST_CASE("unreadable inputs exit 1", "[cli]") {
  TempDir dir;
  const Result missing = run(dir / "missing.png -s 2");
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.output, Catch::Contains("missing.png: cannot read"));
  write_bytes(dir / "text.png", {'h', 'e', 'l', 'l', 'o'});
  const Result text = run(dir / "text.png -s 2");
  CHECK(text.exit_code == 1);
  CHECK_THAT(text.output, Catch::Contains("not a PNG, JPEG, TIFF, WebP or BMP file"));
  cv::imwrite(dir / kGoodImage, gradient(9, 7, CV_8UC3));
  std::string bytes = read_bytes(dir / kGoodImage);
  bytes.resize(bytes.size() / 2);
  write_bytes(dir / "cut.png", {bytes.begin(), bytes.end()});
  const Result cut = run(dir / "cut.png -s 2");
  CHECK(cut.exit_code == 1);
  CHECK_FALSE(fs::exists(dir / "cut_x2.png"));
}

TEST_CASE("every image kind round-trips with its depth and channels", "[cli]") {
  struct Kind {
    const char* ext;
    int type;
    int tolerance;  // in units of the sample type's LSB (float: 1e-5)
  };
  const std::vector<Kind> kinds = {
      {"png", CV_8UC1, 1},  {"png", CV_8UC3, 1},  {"png", CV_8UC4, 1},  {"png", CV_16UC1, 1},
      {"png", CV_16UC3, 1}, {"png", CV_16UC4, 1}, {"tif", CV_8UC3, 1},  {"tif", CV_16UC1, 1},
      {"tif", CV_32FC1, 1}, {"tif", CV_32FC3, 1}, {"tif", CV_32FC4, 1}, {"bmp", CV_8UC3, 1},
      {"webp", CV_8UC3, 12}, {"jpg", CV_8UC1, 6}, {"jpg", CV_8UC3, 12},
  };
  for (const Kind& k : kinds) {
    TempDir dir;
    const std::string in = dir / (std::string("img.") + k.ext);
    const cv::Mat src = gradient(12, 10, k.type);
    REQUIRE(cv::imwrite(in, src));
    const cv::Mat decoded_in = cv::imread(in, cv::IMREAD_UNCHANGED);
    const Result r = run(in + " -s 2");
    INFO(k.ext << " type " << cv::typeToString(k.type) << "\n" << r.output);
    REQUIRE(r.exit_code == 0);
    const cv::Mat out = cv::imread(dir / (std::string("img_x2.") + k.ext), cv::IMREAD_UNCHANGED);
    REQUIRE(out.rows == 24);
    REQUIRE(out.cols == 20);
    REQUIRE(out.type() == decoded_in.type());
    // The centre of each 2x2 output block lies between source pixels, and the
    // gradient is linear, so bilinear reproduces it: compare with the source
    // interpolated at (x - 0.5) / 2 on interior pixels.
    const double lsb = CV_MAT_DEPTH(k.type) == CV_32F ? 1e-5 : 1.0;
    cv::Mat in64;
    cv::Mat out64;
    decoded_in.convertTo(in64, CV_64F);
    out.convertTo(out64, CV_64F);
    const int channels = out.channels();
    // RGBA is interpolated premultiplied: compare colour * alpha, in [0, 1] alpha units.
    if (channels == 4) {
      const double alpha_scale = CV_MAT_DEPTH(k.type) == CV_8U ? 255.0 : CV_MAT_DEPTH(k.type) == CV_16U ? 65535.0 : 1.0;
      for (cv::Mat* m : {&in64, &out64})
        for (int y = 0; y < m->rows; ++y)
          for (int x = 0; x < m->cols; ++x)
            for (int c = 0; c < 3; ++c) m->ptr<double>(y)[x * 4 + c] *= m->ptr<double>(y)[x * 4 + 3] / alpha_scale;
    }
    double worst = 0.0;
    for (int y = 2; y < 22; ++y)
      for (int x = 2; x < 18; ++x)
        for (int c = 0; c < channels; ++c) {
          const double sy = (y + 0.5) / 2 - 0.5;
          const double sx = (x + 0.5) / 2 - 0.5;
          const int y0 = static_cast<int>(std::floor(sy));
          const int x0 = static_cast<int>(std::floor(sx));
          const double fy = sy - y0;
          const double fx = sx - x0;
          auto at = [&](int yy, int xx) { return in64.ptr<double>(yy)[xx * channels + c]; };
          const double expected = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
                                  fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
          worst = std::max(worst, std::abs(out64.ptr<double>(y)[x * channels + c] - expected));
        }
    CHECK(worst <= k.tolerance * lsb);
  }
}

TEST_CASE("float RGB TIFF is written losslessly", "[cli]") {
  // OpenCV's default for 3-channel float TIFF is lossy SGILOG; the tool must not use it.
  TempDir dir;
  cv::Mat src = gradient(12, 10, CV_32FC3);
  std::vector<unsigned char> lzw;
  REQUIRE(cv::imencode(".tif", src, lzw, {cv::IMWRITE_TIFF_COMPRESSION, 5}));
  write_bytes(dir / "f.tif", lzw);
  const Result r = run(dir / "f.tif -s 1");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const cv::Mat out = cv::imread(dir / "f_x1.tif", cv::IMREAD_UNCHANGED);
  REQUIRE(out.type() == CV_32FC3);
  CHECK(cv::norm(out, src, cv::NORM_INF) == 0.0);
}

TEST_CASE("transparent pixels do not bleed colour into the edge", "[cli]") {
  TempDir dir;
  cv::Mat rgba(8, 8, CV_8UC4);
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x)
      rgba.at<cv::Vec4b>(y, x) = x < 4 ? cv::Vec4b(0, 0, 255, 255)   // opaque red (BGRA)
                                       : cv::Vec4b(0, 255, 0, 0);    // transparent green
  cv::imwrite(dir / "a.png", rgba);
  const Result r = run(dir / "a.png -s 4 -k bicubic");
  REQUIRE(r.exit_code == 0);
  const cv::Mat out = cv::imread(dir / "a_x4.png", cv::IMREAD_UNCHANGED);
  REQUIRE(out.type() == CV_8UC4);
  int partially_transparent = 0;
  for (int y = 0; y < out.rows; ++y)
    for (int x = 0; x < out.cols; ++x) {
      const cv::Vec4b p = out.at<cv::Vec4b>(y, x);
      if (p[3] == 0) continue;
      if (p[3] < 255) ++partially_transparent;
      INFO("pixel " << y << "," << x << " BGRA " << int(p[0]) << "," << int(p[1]) << "," << int(p[2]) << "," << int(p[3]));
      REQUIRE(p[1] == 0);    // no green
      REQUIRE(p[2] >= 254);  // still red
    }
  CHECK(partially_transparent > 0);  // the edge really was interpolated
}

TEST_CASE("non-finite results are refused, not written as black", "[cli]") {
  TempDir dir;
  cv::Mat f = gradient(6, 6, CV_32FC1);
  f.at<float>(2, 3) = std::numeric_limits<float>::quiet_NaN();
  REQUIRE(cv::imwrite(dir / "nan.tif", f));
  const Result r = run(dir / "nan.tif -s 2 -o " + dir / "out.png");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("non-finite values"));
  CHECK_FALSE(fs::exists(dir / "out.png"));
  // A float output keeps them: it is data, not pixels.
  CHECK(run(dir / "nan.tif -s 2 -o " + dir / "out.tif").exit_code == 0);
}

TEST_CASE("numeric mode is the exact library op", "[cli]") {
  TempDir dir;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-1, 1);
  auto random = [&](std::size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
  };
  // X (2, 4, 5, 6), W (4, 3, 3, 2) groups 2 -> out 6 channels.
  const tconv::NpyArray x{{2, 4, 5, 6}, random(2 * 4 * 5 * 6)};
  const tconv::NpyArray w{{4, 3, 3, 2}, random(4 * 3 * 3 * 2)};
  const tconv::NpyArray b{{6}, random(6)};
  write_bytes(dir / "x.npy", tconv::encode_npy(x));
  write_bytes(dir / "w.npy", tconv::encode_npy(w));
  write_bytes(dir / "b.npy", tconv::encode_npy(b));
  const Result r = run(dir / "x.npy -w " + dir / "w.npy --bias " + dir / "b.npy" +
                       " -s 2,3 --padding 1,0,0,1 --output-padding 1,2 --dilation 2,1 --groups 2 -o " +
                       dir / "y.npy");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const tconv::NpyArray y = tconv::read_npy(dir / "y.npy");

  tconv::ConvParams p;
  p.in_channels = 4;
  p.out_channels = 6;
  p.groups = 2;
  p.kernel = {3, 2};
  p.stride = {2, 3};
  p.pad_begin = {1, 0};
  p.pad_end = {0, 1};
  p.output_padding = {1, 2};
  p.dilation = {2, 1};
  const auto op = tconv::ConvTranspose2d::create(p, {{4, 3, 3, 2}, w.values, b.values});
  const tconv::Shape3 item{4, 5, 6};
  const tconv::Shape3 out_shape = op.output_shape(item);
  REQUIRE(y.shape == std::vector<std::int64_t>{2, out_shape.c, out_shape.h, out_shape.w});
  for (int n = 0; n < 2; ++n) {
    const tconv::Tensor expected = op.run({x.values.data() + n * item.elements(), item});
    for (std::size_t i = 0; i < expected.span().size(); ++i)
      REQUIRE(y.values[static_cast<std::size_t>(n * out_shape.elements()) + i] == expected.span()[i]);
  }
}

TEST_CASE("output files are byte-identical for any thread count and impl path", "[cli][threads]") {
  TempDir dir;
  cv::imwrite(dir / kGoodImage, gradient(31, 23, CV_16UC3));
  cv::imwrite(dir / "rgb8.png", gradient(37, 29, CV_8UC3));
  // Each path on its own must not depend on the thread count: the fused
  // default (fixed-point for x2 bilinear, float resample for x3 bicubic), a
  // SIMD impl of the op, the portable phase impl, the reference (the GEMM
  // impls, for wide layers only, are checked in the library's [threads] tests),
  // and a model.
  const std::string model = std::string(TCONV_MODELS_DIR) + "/linear_y_x2.safetensors";
  const std::vector<std::string> paths = {
      "-s 2 -k bilinear",
      "-s 3 -k bicubic",
      "-s 3 -k bicubic --impl tconv2d_f32_phase_avx2",
      "-s 3 -k bicubic --impl tconv2d_f32_phase",
      "-s 2 -k bilinear --impl tconv2d_f32_ref",
      "--model " + model,
  };
  for (const std::string& path : paths) {
    for (const std::string& input : {std::string(kGoodImage), std::string("rgb8.png")}) {
      INFO(path << " on " << input);
      std::vector<std::string> outputs;
      for (const char* threads : {"1", "2", "7"}) {
        const std::string out = dir / ("out" + std::string(threads) + ".png");
        const Result r = run(dir / input + " " + path + " -t " + threads + " --overwrite -o " + out);
        INFO(r.output);
        REQUIRE(r.exit_code == 0);
        outputs.push_back(read_bytes(out));
      }
      CHECK(outputs[0] == outputs[1]);
      CHECK(outputs[0] == outputs[2]);
    }
  }
  // Across paths only the rounding of FMA against separate multiply-adds
  // differs: at most 1 LSB.
  REQUIRE(run(dir / kGoodImage + " -s 3 -k bicubic -o " + dir / "simd.png").exit_code == 0);
  REQUIRE(run(dir / kGoodImage + " -s 3 -k bicubic --impl tconv2d_f32_phase -o " +
              dir / "portable.png").exit_code == 0);
  const cv::Mat a = cv::imread(dir / "simd.png", cv::IMREAD_UNCHANGED);
  const cv::Mat b = cv::imread(dir / "portable.png", cv::IMREAD_UNCHANGED);
  REQUIRE(a.size() == b.size());
  CHECK(cv::norm(a, b, cv::NORM_INF) <= 1.0);
}

TEST_CASE("numeric mode: same padding gives input x stride", "[cli]") {
  TempDir dir;
  write_bytes(dir / "x.npy", tconv::encode_npy({{1, 7, 5}, std::vector<float>(35, 1.0f)}));
  write_bytes(dir / "w.npy", tconv::encode_npy({{1, 1, 3, 3}, std::vector<float>(9, 1.0f)}));
  const Result r = run(dir / "x.npy -w " + dir / "w.npy -s 2 --padding same");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const tconv::NpyArray y = tconv::read_npy(dir / "x_x2.npy");
  CHECK(y.shape == std::vector<std::int64_t>{1, 14, 10});
}

TEST_CASE("image headers are read without decoding", "[cli][limits]") {
  const cv::Mat img = gradient(23, 37, CV_8UC3);
  for (const char* ext : {".png", ".jpg", ".bmp", ".webp"}) {
    for (int lossless : {0, 1}) {
      if (lossless && std::string(ext) != ".webp") continue;
      std::vector<unsigned char> bytes;
      std::vector<int> params;
      if (lossless) params = {cv::IMWRITE_WEBP_QUALITY, 101};
      REQUIRE(cv::imencode(ext, img, bytes, params));
      const auto dims = tconv::app::peek_dimensions(bytes);
      INFO(ext << (lossless ? " lossless" : ""));
      REQUIRE(dims.has_value());
      CHECK(dims->w == 37);
      CHECK(dims->h == 23);
    }
  }
  std::vector<unsigned char> tiff;
  REQUIRE(cv::imencode(".tif", img, tiff));
  const auto tiff_dims = tconv::app::peek_dimensions(tiff);
  REQUIRE(tiff_dims.has_value());
  CHECK(tiff_dims->w == 37);
  CHECK(tiff_dims->h == 23);
}

TEST_CASE("a header declaring a huge image is refused before decoding", "[cli][limits]") {
  TempDir dir;
  // 33 bytes: PNG signature + IHDR declaring 100000 x 100000 RGB, no data.
  std::vector<unsigned char> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                    0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x86, 0xA0, 8, 2, 0, 0, 0, 0, 0, 0, 0};
  write_bytes(dir / "bomb.png", png);
  // The message comes from the header check, which runs before any decoder.
  const Result r = run(dir / "bomb.png -s 2");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("header declares WxH 100000x100000, more than the limit of 268435456 pixels"));
  CHECK_FALSE(fs::exists(dir / "bomb_x2.png"));
}

namespace {

// The impl `impls` names for the image row starting with `image` ("" when absent).
std::string impl_listed(const std::string& table, const std::string& image) {
  std::istringstream lines(table);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(image + " ", 0) != 0) continue;
    return line.substr(line.find_last_of(' ') + 1);
  }
  return "";
}

}  // namespace

TEST_CASE("impls names the impl each kind of image runs, as upsample -v does", "[cli]") {
  TempDir dir;
  cv::imwrite(dir / "rgb.png", gradient(9, 7, CV_8UC3));
  cv::imwrite(dir / "rgba.png", gradient(9, 7, CV_8UC4));
  const Result table = run("impls -s 2 --kernel bilinear");
  INFO(table.output);
  REQUIRE(table.exit_code == 0);
  for (const auto& [file, image, path] :
       {std::tuple{"rgb.png", "RGB 8-bit", "interleaved"}, std::tuple{"rgba.png", "RGBA 8-bit", "planar"}}) {
    const std::string impl = impl_listed(table.output, image);
    INFO(image << ": " << impl);
    REQUIRE_FALSE(impl.empty());
    const Result up = run(dir / file + " -s 2 --kernel bilinear -v --overwrite");
    INFO(up.output);
    CHECK(up.exit_code == 0);
    CHECK_THAT(up.output, Catch::Contains(" with " + impl + " (" + path + ")"));
  }
  // --impl reaches both families: an interleaved impl by name gives the same
  // bytes as the default choice (both exact for bilinear x2), and a
  // convolution impl takes the planar path.
  const Result fixed = run(dir / "rgb.png -s 2 -o " + dir / "fixed.png --impl upsample_u8_fixed -v");
  INFO(fixed.output);
  CHECK(fixed.exit_code == 0);
  CHECK_THAT(fixed.output, Catch::Contains(" with upsample_u8_fixed (interleaved)"));
  CHECK(read_bytes(dir / "fixed.png") == read_bytes(dir / "rgb_x2.png"));
  const Result planar = run(dir / "rgb.png -s 2 -o " + dir / "ref.png --impl tconv2d_f32_ref -v");
  CHECK(planar.exit_code == 0);
  CHECK_THAT(planar.output, Catch::Contains(" with tconv2d_f32_ref (planar)"));
  // A 16-bit impl cannot serve 8-bit samples; an unknown name lists both families.
  const Result wrong = run(dir / "rgb.png -s 2 -o " + dir / "x.png --impl upsample_u16_fixed");
  CHECK(wrong.exit_code == 2);
  CHECK_THAT(wrong.output, Catch::Contains("serves another sample type"));
  const Result unknown = run(dir / "rgb.png -s 2 -o " + dir / "x.png --impl nope");
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.output, Catch::Contains("upsample_u8_float") && Catch::Contains("tconv2d_f32_ref"));
  CHECK_FALSE(fs::exists(dir / "x.png"));
  CHECK(run("impls --model x.safetensors").exit_code == 2);
}

TEST_CASE("TCONV_MAX_ISA caps the impls every dispatch chooses", "[cli]") {
  struct Cap {
    const char* value;
    const char* excluded;  // no chosen impl may name this ISA
  };
  for (const Cap cap : {Cap{"portable", "avx"}, Cap{"avx2", "avx512"}}) {
    ::setenv("TCONV_MAX_ISA", cap.value, 1);
    const Result table = run("impls -s 2 --kernel bilinear");
    ::unsetenv("TCONV_MAX_ISA");
    INFO("TCONV_MAX_ISA=" << cap.value << "\n" << table.output);
    REQUIRE(table.exit_code == 0);
    for (const char* image : {"gray 8-bit", "RGB 8-bit", "RGBA 8-bit", "RGB 16-bit", "RGBA float"}) {
      const std::string impl = impl_listed(table.output, image);
      REQUIRE_FALSE(impl.empty());
      CHECK(impl.find(cap.excluded) == std::string::npos);
    }
  }
}

TEST_CASE("a mistyped command or flag gets the nearest name and nothing runs", "[cli][suggest]") {
  TempDir dir;
  cv::imwrite(dir / kGoodImage, gradient(9, 7, CV_8UC3));
  struct Case {
    std::string args;
    std::string message;
  };
  const Case cases[] = {
      {"comapre " + dir / kGoodImage, "comapre: no such command or file; did you mean compare?"},
      {"trian --images " + dir.path.string(), "trian: no such command or file; did you mean train?"},
      {dir / kGoodImage + " --sze 30x20", "--sze; did you mean --size?"},
      {dir / kGoodImage + " --kernal bicubic", "--kernal; did you mean --kernel?"},
      {"compare " + dir / kGoodImage + " -s 2 --kernal bicubic", "did you mean --kernel?"},
      {"help comapre", "comapre: no such command; did you mean compare?"},
  };
  for (const Case& c : cases) {
    const Result r = run(c.args);
    INFO(c.args << "\n" << r.output);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(c.message));
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  }
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);  // only the input
  // A file of that name is an input, not a command.
  write_bytes(dir / "trian", {'x'});
  const Result file = run(dir / "trian -o " + dir / "out.png");
  INFO(file.output);
  CHECK(file.exit_code == 1);
  CHECK_THAT(file.output, !Catch::Contains("did you mean"));
}

TEST_CASE("help [command] prints the tool's or one command's help, with its examples", "[cli][help]") {
  const Result main_help = run("help");
  CHECK(main_help.exit_code == 0);
  CHECK(main_help.output == run("--help").output);
  for (const std::string command : {"compare", "eval", "inspect", "train", "impls"}) {
    INFO(command);
    const Result h = run("help " + command);
    CHECK(h.exit_code == 0);
    CHECK_THAT(h.output, Catch::Contains("Usage: tconv-upsample " + command));
    CHECK_THAT(h.output, Catch::Contains("Examples:\n  tconv-upsample " + command));
    const Result flag = run(command + " --help");
    CHECK(flag.exit_code == 0);
    CHECK_THAT(flag.output, Catch::Contains("Examples:\n  tconv-upsample " + command));
  }
  const Result extra = run("help compare eval");
  CHECK(extra.exit_code == 2);
}

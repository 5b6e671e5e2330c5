// CLI tests of --model: the real binary on model files from the golden
// data (written by PyTorch code) and the shared FSRCNN files.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <vector>

#include "cli_support.hpp"
#include "tconv/io/npy.hpp"
#include "tconv/io/safetensors.hpp"
#include "tconv/model/model.hpp"

namespace fs = std::filesystem;

namespace {

using Result = tconv::test::CliResult;

Result run(const std::string& args) { return tconv::test::run_cli(TCONV_CLI, args); }

// A fresh, empty folder per test, removed afterwards.
struct TempDir : tconv::test::TempDir {
  TempDir() : tconv::test::TempDir("tconv_cli_model_") {}
};

const std::string kGolden = TCONV_GOLDEN_DIR;

// An 8-bit image with smooth structure and some detail.
cv::Mat test_image(int rows, int cols, int channels) {
  cv::Mat m(rows, cols, CV_8UC(channels));
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < cols; ++x)
      for (int c = 0; c < channels; ++c)
        m.ptr<std::uint8_t>(y)[x * channels + c] = static_cast<std::uint8_t>(
            128 + 90 * std::sin(0.31 * x + 0.17 * y + c) * std::cos(0.05 * x * y / (1.0 + c)));
  return m;
}

}  // namespace

TEST_CASE("cli model: a .npy array through --model runs the network exactly (torch golden)", "[cli][model]") {
  TempDir dir;
  for (const std::string name :
       {"model_rgb_x2", "model_gray_x3", "model_y_x2", "model_pad_gray_x2"}) {
    INFO("case " << name);
    const std::string out = dir / (name + "_y.npy");
    const Result r = run(kGolden + "/" + name + "_x.npy --model " + kGolden + "/" + name +
                         ".safetensors -o " + out);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const tconv::NpyArray got = tconv::read_npy(out);
    const tconv::NpyArray want = tconv::read_npy(kGolden + "/" + name + "_y.npy");
    REQUIRE(got.shape == want.shape);
    for (std::size_t i = 0; i < want.values.size(); ++i)
      REQUIRE(std::abs(got.values[i] - want.values[i]) <= 1e-5f);
  }
}

TEST_CASE("cli model: an upsample layer runs through --model as in the library",
          "[cli][model][upsample]") {
  // torch.nn.Upsample(scale_factor=2, mode="bilinear") then a 3x3 conv2d:
  // written by encode_model(), run by the binary on a .npy, the same bits
  // as Model::run_network().
  TempDir dir;
  tconv::ModelFileSpec spec;
  spec.scale = 2;
  spec.color = tconv::ModelColor::kGray;
  tconv::ModelFileLayer up;
  up.op = "upsample";
  up.factor = 2;
  up.mode = "bilinear";
  tconv::ModelFileLayer conv;
  conv.op = "conv2d";
  conv.weight = "w";
  conv.params.padding(1);
  spec.layers = {up, conv};
  spec.tensors = {{"w", {1, 1, 3, 3}, {0.1f, 0.2f, -0.1f, 0.3f, 0.5f, 0.05f, -0.2f, 0.1f, 0.15f}}};
  const std::string model = dir / "up.safetensors";
  const std::vector<unsigned char> bytes = tconv::encode_model(spec);
  std::ofstream(model, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  tconv::NpyArray x{{1, 13, 9}, std::vector<float>(13 * 9)};
  for (std::size_t i = 0; i < x.values.size(); ++i) x.values[i] = float((i * 7) % 17) / 16.0f;
  const std::string in = dir / "x.npy";
  const std::vector<unsigned char> npy = tconv::encode_npy(x);
  std::ofstream(in, std::ios::binary)
      .write(reinterpret_cast<const char*>(npy.data()), static_cast<std::streamsize>(npy.size()));
  const std::string out = dir / "y.npy";
  const Result r = run(in + " --model " + model + " -o " + out);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const tconv::NpyArray got = tconv::read_npy(out);
  const tconv::Tensor want =
      tconv::Model::load(model).run_network(tconv::ConstTensorView{x.values.data(), {1, 13, 9}});
  REQUIRE(got.shape == std::vector<std::int64_t>{1, 26, 18});
  REQUIRE(got.values == std::vector<float>(want.span().begin(), want.span().end()));
}

TEST_CASE("cli model: images through --model: colour handling as the library, default name by its scale", "[cli][model]") {
  TempDir dir;
  const std::string model_path = kGolden + "/model_y_x2.safetensors";
  const tconv::Model model = tconv::Model::load(model_path);
  for (const int channels : {1, 3}) {
    INFO(channels << " channels");
    const cv::Mat img = test_image(13, 11, channels);
    const std::string in = dir / ("in" + std::to_string(channels) + ".png");
    REQUIRE(cv::imwrite(in, img));
    const Result r = run(in + " --model " + model_path);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const cv::Mat out =
        cv::imread(dir / ("in" + std::to_string(channels) + "_x2.png"), cv::IMREAD_UNCHANGED);
    REQUIRE(out.rows == 26);
    REQUIRE(out.cols == 22);
    REQUIRE(out.channels() == channels);
    // The library on the same pixels (planar R, G, B in [0, 1]; OpenCV stores B, G, R).
    tconv::Tensor planar({channels, 13, 11});
    for (int y = 0; y < 13; ++y)
      for (int x = 0; x < 11; ++x)
        for (int c = 0; c < channels; ++c)
          planar.at(channels == 3 ? 2 - c : c, y, x) = img.ptr<std::uint8_t>(y)[x * channels + c] / 255.0f;
    const tconv::Tensor want = model.upsample(planar.view());
    int worst = 0;
    for (int y = 0; y < 26; ++y)
      for (int x = 0; x < 22; ++x)
        for (int c = 0; c < channels; ++c) {
          const float v = std::clamp(want.at(channels == 3 ? 2 - c : c, y, x), 0.0f, 1.0f);
          worst = std::max(worst, std::abs(int(std::lround(v * 255)) -
                                           int(out.ptr<std::uint8_t>(y)[x * channels + c])));
        }
    REQUIRE(worst <= 1);
  }
}

TEST_CASE("cli model: --model refusals: conflicting flags, other scale, bad files", "[cli][model]") {
  TempDir dir;
  const std::string in = dir / "in.png";
  REQUIRE(cv::imwrite(in, test_image(8, 8, 3)));
  const std::string model = kGolden + "/model_y_x2.safetensors";
  Result r = run(in + " --model " + model + " -k bicubic");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("--model cannot be combined with --kernel"));
  r = run(in + " --model " + model + " -s 3");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("upsamples by 2"));
  r = run(in + " --model " + model + " -s 2 -o " + (dir / "ok.png"));
  CHECK(r.exit_code == 0);
  r = run(in + " --model " + (dir / "missing.safetensors"));
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("missing.safetensors"));
  {
    std::ofstream bad(dir / "bad.safetensors", std::ios::binary);
    bad << std::string("\x10\0\0\0\0\0\0\0{\"a\":1,\"a\":2}   ", 24);
  }
  r = run(in + " --model " + (dir / "bad.safetensors"));
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("bad.safetensors") && Catch::Contains("duplicate key"));
  CHECK_FALSE(fs::exists(dir / "in_x2.png"));
  // A .npy whose channels the network does not take.
  r = run(kGolden + "/model_rgb_x2_x.npy --model " + model + " -o " + (dir / "y.npy"));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("has 3 channels") && Catch::Contains("takes 1"));
}

TEST_CASE("cli model: --model runs the shipped FSRCNN x2/x3/x4", "[cli][model]") {
  TempDir dir;
  const std::string in = dir / "in.png";
  REQUIRE(cv::imwrite(in, test_image(30, 26, 3)));
  for (const int s : {2, 3, 4}) {
    const std::string out = dir / ("out" + std::to_string(s) + ".png");
    const Result r = run(in + " --model " + TCONV_MODELS_DIR + "/fsrcnn_y_x" + std::to_string(s) +
                         ".safetensors -o " + out);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const cv::Mat m = cv::imread(out, cv::IMREAD_UNCHANGED);
    REQUIRE(m.rows == 30 * s);
    REQUIRE(m.cols == 26 * s);
  }
}

namespace {

// Every colour kind a model can have: y and rgb (the shipped linear models)
// and gray (a bilinear x2 network written into `dir`: one
// conv_transpose2d, kernel 4, stride 2, padding 1).
std::vector<std::string> models_of_every_colour(const TempDir& dir) {
  const float taps[4] = {0.25f, 0.75f, 0.75f, 0.25f};
  std::vector<float> weight;
  for (const float a : taps)
    for (const float b : taps) weight.push_back(a * b);
  const std::vector<tconv::NamedTensor> tensors = {{"up", {1, 1, 4, 4}, weight}};
  const std::string gray = dir / "bilinear_gray_x2.safetensors";
  const auto bytes = tconv::encode_safetensors(
      tensors, {{"tconv.format", "1"},
                {"tconv.scale", "2"},
                {"tconv.color", "gray"},
                {"tconv.layers",
                 "[{\"op\": \"conv_transpose2d\", \"weight\": \"up\", \"stride\": 2, "
                 "\"padding\": 1}]"}});
  std::ofstream(gray, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return {std::string(TCONV_MODELS_DIR) + "/linear_y_x2.safetensors",
          std::string(TCONV_MODELS_DIR) + "/linear_rgb_x2.safetensors", gray};
}

int scale_of_model(const std::string& path) { return tconv::Model::load(path).scale(); }

}  // namespace

TEST_CASE("cli model: transparent pixels add no colour through any model", "[cli][model]") {
  TempDir dir;
  // A grey disc (128) with a soft edge over transparent pure green.
  cv::Mat disc(40, 40, CV_8UC4);
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 40; ++x) {
      const double r = std::hypot(x - 19.5, y - 19.5);
      const int alpha = static_cast<int>(std::lround(255 * std::clamp(13.0 - r, 0.0, 1.0)));
      disc.at<cv::Vec4b>(y, x) = alpha > 0 ? cv::Vec4b(128, 128, 128, static_cast<std::uint8_t>(alpha))
                                           : cv::Vec4b(0, 255, 0, 0);  // BGRA
    }
  REQUIRE(cv::imwrite(dir / "disc.png", disc));
  for (const std::string& model : models_of_every_colour(dir)) {
    INFO("model " << model);
    const int s = scale_of_model(model);
    const std::string out = dir / ("disc_" + fs::path(model).stem().string() + ".png");
    const Result r = run((dir / "disc.png") + " --model " + model + " -o " + out);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const cv::Mat m = cv::imread(out, cv::IMREAD_UNCHANGED);
    REQUIRE(m.type() == CV_8UC4);
    REQUIRE(m.rows == 40 * s);
    int opaque = 0;
    for (int y = 0; y < m.rows; ++y)
      for (int x = 0; x < m.cols; ++x) {
        const cv::Vec4b p = m.at<cv::Vec4b>(y, x);
        if (p[3] == 0) continue;
        INFO("pixel " << y << "," << x << " BGRA " << int(p[0]) << "," << int(p[1]) << ","
                      << int(p[2]) << "," << int(p[3]));
        // No visible pixel takes the green: G stays within 3 of B and R. The
        // faintest pixels (alpha below 1/16) are left out: their colour is
        // divided by that alpha, so a model that maps grey to slightly
        // uneven R, G, B shows it there magnified, invisibly.
        if (p[3] >= 16) {
          REQUIRE(std::abs(int(p[1]) - int(p[0])) <= 3);
          REQUIRE(std::abs(int(p[1]) - int(p[2])) <= 3);
        }
        if (p[3] == 255) {
          ++opaque;
          for (int c = 0; c < 3; ++c) REQUIRE(std::abs(int(p[c]) - 128) <= 3);
        }
      }
    CHECK(opaque > 0);
  }
}

TEST_CASE("cli model: the colour under fully transparent pixels never shows (logo_rgba)", "[cli][model]") {
  TempDir dir;
  const cv::Mat logo = cv::imread(std::string(TCONV_SAMPLES_DIR) + "/logo_rgba.png", cv::IMREAD_UNCHANGED);
  REQUIRE(logo.type() == CV_8UC4);
  // The same picture with magenta instead of green under its transparent pixels.
  cv::Mat magenta = logo.clone();
  int transparent = 0;
  for (int y = 0; y < magenta.rows; ++y)
    for (int x = 0; x < magenta.cols; ++x)
      if (magenta.at<cv::Vec4b>(y, x)[3] == 0) {
        magenta.at<cv::Vec4b>(y, x) = cv::Vec4b(255, 0, 255, 0);
        ++transparent;
      }
  REQUIRE(transparent > 0);
  REQUIRE(cv::imwrite(dir / "green.png", logo));
  REQUIRE(cv::imwrite(dir / "magenta.png", magenta));
  for (const std::string& model : models_of_every_colour(dir)) {
    INFO("model " << model);
    const std::string stem = fs::path(model).stem().string();
    for (const std::string name : {"green", "magenta"}) {
      const Result r = run((dir / (name + ".png")) + " --model " + model + " -o " +
                           (dir / (name + "_" + stem + ".png")));
      INFO(r.output);
      REQUIRE(r.exit_code == 0);
    }
    const cv::Mat a = cv::imread(dir / ("green_" + stem + ".png"), cv::IMREAD_UNCHANGED);
    const cv::Mat b = cv::imread(dir / ("magenta_" + stem + ".png"), cv::IMREAD_UNCHANGED);
    REQUIRE(a.size() == b.size());
    int worst = 0;
    for (int y = 0; y < a.rows; ++y)
      for (int x = 0; x < a.cols; ++x) {
        const cv::Vec4b p = a.at<cv::Vec4b>(y, x);
        const cv::Vec4b q = b.at<cv::Vec4b>(y, x);
        REQUIRE(p[3] == q[3]);
        if (p[3] == 0) continue;
        for (int c = 0; c < 3; ++c) worst = std::max(worst, std::abs(int(p[c]) - int(q[c])));
      }
    CHECK(worst <= 1);
  }
}

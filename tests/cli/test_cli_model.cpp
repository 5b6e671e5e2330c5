// CLI tests of --model: the real binary on model files from the golden
// data (written by PyTorch code) and the shared FSRCNN files.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "cli_support.hpp"
#include "tconv/model.hpp"
#include "tconv/npy.hpp"

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

TEST_CASE("cli model: --model runs the shared FSRCNN x2/x3/x4", "[cli][model][shared]") {
  const fs::path fsrcnn = fs::path(TCONV_SHARED_DIR) / "data" / "fsrcnn";
  if (!fs::exists(fsrcnn / "fsrcnn_x2.safetensors")) {
    WARN("SKIPPED: " << fsrcnn.string() << " is absent (shared data not available)");
    return;
  }
  TempDir dir;
  const std::string in = dir / "in.png";
  REQUIRE(cv::imwrite(in, test_image(30, 26, 3)));
  for (const int s : {2, 3, 4}) {
    const std::string out = dir / ("out" + std::to_string(s) + ".png");
    const Result r = run(in + " --model " + (fsrcnn / ("fsrcnn_x" + std::to_string(s) +
                                                        ".safetensors")).string() + " -o " + out);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const cv::Mat m = cv::imread(out, cv::IMREAD_UNCHANGED);
    REQUIRE(m.rows == 30 * s);
    REQUIRE(m.cols == 26 * s);
  }
}

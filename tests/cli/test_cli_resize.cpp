// Fractional factors and target sizes on the command line: -s 1.5, -s 150%,
// -s FH,FW, --size WxH, --width, --height. The pixels are checked against
// cv::resize(INTER_LINEAR) (bilinear, within 1 LSB) and against the
// library's resample_interleaved() run on the same decoded image (the other
// kernels, byte for byte); sizes as cv::resize rounds them.
#include <catch2/catch.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

#include "cli_support.hpp"
#include "tconv/resample/factories.hpp"
#include "tconv/resample/resample.hpp"

namespace {

using Result = tconv::test::CliResult;
Result run(const std::string& args) { return tconv::test::run_cli(TCONV_CLI, args); }

struct TempDir : tconv::test::TempDir {
  TempDir() : tconv::test::TempDir("tconv_resize_") {}
};

const std::string kPhoto = TCONV_SAMPLES_DIR "/photo.png";

int worst_difference(const cv::Mat& a, const cv::Mat& b) {
  REQUIRE(a.size() == b.size());
  REQUIRE(a.type() == b.type());
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  double worst = 0.0;
  cv::minMaxLoc(diff.reshape(1), nullptr, &worst);
  return static_cast<int>(worst);
}

}  // namespace

TEST_CASE("fractional factors and target sizes equal cv::resize INTER_LINEAR within 1 LSB", "[cli][resize]") {
  TempDir dir;
  const cv::Mat photo = cv::imread(kPhoto, cv::IMREAD_UNCHANGED);
  REQUIRE(photo.size() == cv::Size(256, 192));
  struct Case {
    std::string flags;
    cv::Size expected_size;
    double fx, fy;  // as cv::resize takes them; 0: from the size
  };
  const Case cases[] = {
      {"-s 1.5", {384, 288}, 1.5, 1.5},
      {"-s 150%", {384, 288}, 1.5, 1.5},
      {"-s 1.25", {320, 240}, 1.25, 1.25},
      {"-s 2.5,1.75", {448, 480}, 1.75, 2.5},  // height first
      {"--size 1000x700", {1000, 700}, 0, 0},
      {"--width 900", {900, 675}, 0, 0},
      {"--height 500", {667, 500}, 0, 0},
      {"--size 257x193", {257, 193}, 0, 0},
  };
  for (const Case& c : cases) {
    INFO(c.flags);
    const Result r = run(kPhoto + " " + c.flags + " -o " + dir / "out.png");
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const cv::Mat ours = cv::imread(dir / "out.png", cv::IMREAD_UNCHANGED);
    REQUIRE(ours.size() == c.expected_size);
    cv::Mat expected;
    cv::resize(photo, expected, c.fx == 0 ? c.expected_size : cv::Size(), c.fx, c.fy, cv::INTER_LINEAR);
    CHECK(worst_difference(ours, expected) <= 1);
    std::filesystem::remove(dir / "out.png");
  }
}

TEST_CASE("1x1 and thin images resample to any size", "[cli][resize]") {
  TempDir dir;
  cv::RNG rng(7);
  for (const cv::Size in : {cv::Size(1, 1), cv::Size(1, 5), cv::Size(6, 1), cv::Size(2, 3)}) {
    cv::Mat m(in, CV_8UC3);
    rng.fill(m, cv::RNG::UNIFORM, 0, 256);
    REQUIRE(cv::imwrite(dir / "in.png", m));
    for (const cv::Size out : {cv::Size(in.width * 3 + 1, in.height * 2 + 1), cv::Size(in.width * 7, in.height * 5)}) {
      const std::string size = std::to_string(out.width) + "x" + std::to_string(out.height);
      INFO(in.width << "x" << in.height << " -> " << size);
      const Result r = run(dir / "in.png --size " + size + " -o " + dir / "out.png --overwrite");
      INFO(r.output);
      REQUIRE(r.exit_code == 0);
      const cv::Mat ours = cv::imread(dir / "out.png", cv::IMREAD_UNCHANGED);
      cv::Mat expected;
      cv::resize(m, expected, out, 0, 0, cv::INTER_LINEAR);
      CHECK(worst_difference(ours, expected) <= 1);
    }
  }
}

TEST_CASE("every kernel at a fractional factor writes the library's resample_interleaved bytes", "[cli][resize]") {
  TempDir dir;
  const cv::Mat photo = cv::imread(kPhoto, cv::IMREAD_UNCHANGED);
  for (const char* kernel : {"nearest", "bicubic", "lanczos3"}) {
    INFO(kernel);
    const Result r = run(kPhoto + " -s 1.5 -k " + kernel + " --border reflect -o " + dir / "out.png --overwrite");
    REQUIRE(r.exit_code == 0);
    const cv::Mat ours = cv::imread(dir / "out.png", cv::IMREAD_UNCHANGED);
    cv::Mat expected(288, 384, CV_8UC3);
    tconv::resample_interleaved(
        *tconv::parse_interpolation(kernel), {{3, 2}, {3, 2}}, tconv::Border::kReflect,
        tconv::InterleavedView<const std::uint8_t>{photo.data, 192, 256, 3, static_cast<std::ptrdiff_t>(photo.step1())},
        tconv::InterleavedView<std::uint8_t>{expected.data, 288, 384, 3, static_cast<std::ptrdiff_t>(expected.step1())});
    CHECK(worst_difference(ours, expected) == 0);
  }
}

TEST_CASE("images with alpha resample by a ratio on the planar path", "[cli][resize]") {
  TempDir dir;
  const cv::Mat photo = cv::imread(kPhoto, cv::IMREAD_UNCHANGED);
  cv::Mat rgba;
  cv::cvtColor(photo, rgba, cv::COLOR_BGR2BGRA);  // opaque: colour as without alpha
  REQUIRE(cv::imwrite(dir / "rgba.png", rgba));
  REQUIRE(run(dir / "rgba.png -s 1.5 -o " + dir / "rgba_out.png").exit_code == 0);
  REQUIRE(run(kPhoto + " -s 1.5 -o " + dir / "rgb_out.png").exit_code == 0);
  const cv::Mat a = cv::imread(dir / "rgba_out.png", cv::IMREAD_UNCHANGED);
  const cv::Mat b = cv::imread(dir / "rgb_out.png", cv::IMREAD_UNCHANGED);
  REQUIRE(a.channels() == 4);
  cv::Mat a_rgb;
  cv::cvtColor(a, a_rgb, cv::COLOR_BGRA2BGR);
  CHECK(worst_difference(a_rgb, b) <= 1);
  std::vector<cv::Mat> planes;
  cv::split(a, planes);
  double lowest = 0.0;
  cv::minMaxLoc(planes[3], &lowest);
  CHECK(lowest == 255.0);
}

TEST_CASE("output names carry the factor or the target", "[cli][resize]") {
  TempDir dir;
  REQUIRE(std::filesystem::copy_file(kPhoto, dir / "p.png"));
  for (const auto& [flags, name] : {std::pair{"-s 150%", "p_x1.5.png"}, std::pair{"-s 1.5,2", "p_x1.5x2.png"},
                                    std::pair{"--size 300x200", "p_x300x200.png"},
                                    std::pair{"--width 300", "p_xw300.png"}}) {
    INFO(flags);
    const Result r = run(dir / "p.png " + flags);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(std::filesystem::exists(dir / name));
  }
}

TEST_CASE("factors below 1 and contradictory size flags are refused, naming the flag", "[cli][resize]") {
  TempDir dir;
  struct Case {
    std::string args;
    int exit_code;
    std::string message;
  };
  const Case cases[] = {
      {"-s 0.5", 2, "-s 0.5: factors below 1 are refused: this tool upsamples"},
      {"-s 80%", 2, "-s 80%: factors below 1 are refused"},
      {"-s 1.5,0.9", 2, "-s 1.5,0.9: factors below 1 are refused"},
      {"-s 1.5.2", 2, "-s 1.5.2: expected a factor such as 2, 1.5 or 150%"},
      {"-s 1.1234567", 2, "at most 6 decimals"},
      {"-s 2000.5", 2, "-s 2000.5: fractional factors above 1024 are refused"},
      {"--size 100x300", 1, "the target width 100 is smaller than the input's (256x192)"},
      {"--width 200", 1, "the target width 200 is smaller than the input's"},
      {"--size 1000", 2, "--size 1000: expected WxH, width first"},
      {"--size 300x200 -s 2", 2, "-s and --size, --width or --height exclude each other"},
      {"--width 300 --height 300", 2, "give one (the other side keeps the aspect ratio), or --size 300x300"},
      {"-s 1.5 --model " TCONV_MODELS_DIR "/linear_y_x2.safetensors", 2, "-s 1.5: needs an integer factor"},
      {"--size 600x400 --model " TCONV_MODELS_DIR "/linear_y_x2.safetensors", 2,
       "--size, --width and --height serve the interpolation kernels"},
  };
  for (const Case& c : cases) {
    INFO(c.args);
    const Result r = run(kPhoto + " " + c.args + " -o " + dir / "out.png");
    INFO(r.output);
    CHECK(r.exit_code == c.exit_code);
    CHECK_THAT(r.output, Catch::Contains(c.message));
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
    CHECK_FALSE(std::filesystem::exists(dir / "out.png"));
  }
}

// CLI tests of `compare` and `inspect`: run the real binary, check exit
// codes, JSON keys and the pictures written.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "cli_support.hpp"
#include "tconv/io/npy.hpp"

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

struct Result {
  int exit_code = -1;
  std::string out;  // stdout only
  std::string err;  // stderr
};

Result run(const std::string& args, const fs::path& dir) {
  const fs::path err_file = dir / "stderr.txt";
  const std::string cmd = std::string(TCONV_CLI) + " " + args + " 2>" + err_file.string();
  Result r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_file);
  r.err.assign(std::istreambuf_iterator<char>(in), {});
  fs::remove(err_file);
  return r;
}

// A fresh, empty folder per test, removed afterwards.
struct TempDir : tconv::test::TempDir {
  TempDir() : tconv::test::TempDir("tconv_cli_analysis_") {}
};

void write_npy(const std::string& path, std::vector<std::int64_t> shape, std::vector<float> values) {
  const auto bytes = tconv::encode_npy({std::move(shape), std::move(values)});
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// The all-ones 3x3 kernel, depthwise over 3 channels, scaled to mean gain 1.
std::string ones3x3(const TempDir& dir) {
  write_npy(dir / "ones.npy", {3, 1, 3, 3}, std::vector<float>(27, 1.0f / 2.25f));
  return " --weights " + dir / "ones.npy" + " --groups 3";
}

// A 60x80 crop of samples/photo.png (natural content, small for speed).
std::string small_photo(const TempDir& dir, const std::string& name = "in.png") {
  const cv::Mat photo = cv::imread(std::string(TCONV_SAMPLES_DIR) + "/photo.png", cv::IMREAD_COLOR);
  REQUIRE(!photo.empty());
  cv::imwrite(dir / name, photo(cv::Rect(60, 50, 80, 60)).clone());
  return dir / name;
}

std::vector<std::string> keys(const json& j) {
  std::vector<std::string> k;
  for (const auto& [key, value] : j.items()) k.push_back(key);
  return k;
}

}  // namespace

TEST_CASE("inspect prints the phase gains of the all-ones 3x3 kernel", "[cli][analysis]") {
  TempDir dir;
  write_npy(dir / "w.npy", {1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  const Result r = run("inspect --weights " + dir / "w.npy" + " -s 2 --json", dir.path);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  CHECK(keys(j) == std::vector<std::string>{"kernel"});
  CHECK(keys(j["kernel"]) == std::vector<std::string>{"phase_gains", "phase_gain_ratio", "uneven_overlap"});
  CHECK(j["kernel"]["phase_gains"] == json::parse("[[4.0, 2.0, 2.0, 1.0]]"));
  CHECK(j["kernel"]["phase_gain_ratio"] == 4.0);
  CHECK(j["kernel"]["uneven_overlap"] == true);

  const Result table = run("inspect --kernel bilinear -s 2", dir.path);
  CHECK(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("uneven overlap: no") && Catch::Contains("phase gain ratio: 1"));
  const Result bad = run("inspect --kernel bilinear -s 2 --padding 1", dir.path);
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--padding applies only with --weights"));
}

TEST_CASE("compare --json has exactly the documented keys", "[cli][analysis]") {
  TempDir dir;
  const std::string in = small_photo(dir);
  const Result r = run("compare " + in + " -s 2 --json" + ones3x3(dir), dir.path);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  CHECK(keys(j) == std::vector<std::string>{"kernel", "tconv", "resize_conv", "psnr_tconv_vs_resize_conv",
                                            "reference"});
  CHECK(keys(j["kernel"]) == std::vector<std::string>{"phase_gains", "phase_gain_ratio", "uneven_overlap"});
  const std::vector<std::string> metric_keys{"phase_mean_spread", "phase_energy_ratio", "spectral_peak_ratio"};
  CHECK(keys(j["tconv"]) == metric_keys);
  CHECK(keys(j["resize_conv"]) == metric_keys);
  CHECK(j["reference"].is_null());
  CHECK(j["kernel"]["phase_gains"].size() == 3);
  CHECK(j["kernel"]["phase_gain_ratio"] == Approx(4.0));
  // The all-ones kernel leaves a strong checkerboard; the fitted resize-convolution does not.
  CHECK(j["tconv"]["phase_mean_spread"].get<double>() > 10.0);
  CHECK(j["resize_conv"]["phase_mean_spread"].get<double>() < 0.2 * j["tconv"]["phase_mean_spread"].get<double>());
  CHECK(j["psnr_tconv_vs_resize_conv"].is_number());

  // With a reference, the four scores are numbers.
  const Result up = run(in + " -s 2 -k bicubic -o " + dir / "hr.png", dir.path);
  REQUIRE(up.exit_code == 0);
  const Result ref = run("compare " + in + " -s 2 --json --reference " + dir / "hr.png", dir.path);
  INFO(ref.err);
  REQUIRE(ref.exit_code == 0);
  const json jr = json::parse(ref.out);
  CHECK(keys(jr["reference"]) ==
        std::vector<std::string>{"psnr_tconv", "ssim_tconv", "psnr_resize_conv", "ssim_resize_conv"});
  CHECK(jr["reference"]["psnr_tconv"].get<double>() > 30.0);
  CHECK(jr["reference"]["ssim_tconv"].get<double>() > 0.9);
}

TEST_CASE("compare --fail-above exits 4 only when tconv's spread exceeds it", "[cli][analysis]") {
  TempDir dir;
  const std::string in = small_photo(dir);
  const Result ok = run("compare " + in + " -s 2 --fail-above 1", dir.path);
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  const Result gated = run("compare " + in + " -s 2 --fail-above 1" + ones3x3(dir), dir.path);
  INFO(gated.out << gated.err);
  CHECK(gated.exit_code == 4);
  CHECK_THAT(gated.err, Catch::Contains("--fail-above 1") && Catch::Contains("phase_mean_spread"));
  CHECK_THAT(gated.out, Catch::Contains("phase_mean_spread"));  // the report is still printed
}

TEST_CASE("compare writes pictures that decode to the expected sizes", "[cli][analysis]") {
  TempDir dir;
  const std::string in = small_photo(dir);  // 80x60 -> 160x120, shown x2 (384 / 160)
  const Result r = run("compare " + in + " -s 2 -o " + dir / "out", dir.path);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const cv::Mat side = cv::imread(dir / "out/in_compare.png", cv::IMREAD_UNCHANGED);
  REQUIRE(!side.empty());
  CHECK(side.type() == CV_8UC3);
  // Title and label lines (58 px), the 240 px panels, a 10 px margin; then a
  // label line and the 96 x 96 details shown x4. Four panels per row with
  // 10 px gaps: 384 px details are the widest.
  CHECK(side.rows == 58 + 240 + 10 + 24 + 384 + 10);
  CHECK(side.cols == 10 + 4 * (384 + 10));
  // The transposed-convolution panel is the main command's output, enlarged x2.
  REQUIRE(run(in + " -s 2 -o " + dir / "up.png", dir.path).exit_code == 0);
  const cv::Mat up = cv::imread(dir / "up.png", cv::IMREAD_COLOR);
  REQUIRE(up.size() == cv::Size(160, 120));
  int worst = 0;
  for (int y = 0; y < 120; ++y)
    for (int x = 0; x < 160; ++x)
      for (int c = 0; c < 3; ++c)
        worst = std::max(worst, std::abs(side.at<cv::Vec3b>(58 + 2 * y, 10 + 320 + 10 + 2 * x)[c] - up.at<cv::Vec3b>(y, x)[c]));
  CHECK(worst <= 1);
  for (const char* name : {"out/in_heatmap_tconv.png", "out/in_heatmap_resize_conv.png"}) {
    const cv::Mat heat = cv::imread(dir / name, cv::IMREAD_UNCHANGED);
    INFO(name);
    REQUIRE(!heat.empty());
    CHECK(heat.rows == 58 + 240 + 10);
    CHECK(heat.cols > 10 + 320 + 20 + 22);  // map, gap, legend bar, tick labels
  }
  // Pictures are never overwritten without --overwrite.
  const Result again = run("compare " + in + " -s 2 -o " + dir / "out", dir.path);
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.err, Catch::Contains("exists"));
  CHECK(run("compare " + in + " -s 2 --overwrite -o " + dir / "out", dir.path).exit_code == 0);
}

TEST_CASE("compare on directories: one report per image, bad files counted, empty is 3", "[cli][analysis]") {
  TempDir dir;
  fs::create_directories(dir.path / "imgs");
  small_photo(dir, "imgs/a.png");
  small_photo(dir, "imgs/b.png");
  {
    std::ofstream bad(dir / "imgs/c.png", std::ios::binary);
    bad << "not a png";
  }
  const Result r = run("compare " + dir / "imgs" + " -s 2 --json", dir.path);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  const json j = json::parse(r.out);
  REQUIRE(j["reports"].size() == 3);
  CHECK(j["reports"][0].contains("report"));
  CHECK(j["reports"][1].contains("report"));
  CHECK(j["reports"][2].contains("error"));
  CHECK(j["summary"]["compared"] == 2);
  CHECK(j["summary"]["failed"] == 1);

  const Result table = run("compare " + dir / "imgs/a.png " + dir / "imgs/b.png -s 2", dir.path);
  CHECK(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("summary: 2 images, 2 compared, 0 failed"));

  fs::create_directories(dir.path / "empty");
  const Result none = run("compare " + dir / "empty" + " -s 2", dir.path);
  CHECK(none.exit_code == 3);
  CHECK_THAT(none.err, Catch::Contains("no image found"));
}

TEST_CASE("compare -j runs images at once with the same tables, --report and --fail-fast", "[cli][analysis]") {
  TempDir dir;
  fs::create_directories(dir.path / "imgs");
  for (const char* name : {"imgs/a.png", "imgs/b.png", "imgs/d.png", "imgs/e.png"}) small_photo(dir, name);
  {
    std::ofstream bad(dir / "imgs/c.png", std::ios::binary);
    bad << "not a png";
  }
  const Result one = run("compare " + dir / "imgs" + " -s 2", dir.path);
  const Result two = run("compare " + dir / "imgs" + " -s 2 -j 2 --report " + dir / "r.json", dir.path);
  INFO(one.out << one.err << two.out << two.err);
  CHECK(one.exit_code == 1);
  CHECK(two.exit_code == 1);
  // The same tables in the same (input) order, whatever the jobs.
  CHECK(two.out == one.out);
  CHECK_THAT(two.out, Catch::Contains("summary: 5 images, 4 compared, 1 failed"));
  const json report = json::parse(tconv::test::read_bytes(dir / "r.json"));
  REQUIRE(report["files"].size() == 5);
  CHECK(report["files"][2]["status"] == "failed");
  CHECK(report["files"][3]["status"] == "done");
  CHECK(report["summary"]["failed"] == 1);
  CHECK(report["summary"]["done"] == 4);
  // The report is an output: never over an input, an existing non-report refused.
  CHECK(run("compare " + dir / "imgs" + " -s 2 --report " + dir / "imgs/a.png", dir.path).exit_code == 2);
  // --fail-fast: nothing starts after the failed c.png (one job, input order).
  const Result fast = run("compare " + dir / "imgs" + " -s 2 --fail-fast --json", dir.path);
  CHECK(fast.exit_code == 1);
  const json j = json::parse(fast.out);
  CHECK(j["summary"]["compared"] == 2);
  CHECK(j["summary"]["failed"] == 1);
}

TEST_CASE("compare usage errors exit 2 before any input is read", "[cli][analysis]") {
  TempDir dir;
  const std::string in = small_photo(dir);
  CHECK(run("compare " + in + " -s 2 --resize bicubic", dir.path).exit_code == 2);
  CHECK(run("compare " + in + " -s 2 --kernel nosuch", dir.path).exit_code == 2);
  CHECK(run("compare " + in + " -s 2 --fail-above -1", dir.path).exit_code == 2);
  write_npy(dir / "bad3x3.npy", {3, 3, 5, 5}, std::vector<float>(225, 0.0f));
  const Result r = run("compare " + in + " -s 2 --conv3x3 " + dir / "bad3x3.npy", dir.path);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--conv3x3") && Catch::Contains("(C, C, 3, 3)"));
}

TEST_CASE("compare and inspect take --model: the network's flat-field response", "[cli][analysis]") {
  TempDir dir;
  const std::string in = small_photo(dir);
  const std::string model = std::string(TCONV_GOLDEN_DIR) + "/model_rgb_x2.safetensors";
  const Result r = run("compare " + in + " --model " + model + " --json", dir.path);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  CHECK(keys(j) == std::vector<std::string>{"kernel", "tconv", "resize_conv", "psnr_tconv_vs_resize_conv",
                                            "reference"});
  CHECK(j["kernel"]["phase_gains"].size() == 3);
  CHECK(j["kernel"]["phase_gains"][0].size() == 4);
  CHECK(j["kernel"]["uneven_overlap"].is_null());
  CHECK(j["tconv"]["phase_mean_spread"].is_number());

  const Result table = run("inspect --model " + model, dir.path);
  INFO(table.out << table.err);
  CHECK(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("not inspected") && Catch::Contains("phase gain ratio"));
  CHECK(run("compare " + in + " --model " + model + " -s 3", dir.path).exit_code == 2);
}

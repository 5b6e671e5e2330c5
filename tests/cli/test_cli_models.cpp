// CLI tests of models by name: the search order of --model NAME
// (TCONV_MODEL_PATH, the user's data folder, the build tree's models/) and
// the `models` listing. Every run sets TCONV_MODEL_PATH, XDG_DATA_HOME and
// HOME to temporary folders, so the user's own models never take part.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_support.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

using Result = tconv::test::CliResult;

const std::string kModels = TCONV_MODELS_DIR;

// A temporary home: home/, xdg/ (XDG_DATA_HOME), path1/ and path2/ (for
// TCONV_MODEL_PATH), empty until a test copies models in.
struct Sandbox : tconv::test::TempDir {
  Sandbox() : tconv::test::TempDir("tconv_cli_models_") {
    for (const char* d : {"home", "xdg", "path1", "path2", "work"}) fs::create_directories(path / d);
  }
  // The data folder under XDG_DATA_HOME or under HOME/.local/share.
  [[nodiscard]] fs::path xdg_models() const { return path / "xdg" / "tconv-upsample" / "models"; }
  [[nodiscard]] fs::path home_models() const {
    return path / "home" / ".local" / "share" / "tconv-upsample" / "models";
  }
  // Copies shipped model `from` to folder/name.safetensors.
  static void put(const std::string& from, const fs::path& folder, const std::string& name) {
    fs::create_directories(folder);
    fs::copy_file(kModels + "/" + from + ".safetensors", folder / (name + ".safetensors"),
                  fs::copy_options::overwrite_existing);
  }
  // `env` with the sandbox's variables; `model_path` "" leaves TCONV_MODEL_PATH
  // empty, `xdg` false unsets XDG_DATA_HOME.
  [[nodiscard]] std::string env(const std::string& model_path, bool xdg = true) const {
    return std::string("env") + (xdg ? "" : " -u XDG_DATA_HOME") + " HOME=" + (path / "home").string() +
           (xdg ? " XDG_DATA_HOME=" + (path / "xdg").string() : "") + " TCONV_MODEL_PATH=" + model_path;
  }
  [[nodiscard]] Result run(const std::string& env_prefix, const std::string& args) const {
    return tconv::test::run_cli(env_prefix + " " + TCONV_CLI, args);
  }
  // Runs with stderr into `err` (not merged into the output).
  [[nodiscard]] Result run_split(const std::string& env_prefix, const std::string& args,
                                 const std::string& err) const {
    return tconv::test::run_cli("{ " + env_prefix + " " + TCONV_CLI, args + " 2>" + err + "; }");
  }
};

// A small RGB image of rows x cols; returns its path.
std::string write_image(const Sandbox& box, int rows = 12, int cols = 10) {
  cv::Mat m(rows, cols, CV_8UC3);
  cv::randu(m, 0, 255);
  const std::string file = box / "in.png";
  REQUIRE(cv::imwrite(file, m));
  return file;
}

// Upsamples the sandbox image with --model `model`; returns the output's
// {rows, cols}, or {0, 0} when the run failed (its output in INFO).
std::pair<int, int> upsample_size(const Sandbox& box, const std::string& env, const std::string& model) {
  const std::string in = write_image(box);
  const std::string out = box / "out.png";
  fs::remove(out);
  const Result r = box.run(env, in + " --model " + model + " -o " + out);
  INFO("--model " << model << ": " << r.output);
  CHECK(r.exit_code == 0);
  const cv::Mat img = cv::imread(out, cv::IMREAD_UNCHANGED);
  return img.empty() ? std::pair{0, 0} : std::pair{img.rows, img.cols};
}

// The parameters of a model file counted from its header alone: the
// element count of every tensor (the shipped models name all of theirs).
std::int64_t header_parameters(const std::string& file) {
  const std::string bytes = tconv::test::read_bytes(file);
  REQUIRE(bytes.size() >= 8);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  const json header = json::parse(bytes.substr(8, n));
  std::int64_t count = 0;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    std::int64_t values = 1;
    for (const auto& d : entry["shape"]) values *= d.get<std::int64_t>();
    count += values;
  }
  return count;
}

json header_metadata(const std::string& file) {
  const std::string bytes = tconv::test::read_bytes(file);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  return json::parse(bytes.substr(8, n))["__metadata__"];
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

const json* find_model(const json& listing, const std::string& name) {
  for (const json& m : listing["models"])
    if (m["name"] == name) return &m;
  return nullptr;
}

const char* const kShipped[] = {"fsrcnn_y_x2", "fsrcnn_y_x3", "fsrcnn_y_x4",
                                "linear_y_x2", "linear_y_x3", "linear_y_x4",
                                "linear_rgb_x2", "linear_rgb_x3", "linear_rgb_x4"};

}  // namespace

TEST_CASE("cli models: --model NAME takes the first match along the search path", "[cli][model]") {
  // Same name, different scales, so the output size tells which file ran.
  Sandbox box;
  Sandbox::put("linear_y_x2", box.path / "path2", "mynet");  // x2
  Sandbox::put("linear_y_x3", box.xdg_models(), "mynet");     // x3
  Sandbox::put("linear_y_x4", box.home_models(), "mynet");     // x4
  const std::string both = (box.path / "path1").string() + ":" + (box.path / "path2").string();

  SECTION("TCONV_MODEL_PATH before the data folder, with or without the extension") {
    CHECK(upsample_size(box, box.env(both), "mynet") == std::pair{24, 20});
    CHECK(upsample_size(box, box.env(both), "mynet.safetensors") == std::pair{24, 20});
  }
  SECTION("a folder earlier in TCONV_MODEL_PATH wins") {
    Sandbox::put("linear_y_x4", box.path / "path1", "mynet");
    CHECK(upsample_size(box, box.env(both), "mynet") == std::pair{48, 40});
  }
  SECTION("then $XDG_DATA_HOME/tconv-upsample/models") {
    CHECK(upsample_size(box, box.env(""), "mynet") == std::pair{36, 30});
  }
  SECTION("then ~/.local/share/tconv-upsample/models when XDG_DATA_HOME is unset") {
    CHECK(upsample_size(box, box.env("", false), "mynet") == std::pair{48, 40});
  }
  SECTION("then the build tree's models/, which a same-named file earlier shadows") {
    CHECK(upsample_size(box, box.env(""), "linear_y_x3") == std::pair{36, 30});
    Sandbox::put("linear_y_x2", box.xdg_models(), "linear_y_x3");
    CHECK(upsample_size(box, box.env(""), "linear_y_x3") == std::pair{24, 20});
  }
  SECTION("a file named in the working folder is a path, not a name") {
    Sandbox::put("linear_y_x4", box.path / "work", "mynet");
    const std::string in = write_image(box);
    const Result r = tconv::test::run_cli(
        "cd " + (box.path / "work").string() + " && " + box.env(both) + " " + TCONV_CLI,
        in + " --model mynet.safetensors -o " + (box / "out.png"));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(cv::imread(box / "out.png").rows == 48);
  }
  SECTION("a folder in the working folder does not hide a name") {
    fs::create_directories(box.path / "work" / "mynet");
    const std::string in = write_image(box);
    const Result r = tconv::test::run_cli(
        "cd " + (box.path / "work").string() + " && " + box.env(both) + " " + TCONV_CLI,
        in + " --model mynet -o " + (box / "out.png"));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(cv::imread(box / "out.png").rows == 24);
  }
  SECTION("a path with '/' is never looked up: a missing file fails as before") {
    const Result r = box.run(box.env(both), write_image(box) + " --model ./mynet -o " + (box / "o.png"));
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("./mynet") != std::string::npos);
  }
  SECTION("eval, inspect and compare resolve names the same way") {
    const Result inspect = box.run(box.env(both), "inspect --model mynet --json");
    INFO(inspect.output);
    CHECK(inspect.exit_code == 0);
    fs::create_directories(box.path / "hr");
    cv::Mat hr(24, 24, CV_8UC3);
    cv::randu(hr, 0, 255);
    REQUIRE(cv::imwrite((box.path / "hr" / "a.png").string(), hr));
    const Result eval = box.run(box.env(both), "eval --images " + (box / "hr") + " -s 2 --model mynet");
    INFO(eval.output);
    CHECK(eval.exit_code == 0);
    CHECK(eval.output.find("mynet") != std::string::npos);
    const Result against = box.run(box.env(both), "compare " + write_image(box, 40, 40) +
                                                      " --model linear_y_x2 --against mynet -o " +
                                                      (box / "report"));
    INFO(against.output);
    CHECK(against.exit_code == 0);
    const Result unknown = box.run(box.env(both), "compare " + write_image(box, 40, 40) +
                                                      " --model linear_y_x2 --against mynett");
    INFO(unknown.output);
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.output.find("--against mynett: ") != std::string::npos);
    CHECK(unknown.output.find("did you mean mynet?") != std::string::npos);
  }
}

TEST_CASE("cli models: an unknown name is a one-line usage error with a suggestion",
          "[cli][model]") {
  Sandbox box;
  const std::string in = write_image(box);
  const Result r = box.run(box.env((box.path / "path1").string()),
                           in + " --model fsrcnn_x2 -o " + (box / "out.png"));
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(lines_of(r.output).size() == 1);
  CHECK(r.output.find("--model fsrcnn_x2") != std::string::npos);
  CHECK(r.output.find("did you mean fsrcnn_y_x2?") != std::string::npos);
  // The folders searched, in order.
  const auto at = [&r](const fs::path& p) { return r.output.find(p.string()); };
  CHECK(at(box.path / "path1") != std::string::npos);
  CHECK(at(box.xdg_models()) != std::string::npos);
  CHECK(at(box.path / "path1") < at(box.xdg_models()));
  CHECK(!fs::exists(box / "out.png"));
  // Nothing close: no suggestion.
  const Result far = box.run(box.env(""), in + " --model zzzzzzzzzz -o " + (box / "out.png"));
  CHECK(far.exit_code == 2);
  CHECK(far.output.find("did you mean") == std::string::npos);
}

TEST_CASE("cli models: lists the shipped models with scale, colour, parameters and quality",
          "[cli][model]") {
  Sandbox box;
  const Result r = box.run(box.env((box.path / "path1").string()), "models --json");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json listing = json::parse(r.output);
  for (const char* name : kShipped) {
    INFO("model " << name);
    const json* m = find_model(listing, name);
    REQUIRE(m != nullptr);
    const std::string file = kModels + "/" + name + ".safetensors";
    const json meta = header_metadata(file);
    CHECK((*m)["scale"].get<int>() == std::stoi(meta["tconv.scale"].get<std::string>()));
    CHECK((*m)["color"] == meta["tconv.color"]);
    CHECK((*m)["parameters"].get<std::int64_t>() == header_parameters(file));
    CHECK(fs::equivalent((*m)["folder"].get<std::string>(), kModels));
    CHECK((*m)["shadowed"] == false);
    const json train = json::parse(meta["tconv.train"].get<std::string>(), nullptr, false);
    if (train.is_object()) {  // train --arch: the held-out validation PSNR
      CHECK((*m)["quality"]["kind"] == "validation");
      CHECK((*m)["quality"]["psnr"].get<double>() == Approx(train["validation_psnr"].get<double>()));
    } else {  // least squares: the training PSNR of its summary line
      CHECK((*m)["quality"]["kind"] == "training");
    }
  }
  // Hand counts: FSRCNN (d 56, s 12, m 4): 5x5 56 + bias, PReLU 56, 1x1
  // 56->12 + bias, PReLU 12, four 3x3 12->12 + bias + PReLU, 1x1 12->56 +
  // bias, PReLU 56, 9x9 56->1 + bias.
  CHECK((*find_model(listing, "fsrcnn_y_x2"))["parameters"] ==
        (56 * 25 + 56) + 56 + (12 * 56 + 12) + 12 + 4 * (12 * 12 * 9 + 12 + 12) + (56 * 12 + 56) +
            56 + (56 * 81 + 1));
  CHECK((*find_model(listing, "linear_rgb_x3"))["parameters"] == 3 * 3 * 24 * 24 + 3);
  // Multiply-adds per output pixel: FSRCNN's body runs on the input pixels
  // (1400 + 672 + 4 * 1296 + 672), the 9x9 head gives each input pixel 56 * 81,
  // all over s^2 output pixels; the least-squares layer 16 * 16 over 4.
  CHECK((*find_model(listing, "fsrcnn_y_x2"))["madds_per_output_pixel"].get<double>() ==
        Approx((1400 + 672 + 4 * 1296 + 672 + 56 * 81) / 4.0));
  CHECK((*find_model(listing, "linear_y_x2"))["madds_per_output_pixel"].get<double>() ==
        Approx(64.0));
  CHECK((*find_model(listing, "linear_rgb_x2"))["madds_per_output_pixel"].get<double>() ==
        Approx(3 * 3 * 256 / 4.0));

  // The table: a header and one aligned row per model.
  const Result table = box.run(box.env(""), "models");
  INFO(table.output);
  REQUIRE(table.exit_code == 0);
  const std::vector<std::string> lines = lines_of(table.output);
  REQUIRE(lines.size() == 1 + std::size(kShipped));
  CHECK(lines[0].rfind("name", 0) == 0);
  const std::size_t folder_column = lines[0].find("folder");
  for (std::size_t i = 1; i < lines.size(); ++i) CHECK(lines[i].find(kModels) == folder_column);
  const auto row = std::find_if(lines.begin(), lines.end(),
                                [](const std::string& l) { return l.rfind("fsrcnn_y_x2 ", 0) == 0; });
  REQUIRE(row != lines.end());
  std::istringstream cells(*row);
  std::string name, scale, colour, params;
  cells >> name >> scale >> colour >> params;
  CHECK(scale == "2");
  CHECK(colour == "y");
  CHECK(params == "12809");
}

TEST_CASE("cli models: the first of a name is listed, --all marks the shadowed ones",
          "[cli][model]") {
  Sandbox box;
  Sandbox::put("linear_rgb_x3", box.path / "path1", "fsrcnn_y_x2");
  const std::string env = box.env((box.path / "path1").string());
  const json listing = json::parse(box.run(env, "models --json").output);
  const json* m = find_model(listing, "fsrcnn_y_x2");
  REQUIRE(m != nullptr);
  CHECK((*m)["scale"] == 3);
  CHECK((*m)["color"] == "rgb");
  CHECK(std::count_if(listing["models"].begin(), listing["models"].end(),
                      [](const json& x) { return x["name"] == "fsrcnn_y_x2"; }) == 1);

  const json all = json::parse(box.run(env, "models --all --json").output);
  std::vector<json> same;
  for (const json& x : all["models"])
    if (x["name"] == "fsrcnn_y_x2") same.push_back(x);
  REQUIRE(same.size() == 2);
  CHECK(same[0]["shadowed"] == false);
  CHECK(same[0]["scale"] == 3);
  CHECK(same[1]["shadowed"] == true);
  CHECK(same[1]["scale"] == 2);
  const Result table = box.run(env, "models --all");
  CHECK(table.output.find("(shadowed)") != std::string::npos);
}

TEST_CASE("cli models: a damaged model file is one line on stderr, the others are listed",
          "[cli][model]") {
  Sandbox box;
  const fs::path dir = box.path / "path1";
  Sandbox::put("linear_y_x2", dir, "good");
  const std::string whole = tconv::test::read_bytes(kModels + "/fsrcnn_y_x2.safetensors");
  const std::string cut = whole.substr(0, whole.size() / 2);
  tconv::test::write_bytes((dir / "truncated.safetensors").string(),
                           std::vector<unsigned char>(cut.begin(), cut.end()));
  const std::string text = "not a model\n";
  tconv::test::write_bytes((dir / "text.safetensors").string(),
                           std::vector<unsigned char>(text.begin(), text.end()));
  const std::string err = box / "err.txt";
  for (const std::string flags : {"", " --json"}) {
    INFO("models" << flags);
    const Result r = box.run_split(box.env(dir.string()), "models" + flags, err);
    const std::string errors = tconv::test::read_bytes(err);
    INFO("stdout:\n" << r.output << "stderr:\n" << errors);
    CHECK(r.exit_code == 0);
    const std::vector<std::string> error_lines = lines_of(errors);
    REQUIRE(error_lines.size() == 2);
    CHECK(errors.find("truncated.safetensors") != std::string::npos);
    CHECK(errors.find("text.safetensors") != std::string::npos);
    CHECK(r.output.find("truncated") == std::string::npos);
    CHECK(r.output.find("good") != std::string::npos);
    CHECK(r.output.find("fsrcnn_y_x4") != std::string::npos);
  }
}

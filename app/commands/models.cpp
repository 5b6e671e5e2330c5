// tconv-upsample models [--json] [--all]: every model file on the model
// search path (cli/model_lookup.hpp), loaded and validated as --model
// would, with its scale, colour, parameter count, multiply-adds per output
// pixel and the quality its "tconv.train" metadata records.
#include "commands/models.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "cli/exit_codes.hpp"
#include "cli/model_lookup.hpp"
#include "tconv/io/safetensors.hpp"
#include "tconv/model/model.hpp"

namespace tconv::app {

namespace {

using json = nlohmann::json;

constexpr const char* kFooter = R"(Examples:
  tconv-upsample models                          the models --model NAME can name
  tconv-upsample models --all                    also those hidden by a same-named one
  tconv-upsample models --json | jq '.models[].name'
  tconv-upsample photo.png --model fsrcnn_y_x2   run one by name
  TCONV_MODEL_PATH=~/nets tconv-upsample models  look in ~/nets first

Search order (first match of a name wins): each folder of TCONV_MODEL_PATH
(colon-separated), $XDG_DATA_HOME/tconv-upsample/models (default
~/.local/share/tconv-upsample/models), <prefix>/share/tconv-upsample/models
beside the installed binary, and for a binary run from its build tree the
source tree's models/.
Columns: madds/px is multiply-adds per output pixel of the network (a y
model's bicubic Cb, Cr not counted); quality is what the file's tconv.train
records: validation PSNR on images held out of training (train --arch) or
the training PSNR (least squares), "-" when it records none.)";

// What a model file records about its training, read from "tconv.train":
// the JSON recipe of `train --arch` or the summary line of the least-squares
// `train`. Other files record nothing we read.
struct Recorded {
  std::string quality = "-";  ///< e.g. "validation 30.82 dB", "training 31.19 dB".
  std::string recipe = "-";   ///< e.g. "fsrcnn, 150000 steps, T91+BSDS200".
  json quality_json;          ///< {"kind", "psnr", "ssim"?} or null.
};

Recorded recorded_training(const std::map<std::string, std::string>& metadata) {
  Recorded r;
  const auto it = metadata.find("tconv.train");
  if (it == metadata.end()) return r;
  const std::string& text = it->second;
  const json recipe = json::parse(text, nullptr, false);
  if (recipe.is_object()) {
    if (recipe.contains("validation_psnr") && recipe["validation_psnr"].is_number()) {
      const double psnr = recipe["validation_psnr"].get<double>();
      r.quality = fmt::format("validation {:.2f} dB", psnr);
      r.quality_json = {{"kind", "validation"}, {"psnr", psnr}};
      if (recipe.contains("validation_ssim") && recipe["validation_ssim"].is_number())
        r.quality_json["ssim"] = recipe["validation_ssim"].get<double>();
    }
    std::vector<std::string> parts;
    if (recipe.contains("arch") && recipe["arch"].is_string())
      parts.push_back(recipe["arch"].get<std::string>());
    if (recipe.contains("steps_done") && recipe["steps_done"].is_number_integer())
      parts.push_back(fmt::format("{} steps", recipe["steps_done"].get<std::int64_t>()));
    if (recipe.contains("images") && recipe["images"].is_array()) {
      std::string images;
      for (const json& name : recipe["images"])
        if (name.is_string()) images += (images.empty() ? "" : "+") + name.get<std::string>();
      if (!images.empty()) parts.push_back(images);
    }
    if (!parts.empty()) {
      r.recipe = parts[0];
      for (std::size_t i = 1; i < parts.size(); ++i) r.recipe += ", " + parts[i];
    }
    return r;
  }
  // "linear least squares: 91 images, ..., kernel 16, ..., training PSNR 31.193 dB"
  std::smatch m;
  static const std::regex kPsnr(R"(training PSNR ([0-9.]+) dB)");
  if (std::regex_search(text, m, kPsnr)) {
    const double psnr = std::stod(m[1].str());
    r.quality = fmt::format("training {:.2f} dB", psnr);
    r.quality_json = {{"kind", "training"}, {"psnr", psnr}};
  }
  static const std::regex kLeastSquares(R"(^(linear least squares):.*?(\d+) images.*kernel (\d+))");
  if (std::regex_search(text, m, kLeastSquares))
    r.recipe = fmt::format("least squares, kernel {}, {} images", m[3].str(), m[2].str());
  return r;
}

// Values in the tensors the layer list names (weights, biases, PReLU
// slopes), each tensor counted once; the loaded model has checked the list.
std::int64_t parameter_count(const SafetensorsFile& file) {
  const json layers = json::parse(file.metadata.at("tconv.layers"));
  std::set<std::string> names;
  for (const json& layer : layers)
    for (const char* key : {"weight", "bias"})
      if (layer.contains(key) && layer[key].is_string()) names.insert(layer[key].get<std::string>());
  std::int64_t count = 0;
  for (const std::string& name : names)
    if (const NamedTensor* t = file.find(name)) count += static_cast<std::int64_t>(t->values.size());
  return count;
}

struct Row {
  const FoundModel* found = nullptr;
  int scale = 0;
  std::string color;
  std::string residual;
  std::int64_t parameters = 0;
  double madds_per_output_pixel = 0;
  Recorded recorded;
};

// The row of one file, or nullopt (with one line on stderr) when it does
// not load.
std::optional<Row> describe_model(const FoundModel& found) {
  const std::string path = found.file.string();
  try {
    const SafetensorsFile file = read_safetensors(path);
    const Model model = Model::from_safetensors(file, "model " + path);
    Row row;
    row.found = &found;
    row.scale = model.scale();
    row.color = std::string(to_string(model.color()));
    row.residual = std::string(to_string(model.residual()));
    row.parameters = parameter_count(file);
    row.madds_per_output_pixel = model.macs_per_pixel() / (double(model.scale()) * model.scale());
    row.recorded = recorded_training(model.metadata());
    return row;
  } catch (const std::exception& e) {
    const std::string what = e.what();
    spdlog::warn("{}{} (not listed)", what.find(path) == std::string::npos ? path + ": " : "", what);
    return std::nullopt;
  }
}

}  // namespace

void setup_models(CLI::App& app) {
  auto opt = std::make_shared<ModelsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "models", "List the models --model NAME finds: scale, colour, parameters, cost, quality");
  cmd->add_flag("--json", opt->json, "Print JSON instead of the table");
  cmd->add_flag("--all", opt->all,
                "Also list files hidden by a same-named model earlier on the search path");
  cmd->footer(kFooter);
  cmd->callback([opt] { run_models(*opt); });
}

void run_models(const ModelsOptions& opt) {
  const std::vector<ModelFolder> folders = model_search_path();
  for (const ModelFolder& f : folders) spdlog::debug("model folder ({}): {}", f.origin, f.path.string());
  const std::vector<FoundModel> found = find_models(folders);
  std::vector<Row> rows;
  for (const FoundModel& m : found) {
    if (m.shadowed && !opt.all) continue;
    if (std::optional<Row> row = describe_model(m)) rows.push_back(std::move(*row));
  }
  if (found.empty()) {
    std::string searched;
    for (const ModelFolder& f : folders) searched += (searched.empty() ? "" : ", ") + f.path.string();
    spdlog::warn("no model file (*.safetensors) in {}", searched.empty() ? "no folder" : searched);
  }

  std::string out;
  if (opt.json) {
    json j;
    j["folders"] = json::array();
    for (const ModelFolder& f : folders)
      j["folders"].push_back({{"path", f.path.string()}, {"origin", f.origin}});
    j["models"] = json::array();
    for (const Row& r : rows)
      j["models"].push_back({{"name", r.found->name},
                             {"file", r.found->file.string()},
                             {"folder", folders[r.found->folder].path.string()},
                             {"shadowed", r.found->shadowed},
                             {"scale", r.scale},
                             {"color", r.color},
                             {"residual", r.residual},
                             {"parameters", r.parameters},
                             {"madds_per_output_pixel", r.madds_per_output_pixel},
                             {"quality", r.recorded.quality_json},
                             {"recipe", r.recorded.recipe == "-" ? json() : json(r.recorded.recipe)}});
    out = j.dump(2) + "\n";
  } else {
    std::vector<std::vector<std::string>> cells = {
        {"name", "scale", "colour", "params", "madds/px", "quality (recorded)", "recipe", "folder"}};
    for (const Row& r : rows)
      cells.push_back({r.found->name, std::to_string(r.scale), r.color,
                       std::to_string(r.parameters), fmt::format("{:.0f}", r.madds_per_output_pixel),
                       r.recorded.quality, r.recorded.recipe,
                       folders[r.found->folder].path.string() + (r.found->shadowed ? " (shadowed)" : "")});
    std::vector<std::size_t> width(cells[0].size(), 0);
    for (const auto& line : cells)
      for (std::size_t c = 0; c < line.size(); ++c) width[c] = std::max(width[c], line[c].size());
    for (const auto& line : cells) {
      std::string text;
      for (std::size_t c = 0; c < line.size(); ++c) {
        // Numbers right-aligned, text left-aligned, the last column unpadded.
        const bool number = c >= 1 && c <= 4 && c != 2;
        if (c > 0) text += "  ";
        if (c + 1 == line.size()) text += line[c];
        else if (number) text += fmt::format("{:>{}}", line[c], width[c]);
        else text += fmt::format("{:<{}}", line[c], width[c]);
      }
      out += text + "\n";
    }
  }
  std::cout << out;
  std::cout.flush();
  if (!std::cout) throw InputError("stdout: write failed");
}

}  // namespace tconv::app

// tconv-upsample eval --images DIR -s S [--model M | --kernel K | --weights W.npy]:
// the SRCNN / FSRCNN evaluation protocol (tconv/sr/sr_protocol.hpp) for every
// image in a folder, the method under test beside the MATLAB bicubic
// baseline, as a table or as JSON.
#include "commands/eval.hpp"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "batch/batch_runner.hpp"
#include "cli/exit_codes.hpp"
#include "image/sr_images.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/error.hpp"
#include "tconv/model/model.hpp"
#include "tconv/resample/border.hpp"
#include "tconv/sr/sr_protocol.hpp"

namespace tconv::app {

namespace fs = std::filesystem;

namespace {

/// The method under test: upsamples an LR image on [0, 1] by the scale.
struct Method {
  std::string name;
  std::string color;  ///< "y": runs on the Y plane; "rgb": on R, G, B.
  std::function<Tensor(const Tensor&)> run;
};

struct Row {
  std::string name;
  SrScore method;
  SrScore bicubic;
};

Method make_method(const EvalOptions& opt) {
  if (std::optional<Model> loaded = load_model(opt.layer, {})) {
    auto model = std::make_shared<Model>(std::move(*loaded));
    // y and gray networks see the protocol's Y plane; rgb networks see R, G, B.
    const std::string color = model->color() == ModelColor::kRgb ? "rgb" : "y";
    return {"model " + fs::path(opt.layer.model).filename().string(), color,
            [model](const Tensor& lr) { return model->run_network(lr.view()); }};
  }
  const Border border = border_of(opt.layer, Border::kReplicate);
  Layer layer = make_layer(opt.layer, 1);
  const std::string name =
      opt.layer.weights.empty()
          ? std::string(to_string(interpolation_of(opt.layer).value_or(Interpolation::kBilinear)))
          : "weights " + opt.layer.weights;
  if (layer.params.in_channels != 1 || layer.params.out_channels != 1)
    throw UsageError("--weights " + opt.layer.weights +
                     ": eval runs a layer on the Y plane, so it needs 1 input and 1 output channel");
  auto op = std::make_shared<ConvTranspose2d>(
      ConvTranspose2d::create(layer.params, std::move(layer.weights)));
  return {name, "y", [op, border](const Tensor& lr) { return run_with_border(*op, lr.view(), border); }};
}

// The method's output for one image, converted to the protocol's 8-bit Y.
Tensor run_method(const Method& m, const Tensor& hr255, const Tensor& y_hr, int s,
                  const std::string& what) {
  const bool rgb = m.color == "rgb";
  Tensor lr = protocol_downscale(rgb ? hr255.view() : y_hr.view(), s);
  if (rgb && lr.shape().c == 1) {
    // A gray image goes to an RGB network as R = G = B.
    Tensor three(Shape3{3, lr.shape().h, lr.shape().w});
    const std::size_t plane = lr.span().size();
    for (int c = 0; c < 3; ++c) std::copy(lr.data(), lr.data() + plane, three.data() + c * plane);
    lr = std::move(three);
  }
  Tensor up = m.run(lr);
  const Shape3 want{lr.shape().c, lr.shape().h * s, lr.shape().w * s};
  if (up.shape() != want)
    throw UsageError(what + ": the method made " + to_string(up.shape()) + " from " +
                     to_string(lr.shape()) + ", not " + to_string(want) +
                     " (check -s and the layer's padding)");
  const Tensor out8 = to_8bit_scale(up.view());
  if (!rgb) return out8.clone();
  if (hr255.shape().c == 1) {
    // A gray image given to an RGB model as R = G = B: its gray is the
    // mean of the output's channels (the Y formula would add an offset).
    Tensor gray(Shape3{1, want.h, want.w});
    for (std::size_t i = 0; i < gray.span().size(); ++i)
      gray.data()[i] = std::round((out8.data()[i] + out8.data()[i + gray.span().size()] +
                                   out8.data()[i + 2 * gray.span().size()]) / 3.0f);
    return gray;
  }
  return protocol_luma(out8.view());
}

std::string fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

void setup_eval(CLI::App& app) {
  auto opt = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand(
      "eval",
      "Super-resolution protocol (SRCNN/FSRCNN): PSNR and SSIM on Y of every image in a folder, "
      "beside the MATLAB bicubic baseline");
  cmd->footer(R"(Examples:
  tconv-upsample eval --images Set5/ -s 2 --kernel bicubic         the baseline kernels
  tconv-upsample eval --images Set5/ -s 2 --model models/fsrcnn_y_x2.safetensors
  tconv-upsample eval --images Set14/ -s 3 --model my_x3.safetensors --json)");
  cmd->add_option("--images", opt->images, "Folder of HR images")->required();
  cmd->add_flag("--json", opt->json, "Print JSON instead of a table");
  add_layer_flags(*cmd, opt->layer);
  cmd->callback([opt] { run_eval(*opt); });
}

void run_eval(const EvalOptions& opt) {
  if (!opt.layer.scale_given) throw UsageError("eval needs -s, the upsampling factor");
  const Size2 scale = scale_of(opt.layer);
  if (scale.h != scale.w || scale.h < 1 || scale.h > 16)
    throw UsageError("-s " + opt.layer.scale + ": eval needs one integer scale in [1, 16]");
  const int s = scale.h;
  const std::vector<fs::path> files = list_images(opt.images, "--images");
  if (files.empty())
    throw NothingToDoError("--images " + opt.images +
                           ": no image (png, jpg, tif, webp, bmp) in the folder");
  const Method method = make_method(opt);
  spdlog::info("eval x{} {} ({}) on {} images", s, method.name, method.color, files.size());

  // One row per image in the listing's order; a failed image has none.
  std::vector<std::optional<Row>> per_file(files.size());
  std::vector<ItemResult> results;
  const BatchSummary summary = run_files(file_items(files), [&](std::size_t i, const BatchItem&) {
    const fs::path& file = files[i];
    const Tensor hr255 = modcrop(read_hr255(file).view(), s);
    const Tensor y = protocol_luma(hr255.view());
    Row row;
    row.name = file.filename().string();
    const Tensor sr = run_method(method, hr255, y, s, file.string());
    row.method = protocol_score(y.view(), sr.view(), s);
    const Tensor bic = protocol_bicubic(y.view(), s);
    row.bicubic = protocol_score(y.view(), bic.view(), s);
    per_file[i] = std::move(row);
  }, results);
  stop_if_interrupted(summary);
  std::vector<Row> rows;
  for (std::optional<Row>& row : per_file)
    if (row) rows.push_back(std::move(*row));

  Row mean;
  for (const Row& r : rows) {
    mean.method.psnr += r.method.psnr;
    mean.method.ssim += r.method.ssim;
    mean.bicubic.psnr += r.bicubic.psnr;
    mean.bicubic.ssim += r.bicubic.ssim;
  }
  const double n = rows.empty() ? 1.0 : static_cast<double>(rows.size());
  mean.method.psnr /= n;
  mean.method.ssim /= n;
  mean.bicubic.psnr /= n;
  mean.bicubic.ssim /= n;

  if (opt.json) {
    nlohmann::json j;
    j["scale"] = s;
    j["method"] = method.name;
    j["color"] = method.color;
    j["images"] = nlohmann::json::array();
    for (const Row& r : rows)
      j["images"].push_back({{"name", r.name},
                             {"psnr", r.method.psnr},
                             {"ssim", r.method.ssim},
                             {"bicubic_psnr", r.bicubic.psnr},
                             {"bicubic_ssim", r.bicubic.ssim}});
    j["mean"] = {{"psnr", mean.method.psnr},
                 {"ssim", mean.method.ssim},
                 {"bicubic_psnr", mean.bicubic.psnr},
                 {"bicubic_ssim", mean.bicubic.ssim}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("x%d %s (on %s) vs MATLAB bicubic; Y, shave %d, PSNR dB (peak 255) / SSIM\n", s,
                method.name.c_str(), method.color == "rgb" ? "R, G, B" : "Y", s);
    std::printf("%-24s %10s %8s %13s %13s\n", "image", "PSNR", "SSIM", "bicubic PSNR",
                "bicubic SSIM");
    for (const Row& r : rows)
      std::printf("%-24s %10s %8s %13s %13s\n", r.name.c_str(), fixed(r.method.psnr, 2).c_str(),
                  fixed(r.method.ssim, 4).c_str(), fixed(r.bicubic.psnr, 2).c_str(),
                  fixed(r.bicubic.ssim, 4).c_str());
    std::printf("%-24s %10s %8s %13s %13s\n", "mean", fixed(mean.method.psnr, 2).c_str(),
                fixed(mean.method.ssim, 4).c_str(), fixed(mean.bicubic.psnr, 2).c_str(),
                fixed(mean.bicubic.ssim, 4).c_str());
  }
  finish_batch(summary);
}

}  // namespace tconv::app

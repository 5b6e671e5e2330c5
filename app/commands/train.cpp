// tconv-upsample train --images DIR -s S -o model.safetensors: pairs (LR, HR)
// are made from every HR image with the SR protocol's MATLAB bicubic
// downscaling (tconv/sr/sr_protocol.hpp), in up to 8 flips/rotations each, and
// one conv_transpose2d layer is fitted to them by least squares
// (tconv/sr/linear_fit.hpp); the result is written as a model file
// (tconv/model/model.hpp) that every other command runs.
#include "commands/train.hpp"
#include "commands/train_network.hpp"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "batch/batch_runner.hpp"
#include "batch/file_io.hpp"
#include "cli/exit_codes.hpp"
#include "image/sr_images.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/error.hpp"
#include "tconv/io/safetensors.hpp"
#include "tconv/model/model.hpp"
#include "tconv/resample/border.hpp"
#include "tconv/resample/factories.hpp"
#include "tconv/sr/linear_fit.hpp"
#include "tconv/sr/sr_protocol.hpp"
#include "tconv/train/architectures.hpp"

namespace tconv::app {

namespace fs = std::filesystem;

namespace {

// A gray image given to an RGB fit as R = G = B.
Tensor as_rgb(Tensor t) {
  if (t.shape().c == 3) return t;
  Tensor out(Shape3{3, t.shape().h, t.shape().w});
  const std::size_t plane = t.span().size();
  for (int c = 0; c < 3; ++c) std::copy(t.data(), t.data() + plane, out.data() + c * plane);
  return out;
}

// Input pixels a layer of geometry p reads beyond each edge when its output
// is s times its input (edge_margins(), the same for any input size): the
// larger of the two, on both sides, keeps the padding symmetric
// (PyTorch-expressible).
int edge_reach(const ConvParams& p) {
  const EdgeMargins m = edge_margins(p, Shape3{p.in_channels, p.kernel.h, p.kernel.w});
  return std::max(m.begin.h, m.end.h);
}

// The model file of the fit; `layout` receives the written layers in words.
ModelFileSpec model_file_of(const LinearFitResult& fit, const TrainOptions& opt,
                            std::size_t images, std::string& layout) {
  ConvParams p = fit.layer.params;
  const Weights& w = fit.layer.weights;
  ModelFileSpec spec;
  spec.scale = opt.scale;
  spec.color = opt.color == "rgb" ? ModelColor::kRgb : ModelColor::kY;
  spec.residual = opt.residual == "bicubic" ? ModelResidual::kBicubic : ModelResidual::kNone;
  spec.tensors = {{"deconv.weight", {w.shape.n, w.shape.c, w.shape.h, w.shape.w}, w.values},
                  {"deconv.bias", {static_cast<std::int64_t>(w.bias.size())}, w.bias}};
  if (opt.border != "zero") {
    // pad(r) then the layer with its padding widened by s r: the same output
    // geometry, computed from the edge-extended input.
    const int r = edge_reach(p);
    ModelFileLayer pad;
    pad.op = "pad";
    pad.pad_begin = pad.pad_end = {r, r};
    pad.mode = opt.border;
    spec.layers.push_back(pad);
    layout = opt.border + " pad " + std::to_string(r) + ", then ";
    p = widen_for_margins(p, {{r, r}, {r, r}});
  }
  ModelFileLayer layer;
  layer.op = "conv_transpose2d";
  layer.weight = "deconv.weight";
  layer.bias = "deconv.bias";
  layer.params = p;
  spec.layers.push_back(layer);
  layout += "conv_transpose2d " + p.to_string();
  char summary[256];
  std::snprintf(summary, sizeof summary,
                "linear least squares: %zu images, %d augmentations, %lld samples, kernel %d, "
                "ridge %g, border %s, training PSNR %.3f dB",
                images, opt.augment, static_cast<long long>(fit.samples), p.kernel.h, opt.ridge,
                opt.border.c_str(),
                fit.train_psnr);
  spec.metadata = {{"tconv.train", summary}};
  return spec;
}

}  // namespace

// The options of network training (--arch and what only it reads).
static void add_network_options(CLI::App& cmd, TrainOptions& o) {
  const std::string group = "Network training (--arch)";
  auto add = [&](const char* name, auto& value, const char* text) {
    return cmd.add_option(name, value, text)->group(group);
  };
  std::string names;
  for (const std::string& n : architecture_names()) names += (names.empty() ? "" : ", ") + n;
  add("--arch", o.arch, ("Train a network by Adam instead of the least-squares layer: " + names).c_str())
      ->check(CLI::IsMember(architecture_names()));
  add("--init", o.init, "The transposed-convolution head's start: random (the papers) or bilinear")
      ->capture_default_str()
      ->check(CLI::IsMember({"random", "bilinear"}));
  add("--seed", o.seed, "Seed of the initial weights and the patches")->capture_default_str();
  add("--batch", o.batch, "Patches per step")->capture_default_str()->check(CLI::Range(1, 1024));
  add("--patch", o.patch, "LR patch side")->capture_default_str()->check(CLI::Range(4, 256));
  add("--context", o.context,
      "LR pixels of real image around each patch, outside the loss (default: 4 for linear, "
      "0 for the others, as the papers)")
      ->check(CLI::Range(0, 64));
  add("--lr", o.lr, "Adam's learning rate at the start")
      ->capture_default_str()
      ->check(CLI::Range(1e-7, 1.0));
  add("--lr-final", o.lr_final, "Rate at the end of the cosine schedule, as a fraction of --lr")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  add("--head-lr-scale", o.head_lr_scale,
      "Rate multiplier of the FSRCNN deconvolution head (0.1 in the paper)")
      ->capture_default_str()
      ->check(CLI::Range(1e-4, 10.0));
  add("--steps", o.steps, "Schedule length in steps (default: from --epochs, else 20000)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40));
  add("--epochs", o.epochs, "Schedule length in passes over the patch positions")
      ->check(CLI::Range(1e-6, 1e6));
  add("--time-budget", o.time_budget,
      "Stop after this many seconds, keeping the checkpoint (continue with --resume)")
      ->check(CLI::Range(0.0, 1e9));
  add("--val-fraction", o.val_fraction, "Fraction of the images held out for validation")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.5));
  add("--val-every", o.val_every, "Steps between validations (the best one is written)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 30));
  add("--checkpoint", o.checkpoint, "Checkpoint file (default: OUTPUT.ckpt)");
  add("--checkpoint-every", o.checkpoint_every, "Seconds between checkpoints")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  cmd.add_flag("--resume", o.resume, "Continue the run saved in the checkpoint")->group(group);
  add("--log", o.log, "Training log, one JSON object per line (appended on --resume)");
  add("-j,--threads", o.threads, "Threads (0: all cores); results do not depend on it")
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
}

void setup_train(CLI::App& app) {
  auto opt = std::make_shared<TrainOptions>();
  CLI::App* cmd = app.add_subcommand(
      "train",
      "Learn one transposed-convolution layer (weights + bias) by least squares from HR images");
  cmd->footer(R"(Examples:
  tconv-upsample train --images T91/ -s 2 -o my_x2.safetensors     least squares, seconds
  tconv-upsample train --arch fsrcnn-s --images T91/ -s 2 --steps 200 -o small_x2.safetensors
  tconv-upsample eval --images Set5/ -s 2 --model my_x2.safetensors   then score it)");
  cmd->add_option("--images", opt->images, "Folder of HR training images (repeatable)")
      ->required()
      ->take_all();
  cmd->add_option("-s,--scale", opt->scale, "Upsampling factor")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  cmd->add_option("--kernel-size", opt->kernel_size,
                  "Kernel side K (default 8 x scale: 8 input taps per axis per phase)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--color", opt->color, "y: learn on BT.601 luma; rgb: on R, G, B")
      ->capture_default_str()
      ->check(CLI::IsMember({"y", "rgb"}));
  cmd->add_option("--ridge", opt->ridge, "Ridge penalty per sample on the squared weights")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--augment", opt->augment,
                  "Flips/90-degree rotations per image, 1 (none) to 8 (all)")
      ->capture_default_str()
      ->check(CLI::Range(1, 8));
  cmd->add_option("--residual", opt->residual,
                  "none: learn the whole mapping; bicubic: learn a correction added to bicubic "
                  "upsampling (tconv.residual)")
      ->capture_default_str()
      ->check(CLI::IsMember({"bicubic", "none"}));
  cmd->add_option("--border", opt->border,
                  "Beyond the image edge: replicate or reflect (a pad layer before the learned "
                  "one) or zero (PyTorch's zero padding, no pad layer)")
      ->capture_default_str()
      ->check(CLI::IsMember({"replicate", "reflect", "zero"}));
  cmd->add_option("-o,--output", opt->output, "Model file to write (.safetensors)")->required();
  cmd->add_flag("--overwrite", opt->overwrite,
                "Replace an existing output file (and, with --arch, checkpoint and log)");
  add_network_options(*cmd, *opt);
  cmd->callback([opt] { run_train(*opt); });
}

void run_train(const TrainOptions& opt) {
  if (!opt.arch.empty()) {
    run_train_network(opt);
    return;
  }
  const int s = opt.scale;
  const int kernel = opt.kernel_size == 0 ? default_linear_kernel(s) : opt.kernel_size;
  if (kernel < s)
    throw UsageError("--kernel-size " + std::to_string(kernel) + ": must be >= the scale " +
                     std::to_string(s) + " (every output phase needs a tap)");
  const fs::path output(opt.output);
  check_output_target(output, opt.overwrite);
  const std::vector<fs::path> files = list_images(opt.images, "--images");
  try {
    refuse_if_input(output, files);
  } catch (const InputError& e) {
    throw UsageError(std::string("-o ") + e.what() + " (a training image)");
  }
  if (files.empty())
    throw NothingToDoError("--images: no image (png, jpg, tif, webp, bmp) in the folder");
  const bool rgb = opt.color == "rgb";
  const int channels = rgb ? 3 : 1;
  LinearFit fit = LinearFit::create({s, kernel, channels});
  // The model's residual: the same op tconv::Model adds (bicubic taps,
  // replicated edges), so the fitted layer learns exactly what is missing.
  std::optional<ConvTranspose2d> residual;
  if (opt.residual == "bicubic") {
    Layer l = make_upsampler(Interpolation::kBicubic, {s, s}, channels);
    residual.emplace(ConvTranspose2d::create(l.params, std::move(l.weights)));
  }
  spdlog::info("train x{} {} on {} images: {}, ridge {}, {} augmentations", s, opt.color,
               files.size(), fit.params().to_string(), opt.ridge, opt.augment);

  const auto wall_start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  // One job: the images are added to the fit in the listing's order, so the
  // model does not depend on timing.
  std::vector<ItemResult> results;
  const BatchSummary summary = run_files(file_items(files), [&](std::size_t i, const BatchItem&) {
    Tensor hr255 = modcrop(read_hr255(files[i]).view(), s);
    if (rgb)
      hr255 = as_rgb(std::move(hr255));
    else
      hr255 = protocol_luma(hr255.view());
    const Tensor lr = protocol_downscale(hr255.view(), s);
    Tensor hr = std::move(hr255);
    for (float& v : hr.span()) v /= 255.0f;
    if (residual) {
      const Tensor up = run_with_border(*residual, lr.view(), Border::kReplicate);
      for (std::size_t j = 0; j < hr.span().size(); ++j) hr.data()[j] -= up.data()[j];
    }
    for (int k = 0; k < opt.augment; ++k)
      fit.add(dihedral(lr.view(), k).view(), dihedral(hr.view(), k).view());
  }, results);
  stop_if_interrupted(summary);
  const std::size_t used = summary.done;
  if (used == 0) {
    spdlog::error("--images: no image could be used");
    finish_batch(summary);  // every image failed: nothing to fit
  }
  const LinearFitResult result = fit.solve(opt.ridge);
  const double cpu_s = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::string layout;
  write_file_atomic(output, encode_model(model_file_of(result, opt, used, layout)),
                    opt.overwrite);
  std::printf("trained %s on %zu images (%lld samples): training PSNR %.3f dB; CPU %.1f s, "
              "wall %.1f s; wrote %s\n",
              layout.c_str(), used,
              static_cast<long long>(result.samples), result.train_psnr, cpu_s, wall_s,
              output.string().c_str());
  finish_batch(summary);  // the model is written from the images that worked; a failed one exits 1
}

}  // namespace tconv::app

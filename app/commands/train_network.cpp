// tconv-upsample train --arch NAME (docs/training.md).
//
// The run: every image of --images (sorted) is a training pair (Y by the SR
// protocol: rounded BT.601 luma, modcrop, MATLAB bicubic downscale) except
// every k-th, which is held out for validation (k = 1 / --val-fraction). A
// step draws --batch patches (tconv::PatchSampler, a function of seed and
// step), runs forward, MSE, backward and Adam with a cosine-decayed rate.
// Every --val-every steps the network is run as a Model on the validation
// images under the SR protocol; the best is what -o receives. The state
// (parameters, Adam's moments, best parameters, step) goes to a checkpoint
// file every --checkpoint-every seconds and on a signal, so a killed run
// resumes with --resume and ends with the same bits as an uninterrupted one.
#include "commands/train_network.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "batch/file_io.hpp"
#include "cli/exit_codes.hpp"
#include "cli/interrupt.hpp"
#include "cli/logging.hpp"
#include "image/sr_images.hpp"
#include "tconv/core/error.hpp"
#include "tconv/io/safetensors.hpp"
#include "tconv/model/model.hpp"
#include "tconv/sr/sr_protocol.hpp"
#include "tconv/train/architectures.hpp"
#include "tconv/train/network.hpp"

namespace tconv::app {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

// One validation image: its LR network input and HR Y on the 0..255 scale.
struct ValidationImage {
  Tensor lr;
  Tensor hr255;
};

struct Data {
  std::vector<TrainingPair> train;
  std::vector<ValidationImage> validation;
  std::size_t skipped = 0;
};

// The protocol's pair of one file: HR Y (0..255, modcropped) and LR ([0, 1]).
std::pair<Tensor, Tensor> protocol_pair(const fs::path& file, int s) {
  Tensor hr255 = protocol_luma(modcrop(read_hr255(file).view(), s).view());
  Tensor lr = protocol_downscale(hr255.view(), s);
  return {std::move(lr), std::move(hr255)};
}

Data load_data(const std::vector<fs::path>& files, const TrainOptions& opt) {
  Data data;
  // Every k-th image, k = 1 / --val-fraction, and at least one of two or more.
  const std::size_t every =
      opt.val_fraction > 0
          ? std::min(static_cast<std::size_t>(std::lround(1.0 / opt.val_fraction)), files.size())
          : 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (interrupt_signal() != 0) throw Interrupted(interrupt_signal());
    if (isatty(STDERR_FILENO) == 1)
      set_status_line("train: reading " + std::to_string(i + 1) + "/" + std::to_string(files.size()) +
                    " " + files[i].filename().string());
    try {
      auto [lr, hr255] = protocol_pair(files[i], opt.scale);
      // The protocol scores 11 x 11 or more after shaving s pixels per side.
      const bool scorable = hr255.shape().h >= 11 + 2 * opt.scale && hr255.shape().w >= 11 + 2 * opt.scale;
      if (every > 0 && i % every == every / 2 && scorable) {
        data.validation.push_back({std::move(lr), std::move(hr255)});
      } else {
        for (float& v : hr255.span()) v /= 255.0f;
        data.train.push_back({std::move(lr), std::move(hr255)});
      }
    } catch (const std::exception& e) {
      // One unreadable image costs the run that image only.
      spdlog::warn("{}: {}; left out", escape_control_bytes(files[i].string()),
                   escape_control_bytes(e.what()));
      ++data.skipped;
    }
  }
  set_status_line("");
  return data;
}

// The settings a checkpoint must share with the run that resumes it.
json run_config(const TrainOptions& o, const std::vector<fs::path>& files, std::int64_t steps) {
  json images = json::array();
  for (const fs::path& f : files) images.push_back(f.filename().string());
  return {{"arch", o.arch},          {"scale", o.scale},     {"init", o.init},
          {"seed", o.seed},          {"batch", o.batch},     {"patch", o.patch},
          {"context", o.context},
          {"lr", o.lr},              {"lr_final", o.lr_final}, {"steps", steps},
          {"val_fraction", o.val_fraction}, {"val_every", o.val_every}, {"images", images}};
}

// The learning rate of step t (0-based) of `steps`: cosine from lr to
// lr * lr_final (Loshchilov and Hutter's SGDR without restarts).
double rate_at(const TrainOptions& o, std::int64_t t, std::int64_t steps) {
  const double progress = static_cast<double>(t) / static_cast<double>(std::max<std::int64_t>(steps, 1));
  const double low = o.lr * o.lr_final;
  return low + 0.5 * (o.lr - low) * (1.0 + std::cos(std::numbers::pi * progress));
}

struct Score {
  double psnr = 0;
  double ssim = 0;
};

// Mean protocol PSNR / SSIM of the network on the validation images.
Score validate(const TrainableNetwork& net, const std::vector<ValidationImage>& images, int s,
               int threads) {
  const std::vector<unsigned char> bytes = encode_model(net.model_spec());
  OpOptions options;
  options.threads = threads;
  const Model model = Model::from_safetensors(parse_safetensors(bytes, "validation"), "validation",
                                              options);
  Score sum;
  for (const ValidationImage& v : images) {
    const Tensor sr = model.run_network(v.lr.view());
    const SrScore score = protocol_score(v.hr255.view(), to_8bit_scale(sr.view()).view(), s);
    sum.psnr += score.psnr;
    sum.ssim += score.ssim;
  }
  const auto n = static_cast<double>(images.size());
  return {sum.psnr / n, sum.ssim / n};
}

// The resumable state besides the network's parameters.
struct Progress {
  std::int64_t step = 0;  // steps done
  double best_psnr = -1;
  double best_ssim = 0;
  std::int64_t best_step = -1;
  std::vector<std::vector<float>> best;  // parameters at the best validation
  double seconds = 0;                    // training time of earlier runs
};

std::vector<unsigned char> encode_checkpoint(const TrainableNetwork& net, const Adam& adam,
                                             const Progress& p, const json& config) {
  std::vector<NamedTensor> tensors;
  const auto& params = net.parameters();
  for (std::size_t k = 0; k < params.size(); ++k) {
    tensors.push_back({"param/" + params[k].name, params[k].shape, params[k].value});
    if (!adam.first_moments().empty()) {
      tensors.push_back({"adam_m/" + params[k].name, params[k].shape, adam.first_moments()[k]});
      tensors.push_back({"adam_v/" + params[k].name, params[k].shape, adam.second_moments()[k]});
    }
    if (!p.best.empty()) tensors.push_back({"best/" + params[k].name, params[k].shape, p.best[k]});
  }
  char best[64];
  std::snprintf(best, sizeof best, "%.17g", p.best_psnr);
  char ssim[64];
  std::snprintf(ssim, sizeof ssim, "%.17g", p.best_ssim);
  const std::map<std::string, std::string> meta = {
      {"tconv.checkpoint", "1"},
      {"config", config.dump()},
      {"step", std::to_string(p.step)},
      {"adam_steps", std::to_string(adam.steps())},
      {"best_psnr", best},
      {"best_ssim", ssim},
      {"best_step", std::to_string(p.best_step)},
      {"seconds", std::to_string(p.seconds)}};
  return encode_safetensors(tensors, meta);
}

// Restores a checkpoint into net, adam and p; UsageError when it belongs to
// another run (its config differs) or is not a checkpoint.
void restore_checkpoint(const fs::path& path, const json& config, TrainableNetwork& net, Adam& adam,
                        Progress& p) {
  SafetensorsFile file;
  try {
    file = read_safetensors(path.string());
  } catch (const Error& e) {
    throw InputError("--resume: " + std::string(e.what()));
  }
  auto meta = [&](const char* key) -> const std::string& {
    const auto it = file.metadata.find(key);
    if (it == file.metadata.end())
      throw InputError("--resume " + path.string() + ": not a training checkpoint (no '" + key + "')");
    return it->second;
  };
  (void)meta("tconv.checkpoint");
  const json saved = json::parse(meta("config"), nullptr, false);
  if (saved != config) {
    for (const auto& [key, value] : config.items())
      if (!saved.contains(key) || saved[key] != value)
        throw UsageError("--resume " + path.string() + ": the checkpoint was made with " + key +
                         " " + (saved.contains(key) ? saved[key].dump() : "unset") + ", this run has " +
                         value.dump());
    throw UsageError("--resume " + path.string() + ": the checkpoint was made by another run");
  }
  auto& params = net.parameters();
  std::vector<std::vector<float>> m, v;
  for (TrainParameter& q : params) {
    auto get = [&](const std::string& prefix) -> const NamedTensor& {
      const NamedTensor* t = file.find(prefix + q.name);
      if (t == nullptr || t->values.size() != q.value.size())
        throw InputError("--resume " + path.string() + ": tensor " + prefix + q.name +
                         " missing or of another size");
      return *t;
    };
    q.value = get("param/").values;
    const std::int64_t adam_steps = std::stoll(meta("adam_steps"));
    if (adam_steps > 0) {
      m.push_back(get("adam_m/").values);
      v.push_back(get("adam_v/").values);
    }
    p.best_step = std::stoll(meta("best_step"));
    if (p.best_step >= 0) p.best.push_back(get("best/").values);
  }
  adam.restore(std::stoll(meta("adam_steps")), std::move(m), std::move(v));
  p.step = std::stoll(meta("step"));
  p.best_psnr = std::stod(meta("best_psnr"));
  p.best_ssim = std::stod(meta("best_ssim"));
  p.seconds = std::stod(meta("seconds"));
}

std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(std::max(0.0, seconds));
  char text[32];
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%lld:%02lld", s / 60, s % 60);
  return text;
}

// Appends one JSON line to the training log (flushed: the log of a killed
// run ends at its last complete line).
class TrainLog {
 public:
  // Appends on --resume; otherwise starts the file (the caller has refused
  // an existing one unless --overwrite).
  TrainLog(const std::string& path, bool append) {
    if (path.empty()) return;
    out_.open(path, append ? std::ios::app : std::ios::trunc);
    if (!out_) throw InputError("--log " + path + ": cannot be opened for writing");
  }
  void write(const json& line) {
    if (!out_.is_open()) return;
    out_ << line.dump() << '\n';
    out_.flush();
  }

 private:
  std::ofstream out_;
};

}  // namespace

void run_train_network(const TrainOptions& opt) {
  const int s = opt.scale;
  const fs::path output(opt.output);
  const fs::path checkpoint = opt.checkpoint.empty() ? fs::path(opt.output + ".ckpt")
                                                     : fs::path(opt.checkpoint);
  check_output_target(output, opt.overwrite || opt.resume);
  if (!opt.resume) check_output_target(checkpoint, opt.overwrite);
  if (opt.resume && !fs::exists(checkpoint))
    throw InputError("--resume: no checkpoint " + checkpoint.string());
  if (!opt.log.empty() && !opt.resume && !opt.overwrite && fs::exists(opt.log))
    throw OutputExists("--log " + opt.log + ": exists; --resume appends to it, --overwrite too");

  const std::vector<fs::path> files = list_images(opt.images, "--images");
  for (const fs::path& f : {output, checkpoint}) {
    try {
      refuse_if_input(f, files);
    } catch (const InputError& e) {
      throw UsageError(std::string(e.what()) + " (a training image)");
    }
  }
  if (files.empty()) throw NothingToDoError("--images: no image (png, jpg, tif, webp, bmp) found");

  ArchitectureOptions arch_options;
  arch_options.arch = opt.arch;
  arch_options.scale = s;
  arch_options.init = opt.init;
  arch_options.seed = opt.seed;
  Architecture arch;
  try {
    arch = make_architecture(arch_options);
  } catch (const InvalidArgument& e) {
    throw UsageError(std::string("--arch/--init: ") + e.what());
  }

  CooperativeScope cooperative;  // a signal stops at the next step and checkpoints
  const auto load_start = Clock::now();
  Data data = load_data(files, opt);
  if (data.train.empty())
    throw NothingToDoError(files.size() == 1 && opt.val_fraction > 0
                               ? "--images: the one image is held out for validation; give more "
                                 "images or --val-fraction 0"
                               : "--images: no image could be used for training");
  if (data.validation.empty() && opt.val_fraction > 0)
    throw UsageError("--val-fraction " + std::to_string(opt.val_fraction) +
                     ": leaves no validation image among " + std::to_string(files.size()));
  const std::size_t train_images = data.train.size();
  // The linear layer reaches 4 LR pixels; trained on bare patches its
  // zero border would be learnt as if it were image.
  TrainOptions run_opt = opt;
  if (run_opt.context < 0) run_opt.context = opt.arch == "linear" ? 4 : 0;
  const int context = run_opt.context;
  PatchSampler sampler(std::move(data.train), s, opt.patch, context);
  spdlog::info("train {} x{}: {} training images ({} patch positions), {} validation, read in {:.1f} s",
               opt.arch, s, train_images, sampler.positions(), data.validation.size(),
               std::chrono::duration<double>(Clock::now() - load_start).count());

  OpOptions options;
  options.threads = opt.threads;
  TrainableNetwork net =
      TrainableNetwork::create(arch.spec, Shape3{1, opt.patch + 2 * context, opt.patch + 2 * context},
                               opt.batch, options);
  for (TrainParameter& p : net.parameters())
    if (const auto it = arch.lr_scales.find(p.name); it != arch.lr_scales.end())
      p.lr_scale = it->second * static_cast<float>(opt.head_lr_scale / 0.1);

  // Steps: --steps, or --epochs passes over the patch positions.
  std::int64_t steps = opt.steps;
  if (steps == 0 && opt.epochs > 0)
    steps = static_cast<std::int64_t>(std::ceil(opt.epochs * static_cast<double>(sampler.positions()) /
                                                (static_cast<double>(opt.batch) * opt.patch * opt.patch)));
  if (steps == 0) steps = 20000;
  const json config = run_config(run_opt, files, steps);

  Adam adam;
  Progress progress;
  if (opt.resume) {
    restore_checkpoint(checkpoint, config, net, adam, progress);
    spdlog::info("resumed {} at step {} of {}", checkpoint.string(), progress.step, steps);
  }
  TrainLog log(opt.log, opt.resume);
  log.write({{"event", opt.resume ? "resume" : "start"}, {"step", progress.step}, {"config", config},
             {"train_images", train_images}, {"validation_images", data.validation.size()},
             {"threads", opt.threads}});

  const Shape3 lr_item = net.input_shape();
  const Shape3 out_item = net.output_shape();
  const Shape3 hr_item{1, opt.patch * s, opt.patch * s};
  std::vector<float> lr_batch(static_cast<std::size_t>(lr_item.elements() * opt.batch));
  std::vector<float> hr_batch(static_cast<std::size_t>(hr_item.elements() * opt.batch));
  std::vector<float> crop(hr_batch.size()), crop_grad(hr_batch.size());
  std::vector<float> grad(static_cast<std::size_t>(out_item.elements() * opt.batch));
  const BatchView lr_view{lr_batch.data(), opt.batch, lr_item};
  const BatchView hr_view{hr_batch.data(), opt.batch, hr_item};

  const auto start = Clock::now();
  auto last_checkpoint = start;
  auto last_status = start - std::chrono::seconds(1);
  const double earlier_seconds = progress.seconds;
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  auto save_checkpoint = [&] {
    progress.seconds = earlier_seconds + elapsed();
    write_file_atomic(checkpoint, encode_checkpoint(net, adam, progress, config), true);
    last_checkpoint = Clock::now();
  };
  double loss_sum = 0;
  std::int64_t loss_count = 0;
  std::int64_t run_steps = 0;
  std::string stop_reason = "done";
  Score last_val{};
  const bool tty = isatty(STDERR_FILENO) == 1;

  // The starting point is validated too: the log shows what training
  // gained, and a run that never beats its start writes the start.
  auto keep_if_best = [&](const Score& v) {
    if (v.psnr <= progress.best_psnr) return false;
    progress.best_psnr = v.psnr;
    progress.best_ssim = v.ssim;
    progress.best_step = progress.step;
    progress.best.clear();
    for (const TrainParameter& p : net.parameters()) progress.best.push_back(p.value);
    return true;
  };
  if (progress.step == 0 && !data.validation.empty()) {
    last_val = validate(net, data.validation, s, opt.threads);
    keep_if_best(last_val);
    log.write({{"step", 0}, {"val_psnr", last_val.psnr}, {"val_ssim", last_val.ssim}});
    spdlog::info("step 0: validation {:.3f} dB", last_val.psnr);
  }
  while (progress.step < steps) {
    if (interrupt_signal() != 0) {
      stop_reason = "interrupted";
      break;
    }
    if (opt.time_budget > 0 && elapsed() >= opt.time_budget) {
      stop_reason = "time budget";
      break;
    }
    const std::int64_t t = progress.step;
    sampler.fill(opt.seed, t, lr_view, hr_view);
    const ConstBatchView out = net.forward(lr_view);
    double loss = 0;
    if (context == 0) {
      loss = mse_loss(out, hr_view, {grad.data(), opt.batch, hr_item});
    } else {
      // The loss on the output without its context margin of c s pixels.
      const int m = context * s;
      const int side = hr_item.w;
      for (int b = 0; b < opt.batch; ++b)
        for (int y = 0; y < side; ++y)
          std::copy_n(out.at(b).data + static_cast<std::ptrdiff_t>(y + m) * out_item.w + m, side,
                      crop.data() + (static_cast<std::size_t>(b) * side + y) * side);
      loss = mse_loss({crop.data(), opt.batch, hr_item}, hr_view, {crop_grad.data(), opt.batch, hr_item});
      std::fill(grad.begin(), grad.end(), 0.0f);
      for (int b = 0; b < opt.batch; ++b)
        for (int y = 0; y < side; ++y)
          std::copy_n(crop_grad.data() + (static_cast<std::size_t>(b) * side + y) * side, side,
                      grad.data() + static_cast<std::size_t>(b) * out_item.elements() +
                          static_cast<std::size_t>(y + m) * out_item.w + m);
    }
    if (!std::isfinite(loss))
      throw UsageError("training diverged at step " + std::to_string(t) +
                  " (loss not finite); try a lower --lr");
    net.backward({grad.data(), opt.batch, out_item});
    adam.step(net.parameters(), rate_at(opt, t, steps));
    progress.step = t + 1;
    ++run_steps;
    loss_sum += loss;
    ++loss_count;

    const bool validate_now =
        !data.validation.empty() && (progress.step % opt.val_every == 0 || progress.step == steps);
    if (validate_now) {
      last_val = validate(net, data.validation, s, opt.threads);
      const double mean_loss = loss_sum / static_cast<double>(loss_count);
      const bool better = keep_if_best(last_val);
      log.write({{"step", progress.step}, {"loss", mean_loss}, {"lr", rate_at(opt, t, steps)},
                 {"val_psnr", last_val.psnr}, {"val_ssim", last_val.ssim}, {"best", better},
                 {"seconds", earlier_seconds + elapsed()}});
      if (!tty)
        spdlog::info("step {}/{}: loss {:.6f}, validation {:.3f} dB{}", progress.step, steps,
                     mean_loss, last_val.psnr, better ? " (best)" : "");
      loss_sum = 0;
      loss_count = 0;
    }
    if (std::chrono::duration<double>(Clock::now() - last_checkpoint).count() >= opt.checkpoint_every)
      save_checkpoint();
    if (tty && Clock::now() - last_status >= std::chrono::milliseconds(500)) {
      last_status = Clock::now();
      const double rate = static_cast<double>(run_steps) / std::max(elapsed(), 1e-9);
      const double done = static_cast<double>(progress.step) / static_cast<double>(steps);
      const int filled = static_cast<int>(done * 24);
      char line[256];
      std::snprintf(line, sizeof line,
                    "train %s x%d [%s%s] %lld/%lld | loss %.5f | val %.2f dB (best %.2f) | %.1f step/s | ETA %s",
                    opt.arch.c_str(), s, std::string(static_cast<std::size_t>(filled), '#').c_str(),
                    std::string(static_cast<std::size_t>(24 - filled), ' ').c_str(),
                    static_cast<long long>(progress.step), static_cast<long long>(steps),
                    loss_count ? loss_sum / static_cast<double>(loss_count) : 0.0, last_val.psnr,
                    std::max(progress.best_psnr, 0.0), rate,
                    clock_text(static_cast<double>(steps - progress.step) / std::max(rate, 1e-9)).c_str());
      set_status_line(line);
    }
  }
  set_status_line("");
  save_checkpoint();
  log.write({{"event", stop_reason == "done" ? "end" : "stop"}, {"reason", stop_reason},
             {"step", progress.step}, {"seconds", progress.seconds}});
  if (stop_reason == "interrupted") {
    spdlog::warn("interrupted at step {} of {}; checkpoint {} (continue with --resume)",
                 progress.step, steps, checkpoint.string());
    throw Interrupted(interrupt_signal());
  }

  // The model: the best validated parameters (the last ones without validation).
  if (!progress.best.empty())
    for (std::size_t k = 0; k < net.parameters().size(); ++k)
      net.parameters()[k].value = progress.best[k];
  ModelFileSpec spec = net.model_spec();
  json recipe = config;
  recipe.erase("images");
  // The folders by name (not path), so the recipe is the same on any machine.
  json folders = json::array();
  for (const std::string& dir : opt.images) {
    fs::path p = fs::path(dir).lexically_normal();
    if (p.filename().empty()) p = p.parent_path();
    folders.push_back(p.filename().string());
  }
  recipe["images"] = folders;
  recipe["train_images"] = train_images;
  recipe["validation_images"] = data.validation.size();
  recipe["steps_done"] = progress.step;
  recipe["best_step"] = progress.best_step;
  recipe["validation_psnr"] = progress.best_psnr;
  recipe["validation_ssim"] = progress.best_ssim;
  // No timing here: a resumed run writes the same bytes as an uninterrupted one.
  spec.metadata["tconv.train"] = recipe.dump();
  write_file_atomic(output, encode_model(spec), true);
  if (stop_reason == "time budget")
    std::printf("stopped by --time-budget at step %lld of %lld; wrote %s (validation %.3f dB at "
                "step %lld); continue with --resume\n",
                static_cast<long long>(progress.step), static_cast<long long>(steps),
                output.string().c_str(), progress.best_psnr, static_cast<long long>(progress.best_step));
  else
    std::printf("trained %s x%d: %lld steps in %s; best validation %.3f dB / SSIM %.4f at step %lld; "
                "wrote %s\n",
                opt.arch.c_str(), s, static_cast<long long>(progress.step),
                clock_text(progress.seconds).c_str(), progress.best_psnr, progress.best_ssim,
                static_cast<long long>(progress.best_step), output.string().c_str());
}

}  // namespace tconv::app

// tconv-upsample impls [-s S] [--kernel NAME | --weights W.npy ...] [--border B] [--linear]
#include "commands/impls.hpp"

#include <optional>

#include <spdlog/fmt/fmt.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/exit_codes.hpp"
#include "image/image.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/error.hpp"
#include "tconv/resample/image_upsampler.hpp"
#include "tconv/resample/resample.hpp"

namespace tconv::app {

namespace {

// The impls of one interleaved sample type, those that apply to `kind` x
// `factor` on this CPU marked.
template <typename T>
std::string interleaved_line(const char* label, Interpolation kind, Size2 factor, int channels) {
  std::string line = fmt::format("  {:<18}", label);
  for (const std::string_view name : upsample_interleaved_impls<T>())
    line += fmt::format(" {}{}", upsample_interleaved_applicable<T>(name, kind, factor, channels)
                                     ? "*"
                                     : " ",
                        name);
  return line + "\n";
}

}  // namespace

void setup_impls(CLI::App& app) {
  auto opt = std::make_shared<ImplsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "impls", "Which impl upsamples each kind of image for a layer on this machine");
  cmd->footer(R"(Examples:
  tconv-upsample impls -s 2 --kernel bicubic                       which impl runs per image kind
  tconv-upsample impls -s 1.5                                      a fractional factor
  tconv-upsample impls -s 2 --weights w.npy --groups 3)");
  add_layer_flags(*cmd, opt->layer);
  cmd->add_flag("--linear", opt->linear, "Images are upsampled in linear light (planar path)");
  cmd->callback([opt] { run_impls(*opt); });
}

void run_impls(const ImplsOptions& opt) {
  if (!opt.layer.model.empty())
    throw UsageError("--model: impls describes one layer; -v lists a model's layers and impls");
  const LayerSource source(opt.layer);
  const Border border = border_of(opt.layer, Border::kReplicate);
  // A fractional -s resamples by its ratio (no layer); an integer one runs the layer.
  std::optional<Ratio2> ratio;
  if (source.resamples()) ratio = source.ratio_for({1, 1});
  auto spec_for = [&](int channels) {
    return ImageUpsamplerSpec{ratio ? Layer{} : source.layer(channels), source.interpolation(),
                              border, opt.linear, ratio};
  };
  std::string problem;
  if (ratio) {
    problem = ImageUpsampler::create(spec_for(3), {3, SampleType::kU8}).problem();
  } else {
    const Layer probe = source.layer(3);
    probe.params.validate(ConvKind::kConvTranspose2d);
    problem = probe.params.to_string();
  }
  std::string out = fmt::format("layer {}, border {}{}\n", problem, to_string(border),
                                opt.linear ? ", linear light" : "");
  out += fmt::format("{:<22} {:<12} {}\n", "image", "path", "impl");
  for (const SampleType sample : {SampleType::kU8, SampleType::kU16, SampleType::kF32}) {
    for (const int channels : {1, 3, 4}) {
      const std::string image = describe({channels, 1, 1}, sample).substr(std::string("WxH 1x1, ").size());
      std::string path, impl;
      try {
        const ImageUpsampler upsampler = ImageUpsampler::create(spec_for(channels), {channels, sample});
        path = upsampler.interleaved() ? "interleaved" : "planar";
        impl = std::string(upsampler.impl_name());
      } catch (const tconv::Error& e) {
        path = "-";
        impl = e.what();  // --weights whose channels do not fit this kind
      }
      out += fmt::format("{:<22} {:<12} {}\n", image, path, impl);
    }
  }
  out += "(interleaved when the output format stores the input's samples, else planar)\n";
  if (ratio) {
    // Fractional factors run the float path of the interleaved family (on
    // each plane for planar images); the fixed-point impls serve integers.
    out += "\n--impl accepts for a fractional factor: the float path, upsample_u8_float, "
           "upsample_u16_float or upsample_f32_float (each also _avx2 and _avx512)\n";
    std::cout << out;
    std::cout.flush();
    if (!std::cout) throw InputError("stdout: write failed");
    return;
  }
  const Layer probe = source.layer(3);
  out += "\n--impl accepts (best first; * applies to this layer on this CPU):\n";
  out += fmt::format("  {:<18}", "conv_transpose2d");
  for (const std::string& name : conv_transpose2d_impl_names())
    out += fmt::format(" {}{}", conv_transpose2d_impl_applicable(name, probe.params) ? "*" : " ",
                       name);
  out += "\n";
  if (const auto& kind = source.interpolation()) {
    const Size2 factor = probe.params.stride;
    if (factor.h <= kMaxFactor && factor.w <= kMaxFactor) {
      out += interleaved_line<std::uint8_t>("interleaved 8-bit", *kind, factor, 3);
      out += interleaved_line<std::uint16_t>("interleaved 16-bit", *kind, factor, 3);
      out += interleaved_line<float>("interleaved float", *kind, factor, 3);
    }
  }
  std::cout << out;
  std::cout.flush();
  if (!std::cout) throw InputError("stdout: write failed");
}

}  // namespace tconv::app

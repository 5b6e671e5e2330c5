// tconv-upsample inspect [--kernel NAME | --weights W.npy] -s S [--json]
#include "commands/inspect.hpp"

#include <spdlog/fmt/fmt.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <iostream>
#include <memory>

#include "cli/exit_codes.hpp"

namespace tconv::app {

namespace {

std::string number(double v) {
  if (std::isinf(v)) return "inf";
  return fmt::format("{:.4g}", v);
}

}  // namespace

nlohmann::ordered_json number_or_null(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

nlohmann::ordered_json kernel_json(const PhaseGains& g) {
  nlohmann::ordered_json j;
  j["phase_gains"] = g.gains;
  j["phase_gain_ratio"] = number_or_null(g.ratio);
  j["uneven_overlap"] = g.taps.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(g.uneven_overlap);
  return j;
}

PhaseGains model_phase_gains(const Model& model) {
  constexpr int kSide = 64;
  const int s = model.scale();
  Tensor ones(Shape3{model.channels(), kSide, kSide});
  for (float& v : ones.span()) v = 1.0f;
  const Tensor out = model.run_network(ones.view());
  PhaseGains g;
  g.stride = {s, s};
  g.gains.assign(static_cast<std::size_t>(out.shape().c), std::vector<double>(static_cast<std::size_t>(s) * s, 0.0));
  // The central 16 x 16 input pixels, 24 pixels from every edge: far beyond
  // the receptive field of the usual SR networks, so no edge effect remains.
  const int lo = 24 * s, hi = 40 * s;
  const double count = (hi - lo) / s * static_cast<double>((hi - lo) / s);
  for (int c = 0; c < out.shape().c; ++c)
    for (int y = lo; y < hi; ++y)
      for (int x = lo; x < hi; ++x)
        g.gains[static_cast<std::size_t>(c)][static_cast<std::size_t>((y % s) * s + x % s)] += out.at(c, y, x) / count;
  g.ratio = phase_gain_ratio(g.gains);
  return g;
}

std::string kernel_report(const PhaseGains& g, const std::string& layer) {
  const Size2 s = g.stride;
  const bool model = g.taps.empty();
  std::string out = fmt::format("kernel: {}\n", layer);
  out += fmt::format(
      "phase gains ({}; phase (a, b) = (y mod {}, x mod {}), rows a, columns b):\n",
      model ? "the network's output on an all-ones input, biases and nonlinear layers included"
            : "response to an all-ones input, bias excluded",
      s.h, s.w);
  for (std::size_t oc = 0; oc < g.gains.size(); ++oc) {
    const auto& gains = g.gains[oc];
    const auto [lo, hi] = std::minmax_element(gains.begin(), gains.end());
    for (int a = 0; a < s.h; ++a) {
      out += a == 0 ? fmt::format("  channel {:<3}", oc) : std::string(13, ' ');
      for (int b = 0; b < s.w; ++b) out += fmt::format(" {:>9}", number(gains[static_cast<std::size_t>(a * s.w + b)]));
      if (a == 0) out += fmt::format("    min {} max {}", number(*lo), number(*hi));
      out += "\n";
    }
  }
  if (model) {
    out += "uneven overlap: not inspected (a --model network; its flat-field response is shown)\n";
  } else {
    out += "taps per phase:";
    for (int a = 0; a < s.h; ++a) {
    out += a == 0 ? " " : "\n" + std::string(16, ' ');
    for (int b = 0; b < s.w; ++b) out += fmt::format(" {:>3}", g.taps[static_cast<std::size_t>(a * s.w + b)]);
  }
    out += "\n";
    const auto [tlo, thi] = std::minmax_element(g.taps.begin(), g.taps.end());
    out += g.uneven_overlap
               ? fmt::format("uneven overlap: yes (phases are served by {} to {} taps: the kernel size is "
                             "not a multiple of the stride)\n",
                             *tlo, *thi)
               : fmt::format("uneven overlap: no (every phase is served by {} taps)\n", *thi);
  }
  out += fmt::format("phase gain ratio: {}\n", number(g.ratio));
  std::string verdict;
  if (std::isinf(g.ratio))
    verdict = "checkerboard: some phase has zero gain or the opposite sign of another, so a flat "
              "input becomes a periodic pattern";
  else if (g.ratio > 1.0 + 1e-6 && g.ratio <= 1.01)
    verdict = fmt::format("no visible checkerboard from the kernel: the phases' gains differ by {:.2g} % at most",
                          100.0 * (g.ratio - 1.0));
  else if (g.ratio <= 1.0 + 1e-6)
    verdict = g.uneven_overlap ? "no checkerboard from the kernel: the weights compensate the uneven "
                                 "overlap, every phase has the same gain"
                               : "no checkerboard from the kernel: every phase has the same gain";
  else
    verdict = fmt::format("checkerboard: on a flat input the brightest phase is {} times the darkest{}",
                          number(g.ratio),
                          model ? "" : g.uneven_overlap ? " (uneven overlap)" : " (unequal weights)");
  out += "verdict: " + verdict + "\n";
  return out;
}

void setup_inspect(CLI::App& app) {
  auto opt = std::make_shared<InspectOptions>();
  CLI::App* cmd = app.add_subcommand(
      "inspect", "Phase gains and uneven overlap of a layer's kernel (no image needed)");
  cmd->footer(R"(Examples:
  tconv-upsample inspect -s 2 --kernel bilinear                    phase gains of a kernel
  tconv-upsample inspect -s 2 --weights w.npy --padding 1 --json
  tconv-upsample inspect --model models/fsrcnn_y_x2.safetensors)");
  add_layer_flags(*cmd, opt->layer);
  cmd->add_flag("--json", opt->json, R"(Print {"kernel": {...}} as JSON instead of the table)");
  cmd->callback([opt] { run_inspect(*opt); });
}

void run_inspect(const InspectOptions& opt) {
  if (!opt.layer.border.empty())
    throw UsageError("--border does not change a kernel's phase gains (use it with compare)");
  std::string name;
  PhaseGains gains;
  if (const auto model = load_model(opt.layer, OpOptions{})) {
    gains = model_phase_gains(*model);
    name = opt.layer.model;
  } else {
    // Interpolation layers are depthwise and the same for every channel: one is shown.
    const Layer layer = make_layer(opt.layer, 1);
    gains = phase_gains(layer.params, layer.weights);
    const auto kind = interpolation_of(opt.layer);
    name = (kind ? std::string(to_string(*kind)) : opt.layer.weights) + " (" + layer.params.to_string() + ")";
  }
  if (opt.json) {
    nlohmann::ordered_json j;
    j["kernel"] = kernel_json(gains);
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << kernel_report(gains, name);
}

}  // namespace tconv::app

// tconv-upsample inspect: what a layer's kernel alone says about
// checkerboards (phase gains, uneven overlap), without any image.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cli/layer_flags.hpp"
#include "tconv/model/model.hpp"
#include "tconv/sr/analysis.hpp"

namespace CLI {
class App;
}

namespace tconv::app {

struct InspectOptions {
  LayerFlags layer;
  bool json = false;  ///< --json: {"kernel": {...}} instead of the table.
};

/// Adds the `inspect` subcommand to `app`.
void setup_inspect(CLI::App& app);

/// Runs it: prints the table or the JSON on stdout. Throws UsageError or tconv::Error.
void run_inspect(const InspectOptions& options);

/// The flat-field response of a --model network, in PhaseGains form:
/// gains[oc][a * s + b] is the mean, over phase (a, b) of the central
/// (16 s)^2 output pixels, of Model::run_network() (residual included) on a
/// 64 x 64 input of ones in every channel. Biases and nonlinear layers take
/// part, so it is the network's answer to a flat input rather than a linear
/// gain; `taps` stays empty (the layers are not inspected) and
/// `uneven_overlap` false. Throws as run_network().
[[nodiscard]] PhaseGains model_phase_gains(const Model& model);

/// The phase-gain table and the uneven-overlap verdict as text lines
/// (shared with compare's report); `layer` names the layer in the heading.
/// Empty `taps` marks a model's flat-field response.
[[nodiscard]] std::string kernel_report(const PhaseGains& gains, const std::string& layer);

/// {"phase_gains": [[g per phase a * s_w + b] per output channel],
///  "phase_gain_ratio": number (null when unbounded), "uneven_overlap": bool,
///  null for a model's flat-field response}.
[[nodiscard]] nlohmann::ordered_json kernel_json(const PhaseGains& gains);

/// A finite number as JSON, null for infinity or NaN.
[[nodiscard]] nlohmann::ordered_json number_or_null(double v);

}  // namespace tconv::app

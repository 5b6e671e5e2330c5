// tconv-upsample compare: transposed convolution against resize-convolution
// on the same images, with checkerboard metrics, a report and pictures.
#pragma once

#include <string>
#include <vector>

#include "cli/layer_flags.hpp"

namespace CLI {
class App;
}

namespace tconv::app {

struct CompareOptions {
  std::vector<std::string> inputs;  ///< Images or directories (non-recursive).
  std::string output_dir;           ///< -o DIR: write the pictures there; none without it.
  std::string resize = "bilinear";  ///< --resize: bilinear or nearest.
  std::string conv3x3;              ///< --conv3x3 W.npy; empty: least-squares fit.
  /// --against M.safetensors: the other side is this learned model instead
  /// of resize + 3x3 (needs --model on the first side).
  std::string against;
  std::string reference;            ///< --reference HR.png (one input only).
  bool json = false;                ///< --json on stdout instead of the table.
  double fail_above = -1.0;         ///< --fail-above X; < 0: no gate.
  bool overwrite = false;           ///< Replace existing pictures (and an existing --report).
  int jobs = 1;                     ///< -j: images analysed at once; 0 = number of cores.
  bool fail_fast = false;           ///< --fail-fast: stop starting images after the first failure.
  std::string report;               ///< --report FILE.json: per-file results, as the main command's.
  LayerFlags layer;
};

/// Adds the `compare` subcommand to `app`.
void setup_compare(CLI::App& app);

/// Runs it over every input. Throws UsageError (bad flags, before any
/// input), NothingToDoError (no image found), InputError (some input
/// failed, after all were tried) or QualityGateError (--fail-above).
void run_compare(const CompareOptions& options);

}  // namespace tconv::app

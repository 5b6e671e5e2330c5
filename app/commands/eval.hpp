// tconv-upsample eval: the super-resolution evaluation protocol (SRCNN /
// FSRCNN) on a folder of HR images, with the MATLAB bicubic baseline.
#pragma once

#include <string>

#include "cli/layer_flags.hpp"

namespace CLI {
class App;
}

namespace tconv::app {

struct EvalOptions {
  std::string images;  ///< --images DIR: the HR images (PNG, JPEG, TIFF, WebP, BMP).
  bool json = false;   ///< --json: machine-readable output instead of the table.
  LayerFlags layer;    ///< -s, --model, --kernel, --weights and the other layer flags.
};

/// Adds the `eval` subcommand to `app`.
void setup_eval(CLI::App& app);

/// Runs the command. Throws UsageError, InputError, NothingToDoError or tconv::Error.
void run_eval(const EvalOptions& options);

}  // namespace tconv::app

// tconv-upsample impls: which impl upsamples each kind of image for a layer
// on this machine, and every impl --impl accepts.
#pragma once

#include "cli/layer_flags.hpp"

namespace CLI {
class App;
}

namespace tconv::app {

struct ImplsOptions {
  LayerFlags layer;     ///< The layer (-s, --kernel or --weights, geometry, --border).
  bool linear = false;  ///< --linear: images are upsampled in linear light (planar).
};

/// Adds the `impls` subcommand to `app`.
void setup_impls(CLI::App& app);

/// Prints, on stdout, the layer, then for gray, RGB and RGBA images of
/// 8-bit, 16-bit and float samples the path and impl an upsample would
/// run, then both impl families in their registry order with those that
/// apply to the layer on this CPU marked. Throws UsageError or tconv::Error
/// for bad flags (--model is refused: its layers are listed by -v).
void run_impls(const ImplsOptions& options);

}  // namespace tconv::app

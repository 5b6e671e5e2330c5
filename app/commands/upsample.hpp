// The main command: upsample one image (or one .npy array) by a transposed
// convolution.
#pragma once

#include <string>

#include "image_flags.hpp"
#include "layer_flags.hpp"

namespace CLI {
class App;
}

namespace tconv::app {

struct UpsampleOptions {
  std::string input;   ///< Image (PNG, JPEG, TIFF, WebP, BMP; more with --allow-format) or .npy array.
  std::string output;  ///< -o; default: "<stem>_x<scale>.<ext>" beside the input.
  bool overwrite = false;
  std::string force_impl;  ///< --impl: run this impl (for testing and benchmarks).
  int threads = 0;         ///< --threads: 0 = all cores.
  int quality = 95;        ///< --quality: JPEG/WebP quality.
  int png_compression = 3; ///< --png-compression: zlib level.
  LayerFlags layer;
  ImageFlags image;  ///< --linear, --strip, --allow-format, --max-pixels, --max-output-pixels.
};

/// Adds the main command's flags to `app` and runs it from app's callback.
void setup_upsample(CLI::App& app);

/// Runs the command. Throws InputError, UsageError or tconv::Error.
void run_upsample(const UpsampleOptions& options);

}  // namespace tconv::app

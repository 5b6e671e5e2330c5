// tconv-upsample train: learns one conv_transpose2d layer (weights and bias)
// by least squares from a folder of HR images and writes a model file.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace tconv::app {

struct TrainOptions {
  std::string images;    ///< --images DIR: HR training images.
  int scale = 2;         ///< -s: upsampling factor, [1, 16].
  int kernel_size = 0;   ///< --kernel-size: 0 = 8 * scale.
  std::string color = "y";  ///< --color: "y" (BT.601 luma) or "rgb".
  double ridge = 1e-6;   ///< --ridge: penalty per sample on |w|^2.
  int augment = 8;       ///< --augment: flips/rotations used per image, [1, 8].
  /// --residual: "bicubic" learns the layer as a correction added to the
  /// bicubic upsampling (tconv.residual); "none" learns the whole mapping.
  std::string residual = "none";
  /// --border: what the layer sees beyond the image edge. "replicate" and
  /// "reflect" put a pad layer of that mode before it (the image commands'
  /// and eval's edges then match the training's interior); "zero" writes the
  /// bare layer (PyTorch's zero padding).
  std::string border = "replicate";
  std::string output;    ///< -o: the model file (.safetensors).
  bool overwrite = false;
};

/// Adds the `train` subcommand to `app`.
void setup_train(CLI::App& app);

/// Runs the command. Throws UsageError, InputError, NothingToDoError or tconv::Error.
void run_train(const TrainOptions& options);

}  // namespace tconv::app

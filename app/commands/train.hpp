// tconv-upsample train: learns an upsampler from folders of HR images and
// writes a model file. Without --arch, one conv_transpose2d layer (weights
// and bias) solved by least squares; with --arch, a network trained by Adam
// (commands/train_network.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace tconv::app {

struct TrainOptions {
  std::vector<std::string> images;  ///< --images DIR (repeatable): HR training images.
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

  // Network training (--arch); see docs/training.md.
  std::string arch;              ///< --arch: empty = the least-squares layer.
  std::string init = "random";   ///< --init: the transposed-convolution head's start.
  std::uint64_t seed = 1;        ///< --seed: weights and patches.
  int batch = 16;                ///< --batch: patches per step.
  int patch = 32;                ///< --patch: LR patch side.
  int context = -1;              ///< --context: LR pixels around a patch (-1: the arch's).
  double lr = 1e-3;              ///< --lr: Adam's rate at the start.
  double lr_final = 0.01;        ///< --lr-final: the rate at the end, as a fraction of --lr.
  double head_lr_scale = 0.1;    ///< --head-lr-scale: the deconvolution head's rate multiplier.
  std::int64_t steps = 0;        ///< --steps: schedule length (0: from --epochs, else 20000).
  double epochs = 0;             ///< --epochs: passes over the patch positions.
  double time_budget = 0;        ///< --time-budget seconds: stop (resumably) after this long.
  double val_fraction = 0.05;    ///< --val-fraction: images held out for validation.
  int val_every = 500;           ///< --val-every: steps between validations.
  std::string checkpoint;        ///< --checkpoint: default "<output>.ckpt".
  double checkpoint_every = 60;  ///< --checkpoint-every seconds.
  bool resume = false;           ///< --resume: continue from the checkpoint.
  std::string log;               ///< --log: JSON lines, appended.
  int threads = 0;               ///< -j: threads (0: all cores).
};

/// Adds the `train` subcommand to `app`.
void setup_train(CLI::App& app);

/// Runs the command. Throws UsageError, InputError, NothingToDoError or tconv::Error.
void run_train(const TrainOptions& options);

}  // namespace tconv::app

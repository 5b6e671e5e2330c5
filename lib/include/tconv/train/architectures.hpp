// tconv/train/architectures.hpp - the networks `train --arch` builds, as
// model file specs with initial weights, and the sampler of training patches.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tconv/core/tensor.hpp"
#include "tconv/model/model.hpp"

namespace tconv {

/// What to build.
struct ArchitectureOptions {
  /// One of architecture_names():
  ///  - "fsrcnn": FSRCNN (Dong et al. 2016), d 56, s 12, m 4: 5x5 feature
  ///    conv, 1x1 shrink, four 3x3 maps, 1x1 expand, PReLU after each, and
  ///    a 9x9 transposed convolution of stride `scale` as the upsampling head.
  ///  - "fsrcnn-s": the small FSRCNN, d 32, s 5, m 1, same head.
  ///  - "fsrcnn-subpixel": FSRCNN's body with a sub-pixel head (3x3 conv to
  ///    scale^2 channels, pixel_shuffle), as ESPCN upsamples.
  ///  - "resize-nearest", "resize-bilinear": FSRCNN's body, then an upsample
  ///    layer (nearest / bilinear) and a 5x5 conv at the output size (its
  ///    multiply-adds per output pixel are those of the 9x9 head at x2).
  ///  - "espcn": ESPCN (Shi et al. 2016): 5x5 conv to 64, tanh, 3x3 to 32,
  ///    tanh, 3x3 to scale^2, pixel_shuffle.
  ///  - "linear": one transposed convolution of stride `scale` and side
  ///    8 x scale (the least-squares fit's layer), zero border.
  std::string arch = "fsrcnn";
  int scale = 2;  ///< In [2, 8].
  /// The transposed-convolution head's initial weights: "random" (the
  /// papers' Gaussian, std 0.001) or "bilinear" (FCN: the bilinear
  /// interpolation kernel, split evenly over the input channels). The
  /// other layers are always random (He normal, zero bias, PReLU 0.25).
  std::string init = "random";
  std::uint64_t seed = 1;
};

/// A network and the learning-rate multiplier of each of its tensors.
struct Architecture {
  ModelFileSpec spec;  ///< Y colour, no residual, the given scale.
  /// Tensor name -> multiplier (FSRCNN's deconvolution learns at 0.1 of the
  /// rate of the other layers); tensors not listed: 1.
  std::map<std::string, float> lr_scales;
};

/// "fsrcnn", "fsrcnn-s", "fsrcnn-subpixel", "resize-nearest",
/// "resize-bilinear", "espcn", "linear".
[[nodiscard]] std::vector<std::string> architecture_names();

/// The network `options` name, with initial weights drawn from the seed
/// (the same seed gives the same bits). InvalidArgument for an unknown
/// name or init, a scale outside [2, 8], or init "bilinear" for a network
/// without a transposed-convolution head.
[[nodiscard]] Architecture make_architecture(const ArchitectureOptions& options);

/// One training image: its LR and HR luma on the [0, 1] scale, HR exactly
/// `scale` times the LR size.
struct TrainingPair {
  Tensor lr;
  Tensor hr;
};

/// Random training patches from pairs, with flips and 90-degree rotations.
/// The patches of a step depend only on (seed, step), not on what ran
/// before, so a resumed run sees the same data as an uninterrupted one.
class PatchSampler {
 public:
  /// Pairs smaller than the patch and its context are skipped;
  /// InvalidArgument when none is left, for lr_patch < 1 or context < 0, or
  /// when an HR image is not `scale` times its LR. `context` LR pixels
  /// around each LR patch come with it (real image, not padding), so a
  /// loss on the HR patch alone is not taught the network's zero border.
  PatchSampler(std::vector<TrainingPair> pairs, int scale, int lr_patch, int context = 0);

  [[nodiscard]] int scale() const noexcept { return scale_; }
  [[nodiscard]] int lr_patch() const noexcept { return patch_; }
  [[nodiscard]] int context() const noexcept { return context_; }
  /// Patch positions over all pairs (one epoch's worth of patches).
  [[nodiscard]] std::int64_t positions() const noexcept { return total_; }
  [[nodiscard]] std::size_t pairs() const noexcept { return pairs_.size(); }

  /// Fills lr (1 x (p + 2 c) x (p + 2 c) items, c the context) and hr
  /// (1 x ps x ps items, as many) with the patches of `step`: each item a
  /// uniformly drawn position over all pairs and one of the 8
  /// flips/rotations, the same for LR and HR (about the patches' common
  /// centre). ShapeMismatch for other shapes.
  void fill(std::uint64_t seed, std::int64_t step, BatchView lr, BatchView hr) const;

 private:
  std::vector<TrainingPair> pairs_;
  std::vector<std::int64_t> first_;  // first_[i]: positions before pair i
  std::int64_t total_ = 0;
  int scale_ = 1;
  int patch_ = 1;
  int context_ = 0;
};

}  // namespace tconv

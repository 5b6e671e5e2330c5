// tconv/sr/imresize.hpp - MATLAB-compatible imresize(..., 'bicubic').
//
// The resampler the super-resolution literature uses to make low-resolution
// images and the bicubic baseline, reproduced as MATLAB's imresize.m computes
// it: Keys' cubic with a = -0.5; when shrinking by a factor s < 1 (and
// antialiasing is on, MATLAB's default) the kernel is stretched to
// s * cubic(s * t), 4 / s input pixels wide; each output's weights are
// normalised to sum 1; input indices beyond an edge are mirrored with the
// edge sample repeated (MATLAB's symmetric padding, ... 1 0 | 0 1 ...).
// Output pixel i (0-based) of an axis scaled by `scale` is centred on input
// coordinate u = (i + 1) / scale + 0.5 * (1 - 1 / scale) (1-based, as in
// imresize.m). The two axes are resized one after the other, the one with
// the smaller scale first (rows first on a tie), as imresize.m orders them.
#pragma once

#include <span>

#include "tconv/core/tensor.hpp"

namespace tconv {

/// How imresize_bicubic() computes.
struct ImresizeOptions {
  /// Stretch the kernel when shrinking (MATLAB's 'Antialiasing', default true).
  bool antialias = true;
  /// Round to the nearest integer (halves away from zero) and clamp to
  /// [0, 255] after each 1-D pass, as MATLAB does for uint8 images (whose
  /// samples must then be given on the 0..255 scale). False: floating point
  /// throughout, as MATLAB does for double images.
  bool round_to_u8 = false;
};

/// The output size imresize(x, scale) gives for an input of `size`:
/// ceil(scale * size) per axis. Throws InvalidArgument unless scale is
/// finite and > 0, LimitExceeded when the result exceeds 2^31 elements.
[[nodiscard]] Size2 imresize_output_size(Size2 size, double scale);

/// Resizes one plane of `src_size` doubles (row-major) to `dst_size`
/// (each axis scaled by dst / src) into `dst`, computing in double.
/// Throws InvalidArgument for an empty size and ShapeMismatch when a span's
/// length differs from its size.
void imresize_bicubic(std::span<const double> src, Size2 src_size, std::span<double> dst,
                      Size2 dst_size, const ImresizeOptions& options = {});

/// Every channel of `src` resized to `dst_size` (computed in double,
/// stored as float). Throws as the plane overload.
[[nodiscard]] Tensor imresize_bicubic(ConstTensorView src, Size2 dst_size,
                                      const ImresizeOptions& options = {});

}  // namespace tconv

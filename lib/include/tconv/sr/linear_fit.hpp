// tconv/sr/linear_fit.hpp - learning one conv_transpose2d layer (weights and
// bias) by regularised least squares.
//
// A transposed convolution with stride s splits its output into s x s
// phases: output (oy, ox) with pad p (pad_begin) receives input
// (qy - ty, qx - tx) through tap (ry + ty s, rx + tx s), where
// qy = floor((oy + p) / s), ry = (oy + p) mod s (same for x), for
// ty < my(ry) = the number of kernel rows congruent to ry mod s. Each phase
// is therefore an independent linear regression from the input taps that
// reach it to the output samples; only the bias is shared by all phases.
// LinearFit accumulates, per phase, the normal equations in double
// (X^T X, X^T 1, X^T Y, sums of Y and Y^2) over every pair it is given, then
// solves them exactly: per phase a Cholesky factorisation of
// X^T X + ridge * n_phase * I, and the shared bias by the Schur complement
//   b = (sum Y - sum_p c_p^T A_p^-1 r_p) / (N - sum_p c_p^T A_p^-1 c_p),
//   w_p = A_p^-1 (r_p - c_p b),
// which is the exact minimiser of the squared error plus the ridge term.
// Only outputs all of whose taps fall inside the input are used as samples,
// so the fit is not biased by what lies beyond the edges.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "tconv/core/tensor.hpp"
#include "tconv/resample/factories.hpp"

namespace tconv {

/// What to fit.
struct LinearFitParams {
  int scale = 2;     ///< Stride = upsampling factor, in [1, 16].
  int kernel = 0;    ///< Kernel side, in [scale, 64]; 0: default_linear_kernel(scale).
  int channels = 1;  ///< Input = output channels, in [1, 4] (1 for Y, 3 for RGB); all pairs connected.
};

/// The default kernel side for `scale`: 8 * scale, 8 input taps per axis
/// per phase. (On Set5 / Set14 under the SR protocol, 6 taps are 0.1-0.2 dB
/// worse; more than 8 gain under 0.01 dB.)
[[nodiscard]] int default_linear_kernel(int scale) noexcept;

/// The layer geometry LinearFit uses for `scale` and `kernel` (both valid as
/// in LinearFitParams): the top/left padding that centres every phase's taps
/// best on its output pixel, the pixel-centre relation being input
/// coordinate (o + 0.5) / s - 0.5 of output o, and the end padding / output
/// padding that make the output exactly s times the input. Symmetric padding
/// plus output_padding (PyTorch-expressible) when possible, asymmetric pads
/// otherwise. Throws InvalidArgument for invalid values.
[[nodiscard]] ConvParams linear_fit_geometry(int scale, int kernel, int channels);

/// The result of LinearFit::solve().
struct LinearFitResult {
  Layer layer;                 ///< conv_transpose2d params, weights [c][c][k][k] and bias [c].
  double train_mse = 0;        ///< Mean squared error over the samples, [0, 1] scale.
  double train_psnr = 0;       ///< 10 log10(1 / train_mse) (peak 1), dB.
  std::int64_t samples = 0;    ///< Output samples (pixels) used, per channel.
};

/// Accumulates training pairs, then solves; see the file comment.
class LinearFit {
 public:
  /// Validates params. Throws InvalidArgument naming the broken rule.
  static LinearFit create(const LinearFitParams& params);

  LinearFit(LinearFit&&) noexcept;
  LinearFit& operator=(LinearFit&&) noexcept;
  ~LinearFit();

  /// The layer geometry (see linear_fit_geometry()).
  [[nodiscard]] const ConvParams& params() const noexcept;

  /// Adds the pairs of one image: `lr` of channels x h x w and `hr` of
  /// channels x (s h) x (s w), values on any fixed scale ([0, 1] in the
  /// tool). Throws ShapeMismatch for other shapes. Images smaller than the
  /// kernel's reach contribute nothing.
  void add(ConstTensorView lr, ConstTensorView hr);

  /// Output samples (pixels) accumulated so far.
  [[nodiscard]] std::int64_t samples() const noexcept;

  /// Solves the normal equations with `ridge` >= 0 (the penalty
  /// ridge * |w|^2 per sample, on the mean squared error; the bias is not
  /// penalised). Throws InvalidArgument for a negative or non-finite ridge,
  /// or when a phase has no samples or its system is not positive definite
  /// (too few or degenerate samples: raise the ridge or add images).
  [[nodiscard]] LinearFitResult solve(double ridge) const;

 private:
  struct State;
  explicit LinearFit(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

/// One of the 8 symmetries of the square applied to every channel of `src`:
/// k in [0, 8): bit 0 flips left-right, bit 1 flips top-bottom, bit 2
/// transposes (applied last), so k = 0 is the identity and {0..7} covers all
/// flips and 90-degree rotations. Throws InvalidArgument for other k.
[[nodiscard]] Tensor dihedral(ConstTensorView src, int k);

}  // namespace tconv

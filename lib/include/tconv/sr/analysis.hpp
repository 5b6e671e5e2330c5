// tconv/sr/analysis.hpp - checkerboard analysis of upsampling layers and their outputs.
//
// Transposed convolution can leave a periodic pattern with the period of the
// stride ("checkerboard", Odena, Dumoulin & Olah 2016): the kernel taps that
// serve one output phase can sum to a different gain than those serving
// another (uneven overlap when k is not divisible by s, or unequal learned
// weights). This header measures that, on the kernel alone and on images.
//
// Conventions used by every function here:
//  - s = {s_h, s_w} is the stride (upsampling factor) of the layer.
//  - Phase (a, b), a in [0, s_h), b in [0, s_w), is the set of pixels with
//    y mod s_h == a and x mod s_w == b, in the coordinates of the tensor given.
//    Phases are listed in row-major order, index a * s_w + b.
//  - The interior is the tensor without a band of `border` = {bh, bw} pixels
//    on each side: rows [bh, H - bh), columns [bw, W - bw).
//  - Image values are in whatever units the caller passes; the tool passes
//    0-255 so that the numbers mean grey levels whatever the bit depth.
#pragma once

#include <vector>

#include "tconv/core/conv_params.hpp"
#include "tconv/core/tensor.hpp"

namespace tconv {

/// What the kernel alone says about checkerboards (no image needed).
struct PhaseGains {
  Size2 stride{};  ///< {s_h, s_w} of the layer.
  /// gains[oc][a * s_w + b]: the response of output channel oc, at phase
  /// (a, b), to an all-ones input (every input channel 1) far from the
  /// input's edges, bias excluded (a constant offset is not a gain):
  ///   g_oc(a, b) = sum over ic in oc's group, ty, tx with
  ///                (a + pad_top  - ty * d_h) mod s_h == 0 and
  ///                (b + pad_left - tx * d_w) mod s_w == 0
  ///                of W[ic][oc mod (out / groups)][ty][tx]
  /// (from the op's relation o + pad_begin == i * s + t * d).
  std::vector<std::vector<double>> gains;
  /// Largest over channels of that channel's max_ab |g| / min_ab |g| when
  /// all its gains have the same strict sign; 1 for a channel whose gains
  /// are all equal (including all zero); +infinity when a channel has a
  /// zero gain, or gains of both signs, and its gains are not all equal (a
  /// flat input then gives an unbounded periodic pattern).
  double ratio = 1.0;
  /// taps[a * s_w + b]: how many kernel taps (ty, tx) serve phase (a, b).
  std::vector<int> taps;
  /// True when the phases are served by different numbers of taps (for
  /// dilation 1: k_h mod s_h != 0 or k_w mod s_w != 0), the geometric cause
  /// of checkerboards; with equal weights it makes the gains unequal.
  bool uneven_overlap = false;
};

/// The phase gains of a conv_transpose2d layer (params with PyTorch
/// semantics, weights [in][out / groups][kh][kw]). Automatic padding is
/// resolved first (it does not depend on the input size for
/// conv_transpose2d); output_padding and output_size do not change gains.
/// Throws InvalidArgument / ShapeMismatch as ConvTranspose2d::create().
[[nodiscard]] PhaseGains phase_gains(const ConvParams& params, const Weights& weights);

/// The ratio rule of PhaseGains::ratio applied to gains[oc][phase]: the
/// largest over channels of max |g| / min |g| when the channel's gains share
/// a strict sign, 1 when they are all equal, +infinity otherwise.
[[nodiscard]] double phase_gain_ratio(const std::vector<std::vector<double>>& gains);

/// The three image metrics of one upsampled result.
struct PhaseMetrics {
  double phase_mean_spread = 0.0;    ///< See phase_mean_spread().
  double phase_energy_ratio = 1.0;   ///< See phase_energy_ratio(); may be +infinity.
  double spectral_peak_ratio = 1.0;  ///< See spectral_peak_ratio(); may be +infinity.
};

/// Per channel c, with m_c(a, b) the mean of phase (a, b) over the interior
/// and mbar_c the mean of the s_h * s_w phase means:
///   spread_c = sqrt( mean_ab (m_c(a, b) - mbar_c)^2 )
/// and the result is sqrt( mean_c spread_c^2 ). An additive pattern that
/// adds +A or -A per phase (a checkerboard of amplitude A) on a natural
/// image measures about A. Throws InvalidArgument when the interior has
/// fewer than s rows or columns.
[[nodiscard]] double phase_mean_spread(ConstTensorView image, Size2 stride, Size2 border);

/// Per channel c, with L the 4-neighbour Laplacian
///   L(y, x) = 4 f(y, x) - f(y - 1, x) - f(y + 1, x) - f(y, x - 1) - f(y, x + 1)
/// and e_c(a, b) the mean of L^2 over phase (a, b) of the interior (the
/// border is raised to at least 1 so every neighbour exists):
///   ratio_c = max_ab e_c(a, b) / min_ab e_c(a, b)
/// (1 when every e_c is 0, +infinity when the minimum is 0, or below 1e-9
/// of the maximum, which is float rounding of 0); the result is the largest
/// ratio_c. It sees periodic modulation of sharpness and blocks that leave
/// some phases without an edge: nearest-neighbour upsampling by s >= 3 has
/// phases whose four neighbours lie in the same block (e = 0, ratio
/// infinite). At s = 2 every nearest-neighbour phase touches one block edge
/// per axis, so the ratio stays near 1 (spectral_peak_ratio sees it). Bilinear
/// at odd s >= 3 also scores infinite: it is piecewise linear between the
/// input samples, so the phases whose neighbours lie in one linear piece
/// have no curvature at all.
[[nodiscard]] double phase_energy_ratio(ConstTensorView image, Size2 stride, Size2 border);

/// Per channel, the interior is cropped to n_h x n_w (the largest multiples
/// of s_h, s_w), its mean subtracted, and multiplied by a periodic Hann
/// window w(y) w(x), w(j) = 0.5 - 0.5 cos(2 pi j / n); P(u, v) = |DFT|^2 is
/// its periodogram. The checkerboard frequencies are the bins
/// (p n_h / s_h, q n_w / s_w), i.e. p / s_h and q / s_w cycles per pixel,
/// for (p, q) != (0, 0). For each, the ratio is P at that bin divided by the
/// median of P over the ring of bins at Chebyshev distance 2..R from it
/// (R = min(8, min(n_h / s_h, n_w / s_w) / 2 - 1); distance 1 is the Hann
/// window's main lobe; bins next to DC are left out). The result is the
/// largest ratio over channels and frequencies (below 1 when every such bin
/// is a notch; a ratio is 1 when peak and median are both 0, +infinity when
/// only the median is). Only the needed bins are
/// computed, by a separable direct DFT. Throws InvalidArgument when
/// n_h / s_h or n_w / s_w is below 6 (too few bins around each peak).
[[nodiscard]] double spectral_peak_ratio(ConstTensorView image, Size2 stride, Size2 border);

/// The three metrics above on the same interior.
[[nodiscard]] PhaseMetrics phase_metrics(ConstTensorView image, Size2 stride, Size2 border);

/// phase_mean_spread() of each window: the image is split into tiles of
/// `window` pixels (multiples of the stride keep phases aligned; the last
/// row and column of tiles take the remainder), each measured with no
/// border. Returns a 1 x th x tw map, th = max(1, floor(H / window.h)),
/// tw = max(1, floor(W / window.w)). Throws InvalidArgument when
/// the image is smaller than the stride or the window is not positive.
[[nodiscard]] Tensor local_phase_mean_spread(ConstTensorView image, Size2 stride, Size2 window);

/// 3x3 convolution of `src` with a replicated edge (the pixel beyond the
/// edge repeats the edge pixel), so the output has src's size:
///   dst[oc](y, x) = bias[oc] + sum_{ic, ty, tx} W[oc][ic'][ty][tx] src[ic](y + ty - 1, x + tx - 1)
/// with tconv::Conv2d weights: [oc][ic][3][3] (dense) or [c][1][3][3]
/// (depthwise, oc == ic). Throws ShapeMismatch when the weights fit neither.
[[nodiscard]] Tensor conv3x3_replicate(ConstTensorView src, const Weights& weights);

/// Least-squares 3x3 convolution: the weights (and bias) W minimising
///   sum over the interior pixels p, output channels oc of
///   (conv3x3_replicate(src, W)[oc](p) - target[oc](p))^2,
/// solved per output channel from the normal equations (double
/// accumulation, Cholesky with a relative ridge of 1e-12 on the diagonal so
/// flat images still give an answer). Dense: [target.c][src.c][3][3] plus
/// bias; `depthwise`: [c][1][3][3] plus bias, target.c == src.c. src and
/// target must have the same height and width. Throws ShapeMismatch or
/// InvalidArgument (empty interior).
[[nodiscard]] Weights fit_conv3x3(ConstTensorView src, ConstTensorView target, Size2 border,
                                  bool depthwise = false);

}  // namespace tconv

// tconv/sr/quality.hpp - full-reference image quality: PSNR and SSIM.
//
// Both compare two single-channel images of the same size, given as planar
// float tensors with one channel. They follow the super-resolution papers'
// protocol (SRCNN, FSRCNN, VDSR, ...), which evaluates on the Y channel on the
// 0..255 scale after shaving a border (the caller shaves; see shave()):
//  - PSNR = 10 log10(peak^2 / MSE), MSE the mean of squared differences.
//  - SSIM as Wang et al. 2004 and their MATLAB ssim_index.m: an 11x11
//    Gaussian window with sigma 1.5 (fspecial('gaussian', 11, 1.5),
//    normalised to sum 1), C1 = (K1 L)^2, C2 = (K2 L)^2 with K1 = 0.01,
//    K2 = 0.03, local statistics by filter2(window, x, 'valid') (no padding,
//    no downsampling), and the mean of the SSIM map over that valid region
//    ((h - 10) x (w - 10) values).
// All sums are taken in double.
#pragma once

#include "tconv/core/tensor.hpp"

namespace tconv {

/// Parameters of SSIM (the defaults are Wang et al.'s).
struct SsimParams {
  int window = 11;              ///< Gaussian window side, odd, >= 1.
  double sigma = 1.5;           ///< Gaussian standard deviation in pixels, > 0.
  double k1 = 0.01;             ///< C1 = (k1 * dynamic_range)^2; >= 0.
  double k2 = 0.03;             ///< C2 = (k2 * dynamic_range)^2; >= 0.
  double dynamic_range = 255.0; ///< L: the value range of the samples (255 for 8 bits, 1 for [0, 1]); > 0.
};

/// Full-range BT.601 luma, 0.299 R + 0.587 G + 0.114 B in float, of a
/// 3-channel R, G, B image on any scale: one channel of the same size (the
/// quantity compare's luma PSNR and SSIM are taken on). Throws ShapeMismatch
/// unless `rgb` has 3 channels.
[[nodiscard]] Tensor full_range_luma(ConstTensorView rgb);

/// Peak signal-to-noise ratio in dB of `test` against `reference`, with
/// peak value `peak` (> 0; 255 for 8-bit samples on the 0..255 scale).
/// Returns +infinity when the images are identical.
/// Throws ShapeMismatch unless both have one channel and the same non-empty
/// size, InvalidArgument when peak <= 0.
[[nodiscard]] double psnr(ConstTensorView reference, ConstTensorView test, double peak = 255.0);

/// Mean squared difference of two one-channel images of the same size
/// (the same rules as psnr()).
[[nodiscard]] double mean_squared_error(ConstTensorView reference, ConstTensorView test);

/// Mean SSIM of `test` against `reference` (Wang et al.; see the file
/// comment). Samples are on the scale `params.dynamic_range` describes.
/// Throws ShapeMismatch unless both have one channel, the same size, and are
/// at least window x window; InvalidArgument for invalid params.
[[nodiscard]] double ssim(ConstTensorView reference, ConstTensorView test,
                          const SsimParams& params = {});

/// The SSIM map itself: one channel of (h - window + 1) x (w - window + 1)
/// values, element (y, x) for the window whose top-left corner is (y, x).
/// Throws as ssim().
[[nodiscard]] Tensor ssim_map(ConstTensorView reference, ConstTensorView test,
                              const SsimParams& params = {});

/// A copy of `src` (any channel count) without `border` pixels on every
/// side. Throws InvalidArgument when border < 0 and ShapeMismatch when
/// nothing would remain.
[[nodiscard]] Tensor shave(ConstTensorView src, int border);

}  // namespace tconv

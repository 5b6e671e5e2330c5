// tconv/sr/sr_protocol.hpp - the super-resolution evaluation protocol of
// SRCNN / FSRCNN (and most papers since), as building blocks.
//
// For an HR image: Y = round(16 + (65.481 R + 128.553 G + 24.966 B) / 255)
// on the 0..255 scale (MATLAB rgb2ycbcr on uint8; a one-channel image is
// used as it is), cropped top-left to a multiple of s (modcrop), divided by
// 255, and shrunk by MATLAB-compatible imresize(Y, 1/s, 'bicubic') in
// floating point. A method upsamples that LR image by s; its output is
// converted to 8 bits by round(255 x) with clamping, s pixels are shaved from
// every border, and PSNR (peak 255) and SSIM (Wang et al.) are taken against
// the HR Y. The bicubic baseline is imresize(LR, s, 'bicubic') of the same LR.
#pragma once

#include "tconv/core/tensor.hpp"

namespace tconv {

/// BT.601 luma of rgb rounded as MATLAB's rgb2ycbcr on uint8:
/// round(16 + (65.481 R + 128.553 G + 24.966 B) / 255), halves away from
/// zero, for R, G, B on the 0..255 scale; a one-channel image is copied
/// as it is. Channels beyond the third (alpha) are ignored. Returns one
/// channel on the 0..255 scale. Throws ShapeMismatch for 2 channels.
[[nodiscard]] Tensor protocol_luma(ConstTensorView rgb255);

/// The top-left crop of `src` to a multiple of `s` (>= 1) in both axes.
/// Throws InvalidArgument for s < 1, ShapeMismatch when nothing remains.
[[nodiscard]] Tensor modcrop(ConstTensorView src, int s);

/// The protocol's LR image: imresize(hr255 / 255, 1 / s, 'bicubic'),
/// computed in double, returned on the [0, 1] scale. hr255's height and
/// width must be multiples of s (ShapeMismatch otherwise; use modcrop()).
[[nodiscard]] Tensor protocol_downscale(ConstTensorView hr255, int s);

/// The bicubic baseline of the protocol on the 0..255 scale, rounded:
/// round(255 imresize(imresize(hr255 / 255, 1 / s), s)), clamped, computed
/// in double throughout. Same shape rules as protocol_downscale().
[[nodiscard]] Tensor protocol_bicubic(ConstTensorView hr255, int s);

/// round(255 x) clamped to [0, 255] (halves away from zero, as MATLAB's
/// uint8()), element-wise.
[[nodiscard]] Tensor to_8bit_scale(ConstTensorView x);

/// PSNR and SSIM of one upsampled image.
struct SrScore {
  double psnr = 0;  ///< dB, peak 255.
  double ssim = 0;  ///< mean SSIM map.
};

/// The protocol's score of `sr255` against `hr255` (both one channel, the
/// same size, 0..255 scale): `shave` pixels cut from every border, then
/// PSNR (peak 255) and SSIM. Throws ShapeMismatch when the shapes differ or
/// the shaved image is smaller than 11x11.
[[nodiscard]] SrScore protocol_score(ConstTensorView hr255, ConstTensorView sr255, int shave);

}  // namespace tconv

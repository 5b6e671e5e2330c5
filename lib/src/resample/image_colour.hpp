// Internal: the colour handling of the image upsampler's planar path, on
// planar images with samples on [0, 1] in R, G, B, A order (1 gray, 3 RGB,
// 4 RGBA).
#pragma once

#include "tconv/core/tensor.hpp"

namespace tconv::detail {

/// Multiplies colour channels by alpha (alpha clamped to [0, 1] first) so
/// that transparent pixels carry no colour into their neighbours.
void premultiply_alpha(Tensor& pixels);
/// Divides colour by alpha where alpha > 0 (colour 0 where alpha <= 0).
void unpremultiply_alpha(Tensor& pixels);

/// sRGB-encoded colour to linear light with the exact sRGB EOTF
/// (IEC 61966-2-1: v / 12.92 up to 0.04045, ((v + 0.055) / 1.055)^2.4 above),
/// extended to negative values as an odd function. Alpha (channel 4 of 4)
/// is left as it is.
void srgb_to_linear(Tensor& pixels);
/// The inverse of srgb_to_linear (12.92 v up to 0.0031308,
/// 1.055 v^(1/2.4) - 0.055 above, odd for negative values); alpha untouched.
void linear_to_srgb(Tensor& pixels);

}  // namespace tconv::detail

// Internal: the BT.601 colour formulas, stated once. The tool's luma for
// SR evaluation (sr_protocol.cpp), the models' Y, Cb, Cr colour mode and
// their gray-out luma (model.cpp) all read these tables.
#pragma once

namespace tconv::detail {

/// BT.601 studio-swing Y'CbCr from R'G'B' as MATLAB's rgb2ycbcr computes it:
/// row k of ycbcr = kBt601Offset[k] + sum_j kBt601Matrix[k][j] rgb[j] / 255,
/// everything in 8-bit units (R, G, B in [0, 255]; Y in [16, 235]).
inline constexpr double kBt601Matrix[3][3] = {{65.481, 128.553, 24.966},
                                              {-37.797, -74.203, 112.0},
                                              {112.0, -93.786, -18.214}};
inline constexpr double kBt601Offset[3] = {16.0, 128.0, 128.0};

/// The same matrix and offsets for values in [0, 1] (each entry / 255).
inline constexpr double kBt601UnitMatrix[3][3] = {
    {kBt601Matrix[0][0] / 255, kBt601Matrix[0][1] / 255, kBt601Matrix[0][2] / 255},
    {kBt601Matrix[1][0] / 255, kBt601Matrix[1][1] / 255, kBt601Matrix[1][2] / 255},
    {kBt601Matrix[2][0] / 255, kBt601Matrix[2][1] / 255, kBt601Matrix[2][2] / 255}};
inline constexpr double kBt601UnitOffset[3] = {kBt601Offset[0] / 255, kBt601Offset[1] / 255,
                                               kBt601Offset[2] / 255};

/// Y (unrounded, 8-bit units) of 8-bit R, G, B:
/// 16 + (65.481 R + 128.553 G + 24.966 B) / 255.
inline double bt601_luma_255(double r, double g, double b) noexcept {
  return kBt601Offset[0] +
         (kBt601Matrix[0][0] * r + kBt601Matrix[0][1] * g + kBt601Matrix[0][2] * b) / 255.0;
}

/// Component k (0 Y, 1 Cb, 2 Cr) of R, G, B in [0, 1], on the same scale.
inline double bt601_ycbcr_unit(int k, double r, double g, double b) noexcept {
  return kBt601UnitOffset[k] + kBt601UnitMatrix[k][0] * r + kBt601UnitMatrix[k][1] * g +
         kBt601UnitMatrix[k][2] * b;
}

/// Full-range BT.601 luma 0.299 R + 0.587 G + 0.114 B (the luma row of the
/// studio matrix over 219), in float, for values on any scale.
inline float bt601_luma(float r, float g, float b) noexcept {
  return 0.299f * r + 0.587f * g + 0.114f * b;
}

}  // namespace tconv::detail

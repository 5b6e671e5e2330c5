// Internal: the shared-buffer layout of the tconv2d_f32_phase_gemm impls.
#pragma once

#include <cstddef>
#include <cstdint>

#include "plan.hpp"

namespace tconv::detail {

/// Output pixels of one phase per micro-kernel call (register tile rows).
inline constexpr int kGemmTilePixels = 6;
/// Output channels per micro-kernel call (two 8-float vectors).
inline constexpr int kGemmTileChannels = 16;

/// Where prepare() puts the packed input, weights and bias.
///   input:   [ih][iwp][ic]          channels-last, pad_left zero columns on the left
///   weights: [kh][kw][ic][ocp]      output channels innermost, zero-padded to ocp
///   bias:    [ocp]
struct GemmLayout {
  int pad_left = 0;  // zero columns before input column 0
  int iwp = 0;       // packed row length in pixels
  int ocp = 0;       // out_channels rounded up to kGemmTileChannels
  std::size_t weights_offset = 0;  // in floats
  std::size_t bias_offset = 0;
  std::size_t total_floats = 0;
};

[[nodiscard]] GemmLayout gemm_layout(const Problem& problem) noexcept;

}  // namespace tconv::detail

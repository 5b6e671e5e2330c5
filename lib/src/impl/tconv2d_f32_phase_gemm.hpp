// Internal: the shared-buffer and workspace layout of the tconv2d_f32_phase_gemm impls.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/plan.hpp"

namespace tconv::detail {

/// Most output pixels of one phase any ISA's micro-kernel computes per call
/// (register tile rows); the packed input has zero columns for that many.
inline constexpr int kGemmMaxTilePixels = 16;
/// Packed output channels are a multiple of this (one 16-float vector, two 8-float ones).
inline constexpr int kGemmChannelPad = 16;
/// Row-buffer pixels are a multiple of this (the largest transpose block).
inline constexpr int kGemmRowPad = 16;

/// Where prepare() puts the packed input, weights and bias.
///   input:   [ih][iwp][ic]          channels-last, pad_left zero columns on the left
///   weights: [kh][kw][ic][ocp]      output channels innermost, zero-padded to ocp
///   bias:    [ocp]
struct GemmLayout {
  int pad_left = 0;  // zero columns before input column 0
  int iwp = 0;       // packed row length in pixels
  int ocp = 0;       // out_channels rounded up to kGemmChannelPad
  std::size_t weights_offset = 0;  // in floats
  std::size_t bias_offset = 0;
  std::size_t total_floats = 0;
};

[[nodiscard]] GemmLayout gemm_layout(const Problem& problem) noexcept;

/// Packs the weights and bias into `packed` (the shared buffer) as GemmLayout says.
void gemm_pack_weights(const Problem& problem, const Weights& weights, float* packed) noexcept;

/// Per-thread workspace: the tap list, then one output row channels-last,
/// [owp][ocp] floats with owp = ow rounded up to kGemmRowPad, 64-byte aligned.
struct GemmWorkspace {
  std::size_t row_offset = 0;  // in bytes
  std::size_t total_bytes = 0;
};

[[nodiscard]] GemmWorkspace gemm_workspace(const Problem& problem) noexcept;

}  // namespace tconv::detail

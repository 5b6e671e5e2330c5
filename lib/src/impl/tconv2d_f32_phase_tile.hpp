// Internal: the layout of the tconv2d_f32_phase_tile impls (the same for
// every ISA, so one set of size functions serves all).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/plan.hpp"
#include "impl/f32_tile_kernel.hpp"

namespace tconv::detail {

/// A transposed convolution as a stride-1 convolution of the input with
/// ocg x sh x sw "phase channels" c = (ocl sh + ry) sw + rx, whose outputs
/// are interleaved into the output (see tconv2d_f32_phase_tile.inl).
///   shared:    weights [g][block][icl][ty][u][kTileChannels], then bias [g][block][kTileChannels]
///   workspace: one chunk's packed input rows [icl][ty][pw], then the
///              chunk's phase-channel rows [channels][chunk]
struct PhaseTileLayout {
  int icg = 0, ocg = 0, sh = 0, sw = 0;
  int th = 0, tw = 0;    // row / column taps of the widest phase
  int channels = 0;      // ocg sh sw
  int blocks = 0;        // ceil(channels / kTileChannels)
  int qy_lo = 0;         // first row group: floor(pad_top / sh)
  int qx_lo = 0, qx_hi = 0;  // column groups [qx_lo, qx_hi) that reach the output
  int chunk = 0;         // column groups per chunk
  int pw = 0;            // packed row length
  std::size_t weight_floats = 0;
  std::size_t shared_floats = 0;
  std::size_t packed_floats = 0;
  std::size_t workspace_floats = 0;
};

[[nodiscard]] PhaseTileLayout phase_tile_layout(const Problem& problem) noexcept;

std::size_t tconv2d_f32_phase_tile_shared(const Problem& problem) noexcept;
std::size_t tconv2d_f32_phase_tile_workspace(const Problem& problem) noexcept;
/// Work items: the row groups qy (sh output rows each).
std::int64_t tconv2d_f32_phase_tile_items(const Problem& problem) noexcept;
/// Packs the weights and bias into the shared buffer (part 0 only).
void tconv2d_f32_phase_tile_prepare(const Problem& problem, const Weights& weights,
                                    ConstTensorView src, std::span<std::byte> shared, int part,
                                    int parts) noexcept;

}  // namespace tconv::detail

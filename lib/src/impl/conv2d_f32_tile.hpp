// Internal: the shared-buffer and workspace layout of the conv2d_f32_tile
// impls (the same for every ISA, so one set of size functions serves all).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/plan.hpp"
#include "impl/f32_tile_kernel.hpp"

namespace tconv::detail {

/// Sizes of one problem's packing.
///   shared:    weights [g][block][icl][ky][kx][kTileChannels], then bias [g][block][kTileChannels]
///   workspace: one chunk's input rows [icl][ky][pw] of a group, zero-padded
///              (chunks at the input's edges; inner chunks read the source)
struct TileLayout {
  int icg = 0, ocg = 0, kh = 0, kw = 0;
  int blocks = 0;  // channel blocks per group: ceil(ocg / kTileChannels)
  int chunk = 0;   // output columns per chunk (a multiple of kTileChunkStep)
  int pw = 0;      // packed row length: chunk + dw (kw - 1) + slack, multiple of 16
  int span = 0;    // dw (kw - 1): how far a pixel's taps reach right

  std::size_t weight_floats = 0;
  std::size_t shared_floats = 0;
  std::size_t workspace_floats = 0;
};

/// The layout (every ISA's tile divides kTileChunkStep).
[[nodiscard]] TileLayout tile_layout(const Problem& problem) noexcept;
/// Packs the weights and bias into the shared buffer (part 0 only; a few KB).
void conv2d_f32_tile_prepare(const Problem& problem, const Weights& weights, ConstTensorView src,
                             std::span<std::byte> shared, int part, int parts) noexcept;

std::size_t conv2d_f32_tile_shared(const Problem& problem) noexcept;
std::size_t conv2d_f32_tile_workspace(const Problem& problem) noexcept;
/// Work items: the output rows.
std::int64_t conv2d_f32_tile_items(const Problem& problem) noexcept;

}  // namespace tconv::detail

// Internal: the constants of the register tile shared by the tiled impls
// (f32_tile_kernel.inl), on which their buffer layouts depend.
#pragma once

#include <algorithm>
#include <cstdint>

namespace tconv::detail {

/// Output channels per register tile (every ISA).
inline constexpr int kTileChannels = 4;
/// Column chunks are a multiple of this: a whole number of register tiles
/// for every ISA (96 = 6 x 16 = 12 x 8 = 24 x 4 pixels).
inline constexpr int kTileChunkStep = 96;
/// Zero floats after a packed row's last column: the widest vector's overrun.
inline constexpr int kTileRowSlack = 16;

/// Columns per chunk for `rows` packed input rows whose taps reach `reach`
/// columns past a pixel, over a row of `columns` pixels: the packed rows
/// (rows x (chunk + reach + slack) floats) stay near 24 KiB, so they stay
/// in a 32-48 KiB L1 while every channel block of the chunk reads them; at
/// least one step, at most 16 steps or the row.
inline int tile_chunk(std::int64_t rows, std::int64_t reach, std::int64_t columns) noexcept {
  constexpr std::int64_t kBudgetFloats = 24 * 1024 / 4;
  const std::int64_t fit = kBudgetFloats / std::max<std::int64_t>(rows, 1) - reach - kTileRowSlack;
  const std::int64_t row_steps = std::max<std::int64_t>((columns + kTileChunkStep - 1) / kTileChunkStep, 1);
  const std::int64_t steps = std::clamp<std::int64_t>(fit / kTileChunkStep, 1, std::min<std::int64_t>(16, row_steps));
  return static_cast<int>(steps * kTileChunkStep);
}

/// Input columns the tiles of `count` chunk columns read from the chunk's
/// first one, taps reaching `span` columns right: the last tile of any
/// vector width (<= kTileRowSlack) included. A chunk whose columns
/// [first, first + this) lie inside the input reads its source rows.
inline int tile_reach(int count, int span) noexcept {
  return (count + kTileRowSlack - 1) / kTileRowSlack * kTileRowSlack + span;
}

/// A packed row's length for `chunk` columns and taps reaching `reach` past
/// a column: with the slack, rounded up to 16 floats (64 bytes).
inline int tile_row_length(int chunk, std::int64_t reach) noexcept {
  return static_cast<int>((chunk + reach + kTileRowSlack + 15) / 16 * 16);
}

}  // namespace tconv::detail

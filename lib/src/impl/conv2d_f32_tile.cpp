// conv2d_f32_tile: the register-tiled direct convolution (conv2d_f32_tile.inl)
// for any CPU (4-float vectors, the x86-64 baseline's SSE2), plus what every
// ISA variant shares: the layout, buffer sizes and work items.
#include "impl/conv2d_f32_tile.hpp"

#include <algorithm>

#define TCONV_TILE_FN conv2d_f32_tile
#define TCONV_TARGET
#define TCONV_TILE_LANES 4
#define TCONV_TILE_VECTORS 3
#include "impl/conv2d_f32_tile.inl"

namespace tconv::detail {

TileLayout tile_layout(const Problem& pb) noexcept {
  const ConvParams& p = pb.params;
  TileLayout l;
  l.icg = p.in_channels / p.groups;
  l.ocg = p.out_channels / p.groups;
  l.kh = p.kernel.h;
  l.kw = p.kernel.w;
  l.blocks = (l.ocg + kTileChannels - 1) / kTileChannels;
  const std::int64_t reach = std::int64_t{p.dilation.w} * (l.kw - 1);
  const std::int64_t rows = std::int64_t{l.icg} * l.kh;
  l.chunk = tile_chunk(rows, reach, pb.dst.w);
  l.pw = tile_row_length(l.chunk, reach);
  l.span = static_cast<int>(reach);
  const std::size_t taps = static_cast<std::size_t>(l.icg) * l.kh * l.kw;
  const std::size_t blocks = static_cast<std::size_t>(p.groups) * l.blocks;
  l.weight_floats = (blocks * taps * kTileChannels + 15) / 16 * 16;
  l.shared_floats = l.weight_floats + blocks * kTileChannels;
  l.workspace_floats = static_cast<std::size_t>(rows) * l.pw;
  return l;
}

// Packs the weights per group and channel block as
// [g][block][icl][ky][kx][kTileChannels] (zero for channels past the group's end)
// and the bias as [g][block][kTileChannels]; part 0 does it all (a few KB).
void conv2d_f32_tile_prepare(const Problem& pb, const Weights& wei,
                                        ConstTensorView /*src*/, std::span<std::byte> shared,
                                        int part, int /*parts*/) noexcept {
  if (part != 0) return;
  const TileLayout l = tile_layout(pb);
  auto* packed = reinterpret_cast<float*>(shared.data());
  float* bias = packed + l.weight_floats;
  const int taps = l.icg * l.kh * l.kw;
  for (int g = 0; g < pb.params.groups; ++g)
    for (int b = 0; b < l.blocks; ++b) {
      float* wb = packed + static_cast<std::size_t>(g * l.blocks + b) * taps * kTileChannels;
      float* bb = bias + static_cast<std::size_t>(g * l.blocks + b) * kTileChannels;
      for (int o = 0; o < kTileChannels; ++o) {
        const int local = b * kTileChannels + o;
        const bool real = local < l.ocg;
        const int oc = g * l.ocg + local;
        bb[o] = real && !wei.bias.empty() ? wei.bias[static_cast<std::size_t>(oc)] : 0.0f;
        for (int t = 0; t < taps; ++t)
          wb[static_cast<std::size_t>(t) * kTileChannels + o] =
              real ? wei.values[static_cast<std::size_t>(oc) * taps + t] : 0.0f;
      }
    }
}

std::size_t conv2d_f32_tile_shared(const Problem& pb) noexcept {
  return tile_layout(pb).shared_floats * sizeof(float);
}

std::size_t conv2d_f32_tile_workspace(const Problem& pb) noexcept {
  return tile_layout(pb).workspace_floats * sizeof(float);
}

std::int64_t conv2d_f32_tile_items(const Problem& pb) noexcept { return pb.dst.h; }

}  // namespace tconv::detail

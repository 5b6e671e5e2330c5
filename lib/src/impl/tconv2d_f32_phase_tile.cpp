// tconv2d_f32_phase_tile: the phase-channel tiled transposed convolution
// (tconv2d_f32_phase_tile.inl) for any CPU (4-float vectors, the x86-64
// baseline's SSE2), plus what every ISA variant shares: the layout, the
// weight packing, buffer sizes and work items.
#include "impl/tconv2d_f32_phase_tile.hpp"

#include "core/index_math.hpp"

#define TCONV_PHASE_TILE_FN tconv2d_f32_phase_tile
#define TCONV_TARGET
#define TCONV_TILE_LANES 4
#define TCONV_TILE_VECTORS 3
#include "impl/tconv2d_f32_phase_tile.inl"

namespace tconv::detail {

PhaseTileLayout phase_tile_layout(const Problem& pb) noexcept {
  const ConvParams& p = pb.params;
  PhaseTileLayout l;
  l.icg = p.in_channels / p.groups;
  l.ocg = p.out_channels / p.groups;
  l.sh = p.stride.h;
  l.sw = p.stride.w;
  // The largest offset t = floor(k d / s) over the taps k < kernel.
  l.th = (p.kernel.h - 1) * p.dilation.h / l.sh + 1;
  l.tw = (p.kernel.w - 1) * p.dilation.w / l.sw + 1;
  l.channels = l.ocg * l.sh * l.sw;
  l.blocks = (l.channels + kTileChannels - 1) / kTileChannels;
  l.qy_lo = static_cast<int>(floor_div(p.pad_begin.h, l.sh));
  l.qx_lo = static_cast<int>(floor_div(p.pad_begin.w, l.sw));
  l.qx_hi = static_cast<int>(floor_div(std::int64_t{pb.dst.w} - 1 + p.pad_begin.w, l.sw)) + 1;
  const std::int64_t rows = std::int64_t{l.icg} * l.th;
  l.chunk = tile_chunk(rows, l.tw - 1, l.qx_hi - l.qx_lo);
  l.pw = tile_row_length(l.chunk, l.tw - 1);
  const std::size_t taps = static_cast<std::size_t>(rows) * l.tw;
  const std::size_t blocks = static_cast<std::size_t>(p.groups) * l.blocks;
  l.weight_floats = (blocks * taps * kTileChannels + 15) / 16 * 16;
  l.shared_floats = l.weight_floats + blocks * kTileChannels;
  l.packed_floats = (static_cast<std::size_t>(rows) * l.pw + 15) / 16 * 16;
  l.workspace_floats = l.packed_floats + static_cast<std::size_t>(l.channels) * l.chunk;
  return l;
}

// Phase channel c = (ocl sh + ry) sw + rx, tap (icl, ty, u = tw - 1 - tx):
// the weight of (ky, kx) with ky dh = ty sh + ry and kx dw = tx sw + rx,
// or zero when the phase has no such tap.
void tconv2d_f32_phase_tile_prepare(const Problem& pb, const Weights& wei, ConstTensorView /*src*/,
                                    std::span<std::byte> shared, int part,
                                    int /*parts*/) noexcept {
  if (part != 0) return;
  const ConvParams& p = pb.params;
  const PhaseTileLayout l = phase_tile_layout(pb);
  auto* packed = reinterpret_cast<float*>(shared.data());
  float* bias = packed + l.weight_floats;
  const int kh = p.kernel.h;
  const int kw = p.kernel.w;
  const int taps = l.icg * l.th * l.tw;
  for (int g = 0; g < p.groups; ++g)
    for (int b = 0; b < l.blocks; ++b) {
      float* wb = packed + static_cast<std::size_t>(g * l.blocks + b) * taps * kTileChannels;
      float* bb = bias + static_cast<std::size_t>(g * l.blocks + b) * kTileChannels;
      for (int o = 0; o < kTileChannels; ++o) {
        const int c = b * kTileChannels + o;
        const bool real = c < l.channels;
        const int rx = c % l.sw;
        const int ry = c / l.sw % l.sh;
        const int ocl = c / (l.sw * l.sh);
        const int oc = g * l.ocg + ocl;
        bb[o] = real && !wei.bias.empty() ? wei.bias[static_cast<std::size_t>(oc)] : 0.0f;
        for (int icl = 0; icl < l.icg; ++icl)
          for (int ty = 0; ty < l.th; ++ty)
            for (int u = 0; u < l.tw; ++u) {
              const int tx = l.tw - 1 - u;
              const int ky_dh = ty * l.sh + ry;
              const int kx_dw = tx * l.sw + rx;
              float value = 0.0f;
              if (real && ky_dh % p.dilation.h == 0 && ky_dh / p.dilation.h < kh &&
                  kx_dw % p.dilation.w == 0 && kx_dw / p.dilation.w < kw) {
                const int ky = ky_dh / p.dilation.h;
                const int kx = kx_dw / p.dilation.w;
                const int ic = g * l.icg + icl;
                value = wei.values[((static_cast<std::size_t>(ic) * l.ocg + ocl) * kh + ky) * kw + kx];
              }
              wb[static_cast<std::size_t>((icl * l.th + ty) * l.tw + u) * kTileChannels + o] = value;
            }
      }
    }
}

std::size_t tconv2d_f32_phase_tile_shared(const Problem& pb) noexcept {
  return phase_tile_layout(pb).shared_floats * sizeof(float);
}

std::size_t tconv2d_f32_phase_tile_workspace(const Problem& pb) noexcept {
  return phase_tile_layout(pb).workspace_floats * sizeof(float);
}

std::int64_t tconv2d_f32_phase_tile_items(const Problem& pb) noexcept {
  if (pb.dst.h == 0) return 0;
  const PhaseTileLayout l = phase_tile_layout(pb);
  return floor_div(std::int64_t{pb.dst.h} - 1 + pb.params.pad_begin.h, l.sh) + 1 - l.qy_lo;
}

}  // namespace tconv::detail

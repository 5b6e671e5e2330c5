// conv2d_f32_tile: direct convolution for stride 1 (any dilation, padding,
// groups) with register tiles of output channels x output pixels.
//
// Included by one translation unit per ISA, which defines TCONV_TILE_FN,
// TCONV_TILE_PREPARE_FN, TCONV_TARGET (a GCC target attribute, or nothing
// for the portable build), TCONV_TILE_LANES (floats per vector) and
// TCONV_TILE_VECTORS (pixel vectors per register tile).
//
// With stride 1, output (oc, oy, ox), oc = g * ocg + o, is
//   bias[oc] + sum_{icl, ky, kx} w[oc][icl][ky][kx] * in[g * icg + icl][iy][ox - pl + kx * dw]
// with iy = oy - pt + ky * dh; taps outside the input are zero. A register
// tile holds kOcb channels x V vectors of L consecutive pixels: per tap
// (icl, ky, kx) it loads V input vectors (shared by the kOcb channels) and
// broadcasts kOcb weights (shared by the V vectors), kOcb * V FMAs.
//
// Work item = output row oy (every channel). The row is cut into column
// chunks small enough that the chunk's input rows stay in L1. A chunk whose
// columns and taps lie inside the input reads the source rows; at the edges
// the icg x kh input rows the chunk reads are copied into the workspace with
// their zero columns, so the tile loops have no bounds checks. Rows outside
// the input are skipped as taps (ky in [ky_lo, ky_hi)). Every output is bias, then the taps in (icl, ky,
// kx) order, each one FMA, whichever tile or thread computes it, so results
// do not depend on the thread split or on the tiling of the row.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "impl/conv2d_f32_tile.hpp"
#include "impl/impls.hpp"

namespace tconv::detail {

namespace {

#include "impl/f32_tile_kernel.inl"

}  // namespace

TCONV_TARGET void TCONV_TILE_FN(const Problem& pb, const Weights& /*wei*/, ConstTensorView src,
                                TensorView dst, std::span<const std::byte> shared,
                                std::span<std::byte> workspace, std::int64_t begin,
                                std::int64_t end) noexcept {
  const ConvParams& p = pb.params;
  const TileLayout l = tile_layout(pb);
  const auto* weights = reinterpret_cast<const float*>(shared.data());
  const float* bias = weights + l.weight_floats;
  auto* packed = reinterpret_cast<float*>(workspace.data());
  const int taps = l.icg * l.kh * l.kw;
  const int iw = pb.src.w;
  const int ow = pb.dst.w;
  const int pl = p.pad_begin.w;
  const int pt = p.pad_begin.h;
  const int dh = p.dilation.h;
  for (std::int64_t item = begin; item < end; ++item) {
    const int oy = static_cast<int>(item);
    // Taps ky with iy = oy - pt + ky * dh in [0, ih): a contiguous range.
    int ky_lo = 0;
    while (ky_lo < l.kh && oy - pt + ky_lo * dh < 0) ++ky_lo;
    int ky_hi = l.kh;
    while (ky_hi > ky_lo && oy - pt + (ky_hi - 1) * dh >= pb.src.h) --ky_hi;
    for (int x0 = 0; x0 < ow; x0 += l.chunk) {
      const int count = std::min(l.chunk, ow - x0);
      // Input columns [first, first + reach) of the chunk's tiles, reach =
      // count rounded up to the vector, plus the taps' span: inside the
      // input, the tiles read the source rows; else a zero-padded copy.
      const int first = x0 - pl;
      const bool inside = first >= 0 && first + tile_reach(count, l.span) <= iw;
      const int lo = std::clamp(-first, 0, l.pw);
      const int hi = std::clamp(iw - first, lo, l.pw);
      for (int g = 0; g < p.groups; ++g) {
        TileRow r{nullptr, 0, 0, l.icg, l.kh, l.kw, ky_lo, ky_hi, p.dilation.w};
        if (ky_lo >= ky_hi) {
          r.first = packed;  // no taps: only the bias is read
        } else if (inside) {
          r.first = src.row(g * l.icg, oy - pt + ky_lo * dh) + first;
          r.ic_stride = std::ptrdiff_t{pb.src.h} * iw;
          r.ky_stride = std::ptrdiff_t{dh} * iw;
        } else {
          // packed[(icl (ky_hi - ky_lo) + ky - ky_lo) pw + q] = in[g icg + icl][iy][first + q].
          const int rows = ky_hi - ky_lo;
          for (int icl = 0; icl < l.icg; ++icl)
            for (int ky = ky_lo; ky < ky_hi; ++ky)
              copy_padded_row(packed + static_cast<std::ptrdiff_t>(icl * rows + ky - ky_lo) * l.pw,
                              src.row(g * l.icg + icl, oy - pt + ky * dh), first, lo, hi, l.pw);
          r.first = packed;
          r.ic_stride = std::ptrdiff_t{rows} * l.pw;
          r.ky_stride = l.pw;
        }
        for (int b = 0; b < l.blocks; ++b) {
          const int oc0 = b * kOcb;
          const int channels = std::min(kOcb, l.ocg - oc0);
          float* out[kOcb];
          for (int o = 0; o < channels; ++o) out[o] = dst.row(g * l.ocg + oc0 + o, oy);
          const float* w = weights + static_cast<std::size_t>(g * l.blocks + b) * taps * kOcb;
          const float* bb = bias + static_cast<std::size_t>(g * l.blocks + b) * kOcb;
          channel_block(channels, r, w, bb, out, x0, count);
        }
      }
    }
  }
}

}  // namespace tconv::detail

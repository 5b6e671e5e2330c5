// tconv2d_f32_phase_tile: a transposed convolution as one stride-1
// convolution over the input with every phase as a channel, in the register
// tiles of f32_tile_kernel.inl, its outputs interleaved into the output.
//
// Included by one translation unit per ISA, which defines
// TCONV_PHASE_TILE_FN, TCONV_TARGET, TCONV_TILE_LANES and TCONV_TILE_VECTORS.
//
// Output row oy receives input row iy through tap ky iff
// oy + pt = iy sh + ky dh. Write oy + pt = qy sh + ry (0 <= ry < sh) and
// ky dh = ty sh + (ky dh mod sh): tap ky belongs to row phase
// ry = ky dh mod sh and reads iy = qy - ty, ty = floor(ky dh / sh) < th.
// Columns alike: ox + pl = qx sw + rx, tap kx reads ix = qx - tx. So for
// the row group qy and column group qx, phase channel c = (ocl sh + ry) sw + rx
// of group g is
//   out[g ocg + ocl][qy sh + ry - pt][qx sw + rx - pl] = bias + sum_{icl, ty, tx}
//       W_c[icl][ty][tx] * in[g icg + icl][qy - ty][qx - tx]
// with W_c = w[ic][ocl][ky][kx] for the (ky, kx) of that phase and offset,
// zero where the phase has no such tap: a stride-1 convolution in qx. The
// input row of (icl, ty) for the chunk starting at qx0 is read from column
// first = qx0 - (tw - 1), so tap u = tw - 1 - tx reads column j + u for
// qx = qx0 + j: the source row for chunks inside the input, a zero-padded
// copy in the workspace at the edges. Work item = row group qy; its rows of ry with
// oy in [0, oh) are written, its columns with ox in [0, ow). Every output
// is bias, then (icl, ty, u) in order, one FMA each, whatever the split.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "impl/impls.hpp"
#include "impl/tconv2d_f32_phase_tile.hpp"

namespace tconv::detail {

namespace {

#include "impl/f32_tile_kernel.inl"

// out[base + j sw + rx] = values[rx * stride + j] for j < count, rx < sw,
// where base + j sw + rx is in [0, ow): the sw column phases of one output
// row interleaved. Pairs (sw = 2, the common stride) in a loop the compiler
// vectorises with shuffles.
TCONV_TARGET inline void interleave(const float* values, int stride, int sw, int count, int base,
                                    int ow, float* out) noexcept {
  // Column groups whose sw outputs are all inside [0, ow): j in [j_lo, j_hi).
  int j_lo = 0;
  while (j_lo < count && base + j_lo * sw < 0) ++j_lo;
  int j_hi = count;
  while (j_hi > j_lo && base + j_hi * sw > ow) --j_hi;
  auto edge = [&](int j) {
    for (int rx = 0; rx < sw; ++rx) {
      const int ox = base + j * sw + rx;
      if (ox >= 0 && ox < ow) out[ox] = values[rx * stride + j];
    }
  };
  for (int j = 0; j < j_lo && j < count; ++j) edge(j);
  if (sw == 2) {
    const float* even = values;
    const float* odd = values + stride;
    float* o = out + base;
    for (int j = j_lo; j < j_hi; ++j) {
      o[2 * j] = even[j];
      o[2 * j + 1] = odd[j];
    }
  } else {
    for (int j = j_lo; j < j_hi; ++j)
      for (int rx = 0; rx < sw; ++rx) out[base + j * sw + rx] = values[rx * stride + j];
  }
  for (int j = j_hi; j < count; ++j) edge(j);
}

}  // namespace

TCONV_TARGET void TCONV_PHASE_TILE_FN(const Problem& pb, const Weights& /*wei*/,
                                      ConstTensorView src, TensorView dst,
                                      std::span<const std::byte> shared,
                                      std::span<std::byte> workspace, std::int64_t begin,
                                      std::int64_t end) noexcept {
  const ConvParams& p = pb.params;
  const PhaseTileLayout l = phase_tile_layout(pb);
  const auto* weights = reinterpret_cast<const float*>(shared.data());
  const float* bias = weights + l.weight_floats;
  auto* packed = reinterpret_cast<float*>(workspace.data());
  float* phase_rows = packed + l.packed_floats;
  const int taps = l.icg * l.th * l.tw;
  const int ih = pb.src.h;
  const int iw = pb.src.w;
  const int oh = pb.dst.h;
  const int ow = pb.dst.w;
  const int pt = p.pad_begin.h;
  const int pl = p.pad_begin.w;
  for (std::int64_t item = begin; item < end; ++item) {
    const int qy = l.qy_lo + static_cast<int>(item);
    // ty with iy = qy - ty in [0, ih).
    const int ty_lo = std::max(0, qy - ih + 1);
    const int ty_hi = std::min(l.th, qy + 1);
    for (int qx0 = l.qx_lo; qx0 < l.qx_hi; qx0 += l.chunk) {
      const int count = std::min(l.chunk, l.qx_hi - qx0);
      const int first = qx0 - (l.tw - 1);  // input column of chunk column 0
      // Inside the input (columns [first, first + count rounded up to any
      // vector + tw - 1)), the tiles read the source rows; else a copy.
      const bool inside = first >= 0 && first + tile_reach(count, l.tw - 1) <= iw;
      const int lo = std::clamp(-first, 0, l.pw);
      const int hi = std::clamp(iw - first, lo, l.pw);
      for (int g = 0; g < p.groups; ++g) {
        TileRow r{packed, 0, 0, l.icg, l.th, l.tw, ty_lo, ty_hi, 1};
        if (ty_lo < ty_hi && inside) {
          // Row (icl, ty) is input row qy - ty: ty_stride = -iw.
          r.first = src.row(g * l.icg, qy - ty_lo) + first;
          r.ic_stride = std::ptrdiff_t{ih} * iw;
          r.ky_stride = -std::ptrdiff_t{iw};
        } else if (ty_lo < ty_hi) {
          // packed[(icl (ty_hi - ty_lo) + ty - ty_lo) pw + q] = in[g icg + icl][qy - ty][first + q].
          const int rows = ty_hi - ty_lo;
          for (int icl = 0; icl < l.icg; ++icl)
            for (int ty = ty_lo; ty < ty_hi; ++ty)
              copy_padded_row(packed + static_cast<std::ptrdiff_t>(icl * rows + ty - ty_lo) * l.pw,
                              src.row(g * l.icg + icl, qy - ty), first, lo, hi, l.pw);
          r.ic_stride = std::ptrdiff_t{rows} * l.pw;
          r.ky_stride = l.pw;
        }
        for (int b = 0; b < l.blocks; ++b) {
          const int c0 = b * kOcb;
          const int channels = std::min(kOcb, l.channels - c0);
          float* out[kOcb];
          for (int o = 0; o < channels; ++o)
            out[o] = phase_rows + static_cast<std::ptrdiff_t>(c0 + o) * l.chunk;
          const float* w = weights + static_cast<std::size_t>(g * l.blocks + b) * taps * kOcb;
          const float* bb = bias + static_cast<std::size_t>(g * l.blocks + b) * kOcb;
          channel_block(channels, r, w, bb, out, 0, count);
        }
        // Interleave: channel c = (ocl sh + ry) sw + rx, column group qx0 + j
        // -> out[g ocg + ocl][qy sh + ry - pt][(qx0 + j) sw + rx - pl].
        for (int c = 0; c < l.channels; c += l.sw) {
          const int ry = c / l.sw % l.sh;
          const int ocl = c / (l.sw * l.sh);
          const int oy = qy * l.sh + ry - pt;
          if (oy < 0 || oy >= oh) continue;
          interleave(phase_rows + static_cast<std::ptrdiff_t>(c) * l.chunk, l.chunk, l.sw, count,
                     qx0 * l.sw - pl, ow, dst.row(g * l.ocg + ocl, oy));
        }
      }
    }
  }
}

}  // namespace tconv::detail

// Phase decomposition as a register-blocked implicit GEMM over channels.
//
// Included by one translation unit per ISA, which defines TCONV_GEMM_FN,
// TCONV_TARGET (see tconv2d_f32_phase.inl for why a target attribute),
// TCONV_GEMM_LANES (floats per vector: 8 or 16) and TCONV_GEMM_PIXELS (the
// register tile's pixels). For output row oy and column phase ox0
// (ox = ox0 + j * sw) the valid taps are those of tconv2d_f32_phase.inl:
//   row tap ky:    (oy + pad_top - ky * dh) divisible by sh, iy = that / sh in [0, ih)
//   column tap kx: (ox0 + pad_left - kx * dw) divisible by sw, ix = q + j
// and the phase is a stride-1 GEMM
//   dst[oc][oy][ox0 + j * sw] = bias[oc]
//       + sum over taps (ky, kx), ic of  wei[ky][kx][ic][oc] * src[iy][q + j][ic]
// with M = pixels j, N = output channels, K = taps x input channels. The
// micro-kernel holds a TCONV_GEMM_PIXELS x (2 x TCONV_GEMM_LANES) tile
// (pixels x output channels) in vector accumulators, broadcasting one input
// value per pixel and loading two weight vectors per K step, and stores it
// channels-last into a row buffer row[ox][oc]; once every phase of the row
// is done, LANES x LANES blocks of the row buffer are transposed in
// registers into the planar output rows. Inputs are packed channels-last
// with zero columns on both sides (prepare()), so the inner loops have no
// bounds checks; rows outside the input are skipped as taps. Each output is
// bias, then the taps in (ky, kx) order, then ic ascending: the same order
// whichever thread computes it.
#include <cstdint>
#include <cstring>

#include "core/index_math.hpp"
#include "impl/impls.hpp"
#include "impl/tconv2d_f32_phase_gemm.hpp"

namespace tconv::detail {

namespace {

constexpr int kLanes = TCONV_GEMM_LANES;
constexpr int kPixels = TCONV_GEMM_PIXELS;
static_assert(kPixels <= kGemmMaxTilePixels, "prepare() pads the input for kGemmMaxTilePixels");
static_assert(kGemmChannelPad % kLanes == 0 && kGemmRowPad % kLanes == 0, "padding fits the vectors");

typedef float GemmVec __attribute__((vector_size(4 * kLanes)));
typedef int GemmMask __attribute__((vector_size(4 * kLanes)));

struct GemmTap {
  const float* input;    // packed input at (iy, pad_left + q), channel 0
  const float* weights;  // packed weights at (ky, kx), ic 0, oc 0
};

TCONV_TARGET inline GemmVec load_vec(const float* p) noexcept {
  GemmVec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

TCONV_TARGET inline void store_vec(float* p, GemmVec v) noexcept { std::memcpy(p, &v, sizeof v); }

// A tile of P <= kPixels pixels x V vectors of channels:
// acc[m][h] = bias[oc0 + h*L ..] + sum over taps, ic of
//   w[ic][oc0 + h*L .. + L] * in[(j + m) * ic_count + ic],
// stored to row[(ox0 + (j + m) * sw) * ocp + oc0 + h*L ..] for m < m_end.
template <int V, int P>
TCONV_TARGET inline void micro_kernel(const GemmTap* taps, int tap_count, int ic_count, int ocp,
                                      int j, int oc0, const float* bias, float* row, int sw,
                                      int m_end) noexcept {
  GemmVec acc[P][V];
  for (int h = 0; h < V; ++h) {
    const GemmVec b = load_vec(bias + oc0 + h * kLanes);
    for (int m = 0; m < P; ++m) acc[m][h] = b;
  }
  for (int t = 0; t < tap_count; ++t) {
    const float* in = taps[t].input + static_cast<std::ptrdiff_t>(j) * ic_count;
    const float* w = taps[t].weights + oc0;
    for (int ic = 0; ic < ic_count; ++ic) {
      GemmVec wv[V];
      for (int h = 0; h < V; ++h) wv[h] = load_vec(w + static_cast<std::ptrdiff_t>(ic) * ocp + h * kLanes);
      for (int m = 0; m < P; ++m) {
        const float x = in[m * ic_count + ic];
        for (int h = 0; h < V; ++h) acc[m][h] += wv[h] * x;
      }
    }
  }
  const std::ptrdiff_t pixel_stride = static_cast<std::ptrdiff_t>(sw) * ocp;
  float* out = row + static_cast<std::ptrdiff_t>(j) * pixel_stride + oc0;
  for (int m = 0; m < P; ++m) {
    if (m >= m_end) break;
    for (int h = 0; h < V; ++h) store_vec(out + m * pixel_stride + h * kLanes, acc[m][h]);
  }
}

// The tile at pixel j with m_end valid pixels: full tiles use the whole
// register tile, the row's last tile the smallest of 2, 4, kPixels / 2 or
// kPixels pixels that covers it (the same sums in the same order).
template <int V>
TCONV_TARGET inline void tile(const GemmTap* taps, int tap_count, int ic_count, int ocp, int j,
                              int oc0, const float* bias, float* row, int sw, int m_end) noexcept {
  constexpr int kHalf = kPixels / 2 > 4 ? kPixels / 2 : kPixels;
  if (m_end <= 2)
    micro_kernel<V, 2>(taps, tap_count, ic_count, ocp, j, oc0, bias, row, sw, m_end);
  else if (m_end <= 4)
    micro_kernel<V, 4>(taps, tap_count, ic_count, ocp, j, oc0, bias, row, sw, m_end);
  else if (m_end <= kHalf)
    micro_kernel<V, kHalf>(taps, tap_count, ic_count, ocp, j, oc0, bias, row, sw, m_end);
  else
    micro_kernel<V, kPixels>(taps, tap_count, ic_count, ocp, j, oc0, bias, row, sw, m_end);
}

// One stage of an in-register transpose: for rows i with bit B clear,
// exchanges bit B of the row index with bit B of the column index, i.e.
//   r'[i][k]     = k & B ? r[i + B][k - B] : r[i][k]
//   r'[i + B][k] = k & B ? r[i + B][k]     : r[i][k + B]
// Applying it for every B = 1, 2, .., L/2 swaps all index bits: the transpose.
template <int B>
TCONV_TARGET inline void transpose_stage(GemmVec (&r)[kLanes]) noexcept {
  GemmMask low;
  GemmMask high;
  for (int k = 0; k < kLanes; ++k) {
    low[k] = (k & B) ? kLanes + k - B : k;
    high[k] = (k & B) ? kLanes + k : k + B;
  }
  for (int i = 0; i < kLanes; ++i) {
    if (i & B) continue;
    const GemmVec a = r[i];
    const GemmVec c = r[i + B];
#if defined(__clang__)
    // clang has no __builtin_shuffle with a computed mask; the clang build
    // (fuzzing) needs the same values, not the speed.
    GemmVec lo{};
    GemmVec hi{};
    for (int k = 0; k < kLanes; ++k) {
      lo[k] = low[k] < kLanes ? a[low[k]] : c[low[k] - kLanes];
      hi[k] = high[k] < kLanes ? a[high[k]] : c[high[k] - kLanes];
    }
    r[i] = lo;
    r[i + B] = hi;
#else
    r[i] = __builtin_shuffle(a, c, low);
    r[i + B] = __builtin_shuffle(a, c, high);
#endif
  }
}

TCONV_TARGET inline void transpose(GemmVec (&r)[kLanes]) noexcept {
  transpose_stage<1>(r);
  transpose_stage<2>(r);
  transpose_stage<4>(r);
  if constexpr (kLanes > 8) transpose_stage<8>(r);
}

// dst[oc][oy][ox] = row[ox][oc] for ox < ow, oc < oc_count, in L x L blocks.
TCONV_TARGET inline void store_row(const float* row, int ocp, int ow, int oc_count, float* dst_row,
                                   std::ptrdiff_t plane) noexcept {
  for (int ox = 0; ox < ow; ox += kLanes) {
    const int valid = ow - ox < kLanes ? ow - ox : kLanes;
    for (int oc = 0; oc < oc_count; oc += kLanes) {
      GemmVec r[kLanes];
      for (int i = 0; i < kLanes; ++i) r[i] = load_vec(row + static_cast<std::ptrdiff_t>(ox + i) * ocp + oc);
      transpose(r);
      const int channels = oc_count - oc < kLanes ? oc_count - oc : kLanes;
      for (int c = 0; c < channels; ++c) {
        float* out = dst_row + (oc + c) * plane + ox;
        if (valid == kLanes) {
          store_vec(out, r[c]);
        } else {
          for (int i = 0; i < valid; ++i) out[i] = r[c][i];
        }
      }
    }
  }
}

}  // namespace

// Part `part` of `parts` packs its share of the input rows, planar
// [ic][iy][ix] -> [iy][pad_left + ix][ic] with zero columns around, in
// L x L blocks transposed in registers (block rows: channels ic0 + i at
// columns ix0 .. ix0 + L; after the transpose row k holds column ix0 + k of
// those channels); part 0 also packs the weights and bias. Only padding is
// zeroed: every other float is written.
TCONV_TARGET void TCONV_GEMM_PREPARE_FN(const Problem& pb, const Weights& wei, ConstTensorView src,
                                        std::span<std::byte> shared, int part, int parts) noexcept {
  const GemmLayout l = gemm_layout(pb);
  auto* packed = reinterpret_cast<float*>(shared.data());
  const int ic_count = pb.params.in_channels;
  const int iw = pb.src.w;
  const int row_begin = static_cast<int>(std::int64_t{pb.src.h} * part / parts);
  const int row_end = static_cast<int>(std::int64_t{pb.src.h} * (part + 1) / parts);
  const std::size_t right = static_cast<std::size_t>(l.iwp - l.pad_left - iw) * ic_count;
  const int ic_full = ic_count / kLanes * kLanes;
  const int ix_full = iw / kLanes * kLanes;
  for (int iy = row_begin; iy < row_end; ++iy) {
    float* row = packed + static_cast<std::size_t>(iy) * l.iwp * ic_count;
    std::memset(row, 0, static_cast<std::size_t>(l.pad_left) * ic_count * sizeof(float));
    std::memset(row + static_cast<std::size_t>(l.pad_left + iw) * ic_count, 0, right * sizeof(float));
    row += static_cast<std::size_t>(l.pad_left) * ic_count;
    for (int ic0 = 0; ic0 < ic_full; ic0 += kLanes) {
      for (int ix0 = 0; ix0 < ix_full; ix0 += kLanes) {
        GemmVec r[kLanes];
        for (int i = 0; i < kLanes; ++i) r[i] = load_vec(src.row(ic0 + i, iy) + ix0);
        transpose(r);
        for (int k = 0; k < kLanes; ++k)
          store_vec(row + static_cast<std::size_t>(ix0 + k) * ic_count + ic0, r[k]);
      }
      for (int ic = ic0; ic < ic0 + kLanes; ++ic) {
        const float* in = src.row(ic, iy);
        for (int ix = ix_full; ix < iw; ++ix) row[static_cast<std::size_t>(ix) * ic_count + ic] = in[ix];
      }
    }
    for (int ic = ic_full; ic < ic_count; ++ic) {
      const float* in = src.row(ic, iy);
      for (int ix = 0; ix < iw; ++ix) row[static_cast<std::size_t>(ix) * ic_count + ic] = in[ix];
    }
  }
  if (part == 0) gemm_pack_weights(pb, wei, packed);
}

TCONV_TARGET void TCONV_GEMM_FN(const Problem& pb, const Weights& /*weights*/,
                                ConstTensorView /*src*/, TensorView dst,
                                std::span<const std::byte> shared, std::span<std::byte> workspace,
                                std::int64_t begin, std::int64_t end) noexcept {
  const ConvParams& p = pb.params;
  const GemmLayout layout = gemm_layout(pb);
  const auto* packed = reinterpret_cast<const float*>(&shared[0]);
  const float* packed_weights = packed + layout.weights_offset;
  const float* bias = packed + layout.bias_offset;
  auto* taps = reinterpret_cast<GemmTap*>(&workspace[0]);
  auto* row = reinterpret_cast<float*>(&workspace[0] + gemm_workspace(pb).row_offset);
  const int ic_count = p.in_channels;
  const int oc_count = p.out_channels;
  const int ocp = layout.ocp;
  const int kh = p.kernel.h;
  const int kw = p.kernel.w;
  const int sh = p.stride.h;
  const int sw = p.stride.w;
  const int ow = pb.dst.w;
  const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(pb.dst.h) * ow;

  for (std::int64_t item = begin; item < end; ++item) {  // item = oy
    const int oy = static_cast<int>(item);
    for (int ox0 = 0; ox0 < sw && ox0 < ow; ++ox0) {
      const int n = (ow - ox0 + sw - 1) / sw;
      int tap_count = 0;
      for (int ky = 0; ky < kh; ++ky) {
        const int y = oy + p.pad_begin.h - ky * p.dilation.h;
        if (y < 0 || y % sh != 0 || y / sh >= pb.src.h) continue;
        const int iy = y / sh;
        for (int kx = 0; kx < kw; ++kx) {
          const std::int64_t x = std::int64_t{ox0} + p.pad_begin.w - std::int64_t{kx} * p.dilation.w;
          if (floor_mod(x, sw) != 0) continue;
          const auto q = static_cast<std::ptrdiff_t>(floor_div(x, sw));
          taps[tap_count++] = {
              packed + (static_cast<std::ptrdiff_t>(iy) * layout.iwp + layout.pad_left + q) * ic_count,
              packed_weights + (static_cast<std::ptrdiff_t>(ky) * kw + kx) * ic_count * ocp};
        }
      }
      float* phase_row = row + static_cast<std::ptrdiff_t>(ox0) * ocp;
      for (int oc0 = 0; oc0 < oc_count; oc0 += 2 * kLanes) {
        const bool half = ocp - oc0 <= kLanes;  // only one vector of channels left
        for (int j = 0; j < n; j += kPixels) {
          const int m_end = n - j < kPixels ? n - j : kPixels;
          if (half)
            tile<1>(taps, tap_count, ic_count, ocp, j, oc0, bias, phase_row, sw, m_end);
          else
            tile<2>(taps, tap_count, ic_count, ocp, j, oc0, bias, phase_row, sw, m_end);
        }
      }
    }
    store_row(row, ocp, ow, oc_count, dst.data + static_cast<std::ptrdiff_t>(oy) * ow, plane);
  }
}

}  // namespace tconv::detail

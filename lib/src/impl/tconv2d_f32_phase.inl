// Phase (sub-pixel) decomposition, vectorised along the output row.
//
// Included by one translation unit per ISA, which defines TCONV_PHASE_FN (the
// function name) and TCONV_TARGET (a GCC target attribute, or nothing). The
// ISA comes from the attribute, not from file flags, so inline functions of
// shared headers are never emitted with instructions the CPU may lack. No zero insertion
// and no scatter: output column ox receives input column ix through tap kx iff
//   ox + pad_left == ix * sw + kx * dw,
// so for the columns of one phase, ox = ox0 + j * sw (j = 0, 1, ...), a tap
// kx contributes iff (ox0 + pad_left - kx * dw) is divisible by sw, and then
//   ix = q + j  with  q = (ox0 + pad_left - kx * dw) / sw,
// i.e. each (row tap ky, column tap kx, input channel) term is one weight
// times a contiguous input row segment. Rows work the same way: row tap ky
// contributes to output row oy iff (oy + pad_top - ky * dh) is divisible by
// sh. Per output row and column phase the terms are collected once, then
// summed into a contiguous accumulator in 64-column register tiles
// (vectorised over j), and the phases' accumulators are interleaved into
// the output row. Columns where q + j leaves [0, iw) read zeros from a
// padded copy of the input made by prepare(), so no term is clipped; the
// copy also skews channel planes (see PhasePadding).
#include <cstdint>
#include <cstring>

#include "impl/impls.hpp"
#include "index_math.hpp"
#include "impl/tconv2d_f32_phase.hpp"

namespace tconv::detail {

namespace {

// Output channels computed together: they share every input load.
constexpr int kChannelBlock = 3;

struct Term {
  const float* row;                // input row (ic, iy), column 0
  int q;                           // ix = q + j
  float weight[kChannelBlock];     // one per output channel of the block (0 past its end)
};

static_assert(sizeof(Term) <= 32, "tconv2d_f32_phase_workspace() reserves 32 bytes a term");

constexpr int min_int(int a, int b) { return a < b ? a : b; }

typedef float PhaseVec8 __attribute__((vector_size(32)));

TCONV_TARGET inline PhaseVec8 load_vec(const float* p) noexcept {
  PhaseVec8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

TCONV_TARGET inline void store_vec(float* p, PhaseVec8 v) noexcept { std::memcpy(p, &v, sizeof v); }

// acc[c][j] += sum over terms of weight[c] * row[q + j] for the M channels of
// the block and j in [0, n): register tiles of 8 * kVecs columns x M
// channels (at most 12 vector accumulators), then a plain loop for the rest.
template <int M>
TCONV_TARGET inline void accumulate(float* const* acc, const Term* terms, int count,
                                    int n) noexcept {
  constexpr int kVecs = M == 1 ? 8 : 4;
  constexpr int kTile = 8 * kVecs;
  int j0 = 0;
  for (; j0 + kTile <= n; j0 += kTile) {
    PhaseVec8 a[M][kVecs];
    for (int c = 0; c < M; ++c)
      for (int v = 0; v < kVecs; ++v) a[c][v] = load_vec(acc[c] + j0 + 8 * v);
    for (int t = 0; t < count; ++t) {
      const float* r = terms[t].row + terms[t].q + j0;
      PhaseVec8 x[kVecs];
      for (int v = 0; v < kVecs; ++v) x[v] = load_vec(r + 8 * v);
      for (int c = 0; c < M; ++c) {
        const float w = terms[t].weight[c];
        for (int v = 0; v < kVecs; ++v) a[c][v] += w * x[v];
      }
    }
    for (int c = 0; c < M; ++c)
      for (int v = 0; v < kVecs; ++v) store_vec(acc[c] + j0 + 8 * v, a[c][v]);
  }
  for (int c = 0; c < M; ++c) {
    float* __restrict out = acc[c];
    for (int t = 0; t < count; ++t) {
      const float* __restrict r = terms[t].row + terms[t].q;
      const float w = terms[t].weight[c];
      for (int j = j0; j < n; ++j) out[j] += w * r[j];
    }
  }
}

}  // namespace

TCONV_TARGET void TCONV_PHASE_FN(const Problem& pb, const Weights& wei, ConstTensorView src,
                                 TensorView dst, std::span<const std::byte> shared,
                                 std::span<std::byte> workspace, std::int64_t begin,
                                 std::int64_t end) noexcept {
  const ConvParams& p = pb.params;
  const int icg = p.in_channels / p.groups;
  const int ocg = p.out_channels / p.groups;
  const int blocks = (ocg + kChannelBlock - 1) / kChannelBlock;  // per group
  const int kh = p.kernel.h;
  const int kw = p.kernel.w;
  const int sh = p.stride.h;
  const int sw = p.stride.w;
  const int ih = pb.src.h;
  const int oh = pb.dst.h;
  const int ow = pb.dst.w;
  const float* weights = wei.values.data();
  const float* biases = wei.bias.empty() ? nullptr : wei.bias.data();
  // Input rows: the zero-padded copy prepare() made, or the input itself;
  // either way every tap's columns q + j, j in [0, n), are readable.
  const PhasePadding pad = phase_padding(pb);
  const float* rows = pad.copied ? reinterpret_cast<const float*>(&shared[0]) : src.data;
  float* dst_data = dst.data;
  // Workspace: terms, accumulators [channel][phase][n_max], column taps.
  auto* terms = reinterpret_cast<Term*>(&workspace[0]);
  const std::size_t terms_bytes = (static_cast<std::size_t>(kh) * kw * icg * 32 + 63) / 64 * 64;
  const int n_max = (ow + sw - 1) / sw;  // columns of phase 0, the longest
  const int phases = min_int(sw, ow);
  const std::ptrdiff_t channel_acc = static_cast<std::ptrdiff_t>(n_max) * phases;
  auto* acc = reinterpret_cast<float*>(&workspace[0] + terms_bytes);
  const std::size_t acc_bytes =
      (static_cast<std::size_t>(channel_acc) * kChannelBlock * sizeof(float) + 63) / 64 * 64;
  auto* column_kx = reinterpret_cast<int*>(&workspace[0] + terms_bytes + acc_bytes);
  int* column_q = column_kx + kw;

  for (std::int64_t item = begin; item < end; ++item) {  // item = (g * blocks + b) * oh + oy
    const int oy = static_cast<int>(item % oh);
    const int g = static_cast<int>(item / oh / blocks);
    const int ocl0 = static_cast<int>(item / oh % blocks) * kChannelBlock;
    const int m = min_int(kChannelBlock, ocg - ocl0);

    for (int ox0 = 0; ox0 < phases; ++ox0) {
      const int n = (ow - ox0 + sw - 1) / sw;  // columns ox0, ox0 + sw, ... < ow
      // Column taps of this phase: kx with (ox0 + pad_left - kx * dw) divisible by sw.
      int column_taps = 0;
      for (int kx = 0; kx < kw; ++kx) {
        const std::int64_t x = std::int64_t{ox0} + p.pad_begin.w - std::int64_t{kx} * p.dilation.w;
        if (floor_mod(x, sw) != 0) continue;
        column_kx[column_taps] = kx;
        column_q[column_taps++] = static_cast<int>(floor_div(x, sw));
      }
      int count = 0;
      // Terms ordered row tap, channel, column tap: consecutive terms read
      // the same input row at shifted offsets, which stays in L1.
      for (int ky = 0; ky < kh; ++ky) {
        const int y = oy + p.pad_begin.h - ky * p.dilation.h;
        if (y < 0 || y % sh != 0 || y / sh >= ih) continue;
        const int iy = y / sh;
        for (int icl = 0; icl < icg; ++icl) {
          const int ic = g * icg + icl;
          const float* in_row = rows + static_cast<std::ptrdiff_t>(ic) * pad.plane +
                                static_cast<std::ptrdiff_t>(iy) * pad.row_length + pad.left;
          // weights [ic][ocl][ky][kx]
          const float* w = weights + ((static_cast<std::size_t>(ic) * ocg + ocl0) * kh + ky) * kw;
          const std::size_t channel_stride = static_cast<std::size_t>(kh) * kw;
          for (int e = 0; e < column_taps; ++e) {
            Term& term = terms[count++];
            term.row = in_row;
            term.q = column_q[e];
            for (int c = 0; c < kChannelBlock; ++c)
              term.weight[c] = c < m ? w[c * channel_stride + column_kx[e]] : 0.0f;
          }
        }
      }
      float* block_acc[kChannelBlock];
      for (int c = 0; c < kChannelBlock; ++c) {
        block_acc[c] = acc + c * channel_acc + static_cast<std::ptrdiff_t>(ox0) * n_max;
        const float bias = c < m && biases != nullptr ? biases[g * ocg + ocl0 + c] : 0.0f;
        for (int j = 0; j < n; ++j) block_acc[c][j] = bias;
      }
      switch (m) {
        case 1: accumulate<1>(block_acc, terms, count, n); break;
        case 2: accumulate<2>(block_acc, terms, count, n); break;
        default: accumulate<3>(block_acc, terms, count, n); break;
      }
    }
    // Interleave the phases into each output row: out[j * sw + r] = acc[r][j].
    for (int c = 0; c < m; ++c) {
      const int oc = g * ocg + ocl0 + c;
      float* out_row = dst_data + (static_cast<std::ptrdiff_t>(oc) * oh + oy) * ow;
      const float* channel = acc + c * channel_acc;
      if (sw == 1) {
        for (int ox = 0; ox < ow; ++ox) out_row[ox] = channel[ox];
      } else if (sw == 2) {
        const float* even = channel;
        const float* odd = channel + n_max;
        const int pairs = ow / 2;
        for (int j = 0; j < pairs; ++j) {
          out_row[2 * j] = even[j];
          out_row[2 * j + 1] = odd[j];
        }
        if (ow % 2 != 0) out_row[ow - 1] = even[pairs];
      } else {
        for (int ox0 = 0; ox0 < phases; ++ox0) {
          const float* phase_acc = channel + static_cast<std::ptrdiff_t>(ox0) * n_max;
          const int n = (ow - ox0 + sw - 1) / sw;
          for (int j = 0; j < n; ++j) out_row[ox0 + j * sw] = phase_acc[j];
        }
      }
    }
  }
}

}  // namespace tconv::detail

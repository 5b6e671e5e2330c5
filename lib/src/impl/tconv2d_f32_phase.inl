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

#include "core/index_math.hpp"
#include "impl/impls.hpp"
#include "impl/tconv2d_f32_phase.hpp"

namespace tconv::detail {

namespace {

// Output channels computed together: they share every input load.
constexpr int kChannelBlock = 3;
// Merged problems (phase_merged()): the sh * sw <= 4 phases of a row group
// computed together share every input load.
constexpr int kMaxTargets = 4;

#ifndef TCONV_PHASE_LANES
#define TCONV_PHASE_LANES 8
#endif
// Floats per vector: 8, or 16 with AVX-512 (which also has 32 registers).
constexpr int kLanes = TCONV_PHASE_LANES;
#ifndef TCONV_PHASE_SSE
#define TCONV_PHASE_SSE 0
#endif
// 1: no 8-float registers (each 8-float vector takes two of 16 SSE registers).
constexpr bool kSse = TCONV_PHASE_SSE != 0;

struct Term {
  const float* row;                // input row (ic, iy), column 0
  int q;                           // ix = q + j
  float weight[kMaxTargets];       // one per output channel of the block, or per
                                   // merged phase (0 past the block's end or for
                                   // a phase that has no such tap)
};

static_assert(sizeof(Term) <= 32, "tconv2d_f32_phase_workspace() reserves 32 bytes a term");

constexpr int min_int(int a, int b) { return a < b ? a : b; }

template <int L>
struct PhaseVecOf {
  typedef float type __attribute__((vector_size(4 * L)));
};

template <typename V>
TCONV_TARGET inline V load_vec(const float* p) noexcept {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename V>
TCONV_TARGET inline void store_vec(float* p, V v) noexcept { std::memcpy(p, &v, sizeof v); }

// acc[c][j] += sum over terms of weight[c] * row[q + j] for the M channels
// (or merged phases) of the block and j in [0, n): register tiles of
// L * kVecs columns x M accumulators (leaving kVecs registers for the
// input), then a plain loop for the rest. L = 16 only with AVX-512 and M > 1:
// input rows start anywhere, and with one multiply-add per load the
// cache-line splits of 64-byte loads cost more than the wider vectors gain.
// Tiles are 64 columns but for 8-lane vectors and M = 4 (16 registers:
// 24 or, with SSE, 8 columns).
template <int M>
TCONV_TARGET inline void accumulate(float* const* acc, const Term* terms, int count,
                                    int n) noexcept {
  constexpr int L = kLanes == 16 && M > 1 ? 16 : 8;
  using PhaseVec = typename PhaseVecOf<L>::type;
  constexpr int kVecs = L == 16 ? 4 : M == 1 ? 8 : M == 4 ? (kSse ? 1 : 3) : 4;
  constexpr int kTile = L * kVecs;
  int j0 = 0;
  for (; j0 + kTile <= n; j0 += kTile) {
    PhaseVec a[M][kVecs];
    for (int c = 0; c < M; ++c)
      for (int v = 0; v < kVecs; ++v) a[c][v] = load_vec<PhaseVec>(acc[c] + j0 + L * v);
    for (int t = 0; t < count; ++t) {
      const float* r = terms[t].row + terms[t].q + j0;
      PhaseVec x[kVecs];
      for (int v = 0; v < kVecs; ++v) x[v] = load_vec<PhaseVec>(r + L * v);
      for (int c = 0; c < M; ++c) {
        const float w = terms[t].weight[c];
        for (int v = 0; v < kVecs; ++v) a[c][v] += w * x[v];
      }
    }
    for (int c = 0; c < M; ++c)
      for (int v = 0; v < kVecs; ++v) store_vec(acc[c] + j0 + L * v, a[c][v]);
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

// out_row[ox0 + j * sw] = channel[ox0 * n_max + j] for every phase ox0 < min(sw, ow), j < n(ox0).
TCONV_TARGET inline void interleave(float* out_row, const float* channel, int ow, int sw,
                                    int n_max) noexcept {
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
    for (int ox0 = 0; ox0 < sw && ox0 < ow; ++ox0) {
      const float* phase_acc = channel + static_cast<std::ptrdiff_t>(ox0) * n_max;
      const int n = (ow - ox0 + sw - 1) / sw;
      for (int j = 0; j < n; ++j) out_row[ox0 + j * sw] = phase_acc[j];
    }
  }
}

// A merged item (phase_merged()): output rows oy0 + r (r < sh, oy0 a multiple
// of sh) of the single output channel of group g, every column phase c < sw.
// Target t = r * sw + c. With dilation 1, target t takes row tap ky iff
// (oy0 + r + pad_top - ky) is divisible by sh (iy = that / sh) and column tap
// kx iff (c + pad_left - kx) is divisible by sw (q = that / sw), so a term
// (iy, ic, q) carries one weight per target: wei[ic][0][ky][kx], or 0 when the
// target has no such tap. Terms are laid out densely over iy in [iy_lo, iy_hi],
// ic, q in [q_lo, q_hi] (at most kh x icg x kw of them, as the workspace
// holds), then compacted in that order; every target's valid terms appear in
// a fixed order, so its sum does not depend on the thread.
TCONV_TARGET inline void merged_item(const Problem& pb, const float* weights, const float* biases,
                                     const float* rows, const PhasePadding& pad, Term* terms,
                                     float* acc, float* dst_data, int g, int oy0) noexcept {
  const ConvParams& p = pb.params;
  const int icg = p.in_channels / p.groups;
  const int kh = p.kernel.h;
  const int kw = p.kernel.w;
  const int sh = p.stride.h;
  const int sw = p.stride.w;
  const int ih = pb.src.h;
  const int oh = pb.dst.h;
  const int ow = pb.dst.w;
  const int n_max = (ow + sw - 1) / sw;
  const int targets = sh * sw;
  // Union of the input rows and column offsets of all targets.
  const int iy_lo = static_cast<int>(-floor_div(std::int64_t{kh - 1} - oy0 - p.pad_begin.h, sh));
  const int iy_hi = static_cast<int>(floor_div(std::int64_t{oy0} + sh - 1 + p.pad_begin.h, sh));
  const int q_lo = static_cast<int>(-floor_div(std::int64_t{kw - 1} - p.pad_begin.w, sw));
  const int q_hi = static_cast<int>(floor_div(std::int64_t{sw - 1} + p.pad_begin.w, sw));
  const int rows_u = iy_hi - iy_lo + 1;
  const int cols_u = q_hi - q_lo + 1;
  const int dense = rows_u * icg * cols_u;
  for (int e = 0; e < dense; ++e) {
    terms[e].row = nullptr;
    for (float& w : terms[e].weight) w = 0.0f;
  }
  for (int r = 0; r < sh; ++r) {
    const int oy = oy0 + r;
    if (oy >= oh) break;
    for (int ky = 0; ky < kh; ++ky) {
      const int y = oy + p.pad_begin.h - ky;
      if (floor_mod(y, sh) != 0) continue;
      const int iy = static_cast<int>(floor_div(y, sh));
      if (iy < 0 || iy >= ih) continue;
      for (int c = 0; c < sw && c < ow; ++c) {
        const int t = r * sw + c;
        for (int kx = 0; kx < kw; ++kx) {
          const int x = c + p.pad_begin.w - kx;
          if (floor_mod(x, sw) != 0) continue;
          const int q = static_cast<int>(floor_div(x, sw));
          for (int icl = 0; icl < icg; ++icl) {
            const int ic = g * icg + icl;
            Term& term = terms[((iy - iy_lo) * icg + icl) * cols_u + (q - q_lo)];
            term.row = rows + static_cast<std::ptrdiff_t>(ic) * pad.plane +
                       static_cast<std::ptrdiff_t>(iy) * pad.row_length + pad.left;
            term.q = q;
            // weights [ic][0][ky][kx] (one output channel per group)
            term.weight[t] = weights[(static_cast<std::size_t>(ic) * kh + ky) * kw + kx];
          }
        }
      }
    }
  }
  int count = 0;
  for (int e = 0; e < dense; ++e)
    if (terms[e].row != nullptr) terms[count++] = terms[e];
  float* target_acc[kMaxTargets];
  const float bias = biases != nullptr ? biases[g] : 0.0f;
  for (int t = 0; t < kMaxTargets; ++t) {
    target_acc[t] = acc + static_cast<std::ptrdiff_t>(t < targets ? t : 0) * n_max;
    if (t >= targets) continue;
    for (int j = 0; j < n_max; ++j) target_acc[t][j] = bias;
  }
  switch (targets) {
    case 2: accumulate<2>(target_acc, terms, count, n_max); break;
    case 3: accumulate<3>(target_acc, terms, count, n_max); break;
    default: accumulate<4>(target_acc, terms, count, n_max); break;
  }
  for (int r = 0; r < sh && oy0 + r < oh; ++r)
    interleave(dst_data + (static_cast<std::ptrdiff_t>(g) * oh + oy0 + r) * ow,
               acc + static_cast<std::ptrdiff_t>(r) * sw * n_max, ow, sw, n_max);
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

  if (phase_merged(p)) {
    const int groups_of_rows = (oh + sh - 1) / sh;
    for (std::int64_t item = begin; item < end; ++item)  // item = g * groups_of_rows + row group
      merged_item(pb, weights, biases, rows, pad, terms, acc, dst_data,
                  static_cast<int>(item / groups_of_rows),
                  static_cast<int>(item % groups_of_rows) * sh);
    return;
  }
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
      interleave(dst_data + (static_cast<std::ptrdiff_t>(oc) * oh + oy) * ow, acc + c * channel_acc,
                 ow, sw, n_max);
    }
  }
}

}  // namespace tconv::detail

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

struct Term {
  const float* row;  // input row (ic, iy), column 0
  float weight;
  int q;             // ix = q + j
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

// Register tile: 64 consecutive columns j in eight 8-float accumulators; every
// term adds weight * row[q + j .. q + j + 64). Returns the first j not done.
TCONV_TARGET inline int accumulate_tiles(float* acc, const Term* terms, int count, int j_lo,
                                         int j_hi) noexcept {
  constexpr int kTile = 64;
  int j0 = j_lo;
  for (; j0 + kTile <= j_hi; j0 += kTile) {
    constexpr int kVecs = kTile / 8;
    PhaseVec8 a[kVecs];
    for (int v = 0; v < kVecs; ++v) a[v] = load_vec(acc + j0 + 8 * v);
    for (int t = 0; t < count; ++t) {
      const float* r = terms[t].row + terms[t].q + j0;
      const float w = terms[t].weight;
      for (int v = 0; v < kVecs; ++v) a[v] += w * load_vec(r + 8 * v);
    }
    for (int v = 0; v < kVecs; ++v) store_vec(acc + j0 + 8 * v, a[v]);
  }
  return j0;
}

// acc[j] += sum over terms of weight * row[q + j] for j in [j_lo, j_hi),
// which every term covers.
TCONV_TARGET inline void accumulate_block(float* __restrict acc, const Term* terms, int count, int j_lo,
                             int j_hi) noexcept {
  int t = 0;
  for (; t + 8 <= count; t += 8) {
    const float* __restrict r0 = terms[t].row + terms[t].q;
    const float* __restrict r1 = terms[t + 1].row + terms[t + 1].q;
    const float* __restrict r2 = terms[t + 2].row + terms[t + 2].q;
    const float* __restrict r3 = terms[t + 3].row + terms[t + 3].q;
    const float* __restrict r4 = terms[t + 4].row + terms[t + 4].q;
    const float* __restrict r5 = terms[t + 5].row + terms[t + 5].q;
    const float* __restrict r6 = terms[t + 6].row + terms[t + 6].q;
    const float* __restrict r7 = terms[t + 7].row + terms[t + 7].q;
    const float w0 = terms[t].weight, w1 = terms[t + 1].weight, w2 = terms[t + 2].weight,
                w3 = terms[t + 3].weight, w4 = terms[t + 4].weight, w5 = terms[t + 5].weight,
                w6 = terms[t + 6].weight, w7 = terms[t + 7].weight;
    for (int j = j_lo; j < j_hi; ++j)
      acc[j] += ((w0 * r0[j] + w1 * r1[j]) + (w2 * r2[j] + w3 * r3[j])) +
                ((w4 * r4[j] + w5 * r5[j]) + (w6 * r6[j] + w7 * r7[j]));
  }
  for (; t < count; ++t) {
    const float* __restrict r = terms[t].row + terms[t].q;
    const float w = terms[t].weight;
    for (int j = j_lo; j < j_hi; ++j) acc[j] += w * r[j];
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
  const int kh = p.kernel.h;
  const int kw = p.kernel.w;
  const int sh = p.stride.h;
  const int sw = p.stride.w;
  const int ih = pb.src.h;
  const int ow = pb.dst.w;
  const float* weights = wei.values.data();
  const float* biases = wei.bias.empty() ? nullptr : wei.bias.data();
  // Input rows: the zero-padded copy prepare() made when columns can fall
  // outside the input, else the input itself; either way every tap's
  // columns q + j, j in [0, n), are readable and the padding reads as zero.
  const PhasePadding pad = phase_padding(pb);
  const float* rows = pad.copied ? reinterpret_cast<const float*>(&shared[0]) : src.data;
  float* dst_data = dst.data;
  // Workspace: terms, the accumulator, the column taps (64-byte aligned).
  auto* terms = reinterpret_cast<Term*>(&workspace[0]);
  const std::size_t terms_bytes = (static_cast<std::size_t>(kh) * kw * icg * 32 + 63) / 64 * 64;
  auto* acc = reinterpret_cast<float*>(&workspace[0] + terms_bytes);
  const int n_max = (ow + sw - 1) / sw;  // columns of phase 0, the longest
  const std::size_t acc_bytes =
      (static_cast<std::size_t>(n_max) * min_int(sw, ow) * sizeof(float) + 63) / 64 * 64;
  auto* column_kx = reinterpret_cast<int*>(&workspace[0] + terms_bytes + acc_bytes);
  int* column_q = column_kx + kw;

  for (std::int64_t item = begin; item < end; ++item) {  // item = oc * oh + oy
    const int oc = static_cast<int>(item / pb.dst.h);
    const int oy = static_cast<int>(item % pb.dst.h);
    const int g = oc / ocg;
    const int ocl = oc % ocg;
    const float bias = biases != nullptr ? biases[oc] : 0.0f;
    float* out_row = dst_data + (static_cast<std::ptrdiff_t>(oc) * pb.dst.h + oy) * ow;

    for (int ox0 = 0; ox0 < min_int(sw, ow); ++ox0) {
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
          const float* w = weights + ((static_cast<std::size_t>(ic) * ocg + ocl) * kh + ky) * kw;
          for (int e = 0; e < column_taps; ++e)
            terms[count++] = {in_row, w[column_kx[e]], column_q[e]};
        }
      }
      float* phase_acc = acc + static_cast<std::ptrdiff_t>(ox0) * n_max;
      for (int j = 0; j < n; ++j) phase_acc[j] = bias;
      const int j_tiled = accumulate_tiles(phase_acc, terms, count, 0, n);
      accumulate_block(phase_acc, terms, count, j_tiled, n);
    }
    // Interleave the phases into the output row: out[j * sw + r] = acc[r][j].
    if (sw == 1) {
      for (int ox = 0; ox < ow; ++ox) out_row[ox] = acc[ox];
    } else if (sw == 2) {
      const float* even = acc;
      const float* odd = acc + n_max;
      const int pairs = ow / 2;
      for (int j = 0; j < pairs; ++j) {
        out_row[2 * j] = even[j];
        out_row[2 * j + 1] = odd[j];
      }
      if (ow % 2 != 0) out_row[ow - 1] = even[pairs];
    } else {
      for (int ox0 = 0; ox0 < min_int(sw, ow); ++ox0) {
        const float* phase_acc = acc + static_cast<std::ptrdiff_t>(ox0) * n_max;
        const int n = (ow - ox0 + sw - 1) / sw;
        for (int j = 0; j < n; ++j) out_row[ox0 + j * sw] = phase_acc[j];
      }
    }
  }
}

}  // namespace tconv::detail

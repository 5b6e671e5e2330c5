// Exact fixed-point upsampling of interleaved 8/16-bit images.
//
// When every 1-D tap times 2^n is an integer (bilinear at power-of-two
// factors: x2 has taps 1/4 and 3/4, x4 eighths; nearest at any factor;
// bicubic at x2 and x4), the interpolated value of output (oy, ox) is
//   v = sum_ey sum_ex wy[ey] * wx[ex] * in[iy(ey)][ix(ex)] / 2^(ny + nx)
// with integer wy, wx, so the integer sum is exact and v is rounded once:
// to nearest, ties to even (the float path's rounding of the same exact
// value, which it computes exactly whenever the sum fits a float's 24-bit
// significand), then clamped to the sample range.
//
// Order: horizontal first. Each input row a band needs is resampled along x
// once into a row of integers (out_w * C), kept in a small cache of
// taps + 1 rows; each output row is then the weighted sum of its taps' cached
// rows, rounded and written straight into the caller's row. Threads take
// bands of output rows (thread t: rows [h t / n, h (t + 1) / n)); every
// output row is computed by one thread from the same integers, so the result
// does not depend on the thread count.
//
// 8-bit images whose weights are non-negative with ny + nx <= 8 keep every
// partial sum below 2^16 (255 * 2^8), so the SIMD kernels work in 16-bit
// lanes (pmaddubsw for the horizontal taps, mullo/add for the vertical ones);
// everything else runs the portable kernels in int32 (or int64 when
// max_sample * sum|wy| * sum|wx| needs it).
#include "impl/upsample_fixed.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <type_traits>

#include "core/parallel.hpp"
#include "impl/resample_impls.hpp"

namespace tconv::detail {

std::optional<FixedTaps> fixed_taps(const Taps1d& taps, int factor) {
  FixedTaps fixed;
  fixed.factor = factor;
  fixed.pad = taps.pad;
  for (int n = 0; n <= kMaxFixedShift; ++n) {
    bool exact = true;
    for (double w : taps.weights) {
      const double scaled = std::ldexp(w, n);  // exact: a power-of-two scaling
      if (scaled != std::nearbyint(scaled)) {
        exact = false;
        break;
      }
    }
    if (!exact) continue;
    fixed.shift = n;
    for (double w : taps.weights) {
      fixed.weights.push_back(static_cast<std::int32_t>(std::ldexp(w, n)));
      if (w < 0) fixed.nonnegative = false;
    }
    // Phase r uses taps r, r + f, ...
    const int k = static_cast<int>(fixed.weights.size());
    for (int r = 0; r < factor; ++r) {
      std::int64_t sum = 0;
      for (int t = r; t < k; t += factor) sum += std::abs(fixed.weights[static_cast<std::size_t>(t)]);
      fixed.max_abs_sum = std::max(fixed.max_abs_sum, sum);
    }
    return fixed;
  }
  return std::nullopt;
}

std::optional<U8HorizontalPlan> make_u8_horizontal_plan(const FixedTaps& taps, int channels,
                                                        int lanes) {
  const int f = taps.factor;
  const int k = static_cast<int>(taps.weights.size());
  const int c = channels;
  if (!taps.nonnegative) return std::nullopt;
  for (std::int32_t w : taps.weights)
    if (w > 127) return std::nullopt;
  const long period = static_cast<long>(f) * c;
  const long cycle = std::lcm(8L * lanes, period);
  if (cycle > 4096) return std::nullopt;  // tables would outgrow L1
  U8HorizontalPlan plan;
  plan.lanes = lanes;
  plan.factor = f;
  const int taps_per_output = (k + f - 1) / f;
  plan.pairs = (taps_per_output + 1) / 2;
  plan.cycle_out = static_cast<int>(cycle);
  plan.cycle_in = static_cast<int>(cycle / f);
  const int lane_count = plan.cycle_out / 8;
  plan.offset.assign(static_cast<std::size_t>(lane_count), 0);
  plan.shuffle.assign(static_cast<std::size_t>(lane_count) * plan.pairs * 16, 0x80);
  plan.weight.assign(static_cast<std::size_t>(lane_count) * plan.pairs * 16, 0);
  // Lane d = v * lanes + l of vector v, pair p, lives at [v][p][l][16] so a
  // vector's lanes are contiguous for each pair.
  auto table_at = [&](int d, int p) {
    return ((static_cast<std::size_t>(d / lanes) * plan.pairs + p) * lanes + d % lanes) * 16;
  };
  plan.min_offset = std::numeric_limits<int>::max();
  plan.max_end = std::numeric_limits<int>::min();
  for (int d = 0; d < lane_count; ++d) {
    // Input sample (relative to the cycle's k * cycle_in) of output sample s's
    // e-th tap: pixel (u + pad - t) / f with u = s / C (exact division, as
    // t == u + pad (mod f)), channel s mod C.
    struct Tap {
      int sample;
      std::int32_t weight;
    };
    Tap list[8][64];
    int count[8] = {};
    if (taps_per_output > 64) return std::nullopt;
    int lo = std::numeric_limits<int>::max();
    int hi = std::numeric_limits<int>::min();
    for (int i = 0; i < 8; ++i) {
      const int s = d * 8 + i;
      const int u = s / c;
      const int ch = s % c;
      const int r = (u + taps.pad) % f;
      for (int t = r; t < k; t += f) {
        const int sample = (u + taps.pad - t) / f * c + ch;
        list[i][count[i]++] = {sample, taps.weights[static_cast<std::size_t>(t)]};
        lo = std::min(lo, sample);
        hi = std::max(hi, sample);
      }
    }
    if (hi - lo > 15) return std::nullopt;
    plan.offset[static_cast<std::size_t>(d)] = lo;
    plan.min_offset = std::min(plan.min_offset, lo);
    plan.max_end = std::max(plan.max_end, lo + 16);
    for (int i = 0; i < 8; ++i) {
      for (int e = 0; e < count[i]; ++e) {
        const std::size_t at = table_at(d, e / 2) + 2 * i + e % 2;
        plan.shuffle[at] = static_cast<std::uint8_t>(list[i][e].sample - lo);
        plan.weight[at] = static_cast<std::int8_t>(list[i][e].weight);
      }
      for (int p = 0; p < plan.pairs; ++p) {
        const std::size_t at = table_at(d, p) + 2 * i;
        if (plan.weight[at] + plan.weight[at + 1] > 128) return std::nullopt;
      }
    }
  }
  return plan;
}

bool fixed_applicable(Interpolation kind, Size2 factor, std::int64_t max_sample) {
  const auto y = fixed_taps(interpolation_taps(kind, factor.h), factor.h);
  const auto x = fixed_taps(interpolation_taps(kind, factor.w), factor.w);
  if (!y || !x || (y->weights.size() + factor.h - 1) / factor.h > 64) return false;
  // |sum| <= max_sample * sum|wy| * sum|wx| plus the rounding term < 2^shift
  // must fit int64 (the int32 choice is made when running).
  const long double bound = static_cast<long double>(max_sample) * y->max_abs_sum * x->max_abs_sum +
                            std::ldexp(1.0L, y->shift + x->shift);
  return bound < std::ldexp(1.0L, 62);
}

bool u8_simd_applicable(Interpolation kind, Size2 factor, int channels, int lanes) {
  const auto y = fixed_taps(interpolation_taps(kind, factor.h), factor.h);
  const auto x = fixed_taps(interpolation_taps(kind, factor.w), factor.w);
  if (!y || !x || !y->nonnegative || y->shift + x->shift > 8) return false;
  // The vertical kernels are unrolled for up to 4 taps per output row.
  if ((y->weights.size() + factor.h - 1) / factor.h > 4) return false;
  return make_u8_horizontal_plan(*x, channels, lanes).has_value();
}

namespace {

// Rows of horizontally resampled input, one per cache slot, plus which input
// row each slot holds.
template <typename H>
struct RowCache {
  std::vector<H> rows;
  std::vector<int> held;
  std::vector<long> used;
  std::size_t width = 0;
};

// Returns the cached horizontal row of input row `iy`, computing it into a
// slot none of `keep` (this output row's other inputs) needs.
template <typename H, typename Compute>
const H* cached_row(RowCache<H>& cache, int iy, const int* keep, int keep_count, long now,
                    const Compute& compute) {
  const int slots = static_cast<int>(cache.held.size());
  for (int s = 0; s < slots; ++s)
    if (cache.held[static_cast<std::size_t>(s)] == iy) {
      cache.used[static_cast<std::size_t>(s)] = now;
      return cache.rows.data() + static_cast<std::size_t>(s) * cache.width;
    }
  int victim = -1;
  for (int s = 0; s < slots; ++s) {
    const int held = cache.held[static_cast<std::size_t>(s)];
    if (std::find(keep, keep + keep_count, held) != keep + keep_count) continue;
    if (victim < 0 || cache.used[static_cast<std::size_t>(s)] < cache.used[static_cast<std::size_t>(victim)])
      victim = s;
  }
  // slots == taps + 1 > keep_count, so a victim exists.
  H* row = cache.rows.data() + static_cast<std::size_t>(victim) * cache.width;
  compute(iy, row);
  cache.held[static_cast<std::size_t>(victim)] = iy;
  cache.used[static_cast<std::size_t>(victim)] = now;
  return row;
}

// Horizontal pass by the table, for output pixels [ox_begin, ox_end); C is
// the channel count when known at compile time, else 0 (read from c).
template <int C, typename T, typename H>
void horizontal_table_c(const FixedAxis& xs, const T* in, H* h, int c, int ox_begin, int ox_end) {
  if constexpr (C > 0) c = C;
  const int taps = xs.taps;
  for (int ox = ox_begin; ox < ox_end; ++ox) {
    const int* index = xs.index.data() + static_cast<std::size_t>(ox) * taps;
    const std::int32_t* weight = xs.weight.data() + static_cast<std::size_t>(ox) * taps;
    H sum[C > 0 ? C : 1] = {};
    H* out = h + static_cast<std::size_t>(ox) * c;
    if constexpr (C > 0) {
      for (int e = 0; e < taps; ++e) {
        const T* p = in + static_cast<std::size_t>(index[e]) * C;
        for (int ch = 0; ch < C; ++ch)
          sum[ch] = static_cast<H>(sum[ch] + static_cast<H>(weight[e]) * static_cast<H>(p[ch]));
      }
      for (int ch = 0; ch < C; ++ch) out[ch] = static_cast<H>(sum[ch]);
    } else {
      for (int ch = 0; ch < c; ++ch) {
        H acc = 0;
        for (int e = 0; e < taps; ++e)
          acc = static_cast<H>(acc + static_cast<H>(weight[e]) *
                                         static_cast<H>(in[static_cast<std::size_t>(index[e]) * c + ch]));
        out[ch] = acc;
      }
    }
  }
}

template <typename T, typename H>
void horizontal_table(const FixedAxis& xs, const T* in, H* h, int c, int ox_begin, int ox_end) {
  switch (c) {
    case 1: horizontal_table_c<1>(xs, in, h, c, ox_begin, ox_end); break;
    case 2: horizontal_table_c<2>(xs, in, h, c, ox_begin, ox_end); break;
    case 3: horizontal_table_c<3>(xs, in, h, c, ox_begin, ox_end); break;
    case 4: horizontal_table_c<4>(xs, in, h, c, ox_begin, ox_end); break;
    default: horizontal_table_c<0>(xs, in, h, c, ox_begin, ox_end); break;
  }
}

// The output rows a band needs, with the weights of the taps that count.
struct RowTaps {
  int index[64];
  std::int32_t weight[64];
  int count = 0;
};

RowTaps row_taps(const FixedAxis& ys, int oy) {
  RowTaps taps;
  for (int e = 0; e < ys.taps && taps.count < 64; ++e) {
    const std::size_t at = static_cast<std::size_t>(oy) * ys.taps + e;
    if (ys.weight[at] == 0) continue;
    taps.index[taps.count] = ys.index[at];
    taps.weight[taps.count++] = ys.weight[at];
  }
  return taps;
}

// out[i] = clamp(round_half_even(sum_e weight[e] * rows[e][i] / 2^shift)) for
// Taps taps (0: read taps at run time).
template <int Taps, typename T, typename H>
void vertical_portable(const H* const* rows, const std::int32_t* weight, int taps, int shift, T* out,
                       std::size_t n) {
  if constexpr (Taps > 0) taps = Taps;
  constexpr H kMax = static_cast<H>(std::numeric_limits<T>::max());
  // round_half_even(v / 2^shift) for an exact integer v: floor division plus
  // one when the remainder exceeds half, or equals half and the quotient is odd.
  const H half_minus_one = shift > 0 ? (H{1} << (shift - 1)) - 1 : 0;
  const H odd_mask = shift > 0 ? 1 : 0;
  for (std::size_t i = 0; i < n; ++i) {
    H sum = 0;
    for (int e = 0; e < taps; ++e) sum = static_cast<H>(sum + static_cast<H>(weight[e]) * rows[e][i]);
    sum = static_cast<H>((sum + half_minus_one + ((sum >> shift) & odd_mask)) >> shift);
    if constexpr (std::is_signed_v<H>) sum = sum < 0 ? 0 : sum;
    out[i] = static_cast<T>(sum > kMax ? kMax : sum);
  }
}

// The portable band: H is int32 or int64 (chosen so no sum overflows).
template <typename T, typename H>
void band_portable(const FixedAxis& ys, const FixedAxis& xs, int shift, InterleavedView<const T> src,
                   InterleavedView<T> dst, RowCache<H>& cache, int row_begin, int row_end) {
  const int c = src.channels;
  const std::size_t n = static_cast<std::size_t>(dst.width) * c;
  auto compute = [&](int iy, H* row) {
    horizontal_table(xs, src.data + iy * src.row_stride, row, c, 0, dst.width);
  };
  const H* rows[64];
  for (int oy = row_begin; oy < row_end; ++oy) {
    const RowTaps taps = row_taps(ys, oy);
    for (int e = 0; e < taps.count; ++e)
      rows[e] = cached_row(cache, taps.index[e], taps.index, taps.count, oy, compute);
    T* out = dst.data + oy * dst.row_stride;
    switch (taps.count) {
      case 0: std::fill(out, out + n, T{0}); break;
      case 1: vertical_portable<1>(rows, taps.weight, 1, shift, out, n); break;
      case 2: vertical_portable<2>(rows, taps.weight, 2, shift, out, n); break;
      case 3: vertical_portable<3>(rows, taps.weight, 3, shift, out, n); break;
      case 4: vertical_portable<4>(rows, taps.weight, 4, shift, out, n); break;
      default: vertical_portable<0>(rows, taps.weight, taps.count, shift, out, n); break;
    }
  }
}

// The 8-bit SIMD band: 16-bit horizontal rows, SIMD interior, table edges.
void band_u8_simd(const FixedAxis& ys, const FixedAxis& xs, int shift, const U8HorizontalPlan& plan,
                  const U8Kernels& kernels, InterleavedView<const std::uint8_t> src,
                  InterleavedView<std::uint8_t> dst, RowCache<std::uint16_t>& cache, int row_begin,
                  int row_end) {
  const int c = src.channels;
  const std::size_t n = static_cast<std::size_t>(dst.width) * c;
  // SIMD vectors start at output sample s0, a multiple of the period f * C
  // (so the plan's lane pattern holds), reading input from s0 / f = m * C
  // on; the first m with every load at or after the row start is
  // m = ceil(-min_offset / C). Vector q then reads from input sample
  // s0 / f + (q / per_cycle) * cycle_in + offset, and runs while those 16-byte
  // loads end inside the input row and its outputs inside the output row.
  const long in_samples = static_cast<long>(src.width) * c;
  const long m = plan.min_offset >= 0 ? 0 : (-plan.min_offset + c - 1) / c;
  const long s0 = m * plan.factor * c;
  const int lanes = plan.lanes;
  const int per_cycle = plan.cycle_out / (8 * lanes);
  long count = 0;
  for (;; ++count) {
    const long end_out = s0 + (count + 1) * 8 * lanes;
    if (end_out > static_cast<long>(n)) break;
    const long base = m * c + (count / per_cycle) * plan.cycle_in;
    const int* offset = plan.offset.data() + (count % per_cycle) * lanes;
    bool inside = true;
    for (int l = 0; l < lanes; ++l) inside = inside && base + offset[l] + 16 <= in_samples;
    if (!inside) break;
  }
  // Table edges: whole pixels before s0 and from the one the SIMD part ends in.
  const int ox_simd_begin = static_cast<int>(s0 / c);
  const int ox_simd_end = static_cast<int>((s0 + count * 8 * lanes) / c);
  auto compute = [&](int iy, std::uint16_t* row) {
    const std::uint8_t* in = src.data + iy * src.row_stride;
    if (count > 0) {
      kernels.horizontal(plan, in + m * c, row + s0, count);
      horizontal_table(xs, in, row, c, 0, ox_simd_begin);
      horizontal_table(xs, in, row, c, ox_simd_end, dst.width);
    } else {
      horizontal_table(xs, in, row, c, 0, dst.width);
    }
  };
  const std::uint16_t* rows[64];
  std::uint16_t weights[64];
  for (int oy = row_begin; oy < row_end; ++oy) {
    const RowTaps taps = row_taps(ys, oy);
    std::uint8_t* out = dst.data + oy * dst.row_stride;
    if (taps.count == 0) {
      std::memset(out, 0, n);
      continue;
    }
    for (int e = 0; e < taps.count; ++e) {
      rows[e] = cached_row(cache, taps.index[e], taps.index, taps.count, oy, compute);
      weights[e] = static_cast<std::uint16_t>(taps.weight[e]);
    }
    kernels.vertical(rows, weights, taps.count, shift, out, n);
  }
}

template <typename H>
std::vector<RowCache<H>> make_caches(int count, int slots, std::size_t width) {
  std::vector<RowCache<H>> caches(static_cast<std::size_t>(count));
  for (RowCache<H>& cache : caches) {
    cache.rows.assign(static_cast<std::size_t>(slots) * width, 0);
    cache.held.assign(static_cast<std::size_t>(slots), -1);
    cache.used.assign(static_cast<std::size_t>(slots), -1);
    cache.width = width;
  }
  return caches;
}

template <typename T, typename H>
void run_portable(const FixedAxis& ys, const FixedAxis& xs, int shift, InterleavedView<const T> src,
                  InterleavedView<T> dst, int threads) {
  const int count = thread_count(threads, dst.height);
  auto caches = make_caches<H>(count, ys.taps + 1, static_cast<std::size_t>(dst.width) * dst.channels);
  parallel_for(count, [&](int t) {
    band_portable<T, H>(ys, xs, shift, src, dst, caches[static_cast<std::size_t>(t)],
                        static_cast<int>(std::int64_t{dst.height} * t / count),
                        static_cast<int>(std::int64_t{dst.height} * (t + 1) / count));
  });
}

template <typename T>
void run_fixed(Interpolation kind, Size2 factor, Border border, InterleavedView<const T> src,
               InterleavedView<T> dst, int threads, const U8Kernels* kernels) {
  const FixedTaps ty = *fixed_taps(interpolation_taps(kind, factor.h), factor.h);
  const FixedTaps tx = *fixed_taps(interpolation_taps(kind, factor.w), factor.w);
  const FixedAxis ys = make_fixed_axis(ty, src.height, dst.height, border);
  const FixedAxis xs = make_fixed_axis(tx, src.width, dst.width, border);
  const int shift = ty.shift + tx.shift;
  if constexpr (std::is_same_v<T, std::uint8_t>) {
    if (kernels != nullptr) {
      const U8HorizontalPlan plan = *make_u8_horizontal_plan(tx, src.channels, kernels->lanes);
      const int count = thread_count(threads, dst.height);
      auto caches = make_caches<std::uint16_t>(count, ys.taps + 1,
                                               static_cast<std::size_t>(dst.width) * dst.channels);
      parallel_for(count, [&](int t) {
        band_u8_simd(ys, xs, shift, plan, *kernels, src, dst, caches[static_cast<std::size_t>(t)],
                     static_cast<int>(std::int64_t{dst.height} * t / count),
                     static_cast<int>(std::int64_t{dst.height} * (t + 1) / count));
      });
      return;
    }
  }
  const long double bound = static_cast<long double>(std::numeric_limits<T>::max()) * ty.max_abs_sum *
                                tx.max_abs_sum + std::ldexp(1.0L, shift);
  // Non-negative weights with every partial sum and the rounding term below
  // 2^16: 16-bit lanes, which compilers vectorise twice as wide.
  if (ty.nonnegative && tx.nonnegative && bound < std::ldexp(1.0L, 16))
    run_portable<T, std::uint16_t>(ys, xs, shift, src, dst, threads);
  else if (bound < std::ldexp(1.0L, 31))
    run_portable<T, std::int32_t>(ys, xs, shift, src, dst, threads);
  else
    run_portable<T, std::int64_t>(ys, xs, shift, src, dst, threads);
}

}  // namespace

void upsample_fixed(Interpolation kind, Size2 factor, Border border,
                    InterleavedView<const std::uint8_t> src, InterleavedView<std::uint8_t> dst,
                    int threads, const U8Kernels* kernels) {
  run_fixed(kind, factor, border, src, dst, threads, kernels);
}

void upsample_u8_fixed(const ResampleProblem& p, InterleavedView<const std::uint8_t> src,
                       InterleavedView<std::uint8_t> dst, int threads) {
  run_fixed(p.kind, p.factor, p.border, src, dst, threads, nullptr);
}

void upsample_u16_fixed(const ResampleProblem& p, InterleavedView<const std::uint16_t> src,
                        InterleavedView<std::uint16_t> dst, int threads) {
  run_fixed(p.kind, p.factor, p.border, src, dst, threads, nullptr);
}

}  // namespace tconv::detail

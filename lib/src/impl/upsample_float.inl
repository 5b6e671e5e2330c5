// upsample_{u8,u16,f32}_float[_isa]: the float path of interleaved
// upsampling for any kernel and factor (tconv/resample/resample.hpp). Each
// output row is a vertical pass over the input rows it needs, into one
// float row, then a horizontal pass that writes rounded samples (to
// nearest, ties to even). Interior outputs go phase by phase with constant
// weights; the few border outputs use the per-output axis table. Threads
// take bands of output rows (thread t: rows [h t / n, h (t + 1) / n)).
//
// Included by one translation unit per ISA, which defines TCONV_TARGET (a
// GCC target attribute, or nothing) and TCONV_U8_FN, TCONV_U16_FN,
// TCONV_F32_FN (the impls' names). The loops carry the attribute; the
// tables are built by ordinary code. No multiply-add is fused (the files
// are compiled with -ffp-contract=off), so every ISA gives the same bits.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/parallel.hpp"
#include "impl/resample_impls.hpp"
#include "resample/axis_table.hpp"

namespace tconv::detail {

namespace {

// The entries of one axis (axis_table.hpp) and, for the interior, each
// output phase's taps.
struct AxisTable : AxisEntries<float> {
  // Output phase r (o = j * f + r, f = phases.size()) away from the border:
  // every tap reads input j * den + sub[e] + offset[e] * den, i.e. pixel
  // j + offset[e] of the sub-row sub[e] (the input pixels m * den + sub[e]),
  // with the same weight[e] for all j in [j_begin, j_end). At den 1 the one
  // sub-row is the row itself.
  struct Phase {
    std::vector<int> sub;
    std::vector<int> offset;
    std::vector<float> weight;
    int j_begin = 0;
    int j_end = 0;
  };
  std::vector<Phase> phases;
  int den = 1;
};

// Largest numerator whose phases are planned: above it (target sizes of
// awkward ratios) each output reads its own entries.
constexpr int kMaxPlannedPhases = 64;

// A ratio's phases: output r's taps, first input i = first + e, at pixel
// floor(i / den) of sub-row i mod den; interior where every tap is inside.
void plan_ratio_phases(AxisTable& table, Interpolation kind, Ratio ratio, int in, int out) {
  const int taps = ratio_tap_count(kind);
  std::vector<double> weights(static_cast<std::size_t>(taps));
  table.den = ratio.den;
  table.phases.resize(static_cast<std::size_t>(ratio.num));
  for (int r = 0; r < ratio.num; ++r) {
    AxisTable::Phase& phase = table.phases[static_cast<std::size_t>(r)];
    const std::int64_t first = ratio_output_taps(kind, ratio, r, weights.data());
    std::int64_t lo = 0;
    std::int64_t hi = (out - r + ratio.num - 1) / ratio.num;  // outputs r, r + num, ... < out
    for (int e = 0; e < taps; ++e) {
      const std::int64_t i = first + e;
      const std::int64_t sub = ((i % ratio.den) + ratio.den) % ratio.den;
      const std::int64_t offset = (i - sub) / ratio.den;
      phase.sub.push_back(static_cast<int>(sub));
      phase.offset.push_back(static_cast<int>(offset));
      phase.weight.push_back(static_cast<float>(weights[static_cast<std::size_t>(e)]));
      // j den + i in [0, in): j >= ceil(-i / den), j <= floor((in - 1 - i) / den).
      lo = std::max(lo, i >= 0 ? std::int64_t{0} : (-i + ratio.den - 1) / ratio.den);
      hi = std::min(hi, in - 1 - i >= 0 ? (in - 1 - i) / ratio.den + 1 : std::int64_t{0});
    }
    phase.j_begin = static_cast<int>(lo);
    phase.j_end = static_cast<int>(std::max(lo, hi));
  }
}

AxisTable make_table(Interpolation kind, Ratio ratio, int in, int out, Border border) {
  AxisTable table;
  // Rational factors, factors above the factories' limit and the normalize
  // border: the entries of every output from the ratio's taps, and the
  // interior by phases when there are few (the normalize border changes
  // only outputs with taps outside the image).
  if (ratio.den != 1 || ratio.num > kMaxFactor || border == Border::kNormalize) {
    static_cast<AxisEntries<float>&>(table) = make_ratio_entries(kind, ratio, in, out, border);
    if (ratio.num <= kMaxPlannedPhases) plan_ratio_phases(table, kind, ratio, in, out);
    return table;
  }
  const int f = ratio.num;
  const Taps1d taps = interpolation_taps(kind, f);
  const int k = static_cast<int>(taps.weights.size());
  static_cast<AxisEntries<float>&>(table) =
      make_axis_entries<float>(taps.weights, f, taps.pad, in, out, border);
  // Phase r uses taps t == (r + pad) mod f with input offset (r + pad - t) / f.
  table.phases.resize(static_cast<std::size_t>(f));
  for (int r = 0; r < f; ++r) {
    AxisTable::Phase& phase = table.phases[static_cast<std::size_t>(r)];
    const int first = (r + taps.pad) % f;
    int lo = 0;
    int hi = (out - r + f - 1) / f;  // outputs r, r + f, ... < out
    for (int t = first; t < k; t += f) {
      const int offset = (r + taps.pad - t) / f;  // exact: t == r + pad (mod f)
      phase.sub.push_back(0);
      phase.offset.push_back(offset);
      phase.weight.push_back(static_cast<float>(taps.weights[static_cast<std::size_t>(t)]));
      lo = std::max(lo, -offset);      // j + offset >= 0
      hi = std::min(hi, in - offset);  // j + offset < in
    }
    phase.j_begin = lo;
    phase.j_end = std::max(lo, hi);
  }
  return table;
}

// Clamped to [0, max], rounded to nearest with ties to even:
// (x + 2^23) - 2^23 rounds for 0 <= x < 2^23 in the default rounding mode.
// The same for a contiguous run, vectorisable: for |x| < 2^22, x + 1.5 * 2^23
// lies in [2^23, 2^24) where the float spacing is 1, so the addition rounds
// x to nearest (ties to even) and the low bits of the sum hold the integer.
// Interpolation sums stay far inside that range (|weights| sum to < 3 and
// samples are < 2^16).
// Largest integer sample of T.
template <typename T>
constexpr std::int32_t max_sample() {
  if constexpr (std::is_integral_v<T>)
    return std::int32_t(std::numeric_limits<T>::max());
  else
    return 0;  // float samples are not clamped
}

template <typename T>
TCONV_TARGET void round_run(const float* __restrict x, T* __restrict out, std::size_t n) {
  if constexpr (std::is_same_v<T, float>) {
    std::memcpy(out, x, n * sizeof(float));  // float samples are stored as computed
    return;
  }
  constexpr std::int32_t kMax = max_sample<T>();
  for (std::size_t i = 0; i < n; ++i) {
    const float shifted = x[i] + 12582912.0f;
    std::int32_t bits;
    std::memcpy(&bits, &shifted, sizeof bits);
    std::int32_t v = bits - 0x4B400000;
    v = v < 0 ? 0 : v;
    v = v > kMax ? kMax : v;
    out[i] = static_cast<T>(v);
  }
}

template <typename T>
TCONV_TARGET inline T to_sample(float sum) {
  if constexpr (std::is_same_v<T, float>) return sum;
  constexpr float kMax = static_cast<float>(max_sample<T>());
  constexpr float kRound = 8388608.0f;
  sum = std::min(std::max(sum, 0.0f), kMax);
  return static_cast<T>(static_cast<int>((sum + kRound) - kRound));
}

// Horizontal pass with the channel count known at compile time. Interior
// outputs go phase by phase with constant weights (vectorised over the
// interleaved samples into `phase_row`); the few border outputs use the
// per-output table.
// `subs`: the den sub-rows, `sub_stride` samples apart (den > 1 only).
template <typename T, int C>
TCONV_TARGET void horizontal(const AxisTable& xs, const float* tmp, float* subs, std::size_t sub_stride,
                int in_width, float* __restrict phase_row, T* __restrict rounded, T* out, int width) {
  const int f = static_cast<int>(xs.phases.size());
  if (xs.den > 1) {
    // Pixel m of sub-row s is input pixel m * den + s.
    const int den = xs.den;
    for (int s = 0; s < den; ++s) {
      float* __restrict sub = subs + static_cast<std::size_t>(s) * sub_stride;
      for (int i = s, m = 0; i < in_width; i += den, ++m)
        for (int ch = 0; ch < C; ++ch)
          sub[static_cast<std::size_t>(m) * C + ch] = tmp[static_cast<std::size_t>(i) * C + ch];
    }
  }
  for (int r = 0; r < f; ++r) {
    const AxisTable::Phase& phase = xs.phases[static_cast<std::size_t>(r)];
    const std::size_t begin = static_cast<std::size_t>(phase.j_begin) * C;
    const std::size_t end = static_cast<std::size_t>(phase.j_end) * C;
    for (std::size_t i = begin; i < end; ++i) phase_row[i] = 0.0f;
    for (std::size_t e = 0; e < phase.offset.size(); ++e) {
      const float w = phase.weight[e];
      const float* row = xs.den == 1 ? tmp : subs + static_cast<std::size_t>(phase.sub[e]) * sub_stride;
      const float* src = row + static_cast<std::ptrdiff_t>(phase.offset[e]) * C;
      for (std::size_t i = begin; i < end; ++i) phase_row[i] += w * src[i];
    }
    round_run(phase_row + begin, rounded + begin, end - begin);
    for (int j = phase.j_begin; j < phase.j_end; ++j) {
      T* o = out + (static_cast<std::size_t>(j) * f + r) * C;
      const T* v = rounded + static_cast<std::size_t>(j) * C;
      for (int ch = 0; ch < C; ++ch) o[ch] = v[ch];
    }
    // Border outputs of this phase: j outside [j_begin, j_end).
    for (int ox = r; ox < width; ox += f) {
      const int j = ox / f;
      if (j >= phase.j_begin && j < phase.j_end) {
        ox = phase.j_end * f + r - f;  // skip the interior
        continue;
      }
      const int* index = xs.index.data() + static_cast<std::size_t>(ox) * xs.taps;
      const float* weight = xs.weight.data() + static_cast<std::size_t>(ox) * xs.taps;
      float sum[C] = {};
      for (int e = 0; e < xs.taps; ++e) {
        const float* p = tmp + static_cast<std::size_t>(index[e]) * C;
        for (int ch = 0; ch < C; ++ch) sum[ch] += weight[e] * p[ch];
      }
      for (int ch = 0; ch < C; ++ch) out[static_cast<std::size_t>(ox) * C + ch] = to_sample<T>(sum[ch]);
    }
  }
}

// Every output from its own entries: rational factors (no phase structure
// along the row at a stride of one input) and channel counts without a
// specialisation (C == 0: `c` at run time).
template <typename T, int C>
TCONV_TARGET void horizontal_entries(const AxisTable& xs, const float* tmp, T* out, int width, int c) {
  const int channels = C > 0 ? C : c;
  for (int ox = 0; ox < width; ++ox) {
    const int* index = xs.index.data() + static_cast<std::size_t>(ox) * xs.taps;
    const float* weight = xs.weight.data() + static_cast<std::size_t>(ox) * xs.taps;
    T* o = out + static_cast<std::size_t>(ox) * channels;
    for (int ch = 0; ch < channels; ++ch) {
      float sum = 0.0f;
      for (int e = 0; e < xs.taps; ++e)
        sum += weight[e] * tmp[static_cast<std::size_t>(index[e]) * channels + ch];
      o[ch] = to_sample<T>(sum);
    }
  }
}

template <typename T>
TCONV_TARGET void upsample_rows(const AxisTable& ys, const AxisTable& xs, InterleavedView<const T> src,
                   InterleavedView<T> dst, std::vector<float>& tmp, std::vector<float>& subs,
                   std::vector<float>& phase_row, std::vector<T>& rounded, int row_begin, int row_end) {
  const int c = src.channels;
  const std::size_t in_row = static_cast<std::size_t>(src.width) * c;
  for (int oy = row_begin; oy < row_end; ++oy) {
    // Vertical pass: tmp = sum over row taps of weight * input row (the
    // first tap assigns, saving a pass that clears the row).
    bool first = true;
    for (int e = 0; e < ys.taps; ++e) {
      const std::size_t at = static_cast<std::size_t>(oy) * ys.taps + e;
      const float w = ys.weight[at];
      if (w == 0.0f) continue;
      const T* in = src.data + ys.index[at] * src.row_stride;
      if (first)
        for (std::size_t i = 0; i < in_row; ++i) tmp[i] = 0.0f + w * static_cast<float>(in[i]);
      else
        for (std::size_t i = 0; i < in_row; ++i) tmp[i] += w * static_cast<float>(in[i]);
      first = false;
    }
    if (first) std::fill(tmp.begin(), tmp.end(), 0.0f);  // every tap outside (zero border)
    T* out = dst.data + oy * dst.row_stride;
    // A rational factor's phases read the den sub-rows: pixel m of sub-row
    // s is input pixel m * den + s, so each phase's taps run contiguously.
    const std::size_t sub_stride = subs.size() / static_cast<std::size_t>(xs.den);
    if (xs.phases.empty()) {
      switch (c) {
        case 1: horizontal_entries<T, 1>(xs, tmp.data(), out, dst.width, c); break;
        case 3: horizontal_entries<T, 3>(xs, tmp.data(), out, dst.width, c); break;
        case 4: horizontal_entries<T, 4>(xs, tmp.data(), out, dst.width, c); break;
        default: horizontal_entries<T, 0>(xs, tmp.data(), out, dst.width, c); break;
      }
      continue;
    }
    switch (c) {
      case 1: horizontal<T, 1>(xs, tmp.data(), subs.data(), sub_stride, src.width, phase_row.data(), rounded.data(), out, dst.width); break;
      case 3: horizontal<T, 3>(xs, tmp.data(), subs.data(), sub_stride, src.width, phase_row.data(), rounded.data(), out, dst.width); break;
      case 4: horizontal<T, 4>(xs, tmp.data(), subs.data(), sub_stride, src.width, phase_row.data(), rounded.data(), out, dst.width); break;
      default: horizontal_entries<T, 0>(xs, tmp.data(), out, dst.width, c); break;
    }
  }
}

template <typename T>
void upsample_float(const ResampleProblem& p, InterleavedView<const T> src, InterleavedView<T> dst,
                    int threads) {
  const AxisTable ys = make_table(p.kind, {p.factor.h, p.den.h}, src.height, dst.height, p.border);
  const AxisTable xs = make_table(p.kind, {p.factor.w, p.den.w}, src.width, dst.width, p.border);
  const int count = thread_count(threads, dst.height);
  // Per thread: the vertical-pass row and one phase row (at most as long as
  // the input row), allocated before any thread starts.
  const std::vector<float> row(static_cast<std::size_t>(src.width) * src.channels);
  std::vector<std::vector<float>> rows(static_cast<std::size_t>(count), row);
  std::vector<std::vector<float>> phase_rows(static_cast<std::size_t>(count), row);
  std::vector<std::vector<T>> rounded_rows(static_cast<std::size_t>(count), std::vector<T>(row.size()));
  // The den sub-rows of a rational factor, ceil(width / den) pixels each.
  const std::size_t sub_pixels = (static_cast<std::size_t>(src.width) + xs.den - 1) / xs.den;
  std::vector<std::vector<float>> sub_rows(
      static_cast<std::size_t>(count),
      std::vector<float>(xs.den > 1 ? sub_pixels * src.channels * xs.den : xs.den));
  parallel_for(count, [&](int t) {
    upsample_rows(ys, xs, src, dst, rows[static_cast<std::size_t>(t)], sub_rows[static_cast<std::size_t>(t)],
                  phase_rows[static_cast<std::size_t>(t)], rounded_rows[static_cast<std::size_t>(t)],
                  static_cast<int>(std::int64_t{dst.height} * t / count),
                  static_cast<int>(std::int64_t{dst.height} * (t + 1) / count));
  });
}


}  // namespace

void TCONV_U8_FN(const ResampleProblem& p, InterleavedView<const std::uint8_t> src,
                       InterleavedView<std::uint8_t> dst, int threads) {
  upsample_float(p, src, dst, threads);
}

void TCONV_U16_FN(const ResampleProblem& p, InterleavedView<const std::uint16_t> src,
                        InterleavedView<std::uint16_t> dst, int threads) {
  upsample_float(p, src, dst, threads);
}

void TCONV_F32_FN(const ResampleProblem& p, InterleavedView<const float> src,
                        InterleavedView<float> dst, int threads) {
  upsample_float(p, src, dst, threads);
}

}  // namespace tconv::detail

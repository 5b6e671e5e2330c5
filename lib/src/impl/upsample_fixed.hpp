// Internal: the exact fixed-point path of upsample_interleaved() (see
// tconv/resample/resample.hpp and upsample_fixed.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "resample/axis_table.hpp"
#include "tconv/resample/border.hpp"
#include "tconv/resample/factories.hpp"
#include "tconv/resample/resample.hpp"

namespace tconv::detail {

/// The taps of one axis as integers: weight[t] == taps.weights[t] * 2^shift
/// exactly, with the smallest such shift in [0, kMaxFixedShift].
struct FixedTaps {
  int factor = 1;
  int pad = 0;
  int shift = 0;
  std::vector<std::int32_t> weights;
  std::int64_t max_abs_sum = 0;  ///< max over output phases of sum |weight|
  bool nonnegative = true;
};

/// Largest per-axis shift tried: 2^20 keeps 16-bit samples times both axes'
/// weight sums far inside int64.
inline constexpr int kMaxFixedShift = 20;

/// The integer form of `taps`, or nullopt when some tap times 2^kMaxFixedShift
/// is not an integer (the float path then serves the kernel).
std::optional<FixedTaps> fixed_taps(const Taps1d& taps, int factor);

/// One axis resolved for a given input/output size and border, integer weights.
using FixedAxis = AxisEntries<std::int32_t>;

inline FixedAxis make_fixed_axis(const FixedTaps& taps, int in, int out, Border border) {
  return make_axis_entries<std::int32_t>(taps.weights, taps.factor, taps.pad, in, out, border);
}

/// The horizontal pass of the 8-bit SIMD kernels, for an ISA whose vectors
/// hold `lanes` 128-bit lanes of 8 16-bit outputs. The output row (samples
/// s = ox * C + ch) is cut into cycles of `cycle_out` samples (a multiple of
/// 8 * lanes and of factor * C), so cycle k starts at output sample
/// k * cycle_out and reads input samples from k * cycle_in on (cycle_in =
/// cycle_out / factor), the same pattern each time. Lane d of the cycle
/// loads the 16 input bytes at k * cycle_in + offset[d] and computes its 8
/// outputs as sum over tap pairs p of pmaddubsw(pshufb(window,
/// shuffle[d][p]), weight[d][p]). The pattern repeats every factor * C
/// output samples, so it may start at any multiple of that.
struct U8HorizontalPlan {
  int lanes = 0;
  int factor = 1;
  int pairs = 0;
  int cycle_out = 0;
  int cycle_in = 0;
  std::vector<int> offset;               // [cycle_out / 8]
  std::vector<std::uint8_t> shuffle;     // [cycle_out / (8 lanes)][pairs][lanes][16]
  std::vector<std::int8_t> weight;       // [cycle_out / (8 lanes)][pairs][lanes][16]
  int min_offset = 0;                    // min over lanes of offset
  int max_end = 0;                       // max over lanes of offset + 16
};

/// The plan for `lanes` lanes and `channels` interleaved channels, or nullopt
/// when the taps do not fit the kernel: some weight negative or above 127, a
/// pair's weights summing above 128 (pmaddubsw saturates at 32767 = 255 *
/// 128.5), or a lane's taps not inside one 16-byte window.
std::optional<U8HorizontalPlan> make_u8_horizontal_plan(const FixedTaps& taps, int channels,
                                                        int lanes);

/// Per-ISA 8-bit kernels.
struct U8Kernels {
  int lanes;
  /// Vectors q in [0, count) of the pattern: outputs h[8 lanes q ...] from
  /// input `in` + (q / per_cycle) * cycle_in + offset (per_cycle = cycle_out
  /// / (8 lanes)); `in` and `h` point at a multiple of the period.
  void (*horizontal)(const U8HorizontalPlan& plan, const std::uint8_t* in, std::uint16_t* h,
                     long count) noexcept;
  /// out[i] = round_half_even(sum_e weight[e] * rows[e][i] / 2^shift) for i < n,
  /// 1 <= taps <= 4, the exact sum < 2^16 and shift <= 8. (Non-temporal
  /// stores measured no faster for a 25 MB output, so the stores are plain.)
  void (*vertical)(const std::uint16_t* const* rows, const std::uint16_t* weight, int taps,
                   int shift, std::uint8_t* out, std::size_t n) noexcept;
};

U8Kernels u8_kernels_avx2() noexcept;
U8Kernels u8_kernels_avx512() noexcept;

/// Whether the 8-bit SIMD kernels serve `kind` x `factor` with `channels`.
bool u8_simd_applicable(Interpolation kind, Size2 factor, int channels, int lanes);
/// Whether the exact integer path serves `kind` x `factor` for samples up to `max_sample`.
bool fixed_applicable(Interpolation kind, Size2 factor, std::int64_t max_sample);

/// Runs the 8-bit integer path (applicability checked by the caller) with
/// the SIMD `kernels`, or the portable ones when `kernels` is null: what the
/// upsample_u8_fixed* impls (resample_impls.hpp) run.
void upsample_fixed(Interpolation kind, Size2 factor, Border border,
                    InterleavedView<const std::uint8_t> src, InterleavedView<std::uint8_t> dst,
                    int threads, const U8Kernels* kernels);

}  // namespace tconv::detail

// Internal: one axis of a separable stride-f upsampling resolved for given
// input and output sizes and a border, shared by the float (resample.cpp)
// and fixed-point (upsample_fixed.cpp) interleaved paths and by
// run_with_border (border.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tconv/resample/border.hpp"
#include "tconv/resample/factories.hpp"

namespace tconv::detail {

/// Index of the input pixel that stands at position i (possibly outside
/// [0, n)) under `border`: replicate clamps, reflect mirrors without
/// repeating the edge (reflect-101, periodic with period 2n - 2), zero and
/// normalize give -1 (no pixel).
inline int border_source_index(Border border, std::int64_t i, int n) {
  if (i >= 0 && i < n) return static_cast<int>(i);
  if (border == Border::kReplicate) return i < 0 ? 0 : n - 1;
  if (border != Border::kReflect) return -1;
  if (n == 1) return 0;
  const std::int64_t period = 2 * std::int64_t{n} - 2;
  std::int64_t m = i % period;
  if (m < 0) m += period;
  return static_cast<int>(m < n ? m : period - m);
}

/// Output o of the axis is sum_e weight[o * taps + e] * in[index[o * taps + e]]:
/// the entries are padded with weight 0, index 0, and out-of-range inputs
/// are mapped through the border (zero border: dropped).
template <typename Weight>
struct AxisEntries {
  int taps = 0;
  std::vector<int> index;      // [out][taps]
  std::vector<Weight> weight;  // [out][taps]
};

/// The entries of a stride-f axis with kernel `kernel` (taps t in [0, k))
/// and begin padding `pad`. Output o receives input i through tap t iff
/// o + pad == i * f + t, i.e. the taps t = r, r + f, ... with
/// r = (o + pad) mod f, and i = (o + pad - t) / f.
template <typename Weight, typename KernelValue>
AxisEntries<Weight> make_axis_entries(const std::vector<KernelValue>& kernel, int f, int pad,
                                      int in, int out, Border border) {
  const int k = static_cast<int>(kernel.size());
  AxisEntries<Weight> axis;
  axis.taps = (k + f - 1) / f;
  axis.index.assign(static_cast<std::size_t>(out) * axis.taps, 0);
  axis.weight.assign(static_cast<std::size_t>(out) * axis.taps, Weight{});
  for (int o = 0; o < out; ++o) {
    const int r = (o + pad) % f;
    int e = 0;
    for (int t = r; t < k; t += f) {
      const int mapped = border_source_index(border, (std::int64_t{o} + pad - t) / f, in);
      if (mapped < 0) continue;
      const std::size_t at = static_cast<std::size_t>(o) * axis.taps + e++;
      axis.index[at] = mapped;
      axis.weight[at] = static_cast<Weight>(kernel[static_cast<std::size_t>(t)]);
    }
  }
  return axis;
}

/// Taps per output of an axis resampled with `kind` by a ratio: 1 for
/// nearest, else twice the kernel's radius.
int ratio_tap_count(Interpolation kind);

/// Output o's taps of an axis resampled by `ratio` (reduced()) before any
/// border: writes ratio_tap_count() weights (summing to 1) for the inputs
/// first, first + 1, ... and returns first (possibly outside the image).
/// Output o + num has the same weights at first + den.
std::int64_t ratio_output_taps(Interpolation kind, Ratio ratio, std::int64_t o, double* weights);

/// The entries of an axis resampled by `ratio` (reduced()) from `in` to
/// `out` samples with `kind` (see Ratio for the geometry): every output's
/// taps, normalised to sum 1 before the border maps them; the normalize
/// border (unlike make_axis_entries) divides by the weight inside the image.
/// Defined in factories.cpp, beside the kernel functions.
AxisEntries<float> make_ratio_entries(Interpolation kind, Ratio ratio, int in, int out,
                                      Border border);

}  // namespace tconv::detail

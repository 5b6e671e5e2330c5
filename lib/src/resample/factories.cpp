// Interpolation weight factories (see tconv/resample/factories.hpp for the geometry).
#include "tconv/resample/factories.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <string>
#include <vector>

#include "resample/axis_table.hpp"
#include "tconv/core/error.hpp"

namespace tconv {

std::string_view to_string(Interpolation kind) noexcept {
  switch (kind) {
    case Interpolation::kNearest: return "nearest";
    case Interpolation::kBilinear: return "bilinear";
    case Interpolation::kBicubic: return "bicubic";
    case Interpolation::kLanczos3: return "lanczos3";
  }
  return "?";
}

namespace {

// The kernels' own names first, then the names of ImageMagick, vips and
// FFmpeg users for the same kernels: catrom (Catmull-Rom) is Keys' cubic
// with a = -0.5, as bicubic here.
struct KernelName {
  std::string_view name;
  Interpolation kind;
};
constexpr KernelName kKernelNames[] = {
    {"bilinear", Interpolation::kBilinear}, {"nearest", Interpolation::kNearest},
    {"bicubic", Interpolation::kBicubic},   {"lanczos3", Interpolation::kLanczos3},
    {"linear", Interpolation::kBilinear},   {"box", Interpolation::kNearest},
    {"cubic", Interpolation::kBicubic},     {"catrom", Interpolation::kBicubic},
    {"lanczos", Interpolation::kLanczos3}};

}  // namespace

std::optional<Interpolation> parse_interpolation(std::string_view name) noexcept {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  for (const KernelName& k : kKernelNames)
    if (k.name.size() == name.size() &&
        std::equal(name.begin(), name.end(), k.name.begin(), [&](char a, char b) { return lower(a) == b; }))
      return k.kind;
  return std::nullopt;
}

std::vector<std::string_view> interpolation_names() {
  std::vector<std::string_view> names;
  for (const KernelName& k : kKernelNames) names.push_back(k.name);
  return names;
}

namespace {

// Support radius in input pixels.
int radius_x2(Interpolation kind) {
  switch (kind) {
    case Interpolation::kNearest: return 1;
    case Interpolation::kBilinear: return 2;
    case Interpolation::kBicubic: return 4;
    case Interpolation::kLanczos3: return 6;
  }
  return 2;
}

double sinc(double x) {
  if (x == 0.0) return 1.0;
  const double px = std::numbers::pi * x;
  return std::sin(px) / px;
}

double kernel_value(Interpolation kind, double u) {
  const double a = std::abs(u);
  switch (kind) {
    case Interpolation::kNearest: return a < 0.5 ? 1.0 : 0.0;
    case Interpolation::kBilinear: return a < 1.0 ? 1.0 - a : 0.0;
    case Interpolation::kBicubic: {
      constexpr double kA = -0.5;  // Keys' parameter (MATLAB, PIL); cv::resize uses -0.75
      if (a <= 1.0) return ((kA + 2.0) * a - (kA + 3.0)) * a * a + 1.0;
      if (a < 2.0) return ((kA * a - 5.0 * kA) * a + 8.0 * kA) * a - 4.0 * kA;
      return 0.0;
    }
    case Interpolation::kLanczos3: return a < 3.0 ? sinc(u) * sinc(u / 3.0) : 0.0;
  }
  return 0.0;
}

}  // namespace

// One axis: taps t in [0, k), output o receives input i through tap t iff
// o + pad == i * f + t, so output phase r = o mod f uses the taps with
// t == (r + pad) mod f; each such set is normalised to sum 1.
Taps1d interpolation_taps(Interpolation kind, int f) {
  if (f < 1 || f > kMaxFactor)
    throw InvalidArgument("upsampler factor " + std::to_string(f) + ": factor must be in [1, " +
                          std::to_string(kMaxFactor) + "]");
  // Largest k with k == f (mod 2) and k - 1 < 2 f R, i.e. k <= 2 f R.
  int k = f * radius_x2(kind);
  if ((k - f) % 2 != 0) --k;
  Taps1d taps;
  taps.pad = (k - f) / 2;
  taps.weights.resize(static_cast<std::size_t>(k));
  for (int t = 0; t < k; ++t) {
    const double u = (t + 0.5 - taps.pad - 0.5 * f) / f;
    taps.weights[static_cast<std::size_t>(t)] = kernel_value(kind, u);
  }
  for (int phase = 0; phase < f; ++phase) {
    double sum = 0.0;
    for (int t = phase; t < k; t += f) sum += taps.weights[static_cast<std::size_t>(t)];
    if (sum != 0.0)
      for (int t = phase; t < k; t += f) taps.weights[static_cast<std::size_t>(t)] /= sum;
  }
  return taps;
}

Ratio reduced(Ratio ratio) {
  if (ratio.den < 1 || ratio.num < ratio.den || ratio.num > kMaxRatioTerm)
    throw InvalidArgument("resampling ratio " + std::to_string(ratio.num) + "/" +
                          std::to_string(ratio.den) + ": needs 1 <= den <= num <= " +
                          std::to_string(kMaxRatioTerm) + " (a factor of at least 1)");
  const int g = std::gcd(ratio.num, ratio.den);
  return {ratio.num / g, ratio.den / g};
}

std::string to_string(Ratio ratio) {
  return ratio.den == 1 ? std::to_string(ratio.num)
                        : std::to_string(ratio.num) + "/" + std::to_string(ratio.den);
}

std::int64_t resampled_length(std::int64_t in, Ratio ratio) {
  // in * num = n * den + r; round up when 2 r > den, or at a tie to the even n.
  const std::int64_t product = in * ratio.num;
  const std::int64_t n = product / ratio.den;
  const std::int64_t twice_r = 2 * (product % ratio.den);
  if (twice_r > ratio.den || (twice_r == ratio.den && n % 2 != 0)) return n + 1;
  return n;
}

namespace detail {

int ratio_tap_count(Interpolation kind) {
  return kind == Interpolation::kNearest ? 1 : radius_x2(kind);
}

// Output o samples x = (o + 0.5) den / num - 0.5 = n / (2 num) with
// n = (2 o + 1) den - num, an exact integer, so the taps repeat with period
// num in o (x grows by den) and their positions are exact.
std::int64_t ratio_output_taps(Interpolation kind, Ratio ratio, std::int64_t o, double* weights) {
  const std::int64_t two_num = 2 * std::int64_t{ratio.num};
  const std::int64_t n = (2 * o + 1) * ratio.den - ratio.num;
  if (kind == Interpolation::kNearest) {
    weights[0] = 1.0;
    return (n + ratio.num) / two_num;  // floor(x + 0.5); n + num > 0
  }
  // i0 = floor(x); taps i0 - radius + 1 .. i0 + radius, at distance x - i.
  const int radius = radius_x2(kind) / 2;
  const std::int64_t i0 = n >= 0 ? n / two_num : -((-n + two_num - 1) / two_num);
  const double frac = static_cast<double>(n - i0 * two_num) / static_cast<double>(two_num);
  double sum = 0.0;
  for (int e = 0; e < 2 * radius; ++e) {
    weights[e] = kernel_value(kind, frac + radius - 1 - e);
    sum += weights[e];
  }
  for (int e = 0; e < 2 * radius; ++e) weights[e] /= sum;
  return i0 - radius + 1;
}

AxisEntries<float> make_ratio_entries(Interpolation kind, Ratio ratio, int in, int out,
                                      Border border) {
  AxisEntries<float> axis;
  axis.taps = ratio_tap_count(kind);
  axis.index.assign(static_cast<std::size_t>(out) * axis.taps, 0);
  axis.weight.assign(static_cast<std::size_t>(out) * axis.taps, 0.0f);
  std::vector<double> weights(static_cast<std::size_t>(axis.taps));
  std::vector<std::int64_t> inputs(static_cast<std::size_t>(axis.taps));
  for (int o = 0; o < out; ++o) {
    const std::int64_t first = ratio_output_taps(kind, ratio, o, weights.data());
    for (int e = 0; e < axis.taps; ++e) inputs[static_cast<std::size_t>(e)] = first + e;
    // Out-of-image taps go through the border; the normalize border divides
    // by the weight that fell inside the image.
    int kept = 0;
    double kept_sum = 0.0;
    for (int e = 0; e < axis.taps; ++e) {
      const int mapped = border_source_index(border, inputs[static_cast<std::size_t>(e)], in);
      if (mapped < 0) continue;
      inputs[static_cast<std::size_t>(kept)] = mapped;
      weights[static_cast<std::size_t>(kept)] = weights[static_cast<std::size_t>(e)];
      kept_sum += weights[static_cast<std::size_t>(e)];
      ++kept;
    }
    const double scale = border == Border::kNormalize && kept_sum != 0.0 ? 1.0 / kept_sum : 1.0;
    const std::size_t row = static_cast<std::size_t>(o) * axis.taps;
    for (int e = 0; e < kept; ++e) {
      axis.index[row + e] = static_cast<int>(inputs[static_cast<std::size_t>(e)]);
      axis.weight[row + e] = static_cast<float>(weights[static_cast<std::size_t>(e)] * scale);
    }
  }
  return axis;
}

}  // namespace detail

Layer make_upsampler(Interpolation kind, Size2 factor, int channels) {
  if (factor.h < 1 || factor.w < 1 || factor.h > kMaxFactor || factor.w > kMaxFactor)
    throw InvalidArgument("upsampler factor " + to_string(factor) + ": factor must be in [1, " +
                          std::to_string(kMaxFactor) + "]");
  if (channels < 1 || channels > kMaxChannels)
    throw InvalidArgument("upsampler channels " + std::to_string(channels) +
                          ": must be in [1, " + std::to_string(kMaxChannels) + "]");
  const Taps1d th = interpolation_taps(kind, factor.h);
  const Taps1d tw = interpolation_taps(kind, factor.w);
  const int kh = static_cast<int>(th.weights.size());
  const int kw = static_cast<int>(tw.weights.size());

  Layer layer;
  ConvParams& p = layer.params;
  p.in_channels = p.out_channels = p.groups = channels;
  p.kernel = {kh, kw};
  p.stride = factor;
  p.pad_begin = p.pad_end = {th.pad, tw.pad};

  layer.weights.shape = {channels, 1, kh, kw};
  std::vector<float>& values = layer.weights.values;
  values.reserve(static_cast<std::size_t>(layer.weights.shape.elements()));
  for (int c = 0; c < channels; ++c)
    for (double wy : th.weights)
      for (double wx : tw.weights) values.push_back(static_cast<float>(wy * wx));
  return layer;
}

}  // namespace tconv

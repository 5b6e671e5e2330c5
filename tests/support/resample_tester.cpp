#include "resample_tester.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <type_traits>

#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/resample/resample.hpp"

namespace tconv::test {

namespace {

// What one axis of the kernel means for the float reference's sums.
struct AxisBound {
  bool dyadic = false;       // every tap is an integer times 2^-shift
  int shift = 0;             // the smallest such shift
  double max_abs_sum = 0.0;  // largest sum of |taps| serving one output phase
  int taps_per_output = 0;   // ceil(k / f)
};

AxisBound axis_bound(Interpolation kind, int f) {
  const Taps1d taps = interpolation_taps(kind, f);
  const int k = static_cast<int>(taps.weights.size());
  AxisBound b;
  b.taps_per_output = (k + f - 1) / f;
  // Output phases use the taps congruent mod f.
  for (int r = 0; r < f; ++r) {
    double sum = 0.0;
    for (int t = r; t < k; t += f) sum += std::abs(taps.weights[static_cast<std::size_t>(t)]);
    b.max_abs_sum = std::max(b.max_abs_sum, sum);
  }
  for (int n = 0; n <= 30 && !b.dyadic; ++n) {
    b.dyadic = std::all_of(taps.weights.begin(), taps.weights.end(), [n](double w) {
      const double scaled = std::ldexp(w, n);  // exact: a power-of-two scaling
      return scaled == std::nearbyint(scaled);
    });
    b.shift = n;
  }
  return b;
}

double max_sample(SampleType type) {
  switch (type) {
    case SampleType::kU8:
      return std::numeric_limits<std::uint8_t>::max();
    case SampleType::kU16:
      return std::numeric_limits<std::uint16_t>::max();
    case SampleType::kF32:
      return 1.5;  // the largest magnitude drawn
  }
  return 0.0;
}

template <typename T>
std::vector<T> random_samples(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<T> v(n);
  if constexpr (std::is_floating_point_v<T>) {
    std::uniform_real_distribution<float> dist(-0.5f, 1.5f);  // beyond [0, 1]: nothing is clamped
    for (T& x : v) x = dist(rng);
  } else {
    std::uniform_int_distribution<int> dist(0, std::numeric_limits<T>::max());
    for (T& x : v) x = static_cast<T>(dist(rng));
  }
  return v;
}

// A value no correct run writes into the row padding, and that makes an
// output the impl forgot stand out (NaN for float samples).
template <typename T>
T sentinel() {
  if constexpr (std::is_floating_point_v<T>)
    return std::numeric_limits<T>::quiet_NaN();
  else
    return static_cast<T>(std::numeric_limits<T>::max() / 3);
}

template <typename T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

}  // namespace

std::string_view to_string(SampleType type) noexcept {
  switch (type) {
    case SampleType::kU8:
      return "u8";
    case SampleType::kU16:
      return "u16";
    case SampleType::kF32:
      return "f32";
  }
  return "?";
}

std::vector<std::string> ResampleTester::impl_names(SampleType type) {
  std::vector<std::string_view> names;
  switch (type) {
    case SampleType::kU8:
      names = upsample_interleaved_impls<std::uint8_t>();
      break;
    case SampleType::kU16:
      names = upsample_interleaved_impls<std::uint16_t>();
      break;
    case SampleType::kF32:
      names = upsample_interleaved_impls<float>();
      break;
  }
  return {names.begin(), names.end()};
}

std::string ResampleTester::problem() const {
  return std::string(to_string(type_)) + "_c" + std::to_string(c_) + "h" + std::to_string(h_) +
         "w" + std::to_string(w_) + "_" + std::string(to_string(kind_)) + "_fh" +
         std::to_string(factor_.h) + "fw" + std::to_string(factor_.w) + "_" +
         std::string(to_string(border_)) +
         (row_padding_ != 0 ? "_rowpad" + std::to_string(row_padding_) : std::string());
}

bool ResampleTester::reference_is_exact() const {
  if (type_ == SampleType::kF32) return false;
  const AxisBound y = axis_bound(kind_, factor_.h);
  const AxisBound x = axis_bound(kind_, factor_.w);
  if (!y.dyadic || !x.dyadic) return false;
  // Every product and partial sum is a multiple of 2^-(ny + nx) no larger
  // than max_sample * S_y * S_x: it fits 24 bits when this bound does.
  return max_sample(type_) * y.max_abs_sum * x.max_abs_sum * std::ldexp(1.0, y.shift + x.shift) <=
         std::ldexp(1.0, 24);
}

double ResampleTester::tolerance() const {
  if (type_ != SampleType::kF32) return reference_is_exact() ? 0.0 : 1.0;
  const AxisBound y = axis_bound(kind_, factor_.h);
  const AxisBound x = axis_bound(kind_, factor_.w);
  const int products = y.taps_per_output * x.taps_per_output;
  return (products + 2) * double{FLT_EPSILON} * y.max_abs_sum * x.max_abs_sum * max_sample(type_);
}

bool ResampleTester::test_against_reference(std::string_view impl) const {
  switch (type_) {
    case SampleType::kU8:
      return run<std::uint8_t>(impl);
    case SampleType::kU16:
      return run<std::uint16_t>(impl);
    case SampleType::kF32:
      return run<float>(impl);
  }
  return false;
}

template <typename T>
bool ResampleTester::run(std::string_view impl) const {
  if (!upsample_interleaved_applicable<T>(impl, kind_, factor_, c_)) return false;
  INFO("problem " << problem() << " seed " << seed_ << " impl " << impl << " threads " << threads_);
  const ResampleOptions options{threads_, std::string(impl)};
  REQUIRE(upsample_interleaved_impl<T>(kind_, factor_, c_, options) == impl);

  const int oh = h_ * factor_.h;
  const int ow = w_ * factor_.w;
  const std::size_t src_stride = static_cast<std::size_t>(w_) * c_ + row_padding_;
  const std::size_t dst_stride = static_cast<std::size_t>(ow) * c_ + row_padding_;
  const std::vector<T> src = random_samples<T>(static_cast<std::size_t>(h_) * src_stride, seed_);
  std::vector<T> dst(static_cast<std::size_t>(oh) * dst_stride, sentinel<T>());
  upsample_interleaved(
      kind_, factor_, border_,
      InterleavedView<const T>{src.data(), h_, w_, c_, static_cast<std::ptrdiff_t>(src_stride)},
      InterleavedView<T>{dst.data(), oh, ow, c_, static_cast<std::ptrdiff_t>(dst_stride)}, options);

  // The reference: the same samples as a planar float tensor (exact for
  // 8/16-bit integers), the planar op, then the rounding the header
  // documents: clamp to the sample range, to nearest with ties to even.
  Tensor planar(Shape3{c_, h_, w_});
  for (int y = 0; y < h_; ++y)
    for (int x = 0; x < w_; ++x)
      for (int ch = 0; ch < c_; ++ch)
        planar.at(ch, y, x) = static_cast<float>(
            src[static_cast<std::size_t>(y) * src_stride + static_cast<std::size_t>(x) * c_ + ch]);
  Layer layer = make_upsampler(kind_, factor_, c_);
  const ConvTranspose2d op = ConvTranspose2d::create(layer.params, std::move(layer.weights));
  const Tensor reference = run_with_border(op, planar.view(), border_);
  REQUIRE(reference.shape() == Shape3{c_, oh, ow});
  auto expected_at = [&](int ch, int y, int x) {
    const double v = reference.at(ch, y, x);
    if constexpr (std::is_floating_point_v<T>)
      return v;
    else
      return std::nearbyint(std::clamp(v, 0.0, double{std::numeric_limits<T>::max()}));
  };

  const double tol = tolerance();
  double worst_err = 0.0;
  int worst_y = 0, worst_x = 0, worst_ch = 0;
  bool padding_intact = true;
  for (int y = 0; y < oh; ++y) {
    const T* row = dst.data() + static_cast<std::size_t>(y) * dst_stride;
    for (int x = 0; x < ow; ++x)
      for (int ch = 0; ch < c_; ++ch) {
        const double err =
            std::abs(static_cast<double>(row[static_cast<std::size_t>(x) * c_ + ch]) -
                     expected_at(ch, y, x));
        if (!(err <= worst_err)) {  // NaN counts as the worst
          worst_err = err;
          worst_y = y;
          worst_x = x;
          worst_ch = ch;
        }
      }
    for (std::size_t i = static_cast<std::size_t>(ow) * c_; i < dst_stride; ++i)
      padding_intact = padding_intact && same_bits(row[i], sentinel<T>());
  }
  INFO("worst output (y " << worst_y << ", x " << worst_x << ", channel " << worst_ch
                          << "): expected " << expected_at(worst_ch, worst_y, worst_x) << ", got "
                          << static_cast<double>(
                                 dst[static_cast<std::size_t>(worst_y) * dst_stride +
                                     static_cast<std::size_t>(worst_x) * c_ + worst_ch])
                          << ", tolerance " << tol
                          << (reference_is_exact() ? " (the float sums are exact)" : ""));
  REQUIRE(worst_err <= tol);
  REQUIRE(padding_intact);
  return true;
}

}  // namespace tconv::test

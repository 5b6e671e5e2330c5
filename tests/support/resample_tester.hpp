// Fluent tester for the interleaved upsampling family
// (tconv/resample/resample.hpp), as TConvTester is for conv_transpose2d: a
// test names only what it varies; the tester makes seeded random samples,
// runs one impl of upsample_interleaved() and the planar float op on the
// same samples (make_upsampler() + run_with_border(), the reference the
// header promises agreement with), rounds the reference as the header
// documents and compares, printing the problem string, the seed and the
// worst index on failure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tconv/resample/border.hpp"
#include "tconv/resample/factories.hpp"

namespace tconv::test {

/// The sample types upsample_interleaved() serves.
enum class SampleType { kU8, kU16, kF32 };

/// "u8", "u16" or "f32".
[[nodiscard]] std::string_view to_string(SampleType type) noexcept;

class ResampleTester {
 public:
  ResampleTester& sample_type(SampleType type) { type_ = type; return *this; }
  /// Input rows and columns, each >= 1.
  ResampleTester& size(int h, int w) { h_ = h; w_ = w; return *this; }
  /// Interleaved channels, >= 1.
  ResampleTester& channels(int c) { c_ = c; return *this; }
  ResampleTester& kind(Interpolation kind) { kind_ = kind; return *this; }
  ResampleTester& factor(int fh, int fw) { factor_ = {fh, fw}; return *this; }
  ResampleTester& factor(int f) { return factor(f, f); }
  /// kZero, kReplicate or kReflect (the interleaved path refuses kNormalize).
  ResampleTester& border(Border border) { border_ = border; return *this; }
  /// Samples appended to every input and output row (row_stride beyond
  /// width * channels); the output's must stay untouched.
  ResampleTester& row_padding(int samples) { row_padding_ = samples; return *this; }
  /// ResampleOptions::threads (0: all cores); the default 1.
  ResampleTester& threads(int n) { threads_ = n; return *this; }
  ResampleTester& seed(std::uint32_t s) { seed_ = s; return *this; }

  /// upsample_interleaved_impls<T>() for `type`, best first.
  [[nodiscard]] static std::vector<std::string> impl_names(SampleType type);

  /// Compact problem string, e.g. "u8_c3h9w7_bicubic_fh3fw2_reflect".
  [[nodiscard]] std::string problem() const;

  /// Whether the float reference computes every output exactly before it
  /// is rounded: integer samples, taps that are all multiples of 2^-n per
  /// axis (n = ny, nx), and max_sample * S_y * S_x * 2^(ny + nx) <= 2^24
  /// with S the largest per-phase sum of |taps|, so every partial sum fits
  /// a float's significand. Then every impl must return exactly the rounded
  /// reference (the header's bit-for-bit promise for the fixed-point impls,
  /// and the float impls compute the same exact value); otherwise integer
  /// samples may differ by 1 (the rounding of a sum taken in another order).
  [[nodiscard]] bool reference_is_exact() const;

  /// The largest difference test_against_reference() accepts: 0 or 1 for
  /// integer samples (see reference_is_exact()); for float samples
  /// (n + 2) * FLT_EPSILON * S_y * S_x * max|sample|, n the products per
  /// output (two summation orders plus the weights' own rounding).
  [[nodiscard]] double tolerance() const;

  /// `impl` (an impl_names() entry) agrees with the planar float op,
  /// rounded to nearest (ties to even) and clamped for integer samples,
  /// within tolerance(), and leaves the output row padding untouched.
  /// Integer samples are uniform over the type's range, float samples over
  /// [-0.5, 1.5). Returns false, running nothing, when the impl does not
  /// take the problem on this CPU (upsample_interleaved_applicable); the
  /// caller reports it.
  bool test_against_reference(std::string_view impl) const;

 private:
  template <typename T>
  bool run(std::string_view impl) const;

  SampleType type_ = SampleType::kU8;
  int h_ = 5;
  int w_ = 5;
  int c_ = 1;
  Interpolation kind_ = Interpolation::kBilinear;
  Size2 factor_{2, 2};
  Border border_ = Border::kReplicate;
  int row_padding_ = 0;
  int threads_ = 1;
  std::uint32_t seed_ = 1;
};

}  // namespace tconv::test

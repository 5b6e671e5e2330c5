// tconv/resample/resample.hpp - interpolating upsampling of interleaved 8/16-bit and float images.
//
// The same operation as make_upsampler() + run_with_border() (same taps,
// same pixel-centre geometry, same zero / replicate / reflect borders), but
// computed straight from an interleaved image to another one in row bands,
// so no full-size float image exists and memory stays near input + output
// size. Two algorithms, picked per problem (first applicable impl wins):
//
// - Fixed point (upsample_u8_fixed*, upsample_u16_fixed) when every 1-D tap
//   times 2^n is an integer: bilinear at power-of-two factors, nearest at any
//   factor, bicubic at x2 / x4. The integer sum is exact and rounded once, to
//   nearest with ties to even, then clamped: the exact interpolated value
//   rounded as the float path rounds it. Where the float path computes that
//   value exactly (8-bit samples; 16-bit bilinear and nearest) the two agree
//   bit for bit. 8-bit images with non-negative weights summing to at most
//   2^8 per output run 16-bit SIMD kernels (AVX-512BW, AVX2, picked at run
//   time).
// - Float (upsample_*_float) for every other kernel: a vertical pass over
//   the input rows an output row needs into a float row, then a horizontal
//   pass that writes rounded samples (to nearest, ties to even). It agrees
//   with the planar float op within 1 in the last bit of the sample
//   (rounding of sums taken in another order).
//
// Each output row is computed by exactly one thread from the same numbers,
// so results do not depend on the thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tconv/resample/border.hpp"
#include "tconv/resample/factories.hpp"

namespace tconv {

/// An interleaved image in memory: `height` rows of `width * channels`
/// samples, rows `row_stride` samples apart (>= width * channels).
template <typename T>
struct InterleavedView {
  T* data = nullptr;
  int height = 0;
  int width = 0;
  int channels = 0;
  std::ptrdiff_t row_stride = 0;
};

/// Options of upsample_interleaved().
struct ResampleOptions {
  /// Threads: 0 uses all cores, n >= 1 at most n (never more than output
  /// rows). The result does not depend on it.
  int threads = 0;
  /// Empty: the first applicable impl of upsample_interleaved_impls<T>().
  /// Otherwise that impl; upsample_interleaved() throws InvalidArgument when
  /// it is unknown, serves another sample type or does not apply (CPU or kernel).
  std::string force_impl;
};

/// Names of the impls for samples of type T (std::uint8_t, std::uint16_t or
/// float), best first, the float path last: upsample_u8_fixed_avx512,
/// upsample_u8_fixed_avx2, upsample_u8_fixed, upsample_u8_float_avx512,
/// upsample_u8_float_avx2, upsample_u8_float; upsample_u16_fixed,
/// upsample_u16_float_avx512, upsample_u16_float_avx2, upsample_u16_float;
/// upsample_f32_float_avx512, upsample_f32_float_avx2, upsample_f32_float.
/// The float impls of every ISA give the same bits.
template <typename T>
[[nodiscard]] std::vector<std::string_view> upsample_interleaved_impls();

/// Whether impl `name` serves `kind` x `factor` (each in [1, kMaxFactor]) for
/// `channels` interleaved channels (>= 1) of type T on this CPU. Throws
/// InvalidArgument for a bad factor or channel count.
template <typename T>
[[nodiscard]] bool upsample_interleaved_applicable(std::string_view name, Interpolation kind,
                                                   Size2 factor, int channels);

/// The impl upsample_interleaved() runs for these arguments and
/// `options.force_impl` (for logging). Throws as upsample_interleaved() does
/// for a bad factor, channel count or forced impl.
template <typename T>
[[nodiscard]] std::string_view upsample_interleaved_impl(Interpolation kind, Size2 factor,
                                                         int channels,
                                                         const ResampleOptions& options = {});

/// Upsamples `src` by `factor` into `dst` (exactly factor x the size, same
/// channels; ShapeMismatch otherwise) with `kind` and `border` (kZero,
/// kReplicate or kReflect; InvalidArgument for kNormalize), on `threads`
/// threads (0: all cores; the result does not depend on it). Samples are
/// rounded to nearest, ties to even, and clamped to the type's range.
/// `dst` must not overlap `src`.
void upsample_interleaved(Interpolation kind, Size2 factor, Border border,
                          InterleavedView<const std::uint8_t> src,
                          InterleavedView<std::uint8_t> dst, int threads = 0);
/// The same for 16-bit samples.
void upsample_interleaved(Interpolation kind, Size2 factor, Border border,
                          InterleavedView<const std::uint16_t> src,
                          InterleavedView<std::uint16_t> dst, int threads = 0);
/// The same for float samples, stored as computed (no clamping or rounding;
/// NaN and Inf propagate as in the float path).
void upsample_interleaved(Interpolation kind, Size2 factor, Border border,
                          InterleavedView<const float> src, InterleavedView<float> dst,
                          int threads = 0);

/// The same with options (threads, forced impl); see ResampleOptions.
void upsample_interleaved(Interpolation kind, Size2 factor, Border border,
                          InterleavedView<const std::uint8_t> src,
                          InterleavedView<std::uint8_t> dst, const ResampleOptions& options);
/// The same with options for 16-bit samples.
void upsample_interleaved(Interpolation kind, Size2 factor, Border border,
                          InterleavedView<const std::uint16_t> src,
                          InterleavedView<std::uint16_t> dst, const ResampleOptions& options);
/// The same with options for float samples.
void upsample_interleaved(Interpolation kind, Size2 factor, Border border,
                          InterleavedView<const float> src, InterleavedView<float> dst,
                          const ResampleOptions& options);

/// Resamples `src` by a rational factor per axis (Ratio: the polyphase
/// resampler, a stride-num transposed convolution then a stride-den
/// convolution, computed in one pass): `dst` is exactly
/// resampled_length(src side, ratio) per axis (ShapeMismatch otherwise).
/// Each ratio must satisfy reduced() (InvalidArgument otherwise); factors
/// with den 1 up to kMaxFactor give the same result as the Size2 overloads.
/// Rational factors run the float path: within 1 in the last bit of the
/// sample of the exact value, and for bilinear within 1 of
/// cv::resize(INTER_LINEAR) at the same factor. Border, threads, rounding
/// and forced impls as above.
void resample_interleaved(Interpolation kind, Ratio2 ratio, Border border,
                          InterleavedView<const std::uint8_t> src,
                          InterleavedView<std::uint8_t> dst, const ResampleOptions& options = {});
/// The same for 16-bit samples.
void resample_interleaved(Interpolation kind, Ratio2 ratio, Border border,
                          InterleavedView<const std::uint16_t> src,
                          InterleavedView<std::uint16_t> dst, const ResampleOptions& options = {});
/// The same for float samples (stored as computed).
void resample_interleaved(Interpolation kind, Ratio2 ratio, Border border,
                          InterleavedView<const float> src, InterleavedView<float> dst,
                          const ResampleOptions& options = {});

}  // namespace tconv

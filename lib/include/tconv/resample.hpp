// tconv/resample.hpp - interpolating upsampling of interleaved 8/16-bit and float images.
//
// The same operation as make_upsampler() + run_with_border() (same taps,
// same pixel-centre geometry, same zero / replicate / reflect borders), but
// computed straight from an interleaved integer image to another one, one
// output row at a time: the 2-D kernel is separable, so each output row is a
// vertical pass over the few input rows it needs into a float row buffer,
// then a horizontal pass that writes rounded samples. No full-size float
// image exists, so memory stays near input + output size. Results agree with
// the float path to within 1 in the last bit of the sample (rounding of
// sums taken in another order).
#pragma once

#include <cstddef>
#include <cstdint>

#include "tconv/border.hpp"
#include "tconv/factories.hpp"

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

/// Upsamples `src` by `factor` into `dst` (exactly factor x the size, same
/// channels; ShapeMismatch otherwise) with `kind` and `border` (kZero,
/// kReplicate or kReflect; InvalidArgument for kNormalize), on `threads`
/// threads (0: all cores; the result does not depend on it). Samples are
/// clamped to the type's range and rounded to nearest, ties to even.
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

}  // namespace tconv

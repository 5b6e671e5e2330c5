// Internal: a strided conv2d as a stride-1 conv2d over its input split into
// stride phases, so the tiled stride-1 impls run it.
//
// Per axis (stride s, dilation d, pad_begin p, kernel k), tap t reads input
// position o * s + off, off = t d - p = s f + r with r = off mod s and
// f = floor(off / s): element o + f of phase plane r (positions r, r + s, ...).
// So output o = sum over phases r and offsets f of a stride-1 convolution of
// the phase planes, kernel extent K' = f(k - 1) - f(0) + 1, pad_begin -f(0).
// The split input has channel (i, rh, rw) = i * sh * sw + rh * sw + rw (the
// phases of one channel stay inside its group), planes of ceil(L / s) per
// axis, zero where a phase is shorter. Weights:
//   W'[o][il * sh * sw + rh * sw + rw][k'h][k'w] = W[o][il][th][tw]
// for the tap (th, tw) with those phases and offsets, zero where no tap
// lands (dilation, or a kernel that is not a multiple of the stride).
#pragma once

#include "tconv/core/conv_params.hpp"
#include "tconv/core/tensor.hpp"

namespace tconv::detail {

struct PhaseSplitConv {
  ConvParams params;  ///< stride 1, dilation 1
  Weights weights;    ///< without bias
  Shape3 split_item;  ///< one item of the split input
  Size2 stride;       ///< the strided conv's
};

/// `strided`: resolved conv2d params; `input`: its input item; `output`: the
/// rows and columns wanted (at most what the split conv produces: the split
/// conv's output can be larger, never smaller).
PhaseSplitConv phase_split_conv2d(const ConvParams& strided, const Weights& weights,
                                  const Shape3& input, const Shape3& output);

/// Writes `src` split into phases (split.split_item per item) to `dst`.
void split_input_phases(const PhaseSplitConv& split, ConstBatchView src, float* dst) noexcept;

}  // namespace tconv::detail

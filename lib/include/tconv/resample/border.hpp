// tconv/resample/border.hpp - what lies beyond the image edge when upsampling images.
//
// A transposed convolution treats everything outside the input as zero, as
// the frameworks do, so interpolation darkens a band along the edges. The
// other modes change only what lies outside the input; the output geometry
// (size, alignment) is that of the op.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/tensor.hpp"

namespace tconv {

/// Border treatment for image upsampling.
enum class Border {
  kZero,       ///< Zeros outside the input (PyTorch, ONNX). Edges darken.
  kReplicate,  ///< The edge pixel repeats (cv::resize's clamping). The image default.
  kReflect,    ///< Mirror without repeating the edge: ... 2 1 | 0 1 2 ... (cv BORDER_REFLECT_101).
  /// Zeros outside, then each output divided by the op's response to an
  /// all-ones input (bias excluded, then added back): removes both the edge
  /// darkening and uneven-overlap gain. Needs a positive response wherever a
  /// tap reaches; outputs no tap reaches stay zero (plus bias).
  kNormalize,
};

/// "zero", "replicate", "reflect" or "normalize".
[[nodiscard]] std::string_view to_string(Border border) noexcept;
/// Inverse of to_string(); nullopt for an unknown name.
[[nodiscard]] std::optional<Border> parse_border(std::string_view name) noexcept;

/// Input rows / columns a conv_transpose2d reads beyond each edge.
struct EdgeMargins {
  Size2 begin{};  ///< {top, left}, each >= 0.
  Size2 end{};    ///< {bottom, right}, each >= 0.
};

/// How far a conv_transpose2d of `params` (valid for that op) reaches beyond
/// the edges of an input of `src`: output o reads the inputs i with
/// o + pad_begin = i * stride + t * dilation, t in [0, kernel). Throws as
/// params.resolved(). For an output of exactly stride x the input the
/// margins do not depend on the input size.
[[nodiscard]] EdgeMargins edge_margins(const ConvParams& params, const Shape3& src);

/// The same op for an input extended by `margins` (rows / columns added
/// before and after): every pad widened by margins * stride, so the output
/// keeps its size and alignment. `params` must have explicit pads
/// (auto_pad kNone; resolved() gives them).
[[nodiscard]] ConvParams widen_for_margins(const ConvParams& params, const EdgeMargins& margins);

/// Runs `op` on `src` with `border`. The output shape is op.output_shape(src).
/// kReplicate / kReflect extend the input by as many pixels as the kernel
/// reaches beyond each edge and crop the extra output by widening the
/// padding. Throws as op.run(); kNormalize throws InvalidArgument when the
/// response to an all-ones input is not positive somewhere (for instance
/// weights that sum to zero).
[[nodiscard]] Tensor run_with_border(const ConvTranspose2d& op, ConstTensorView src,
                                     Border border);

/// The same, writing into caller-owned `dst` of exactly op.output_shape(src)
/// (ShapeMismatch otherwise); it must not overlap src.
void run_with_border(const ConvTranspose2d& op, ConstTensorView src, TensorView dst,
                     Border border);

/// Bytes run_with_border(op, src, dst, border) allocates besides dst (the
/// extended input of replicate / reflect, the response of normalize, the
/// op's scratch), for budgeting a run before it starts. An estimate from the
/// shapes: nothing runs. Throws as op.output_shape().
[[nodiscard]] std::int64_t run_with_border_scratch_bytes(const ConvTranspose2d& op,
                                                         const Shape3& src, Border border);

/// Runs `op` with `border` on a batch of items of shape `item` stored back
/// to back in `src` (C order, item b at b * item.elements()), writing each
/// result into its slice of `dst` (item b at b * op.output_shape(item)
/// .elements()). The border is planned once for the batch, and the batch
/// runs as one call of the op (ConvTranspose2d::run_batch()): items and
/// output rows are split over the threads together, every value computed
/// as by run_with_border(), so results are bit-identical for any thread
/// count. Replicate and reflect extend at most 64 MiB of items at a time.
/// Throws ShapeMismatch when the sizes are not whole items, otherwise as
/// run_with_border() (LimitExceeded applies to one item's output).
void run_batch_with_border(const ConvTranspose2d& op, std::span<const float> src,
                           const Shape3& item, std::span<float> dst, Border border);

/// Bytes run_batch_with_border() allocates besides dst for `count` items;
/// an estimate as run_with_border_scratch_bytes().
[[nodiscard]] std::int64_t run_batch_with_border_scratch_bytes(const ConvTranspose2d& op,
                                                               const Shape3& item,
                                                               std::int64_t count, Border border);

}  // namespace tconv

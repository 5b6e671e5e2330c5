// Internal: a conv_transpose2d and its border, planned once for every input
// size (the image upsampler's planar path and a model's residual).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/resample/border.hpp"

namespace tconv::detail {

/// `op` with `border` (tconv/resample/border.hpp). Replicate and reflect
/// extend the input by margins that, for a layer with explicit pads and no
/// output_size, do not depend on the input size: the widened op is created
/// here, once, and every run only pads and runs. Normalize (its response to
/// an all-ones input depends on the size) and layers with auto_pad or
/// output_size are planned for each input's shape when run, as
/// run_with_border() does. Results are those of run_with_border().
class BorderedOp {
 public:
  BorderedOp(ConvTranspose2d op, Border border);

  [[nodiscard]] const ConvTranspose2d& op() const noexcept { return op_; }
  [[nodiscard]] Border border() const noexcept { return border_; }
  /// The impl that runs (the widened op's when there is one).
  [[nodiscard]] std::string_view impl_name() const noexcept;
  [[nodiscard]] Shape3 output_shape(const Shape3& src) const { return op_.output_shape(src); }
  /// Bytes a run on `src` allocates besides dst (the extended input, the
  /// op's scratch); `threads` as ConvTranspose2d::run(). Throws as run().
  [[nodiscard]] std::int64_t scratch_bytes(const Shape3& src, int threads) const;
  /// Runs into dst of exactly output_shape(src) (ShapeMismatch otherwise);
  /// `threads` as ConvTranspose2d::run().
  void run(ConstTensorView src, TensorView dst, int threads) const;

 private:
  ConvTranspose2d op_;
  Border border_;
  std::optional<EdgeMargins> margins_;     // planned (replicate / reflect, size independent)
  std::optional<ConvTranspose2d> widened_;  // when some margin is not zero
};

}  // namespace tconv::detail

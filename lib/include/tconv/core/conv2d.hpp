// tconv/core/conv2d.hpp - 2-D convolution (cross-correlation), torch.nn.Conv2d.
//
// Per axis: out = floor((in + pad_begin + pad_end - dilation * (kernel - 1) - 1) / stride) + 1,
// and output pixel o reads input pixel i = o * stride - pad_begin + t * dilation
// through tap t (zero outside the input).
// Weights: [out_channels][in_channels / groups][kh][kw]; bias: out_channels.
// Used for resize-convolution and as the adjoint of conv_transpose2d.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tconv/core/conv_params.hpp"
#include "tconv/core/tensor.hpp"

namespace tconv {

namespace detail {
struct Plan;
struct PlanAccess;
}

/// A validated, ready-to-run convolution (same life cycle as ConvTranspose2d).
/// output_padding and output_size must be unset (InvalidArgument otherwise).
class Conv2d {
 public:
  /// Validates params and weights and selects the impl; throws as
  /// ConvTranspose2d::create().
  static Conv2d create(const ConvParams& params, Weights weights, const OpOptions& options = {});

  Conv2d(Conv2d&&) noexcept;
  Conv2d& operator=(Conv2d&&) noexcept;
  ~Conv2d();

  [[nodiscard]] const ConvParams& params() const noexcept;
  [[nodiscard]] const Weights& weights() const noexcept;
  /// Name of the selected impl, e.g. "conv2d_f32_ref".
  [[nodiscard]] std::string_view impl_name() const noexcept;
  [[nodiscard]] Shape3 output_shape(const Shape3& src) const;
  /// Bytes of scratch run(src) allocates besides the output, as
  /// ConvTranspose2d::scratch_bytes(); throws as run().
  [[nodiscard]] std::int64_t scratch_bytes(const Shape3& src, int threads = -1) const;
  /// Allocates and returns the output; throws as ConvTranspose2d::run().
  [[nodiscard]] Tensor run(ConstTensorView src, int threads = -1) const;
  /// Writes into caller-owned `dst` of exactly output_shape(src).
  void run(ConstTensorView src, TensorView dst, int threads = -1) const;
  /// A batch as one call, as ConvTranspose2d::run_batch().
  void run_batch(ConstBatchView src, BatchView dst, int threads = -1) const;
  /// Scratch of run_batch(), as ConvTranspose2d::batch_scratch_bytes().
  [[nodiscard]] std::int64_t batch_scratch_bytes(const Shape3& item, std::int64_t count,
                                                 int threads = -1) const;

 private:
  friend struct detail::PlanAccess;  // the library's banded model runs
  explicit Conv2d(std::unique_ptr<detail::Plan> plan) noexcept;
  std::unique_ptr<detail::Plan> plan_;
};

/// One-call form: Conv2d::create(params, weights).run(src).
[[nodiscard]] Tensor conv2d(ConstTensorView src, const ConvParams& params, Weights weights);

/// Names of the registered conv2d impls, best first; "conv2d_f32_ref" is last.
[[nodiscard]] std::vector<std::string> conv2d_impl_names();

/// Whether the conv2d impl called `name` accepts `params` on this CPU (false
/// for an unknown name). Tests use it to skip, loudly, impls the CPU cannot run.
[[nodiscard]] bool conv2d_impl_applicable(std::string_view name, const ConvParams& params);

}  // namespace tconv

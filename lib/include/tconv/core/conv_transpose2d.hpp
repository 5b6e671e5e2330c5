// tconv/core/conv_transpose2d.hpp - 2-D transposed convolution ("deconvolution").
//
// Exactly torch.nn.ConvTranspose2d: each input pixel scatters its weighted
// kernel into the output and overlaps are summed, i.e. the output is the
// input multiplied by the transpose of conv2d's matrix. Per axis:
//   out = (in - 1) * stride - pad_begin - pad_end
//         + dilation * (kernel - 1) + output_padding + 1
// and output pixel o receives input pixel i through tap t iff
//   o + pad_begin == i * stride + t * dilation.
// Weights: [in_channels][out_channels / groups][kh][kw]; bias: out_channels.
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

/// A validated, ready-to-run transposed convolution: create() validates once
/// and picks an impl, run() only checks the input shape.
class ConvTranspose2d {
 public:
  /// Validates params and weights (before any allocation) and selects the
  /// impl. Throws InvalidArgument naming the broken rule, ShapeMismatch when
  /// the weight or bias shape disagrees with the params.
  static ConvTranspose2d create(const ConvParams& params, Weights weights,
                                const OpOptions& options = {});

  ConvTranspose2d(ConvTranspose2d&&) noexcept;
  ConvTranspose2d& operator=(ConvTranspose2d&&) noexcept;
  ~ConvTranspose2d();

  /// The parameters as given to create().
  [[nodiscard]] const ConvParams& params() const noexcept;
  /// The weights and bias as given to create().
  [[nodiscard]] const Weights& weights() const noexcept;
  /// The options as given to create().
  [[nodiscard]] const OpOptions& options() const noexcept;
  /// Name of the selected impl, e.g. "tconv2d_f32_ref" (for logs).
  [[nodiscard]] std::string_view impl_name() const noexcept;
  /// Output shape for `src`; throws as ConvParams::resolved().
  [[nodiscard]] Shape3 output_shape(const Shape3& src) const;
  /// Bytes of scratch run(src) allocates besides the output (the impl's
  /// packed weights and per-thread workspaces), so a caller can budget a run
  /// before it starts. `threads` as OpOptions::threads; negative (default):
  /// options().threads. Throws as run().
  [[nodiscard]] std::int64_t scratch_bytes(const Shape3& src, int threads = -1) const;
  /// Allocates and returns the output. Throws ShapeMismatch / InvalidArgument
  /// for an input the params cannot take, LimitExceeded above
  /// OpOptions::max_output_elements (before allocating). Runs on `threads`
  /// threads, taken at run time so one planned op serves callers with
  /// different thread shares: as OpOptions::threads (0: all cores, at most
  /// 256; InvalidArgument above), negative (default): options().threads.
  /// The result does not depend on it.
  [[nodiscard]] Tensor run(ConstTensorView src, int threads = -1) const;
  /// Writes into caller-owned `dst`, which must have exactly output_shape(src)
  /// and must not overlap src (ShapeMismatch otherwise); `threads` as above.
  void run(ConstTensorView src, TensorView dst, int threads = -1) const;

  /// Runs a batch as one call: dst item b = run(src item b), for every b.
  /// The items and their output rows are split over `threads` threads (as
  /// run()) together, each row computed whole by one thread, so a batch of
  /// small items keeps every thread busy and the result is bit-identical to
  /// item-by-item runs for any thread count. dst must have src.count items
  /// of output_shape(src.item) and must not overlap src (ShapeMismatch,
  /// InvalidArgument); LimitExceeded applies to one item's output. An empty
  /// batch does nothing.
  void run_batch(ConstBatchView src, BatchView dst, int threads = -1) const;
  /// Bytes of scratch run_batch() allocates besides dst for `count` items of
  /// shape `item`; throws as run_batch().
  [[nodiscard]] std::int64_t batch_scratch_bytes(const Shape3& item, std::int64_t count,
                                                 int threads = -1) const;

 private:
  friend struct detail::PlanAccess;  // the library's banded model runs
  explicit ConvTranspose2d(std::unique_ptr<detail::Plan> plan) noexcept;
  std::unique_ptr<detail::Plan> plan_;
};

/// One-call form: ConvTranspose2d::create(params, weights).run(src).
[[nodiscard]] Tensor conv_transpose2d(ConstTensorView src, const ConvParams& params,
                                      Weights weights);

/// Names of the registered conv_transpose2d impls, best first; the
/// reference "tconv2d_f32_ref" is always last.
[[nodiscard]] std::vector<std::string> conv_transpose2d_impl_names();

/// Whether the impl called `name` accepts `params` on this CPU (false for an
/// unknown name). Tests use it to skip, loudly, impls the CPU cannot run.
[[nodiscard]] bool conv_transpose2d_impl_applicable(std::string_view name,
                                                    const ConvParams& params);

}  // namespace tconv

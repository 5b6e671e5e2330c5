// tconv/core/conv_backward.hpp - gradients of conv2d and conv_transpose2d.
//
// For a layer y = op(x; W, b) and the gradient dy = dL/dy of a loss L:
//
//   dL/dx  the adjoint of op applied to dy. conv2d is a matrix M, conv_transpose2d
//          is M^T with the same weights, so the input gradient of a conv2d is a
//          conv_transpose2d of dy (and vice versa) with the same W, stride,
//          padding, dilation and groups; only the output padding (or the crop
//          of extra rows) is chosen so that dx has exactly the shape of x.
//   dL/dW  a correlation of the two pictures. With A the tensor on the grid the
//          stride does not skip (dy for conv2d, x for conv_transpose2d) and B the
//          other one, both weight layouts read the same way:
//            dW[a][b][ty][tx] = sum over items n, positions (py, px) of A[n][a]:
//                A[n][a][py][px] * B[n][g(a) * B_per_group + b]
//                                   [py * sh - pt + ty * dh][px * sw - pl + tx * dw]
//          (zero outside B), g(a) the group of channel a.
//   dL/db  dy summed over items and positions, per output channel.
//
// The gradients equal PyTorch autograd's for the same layer (checked against
// golden cases made by tests/golden/generate_grad_golden.py).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tconv/core/conv_params.hpp"
#include "tconv/core/tensor.hpp"

namespace tconv {

/// The backward pass of one layer for inputs of one item shape, planned once
/// (validation, the adjoint op and its impl) and run for any batch of that
/// item shape. Results do not depend on the thread count (bit-identical).
class ConvBackward {
 public:
  /// Validates as ConvTranspose2d::create() / Conv2d::create() for `kind`,
  /// and `input` against the params (ShapeMismatch, InvalidArgument).
  /// options.force_impl names a weight-gradient impl
  /// (conv_weight_grad_impl_names()) or an impl of the adjoint op's family
  /// (conv_transpose2d for a conv2d layer, conv2d for a conv_transpose2d);
  /// the other part is chosen automatically.
  static ConvBackward create(ConvKind kind, const ConvParams& params, const Weights& weights,
                             const Shape3& input, const OpOptions& options = {});

  ConvBackward(ConvBackward&&) noexcept;
  ConvBackward& operator=(ConvBackward&&) noexcept;
  ~ConvBackward();

  [[nodiscard]] ConvKind kind() const noexcept;
  /// The layer's input item shape (of x and dx) and output item shape (of dy).
  [[nodiscard]] Shape3 input_shape() const noexcept;
  [[nodiscard]] Shape3 output_shape() const noexcept;
  /// The impl that runs input_grad(), e.g. "tconv2d_f32_phase_tile_avx2" for a conv2d.
  [[nodiscard]] std::string_view input_grad_impl() const noexcept;
  /// The impl that runs weight_grad(), e.g. "conv_weight_grad_f32_rows_avx2".
  [[nodiscard]] std::string_view weight_grad_impl() const noexcept;

  /// dx = dL/dx for a batch of dy. dy has output_shape() items, dx as many
  /// input_shape() items (ShapeMismatch otherwise); they must not overlap
  /// (InvalidArgument). `threads` as OpOptions::threads; negative: the
  /// options' count.
  void input_grad(ConstBatchView dy, BatchView dx, int threads = -1) const;

  /// dW and db summed over the batch, written to `dweight` (the layer's
  /// weight shape, elements in its layout) and `dbias` (out_channels
  /// floats, or empty to skip it). x and dy are the layer's input and output
  /// gradient batches of the same count. Each value is summed by one thread
  /// in a fixed order (float lanes in the vectorised impls, double in the
  /// reference), so the result does not depend on the thread count.
  void weight_grad(ConstBatchView x, ConstBatchView dy, std::span<float> dweight,
                   std::span<float> dbias, int threads = -1) const;

  struct State;  // internal

 private:
  explicit ConvBackward(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

/// Names of the registered weight-gradient impls, best first;
/// "conv_weight_grad_f32_ref" (double accumulation) is last.
[[nodiscard]] std::vector<std::string> conv_weight_grad_impl_names();

/// Whether the weight-gradient impl called `name` runs on this CPU.
[[nodiscard]] bool conv_weight_grad_impl_applicable(std::string_view name);

}  // namespace tconv

// Internal: the weight gradient of conv2d and conv_transpose2d as one
// correlation (see tconv/core/conv_backward.hpp for the formula).
#pragma once

#include <cstdint>

#include "tconv/core/conv_params.hpp"
#include "tconv/core/tensor.hpp"

namespace tconv::detail {

/// One weight-gradient problem: A is the tensor on the unskipped grid (dy of
/// a conv2d, x of a conv_transpose2d), B the other one; dW has
/// a.c x b_per_group x kh x kw elements.
struct WeightGradProblem {
  Shape3 a{};                  ///< one item of A
  Shape3 b{};                  ///< one item of B
  std::int64_t count = 0;      ///< items in the batch
  int groups = 1;
  int b_per_group = 0;         ///< B channels per group (the weight's second dimension)
  Size2 kernel{}, stride{}, dilation{}, pad_begin{};
};

/// Work items: the weight rows (a, b), a * b_per_group + b, in [begin, end).
/// Each dW value is one double sum over items, rows and columns in that order.
void conv_weight_grad_f32_ref(const WeightGradProblem& problem, const float* a, const float* b,
                              float* dweight, std::int64_t begin, std::int64_t end) noexcept;

}  // namespace tconv::detail

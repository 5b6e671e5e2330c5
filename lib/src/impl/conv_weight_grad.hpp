// Internal: the weight gradient of conv2d and conv_transpose2d as one
// correlation (see tconv/core/conv_backward.hpp for the formula).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/index_math.hpp"
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

/// The columns of B split by phase of the stride and zero-padded, so that
/// every tap reads one contiguous segment of a.w values: row y of channel c
/// of item n becomes sw sub-rows of b_pitch() values, sub-row q holding
/// b_lead() zeros, then columns q, q + sw, ... of the row, then zeros;
/// layout [n][c][y][q][b_pitch].
[[nodiscard]] inline std::int64_t b_lead(const WeightGradProblem& pb) noexcept {
  return -floor_div(-std::int64_t{pb.pad_begin.w}, pb.stride.w);
}
[[nodiscard]] inline std::int64_t b_pitch(const WeightGradProblem& pb) noexcept {
  const std::int64_t sw = pb.stride.w;
  const std::int64_t max_base = floor_div(std::int64_t{pb.kernel.w - 1} * pb.dilation.w - pb.pad_begin.w, sw);
  return b_lead(pb) + std::max<std::int64_t>((pb.b.w + sw - 1) / sw, pb.a.w + std::max<std::int64_t>(0, max_base));
}
[[nodiscard]] inline std::int64_t phased_b_elements(const WeightGradProblem& pb) noexcept {
  return pb.count * pb.b.c * pb.b.h * pb.stride.w * b_pitch(pb);
}
void split_b_phases(const WeightGradProblem& pb, const float* b, float* phased) noexcept;

/// A weight-gradient impl: `b` is B as split_b_phases() leaves it when
/// `phased` (B itself otherwise); work items as conv_weight_grad_f32_ref.
struct WeightGradImpl {
  std::string_view name;  ///< conv_weight_grad_<dtype>_<algo>[_<isa>]
  bool (*applicable)(const WeightGradProblem& problem) noexcept;
  void (*run)(const WeightGradProblem& problem, const float* a, const float* b, float* dweight,
              std::int64_t begin, std::int64_t end) noexcept;
  bool phased = false;
};

/// Best first; the reference is last and always applicable.
[[nodiscard]] std::span<const WeightGradImpl> weight_grad_impl_list() noexcept;

#define TCONV_DECLARE_WEIGHT_GRAD(name)                                                         \
  void name(const WeightGradProblem& problem, const float* a, const float* b, float* dweight, \
            std::int64_t begin, std::int64_t end) noexcept
TCONV_DECLARE_WEIGHT_GRAD(conv_weight_grad_f32_rows);
TCONV_DECLARE_WEIGHT_GRAD(conv_weight_grad_f32_rows_avx2);
TCONV_DECLARE_WEIGHT_GRAD(conv_weight_grad_f32_rows_avx512);
#undef TCONV_DECLARE_WEIGHT_GRAD

/// Work items: the weight rows (a, b), a * b_per_group + b, in [begin, end).
/// Each dW value is one double sum over items, rows and columns in that order.
void conv_weight_grad_f32_ref(const WeightGradProblem& problem, const float* a, const float* b,
                              float* dweight, std::int64_t begin, std::int64_t end) noexcept;

}  // namespace tconv::detail

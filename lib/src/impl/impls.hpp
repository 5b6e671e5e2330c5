// Internal: declarations of every impl's run function and predicate.
#pragma once

#include "plan.hpp"

namespace tconv::detail {

void tconv2d_f32_ref(const Problem& problem, const Weights& weights, ConstTensorView src,
                     TensorView dst) noexcept;
void conv2d_f32_ref(const Problem& problem, const Weights& weights, ConstTensorView src,
                    TensorView dst) noexcept;

}  // namespace tconv::detail

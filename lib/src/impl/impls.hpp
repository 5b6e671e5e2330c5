// Internal: declarations of every impl's run function and predicate.
#pragma once

#include "plan.hpp"

namespace tconv::detail {

#define TCONV_DECLARE_IMPL(name)                                                              \
  void name(const Problem& problem, const Weights& weights, ConstTensorView src, TensorView dst, \
            std::span<std::byte> workspace, std::int64_t begin, std::int64_t end) noexcept

TCONV_DECLARE_IMPL(tconv2d_f32_ref);
TCONV_DECLARE_IMPL(conv2d_f32_ref);
TCONV_DECLARE_IMPL(tconv2d_f32_phase);
TCONV_DECLARE_IMPL(tconv2d_f32_phase_avx2);
TCONV_DECLARE_IMPL(tconv2d_f32_phase_avx512);

/// Per-thread workspace of the phase impls (the same for every ISA).
std::size_t tconv2d_f32_phase_workspace(const Problem& problem) noexcept;

#undef TCONV_DECLARE_IMPL

}  // namespace tconv::detail

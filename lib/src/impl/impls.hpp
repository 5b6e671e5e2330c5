// Internal: declarations of every impl's run function and predicate.
#pragma once

#include "core/plan.hpp"

namespace tconv::detail {

#define TCONV_DECLARE_IMPL(name)                                                              \
  void name(const Problem& problem, const Weights& weights, ConstTensorView src, TensorView dst, \
            std::span<const std::byte> shared, std::span<std::byte> workspace,                 \
            std::int64_t begin, std::int64_t end) noexcept

TCONV_DECLARE_IMPL(tconv2d_f32_ref);
TCONV_DECLARE_IMPL(conv2d_f32_ref);
TCONV_DECLARE_IMPL(conv2d_f32_rows);
TCONV_DECLARE_IMPL(conv2d_f32_rows_avx2);
TCONV_DECLARE_IMPL(conv2d_f32_rows_avx512);
TCONV_DECLARE_IMPL(conv2d_f32_tile);
TCONV_DECLARE_IMPL(conv2d_f32_tile_avx2);
TCONV_DECLARE_IMPL(conv2d_f32_tile_avx512);
TCONV_DECLARE_IMPL(tconv2d_f32_phase);
TCONV_DECLARE_IMPL(tconv2d_f32_phase_avx2);
TCONV_DECLARE_IMPL(tconv2d_f32_phase_avx512);
TCONV_DECLARE_IMPL(tconv2d_f32_phase_gemm);
TCONV_DECLARE_IMPL(tconv2d_f32_phase_gemm_avx2);
TCONV_DECLARE_IMPL(tconv2d_f32_phase_gemm_avx512);
TCONV_DECLARE_IMPL(tconv2d_f32_phase_tile);
TCONV_DECLARE_IMPL(tconv2d_f32_phase_tile_avx2);
TCONV_DECLARE_IMPL(tconv2d_f32_phase_tile_avx512);

/// Per-thread workspace, shared padded input and its preparation of the
/// phase impls (the same for every ISA).
std::size_t tconv2d_f32_phase_workspace(const Problem& problem) noexcept;
std::size_t tconv2d_f32_phase_shared(const Problem& problem) noexcept;
std::int64_t tconv2d_f32_phase_items(const Problem& problem) noexcept;
void tconv2d_f32_phase_prepare(const Problem& problem, const Weights& weights, ConstTensorView src,
                               std::span<std::byte> shared, int part, int parts) noexcept;

/// Shared buffer, per-thread workspace and work items (output rows) of the
/// phase_gemm impls (the same for every ISA).
std::size_t tconv2d_f32_phase_gemm_shared(const Problem& problem) noexcept;
std::size_t tconv2d_f32_phase_gemm_workspace(const Problem& problem) noexcept;
std::int64_t tconv2d_f32_phase_gemm_items(const Problem& problem) noexcept;
/// Packing, one per ISA (the input is transposed in vector registers).
#define TCONV_DECLARE_PREPARE(name)                                                      \
  void name(const Problem& problem, const Weights& weights, ConstTensorView src,           \
            std::span<std::byte> shared, int part, int parts) noexcept
TCONV_DECLARE_PREPARE(tconv2d_f32_phase_gemm_prepare);
TCONV_DECLARE_PREPARE(tconv2d_f32_phase_gemm_avx2_prepare);
TCONV_DECLARE_PREPARE(tconv2d_f32_phase_gemm_avx512_prepare);
#undef TCONV_DECLARE_PREPARE

#undef TCONV_DECLARE_IMPL

}  // namespace tconv::detail

// Implementation registry: an ordered list per op family, as in oneDNN's
// cpu_deconvolution_list.cpp: conv_transpose2d and conv2d (plan.hpp) and
// interleaved upsampling per sample type (resample_impls.hpp). Planning
// walks a list and takes the first impl whose predicate accepts the problem
// and the CPU (one probe, core/cpu_features.hpp); the reference (the float
// path for interleaved upsampling) closes each list.
#include <cstdint>
#include <limits>

#include "core/cpu_features.hpp"
#include "impl/conv2d_f32_tile.hpp"
#include "impl/conv_weight_grad.hpp"
#include "impl/impls.hpp"
#include "impl/tconv2d_f32_phase_tile.hpp"
#include "impl/resample_impls.hpp"
#include "impl/upsample_fixed.hpp"

namespace tconv::detail {

namespace {

bool always(const ConvParams&) noexcept { return true; }

// Applicability from the CPU alone (cpu_features.hpp), in the predicate shape.
bool isa_avx2(const ConvParams&) noexcept { return cpu_has_avx2_fma(); }
bool isa_avx512(const ConvParams&) noexcept { return cpu_has_avx512(); }

// Dense layers wide enough to fill 16-channel register tiles.
bool wide(const ConvParams& p) noexcept {
  return p.groups == 1 && p.in_channels >= 8 && p.out_channels >= 8;
}
bool wide_avx2(const ConvParams& p) noexcept { return wide(p) && isa_avx2(p); }
bool wide_avx512(const ConvParams& p) noexcept { return wide(p) && isa_avx512(p); }

constexpr Impl kTConv2dImpls[] = {
    // Best first; ISA-specific entries above their portable fallback.
    {"tconv2d_f32_phase_gemm_avx512", &wide_avx512, &tconv2d_f32_phase_gemm_avx512,
     &tconv2d_f32_phase_gemm_workspace, &tconv2d_f32_phase_gemm_shared,
     &tconv2d_f32_phase_gemm_avx512_prepare, &tconv2d_f32_phase_gemm_items, true},
    {"tconv2d_f32_phase_gemm_avx2", &wide_avx2, &tconv2d_f32_phase_gemm_avx2,
     &tconv2d_f32_phase_gemm_workspace, &tconv2d_f32_phase_gemm_shared,
     &tconv2d_f32_phase_gemm_avx2_prepare, &tconv2d_f32_phase_gemm_items, true},
    {"tconv2d_f32_phase_tile_avx512", &isa_avx512, &tconv2d_f32_phase_tile_avx512,
     &tconv2d_f32_phase_tile_workspace, &tconv2d_f32_phase_tile_shared,
     &tconv2d_f32_phase_tile_prepare, &tconv2d_f32_phase_tile_items},
    {"tconv2d_f32_phase_tile_avx2", &isa_avx2, &tconv2d_f32_phase_tile_avx2,
     &tconv2d_f32_phase_tile_workspace, &tconv2d_f32_phase_tile_shared,
     &tconv2d_f32_phase_tile_prepare, &tconv2d_f32_phase_tile_items},
    {"tconv2d_f32_phase_avx512", &isa_avx512, &tconv2d_f32_phase_avx512,
     &tconv2d_f32_phase_workspace, &tconv2d_f32_phase_shared, &tconv2d_f32_phase_prepare,
     &tconv2d_f32_phase_items, true},
    {"tconv2d_f32_phase_avx2", &isa_avx2, &tconv2d_f32_phase_avx2,
     &tconv2d_f32_phase_workspace, &tconv2d_f32_phase_shared, &tconv2d_f32_phase_prepare,
     &tconv2d_f32_phase_items, true},
    {"tconv2d_f32_phase_gemm", &wide, &tconv2d_f32_phase_gemm, &tconv2d_f32_phase_gemm_workspace,
     &tconv2d_f32_phase_gemm_shared, &tconv2d_f32_phase_gemm_prepare,
     &tconv2d_f32_phase_gemm_items, true},
    {"tconv2d_f32_phase_tile", &always, &tconv2d_f32_phase_tile,
     &tconv2d_f32_phase_tile_workspace, &tconv2d_f32_phase_tile_shared,
     &tconv2d_f32_phase_tile_prepare, &tconv2d_f32_phase_tile_items},
    {"tconv2d_f32_phase", &always, &tconv2d_f32_phase, &tconv2d_f32_phase_workspace,
     &tconv2d_f32_phase_shared, &tconv2d_f32_phase_prepare,
     &tconv2d_f32_phase_items, true},
    {"tconv2d_f32_ref", &always, &tconv2d_f32_ref},  // must stay last
};

// The row-vectorised and tiled conv2d read contiguous input segments: stride 1 only.
bool unit_stride(const ConvParams& p) noexcept { return p.stride.h == 1 && p.stride.w == 1; }
bool unit_stride_avx2(const ConvParams& p) noexcept { return unit_stride(p) && isa_avx2(p); }
bool unit_stride_avx512(const ConvParams& p) noexcept {
  return unit_stride(p) && isa_avx512(p);
}

constexpr Impl kConv2dImpls[] = {
    // Best first; ISA-specific entries above their portable fallback.
    {"conv2d_f32_tile_avx512", &unit_stride_avx512, &conv2d_f32_tile_avx512,
     &conv2d_f32_tile_workspace, &conv2d_f32_tile_shared, &conv2d_f32_tile_prepare,
     &conv2d_f32_tile_items},
    {"conv2d_f32_tile_avx2", &unit_stride_avx2, &conv2d_f32_tile_avx2, &conv2d_f32_tile_workspace,
     &conv2d_f32_tile_shared, &conv2d_f32_tile_prepare, &conv2d_f32_tile_items},
    {"conv2d_f32_tile", &unit_stride, &conv2d_f32_tile, &conv2d_f32_tile_workspace,
     &conv2d_f32_tile_shared, &conv2d_f32_tile_prepare, &conv2d_f32_tile_items},
    {"conv2d_f32_rows_avx512", &unit_stride_avx512, &conv2d_f32_rows_avx512},
    {"conv2d_f32_rows_avx2", &unit_stride_avx2, &conv2d_f32_rows_avx2},
    {"conv2d_f32_rows", &unit_stride, &conv2d_f32_rows},
    {"conv2d_f32_ref", &always, &conv2d_f32_ref},  // must stay last
};

// Weight gradients of conv2d / conv_transpose2d (conv_weight_grad.hpp).
bool any_weight_grad(const WeightGradProblem&) noexcept { return true; }
bool weight_grad_avx2(const WeightGradProblem&) noexcept { return cpu_has_avx2_fma(); }
bool weight_grad_avx512(const WeightGradProblem&) noexcept { return cpu_has_avx512(); }

constexpr WeightGradImpl kWeightGradImpls[] = {
    // Best first; ISA-specific entries above their portable fallback.
    {"conv_weight_grad_f32_flat_avx512", &weight_grad_avx512, &conv_weight_grad_f32_flat_avx512,
     WeightGradLayout::kFlat},
    {"conv_weight_grad_f32_flat_avx2", &weight_grad_avx2, &conv_weight_grad_f32_flat_avx2, WeightGradLayout::kFlat},
    {"conv_weight_grad_f32_flat", &any_weight_grad, &conv_weight_grad_f32_flat, WeightGradLayout::kFlat},
    {"conv_weight_grad_f32_rows_avx512", &weight_grad_avx512, &conv_weight_grad_f32_rows_avx512,
     WeightGradLayout::kColumnPhases},
    {"conv_weight_grad_f32_rows_avx2", &weight_grad_avx2, &conv_weight_grad_f32_rows_avx2,
     WeightGradLayout::kColumnPhases},
    {"conv_weight_grad_f32_rows", &any_weight_grad, &conv_weight_grad_f32_rows, WeightGradLayout::kColumnPhases},
    {"conv_weight_grad_f32_ref", &any_weight_grad, &conv_weight_grad_f32_ref},  // must stay last
};

// Interleaved upsampling: exact integer taps (fixed point), 8-bit SIMD when
// the taps fit its 16-bit lanes.
bool any_kernel(const ResampleProblem&) noexcept { return true; }
bool float_avx512(const ResampleProblem&) noexcept { return cpu_has_avx512(); }
bool float_avx2(const ResampleProblem&) noexcept { return cpu_has_avx2_fma(); }
// The fixed-point impls serve the layer factors (integer, den 1, at most
// kMaxFactor) only.
bool integer_factor(const ResampleProblem& p) noexcept {
  return p.den == Size2{1, 1} && p.factor.h <= kMaxFactor && p.factor.w <= kMaxFactor;
}
bool u8_fixed_avx512(const ResampleProblem& p) noexcept {
  return integer_factor(p) && cpu_has_avx512() && u8_simd_applicable(p.kind, p.factor, p.channels, 4);
}
bool u8_fixed_avx2(const ResampleProblem& p) noexcept {
  return integer_factor(p) && cpu_has_avx2_fma() && u8_simd_applicable(p.kind, p.factor, p.channels, 2);
}
bool u8_fixed(const ResampleProblem& p) noexcept {
  return integer_factor(p) && fixed_applicable(p.kind, p.factor, std::numeric_limits<std::uint8_t>::max());
}
bool u16_fixed(const ResampleProblem& p) noexcept {
  return integer_factor(p) && fixed_applicable(p.kind, p.factor, std::numeric_limits<std::uint16_t>::max());
}
constexpr ResampleImpl<std::uint8_t> kU8ResampleImpls[] = {
    // Best first; ISA-specific entries above their portable fallback.
    {"upsample_u8_fixed_avx512", &u8_fixed_avx512, &upsample_u8_fixed_avx512},
    {"upsample_u8_fixed_avx2", &u8_fixed_avx2, &upsample_u8_fixed_avx2},
    {"upsample_u8_fixed", &u8_fixed, &upsample_u8_fixed},
    {"upsample_u8_float_avx512", &float_avx512, &upsample_u8_float_avx512},
    {"upsample_u8_float_avx2", &float_avx2, &upsample_u8_float_avx2},
    {"upsample_u8_float", &any_kernel, &upsample_u8_float},  // must stay last
};
constexpr ResampleImpl<std::uint16_t> kU16ResampleImpls[] = {
    {"upsample_u16_fixed", &u16_fixed, &upsample_u16_fixed},
    {"upsample_u16_float_avx512", &float_avx512, &upsample_u16_float_avx512},
    {"upsample_u16_float_avx2", &float_avx2, &upsample_u16_float_avx2},
    {"upsample_u16_float", &any_kernel, &upsample_u16_float},  // must stay last
};
constexpr ResampleImpl<float> kF32ResampleImpls[] = {
    {"upsample_f32_float_avx512", &float_avx512, &upsample_f32_float_avx512},
    {"upsample_f32_float_avx2", &float_avx2, &upsample_f32_float_avx2},
    {"upsample_f32_float", &any_kernel, &upsample_f32_float},  // must stay last
};

}  // namespace

std::span<const Impl> impl_list(ConvKind kind) noexcept {
  if (kind == ConvKind::kConvTranspose2d) return kTConv2dImpls;
  return kConv2dImpls;
}

std::span<const WeightGradImpl> weight_grad_impl_list() noexcept { return kWeightGradImpls; }

template <>
std::span<const ResampleImpl<std::uint8_t>> resample_impl_list() noexcept {
  return kU8ResampleImpls;
}
template <>
std::span<const ResampleImpl<std::uint16_t>> resample_impl_list() noexcept {
  return kU16ResampleImpls;
}
template <>
std::span<const ResampleImpl<float>> resample_impl_list() noexcept {
  return kF32ResampleImpls;
}

}  // namespace tconv::detail

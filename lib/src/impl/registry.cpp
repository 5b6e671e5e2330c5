// Implementation registry: an ordered list per op, as in oneDNN's
// cpu_deconvolution_list.cpp. Planning walks it and takes the first impl
// whose predicate accepts the problem and the CPU; the reference closes
// each list.
#include "core/cpu_features.hpp"
#include "impl/impls.hpp"

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
     &tconv2d_f32_phase_gemm_avx512_prepare, &tconv2d_f32_phase_gemm_items},
    {"tconv2d_f32_phase_gemm_avx2", &wide_avx2, &tconv2d_f32_phase_gemm_avx2,
     &tconv2d_f32_phase_gemm_workspace, &tconv2d_f32_phase_gemm_shared,
     &tconv2d_f32_phase_gemm_avx2_prepare, &tconv2d_f32_phase_gemm_items},
    {"tconv2d_f32_phase_avx512", &isa_avx512, &tconv2d_f32_phase_avx512,
     &tconv2d_f32_phase_workspace, &tconv2d_f32_phase_shared, &tconv2d_f32_phase_prepare,
     &tconv2d_f32_phase_items},
    {"tconv2d_f32_phase_avx2", &isa_avx2, &tconv2d_f32_phase_avx2,
     &tconv2d_f32_phase_workspace, &tconv2d_f32_phase_shared, &tconv2d_f32_phase_prepare,
     &tconv2d_f32_phase_items},
    {"tconv2d_f32_phase_gemm", &wide, &tconv2d_f32_phase_gemm, &tconv2d_f32_phase_gemm_workspace,
     &tconv2d_f32_phase_gemm_shared, &tconv2d_f32_phase_gemm_prepare,
     &tconv2d_f32_phase_gemm_items},
    {"tconv2d_f32_phase", &always, &tconv2d_f32_phase, &tconv2d_f32_phase_workspace,
     &tconv2d_f32_phase_shared, &tconv2d_f32_phase_prepare,
     &tconv2d_f32_phase_items},
    {"tconv2d_f32_ref", &always, &tconv2d_f32_ref},  // must stay last
};

// The row-vectorised conv2d reads contiguous input segments: stride 1 only.
bool unit_stride(const ConvParams& p) noexcept { return p.stride.h == 1 && p.stride.w == 1; }
bool unit_stride_avx2(const ConvParams& p) noexcept { return unit_stride(p) && isa_avx2(p); }
bool unit_stride_avx512(const ConvParams& p) noexcept {
  return unit_stride(p) && isa_avx512(p);
}

constexpr Impl kConv2dImpls[] = {
    // Best first; ISA-specific entries above their portable fallback.
    {"conv2d_f32_rows_avx512", &unit_stride_avx512, &conv2d_f32_rows_avx512},
    {"conv2d_f32_rows_avx2", &unit_stride_avx2, &conv2d_f32_rows_avx2},
    {"conv2d_f32_rows", &unit_stride, &conv2d_f32_rows},
    {"conv2d_f32_ref", &always, &conv2d_f32_ref},  // must stay last
};

}  // namespace

std::span<const Impl> impl_list(ConvKind kind) noexcept {
  if (kind == ConvKind::kConvTranspose2d) return kTConv2dImpls;
  return kConv2dImpls;
}

}  // namespace tconv::detail

// Implementation registry: an ordered list per op, as in oneDNN's
// cpu_deconvolution_list.cpp. Planning walks it and takes the first impl
// whose predicate accepts the problem and the CPU; the reference closes
// each list.
#include "impl/impls.hpp"

namespace tconv::detail {

namespace {

bool always(const ConvParams&) noexcept { return true; }

bool cpu_has_avx2(const ConvParams&) noexcept {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

bool cpu_has_avx512(const ConvParams&) noexcept {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
#else
  return false;
#endif
}

constexpr Impl kTConv2dImpls[] = {
    // Best first; ISA-specific entries above their portable fallback.
    {"tconv2d_f32_phase_avx512", &cpu_has_avx512, &tconv2d_f32_phase_workspace,
     &tconv2d_f32_phase_avx512},
    {"tconv2d_f32_phase_avx2", &cpu_has_avx2, &tconv2d_f32_phase_workspace,
     &tconv2d_f32_phase_avx2},
    {"tconv2d_f32_phase", &always, &tconv2d_f32_phase_workspace, &tconv2d_f32_phase},
    {"tconv2d_f32_ref", &always, nullptr, &tconv2d_f32_ref},  // must stay last
};

constexpr Impl kConv2dImpls[] = {
    {"conv2d_f32_ref", &always, nullptr, &conv2d_f32_ref},  // must stay last
};

}  // namespace

std::span<const Impl> impl_list(ConvKind kind) noexcept {
  if (kind == ConvKind::kConvTranspose2d) return kTConv2dImpls;
  return kConv2dImpls;
}

}  // namespace tconv::detail

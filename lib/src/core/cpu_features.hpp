// Internal: the one place that asks the CPU which instruction sets it has.
// Every run-time dispatch (the impl registries of impl/registry.cpp, for the
// convolutions and the interleaved upsampling) and the public cpu_isa()
// decide from these two answers, so an impl compiled for an ISA is chosen by
// the same rule everywhere.
#pragma once

namespace tconv::detail {

/// AVX2 and FMA: what the *_avx2 files are compiled for (their
/// target("avx2,fma") attributes; the 8-bit fused kernels need only AVX2,
/// and every CPU with AVX2 that this project meets has FMA too).
[[nodiscard]] bool cpu_has_avx2_fma() noexcept;

/// AVX-512 F, VL, BW and DQ: what the *_avx512 files are compiled for (the
/// 8-bit fused kernels use F and BW; every CPU with BW has VL and DQ).
[[nodiscard]] bool cpu_has_avx512() noexcept;

}  // namespace tconv::detail

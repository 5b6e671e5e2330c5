// tconv/core/cpu.hpp - which instruction set the impls use on this CPU.
#pragma once

#include <string_view>

namespace tconv {

/// The widest instruction set the impls are dispatched to on this CPU, from
/// the same probe the impl registries use: "avx512" (AVX-512 F, VL, BW, DQ),
/// "avx2" (AVX2 and FMA) or "portable" (the code compiled for the baseline
/// target). For logs and benchmarks; a given problem may still run a
/// narrower impl when no wider one applies to it. The environment variable
/// TCONV_MAX_ISA=avx2 or TCONV_MAX_ISA=portable, read once per process,
/// caps it (and every dispatch), to run what a CPU without the wider
/// instructions runs.
[[nodiscard]] std::string_view cpu_isa() noexcept;

}  // namespace tconv

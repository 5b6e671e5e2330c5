// The CPU probe (see cpu_features.hpp). GCC's and clang's
// __builtin_cpu_supports reads CPUID once at start-up and answers from a
// cached table; the answers, capped by TCONV_MAX_ISA, are computed once.
#include "core/cpu_features.hpp"

#include <cstdlib>
#include <cstring>

#include "tconv/core/cpu.hpp"

namespace tconv::detail {

namespace {

// 0 portable, 1 AVX2 + FMA, 2 AVX-512: what the CPU has.
int probed_level() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return 2;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
  return 0;
}

// TCONV_MAX_ISA=avx2 or portable lowers the level (as oneDNN's
// DNNL_MAX_CPU_ISA): to run and measure what a CPU without the wider
// instructions would; any other value leaves the CPU's level.
int usable_level() noexcept {
  const int level = probed_level();
  const char* cap = std::getenv("TCONV_MAX_ISA");
  if (cap == nullptr) return level;
  if (std::strcmp(cap, "portable") == 0) return 0;
  if (std::strcmp(cap, "avx2") == 0) return level < 1 ? level : 1;
  return level;
}

int level() noexcept {
  static const int cached = usable_level();
  return cached;
}

}  // namespace

bool cpu_has_avx2_fma() noexcept { return level() >= 1; }

bool cpu_has_avx512() noexcept { return level() >= 2; }

}  // namespace tconv::detail

namespace tconv {

std::string_view cpu_isa() noexcept {
  if (detail::cpu_has_avx512()) return "avx512";
  if (detail::cpu_has_avx2_fma()) return "avx2";
  return "portable";
}

}  // namespace tconv

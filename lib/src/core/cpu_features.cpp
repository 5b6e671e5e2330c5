// The CPU probe (see cpu_features.hpp). GCC's and clang's
// __builtin_cpu_supports reads CPUID once at start-up and answers from a
// cached table, so each call is a load and a test.
#include "core/cpu_features.hpp"

#include "tconv/core/cpu.hpp"

namespace tconv::detail {

bool cpu_has_avx2_fma() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

bool cpu_has_avx512() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
#else
  return false;
#endif
}

}  // namespace tconv::detail

namespace tconv {

std::string_view cpu_isa() noexcept {
  if (detail::cpu_has_avx512()) return "avx512";
  if (detail::cpu_has_avx2_fma()) return "avx2";
  return "portable";
}

}  // namespace tconv

// The FMA peak probe (see fma_peak.hpp). Each kernel keeps 12 accumulators
// in registers and updates every one per iteration with a multiply-add whose
// result feeds the next iteration: 12 independent chains hide a 4-5 cycle
// FMA latency on two pipes (8-10 operations in flight). The multiplier is
// slightly below 1 and the addend small, so the values stay finite and
// normal for any iteration count.
#include "fma_peak.hpp"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

namespace tconv::bench {

namespace {

constexpr int kChains = 12;

#define TCONV_PEAK_KERNEL(name, isa_target, vec, set1, fma, add, lanes)              \
  __attribute__((target(isa_target))) float name(long iterations) {                 \
    vec acc[kChains];                                                            \
    for (int k = 0; k < kChains; ++k) acc[k] = set1(1.0f + 0.001f * k);         \
    const vec mul = set1(0.999999f);                                             \
    const vec addend = set1(1e-7f);                                              \
    for (long i = 0; i < iterations; ++i)                                        \
      for (int k = 0; k < kChains; ++k) acc[k] = fma(acc[k], mul, addend);       \
    vec sum = acc[0];                                                            \
    for (int k = 1; k < kChains; ++k) sum = add(sum, acc[k]);                    \
    float out[lanes];                                                            \
    std::memcpy(out, &sum, sizeof out);                                          \
    return out[0];                                                               \
  }

#define TCONV_SSE_MULADD(a, b, c) _mm_add_ps(_mm_mul_ps(a, b), c)
TCONV_PEAK_KERNEL(peak_avx512, "avx512f", __m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, 16)
TCONV_PEAK_KERNEL(peak_avx2, "avx2,fma", __m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, 8)
TCONV_PEAK_KERNEL(peak_sse, "sse2", __m128, _mm_set1_ps, TCONV_SSE_MULADD, _mm_add_ps, 4)
#undef TCONV_SSE_MULADD
#undef TCONV_PEAK_KERNEL

struct Kernel {
  float (*run)(long iterations);
  int lanes;
};

Kernel kernel_for(std::string_view isa) {
  if (isa == "avx512") return {&peak_avx512, 16};
  if (isa == "avx2") return {&peak_avx2, 8};
  return {&peak_sse, 4};
}

// Seconds for `threads` threads to run `iterations` each, started together.
double timed_run(const Kernel& kernel, long iterations, int threads) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<float> sink{0.0f};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      sink.store(kernel.run(iterations));
    });
  while (ready.load() < threads) std::this_thread::yield();
  const auto start = std::chrono::steady_clock::now();
  go.store(true);
  for (std::thread& th : pool) th.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

double fma_peak_gflops(std::string_view isa, int threads, double seconds) {
  const Kernel kernel = kernel_for(isa);
  // Calibrate the iteration count on one thread, then time the real runs.
  long iterations = 1 << 16;
  while (timed_run(kernel, iterations, 1) < seconds / 4 && iterations < (1L << 40)) iterations *= 2;
  const double per_second = iterations / std::max(timed_run(kernel, iterations, 1), 1e-9);
  iterations = std::max(1L, static_cast<long>(per_second * seconds));
  double best = 0.0;
  for (int run = 0; run < 5; ++run) {
    const double s = timed_run(kernel, iterations, threads);
    const double flops = 2.0 * kernel.lanes * kChains * static_cast<double>(iterations) * threads;
    best = std::max(best, flops / s / 1e9);
  }
  return best;
}

}  // namespace tconv::bench

// upsample_u8_fixed_avx2: the 8-bit fixed-point kernels (see
// upsample_fixed.cpp) for AVX2, 16 16-bit lanes per vector.
//
// Horizontal: a vector is two 128-bit lanes, each loaded from its own
// 16-byte input window (U8HorizontalPlan::offset), shuffled into (tap, tap)
// byte pairs per output and reduced by pmaddubsw (u8 x s8 -> s16, pairwise
// sums; no saturation as pair weights sum to <= 128). Vertical: mullo/add in
// 16 bits (the exact sum is < 2^16), round half to even by
// (v + 2^(s-1) - 1 + ((v >> s) & 1)) >> s, packus to bytes (per 128-bit
// lane, so a 64-bit permute restores the order).
#include <immintrin.h>

#include <algorithm>

#include <cstdint>

#include "impl/resample_impls.hpp"
#include "impl/upsample_fixed.hpp"

namespace tconv::detail {

namespace {

#define TCONV_TARGET __attribute__((target("avx2")))

TCONV_TARGET void horizontal(const U8HorizontalPlan& plan, const std::uint8_t* in,
                             std::uint16_t* h, long count) noexcept {
  const int vectors = plan.cycle_out / 16;
  const int pairs = plan.pairs;
  const int* offset = plan.offset.data();
  const std::uint8_t* shuffle = plan.shuffle.data();
  const std::int8_t* weight = plan.weight.data();
  for (long k = 0; k * vectors < count; ++k) {
    const std::uint8_t* base = in + k * plan.cycle_in;
    std::uint16_t* out = h + k * plan.cycle_out;
    const int in_cycle = static_cast<int>(std::min<long>(vectors, count - k * vectors));
    for (int v = 0; v < in_cycle; ++v) {
      const int* off = offset + 2 * v;
      const __m256i window = _mm256_inserti128_si256(
          _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(base + off[0]))),
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + off[1])), 1);
      const std::size_t table = static_cast<std::size_t>(v) * pairs * 32;
      __m256i acc = _mm256_maddubs_epi16(
          _mm256_shuffle_epi8(window, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(shuffle + table))),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(weight + table)));
      for (int p = 1; p < pairs; ++p)
        acc = _mm256_add_epi16(
            acc, _mm256_maddubs_epi16(_mm256_shuffle_epi8(window, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(
                                                                      shuffle + table + 32 * p))),
                                      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(weight + table + 32 * p))));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 16 * v), acc);
    }
  }
}

template <int Taps>
TCONV_TARGET inline __m256i vertical16(const std::uint16_t* const* r, const __m256i* w, std::size_t i,
                                       __m256i bias, __m256i one, __m128i count) noexcept {
  __m256i acc = _mm256_mullo_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(r[0] + i)), w[0]);
  for (int e = 1; e < Taps; ++e)
    acc = _mm256_add_epi16(acc, _mm256_mullo_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(r[e] + i)), w[e]));
  const __m256i odd = _mm256_and_si256(_mm256_srl_epi16(acc, count), one);
  return _mm256_srl_epi16(_mm256_add_epi16(acc, _mm256_add_epi16(bias, odd)), count);
}

template <int Taps>
TCONV_TARGET void vertical_taps(const std::uint16_t* const* rows, const std::uint16_t* weight, int shift,
                                std::uint8_t* out, std::size_t n) noexcept {
  __m256i w[Taps];
  const std::uint16_t* r[Taps];
  for (int e = 0; e < Taps; ++e) {
    w[e] = _mm256_set1_epi16(static_cast<short>(weight[e]));
    r[e] = rows[e];
  }
  const int half_minus_one = shift > 0 ? (1 << (shift - 1)) - 1 : 0;
  const __m256i bias = _mm256_set1_epi16(static_cast<short>(half_minus_one));
  const __m256i one = _mm256_set1_epi16(shift > 0 ? 1 : 0);
  const __m128i count = _mm_cvtsi32_si128(shift);
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i lo = vertical16<Taps>(r, w, i, bias, one, count);
    const __m256i hi = vertical16<Taps>(r, w, i + 16, bias, one, count);
    // packus interleaves 128-bit lanes: lo0 hi0 lo1 hi1 -> lo0 lo1 hi0 hi1.
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi16(lo, hi), 0xD8);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), packed);
  }
  for (; i < n; ++i) {
    unsigned v = 0;
    for (int e = 0; e < Taps; ++e) v += unsigned{weight[e]} * r[e][i];
    v = (v + static_cast<unsigned>(half_minus_one) + ((v >> shift) & (shift > 0 ? 1u : 0u))) >> shift;
    out[i] = static_cast<std::uint8_t>(v);
  }
}

void vertical(const std::uint16_t* const* rows, const std::uint16_t* weight, int taps, int shift,
              std::uint8_t* out, std::size_t n) noexcept {
  switch (taps) {
    case 1: vertical_taps<1>(rows, weight, shift, out, n); break;
    case 2: vertical_taps<2>(rows, weight, shift, out, n); break;
    case 3: vertical_taps<3>(rows, weight, shift, out, n); break;
    default: vertical_taps<4>(rows, weight, shift, out, n); break;
  }
}

#undef TCONV_TARGET

}  // namespace

U8Kernels u8_kernels_avx2() noexcept { return {2, &horizontal, &vertical}; }

void upsample_u8_fixed_avx2(const ResampleProblem& p, InterleavedView<const std::uint8_t> src,
                            InterleavedView<std::uint8_t> dst, int threads) {
  const U8Kernels kernels = u8_kernels_avx2();
  upsample_fixed(p.kind, p.factor, p.border, src, dst, threads, &kernels);
}

}  // namespace tconv::detail

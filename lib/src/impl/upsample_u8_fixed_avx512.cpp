// upsample_u8_fixed_avx512: the 8-bit fixed-point kernels (see
// upsample_fixed.cpp) for AVX-512BW, 32 16-bit lanes per vector.
//
// Horizontal: a vector is four 128-bit lanes, each loaded from its own
// 16-byte input window (U8HorizontalPlan::offset), shuffled into (tap, tap)
// byte pairs per output and reduced by pmaddubsw (u8 x s8 -> s16, pairwise
// sums; no saturation as pair weights sum to <= 128). Vertical: mullo/add in
// 16 bits (the exact sum is < 2^16), round half to even by
// (v + 2^(s-1) - 1 + ((v >> s) & 1)) >> s, and vpmovwb to bytes.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "impl/resample_impls.hpp"
#include "impl/upsample_fixed.hpp"

namespace tconv::detail {

namespace {

#define TCONV_TARGET __attribute__((target("avx512f,avx512bw")))

TCONV_TARGET void horizontal(const U8HorizontalPlan& plan, const std::uint8_t* in,
                             std::uint16_t* h, long count) noexcept {
  const int vectors = plan.cycle_out / 32;
  const int pairs = plan.pairs;
  const int* offset = plan.offset.data();
  const std::uint8_t* shuffle = plan.shuffle.data();
  const std::int8_t* weight = plan.weight.data();
  for (long k = 0; k * vectors < count; ++k) {
    const std::uint8_t* base = in + k * plan.cycle_in;
    std::uint16_t* out = h + k * plan.cycle_out;
    const int in_cycle = static_cast<int>(std::min<long>(vectors, count - k * vectors));
    for (int v = 0; v < in_cycle; ++v) {
      const int* off = offset + 4 * v;
      __m512i window = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(base + off[0])));
      window = _mm512_inserti32x4(window, _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + off[1])), 1);
      window = _mm512_inserti32x4(window, _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + off[2])), 2);
      window = _mm512_inserti32x4(window, _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + off[3])), 3);
      const std::size_t table = static_cast<std::size_t>(v) * pairs * 64;
      __m512i acc = _mm512_maddubs_epi16(
          _mm512_shuffle_epi8(window, _mm512_loadu_si512(shuffle + table)), _mm512_loadu_si512(weight + table));
      for (int p = 1; p < pairs; ++p)
        acc = _mm512_add_epi16(acc, _mm512_maddubs_epi16(
                                        _mm512_shuffle_epi8(window, _mm512_loadu_si512(shuffle + table + 64 * p)),
                                        _mm512_loadu_si512(weight + table + 64 * p)));
      _mm512_storeu_si512(out + 32 * v, acc);
    }
  }
}

template <int Taps>
TCONV_TARGET inline __m512i vertical32(const std::uint16_t* const* r, const __m512i* w, std::size_t i,
                                       __mmask32 mask, __m512i bias, __m512i one, __m128i count) noexcept {
  __m512i acc = _mm512_mullo_epi16(_mm512_maskz_loadu_epi16(mask, r[0] + i), w[0]);
  for (int e = 1; e < Taps; ++e)
    acc = _mm512_add_epi16(acc, _mm512_mullo_epi16(_mm512_maskz_loadu_epi16(mask, r[e] + i), w[e]));
  const __m512i odd = _mm512_and_si512(_mm512_srl_epi16(acc, count), one);
  return _mm512_srl_epi16(_mm512_add_epi16(acc, _mm512_add_epi16(bias, odd)), count);
}

// Up to 32 outputs from i on, through a mask.
template <int Taps>
TCONV_TARGET inline void vertical_masked(const std::uint16_t* const* r, const __m512i* w, std::size_t i,
                                         std::size_t count_out, __m512i bias, __m512i one, __m128i count,
                                         std::uint8_t* out) noexcept {
  const __mmask32 mask = static_cast<__mmask32>((std::uint64_t{1} << count_out) - 1);
  _mm512_mask_cvtepi16_storeu_epi8(out + i, mask, vertical32<Taps>(r, w, i, mask, bias, one, count));
}

template <int Taps>
TCONV_TARGET void vertical_taps(const std::uint16_t* const* rows, const std::uint16_t* weight, int shift,
                                std::uint8_t* out, std::size_t n) noexcept {
  __m512i w[Taps];
  const std::uint16_t* r[Taps];
  for (int e = 0; e < Taps; ++e) {
    w[e] = _mm512_set1_epi16(static_cast<short>(weight[e]));
    r[e] = rows[e];
  }
  const __m512i bias = _mm512_set1_epi16(static_cast<short>(shift > 0 ? (1 << (shift - 1)) - 1 : 0));
  const __m512i one = _mm512_set1_epi16(shift > 0 ? 1 : 0);
  const __m128i count = _mm_cvtsi32_si128(shift);
  const __mmask32 all = ~__mmask32{0};
  // Bytes up to the next 64-byte boundary of out, so the main loop stores
  // whole aligned cache lines.
  std::size_t i = 0;
  const std::size_t head = std::min(n, (64 - (reinterpret_cast<std::uintptr_t>(out) & 63)) & 63);
  for (; i < head; i += 32) vertical_masked<Taps>(r, w, i, std::min<std::size_t>(32, head - i), bias, one, count, out);
  i = head;
  // packus works per 128-bit lane: lane l holds a's words 8l..8l+7 then b's,
  // so 64-bit elements (a0 b0 a1 b1 ...) are put back in order a0..a3 b0..b3.
  const __m512i order = _mm512_set_epi64(7, 5, 3, 1, 6, 4, 2, 0);
  for (; i + 64 <= n; i += 64) {
    const __m512i a = vertical32<Taps>(r, w, i, all, bias, one, count);
    const __m512i b = vertical32<Taps>(r, w, i + 32, all, bias, one, count);
    const __m512i bytes = _mm512_maskz_permutexvar_epi64(0xFF, order, _mm512_packus_epi16(a, b));
    _mm512_store_si512(out + i, bytes);
  }
  for (; i < n; i += 32) vertical_masked<Taps>(r, w, i, std::min<std::size_t>(32, n - i), bias, one, count, out);
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

U8Kernels u8_kernels_avx512() noexcept { return {4, &horizontal, &vertical}; }

void upsample_u8_fixed_avx512(const ResampleProblem& p, InterleavedView<const std::uint8_t> src,
                            InterleavedView<std::uint8_t> dst, int threads) {
  const U8Kernels kernels = u8_kernels_avx512();
  upsample_fixed(p.kind, p.factor, p.border, src, dst, threads, &kernels);
}

}  // namespace tconv::detail

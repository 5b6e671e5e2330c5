// tconv2d_f32_phase_avx512: the phase-decomposition kernel for AVX-512 (F, VL,
// BW, DQ) with 512-bit vectors.
#define TCONV_PHASE_FN tconv2d_f32_phase_avx512
#define TCONV_PHASE_LANES 16
#define TCONV_TARGET \
  __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma,prefer-vector-width=512")))
#include "impl/tconv2d_f32_phase.inl"

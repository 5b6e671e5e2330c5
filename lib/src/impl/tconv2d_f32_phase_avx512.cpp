// tconv2d_f32_phase_avx512: the phase-decomposition kernel for AVX-512 (F, VL,
// BW, DQ) with 512-bit vectors. GCC needs prefer-vector-width=512 to use zmm
// for the generic vector code; clang (the fuzz build) has no such target
// option and uses the vector width the types ask for.
#define TCONV_PHASE_FN tconv2d_f32_phase_avx512
#define TCONV_PHASE_LANES 16
#if defined(__clang__)
#define TCONV_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma")))
#else
#define TCONV_TARGET \
  __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma,prefer-vector-width=512")))
#endif
#include "impl/tconv2d_f32_phase.inl"

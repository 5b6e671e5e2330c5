// tconv2d_f32_phase_avx2: the phase-decomposition kernel for AVX2 + FMA.
#define TCONV_PHASE_FN tconv2d_f32_phase_avx2
#define TCONV_TARGET __attribute__((target("avx2,fma")))
#include "impl/tconv2d_f32_phase.inl"

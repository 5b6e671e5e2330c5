// tconv2d_f32_phase_gemm_avx2: the implicit-GEMM phase kernel for AVX2 + FMA.
#define TCONV_GEMM_FN tconv2d_f32_phase_gemm_avx2
#define TCONV_TARGET __attribute__((target("avx2,fma")))
#include "impl/tconv2d_f32_phase_gemm.inl"

// tconv2d_f32_phase_gemm_avx2: the implicit-GEMM phase kernel for AVX2 + FMA
// (6 pixels x 16 channels in twelve 8-float accumulators).
#define TCONV_GEMM_FN tconv2d_f32_phase_gemm_avx2
#define TCONV_TARGET __attribute__((target("avx2,fma")))
#define TCONV_GEMM_LANES 8
#define TCONV_GEMM_PIXELS 6
#include "impl/tconv2d_f32_phase_gemm.inl"

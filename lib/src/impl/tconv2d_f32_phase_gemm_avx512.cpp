// tconv2d_f32_phase_gemm_avx512: the implicit-GEMM phase kernel for AVX-512
// (F, VL, BW, DQ): 14 pixels x 32 channels in 28 of the 32 16-float registers.
// prefer-vector-width=512 is GCC's option; clang (the fuzz build) has none.
#define TCONV_GEMM_FN tconv2d_f32_phase_gemm_avx512
#if defined(__clang__)
#define TCONV_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma")))
#else
#define TCONV_TARGET \
  __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma,prefer-vector-width=512")))
#endif
#define TCONV_GEMM_LANES 16
#define TCONV_GEMM_PIXELS 14
#include "impl/tconv2d_f32_phase_gemm.inl"

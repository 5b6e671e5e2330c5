// tconv2d_f32_phase_gemm_avx512: the implicit-GEMM phase kernel for AVX-512
// (F, VL, BW, DQ): 14 pixels x 32 channels in 28 of the 32 16-float registers.
#define TCONV_GEMM_FN tconv2d_f32_phase_gemm_avx512
#define TCONV_GEMM_PREPARE_FN tconv2d_f32_phase_gemm_avx512_prepare
#include "impl/avx512_target.hpp"
#define TCONV_TARGET TCONV_AVX512_TARGET
#define TCONV_GEMM_LANES 16
#define TCONV_GEMM_PIXELS 14
#include "impl/tconv2d_f32_phase_gemm.inl"

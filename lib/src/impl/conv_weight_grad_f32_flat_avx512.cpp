// conv_weight_grad_f32_flat_avx512: the flat weight gradient for AVX-512
// (4 A channels x 6 segments in 24 of the 32 registers).
#define TCONV_WGRAD_FN conv_weight_grad_f32_flat_avx512
#define TCONV_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#define TCONV_WGRAD_LANES 16
#define TCONV_WGRAD_BLOCK_A 4
#define TCONV_WGRAD_BLOCK_B 6
#include "impl/conv_weight_grad_f32_flat.inl"

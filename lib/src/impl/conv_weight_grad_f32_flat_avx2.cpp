// conv_weight_grad_f32_flat_avx2: the flat weight gradient for AVX2 + FMA
// (3 A channels x 4 segments in 12 of the 16 registers).
#define TCONV_WGRAD_FN conv_weight_grad_f32_flat_avx2
#define TCONV_TARGET __attribute__((target("avx2,fma")))
#define TCONV_WGRAD_LANES 8
#define TCONV_WGRAD_BLOCK_A 3
#define TCONV_WGRAD_BLOCK_B 4
#include "impl/conv_weight_grad_f32_flat.inl"

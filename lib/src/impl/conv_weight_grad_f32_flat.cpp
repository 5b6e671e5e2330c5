// conv_weight_grad_f32_flat: the flat weight gradient, portable (4-float vectors, the x86-64
// baseline's SSE2; 3 A channels x 4 segments in 12 of the 16 registers).
#define TCONV_WGRAD_FN conv_weight_grad_f32_flat
#define TCONV_TARGET
#define TCONV_WGRAD_LANES 4
#define TCONV_WGRAD_BLOCK_A 3
#define TCONV_WGRAD_BLOCK_B 4
#include "impl/conv_weight_grad_f32_flat.inl"

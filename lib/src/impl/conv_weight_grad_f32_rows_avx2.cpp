// conv_weight_grad_f32_rows_avx2: the row-vectorised weight gradient, for AVX2 + FMA.
#define TCONV_WGRAD_FN conv_weight_grad_f32_rows_avx2
#define TCONV_TARGET __attribute__((target("avx2,fma")))
#include "impl/conv_weight_grad_f32_rows.inl"

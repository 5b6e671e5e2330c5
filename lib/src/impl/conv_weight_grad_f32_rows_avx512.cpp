// conv_weight_grad_f32_rows_avx512: the row-vectorised weight gradient, for AVX-512.
#define TCONV_WGRAD_FN conv_weight_grad_f32_rows_avx512
#define TCONV_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#include "impl/conv_weight_grad_f32_rows.inl"

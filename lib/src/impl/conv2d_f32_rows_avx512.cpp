// conv2d_f32_rows_avx512: the row-vectorised direct convolution for AVX-512.
#define TCONV_ROWS_FN conv2d_f32_rows_avx512
#define TCONV_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#include "impl/conv2d_f32_rows.inl"

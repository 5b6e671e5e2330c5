// conv2d_f32_rows_avx2: the row-vectorised direct convolution for AVX2 + FMA.
#define TCONV_ROWS_FN conv2d_f32_rows_avx2
#define TCONV_TARGET __attribute__((target("avx2,fma")))
#include "impl/conv2d_f32_rows.inl"

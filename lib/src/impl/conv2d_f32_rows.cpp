// conv2d_f32_rows: the row-vectorised direct convolution for any x86-64
// (or any CPU), vectorised with the baseline ISA.
#define TCONV_ROWS_FN conv2d_f32_rows
#define TCONV_TARGET
#include "impl/conv2d_f32_rows.inl"

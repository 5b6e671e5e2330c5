// conv_weight_grad_f32_rows: the row-vectorised weight gradient, portable (the compiler's baseline vectors).
#define TCONV_WGRAD_FN conv_weight_grad_f32_rows
#define TCONV_TARGET 
#include "impl/conv_weight_grad_f32_rows.inl"

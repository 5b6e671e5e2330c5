// upsample_{u8,u16,f32}_float: the float path for any CPU (the portable fallback).
#define TCONV_TARGET
#define TCONV_U8_FN upsample_u8_float
#define TCONV_U16_FN upsample_u16_float
#define TCONV_F32_FN upsample_f32_float
#include "impl/upsample_float.inl"

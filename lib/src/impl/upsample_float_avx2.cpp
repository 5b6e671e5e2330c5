// upsample_{u8,u16,f32}_float_avx2: the float path's loops for AVX2.
#define TCONV_TARGET __attribute__((target("avx2,fma")))
#define TCONV_U8_FN upsample_u8_float_avx2
#define TCONV_U16_FN upsample_u16_float_avx2
#define TCONV_F32_FN upsample_f32_float_avx2
#include "impl/upsample_float.inl"

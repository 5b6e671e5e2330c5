// upsample_{u8,u16,f32}_float_avx512: the float path's loops for AVX-512 (F,
// VL, BW, DQ) with 512-bit vectors (impl/avx512_target.hpp).
#include "impl/avx512_target.hpp"
#define TCONV_TARGET TCONV_AVX512_TARGET
#define TCONV_U8_FN upsample_u8_float_avx512
#define TCONV_U16_FN upsample_u16_float_avx512
#define TCONV_F32_FN upsample_f32_float_avx512
#include "impl/upsample_float.inl"

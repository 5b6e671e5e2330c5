// upsample_{u8,u16,f32}_float_avx512: the float path's loops for AVX-512 (F,
// VL, BW, DQ) with 512-bit vectors (GCC needs prefer-vector-width=512 for
// zmm in vectorised loops; clang, the fuzz build, has no such option).
#if defined(__clang__)
#define TCONV_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma")))
#else
#define TCONV_TARGET \
  __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma,prefer-vector-width=512")))
#endif
#define TCONV_U8_FN upsample_u8_float_avx512
#define TCONV_U16_FN upsample_u16_float_avx512
#define TCONV_F32_FN upsample_f32_float_avx512
#include "impl/upsample_float.inl"

// Internal: the target attribute of the AVX-512 impls written as generic
// vector code (F, VL, BW, DQ and FMA). GCC needs prefer-vector-width=512 to
// use zmm registers for such code; clang (the fuzz build) has no such
// target option and uses the vector width the types ask for. An impl file
// defines TCONV_TARGET as TCONV_AVX512_TARGET before including its .inl.
#pragma once

#if defined(__clang__)
#define TCONV_AVX512_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma")))
#else
#define TCONV_AVX512_TARGET \
  __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma,prefer-vector-width=512")))
#endif

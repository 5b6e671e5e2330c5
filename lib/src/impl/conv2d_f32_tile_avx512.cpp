// conv2d_f32_tile_avx512: the register-tiled direct convolution for AVX-512
// (4 channels x 6 vectors of 16 pixels in 24 of the 32 registers).
#define TCONV_TILE_FN conv2d_f32_tile_avx512
#define TCONV_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#define TCONV_TILE_LANES 16
#define TCONV_TILE_VECTORS 6
#include "impl/conv2d_f32_tile.inl"

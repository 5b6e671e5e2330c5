// conv2d_f32_tile_avx2: the register-tiled direct convolution for AVX2 + FMA
// (4 channels x 3 vectors of 8 pixels in twelve accumulators).
#define TCONV_TILE_FN conv2d_f32_tile_avx2
#define TCONV_TARGET __attribute__((target("avx2,fma")))
#define TCONV_TILE_LANES 8
#define TCONV_TILE_VECTORS 3
#include "impl/conv2d_f32_tile.inl"

// tconv2d_f32_phase_tile_avx2: the phase-channel tiled transposed convolution
// for AVX2 + FMA (4 phase channels x 3 vectors of 8 column groups).
#define TCONV_PHASE_TILE_FN tconv2d_f32_phase_tile_avx2
#define TCONV_TARGET __attribute__((target("avx2,fma")))
#define TCONV_TILE_LANES 8
#define TCONV_TILE_VECTORS 3
#include "impl/tconv2d_f32_phase_tile.inl"

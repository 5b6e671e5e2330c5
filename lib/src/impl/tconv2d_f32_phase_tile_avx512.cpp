// tconv2d_f32_phase_tile_avx512: the phase-channel tiled transposed
// convolution for AVX-512 (4 phase channels x 6 vectors of 16 column groups).
#define TCONV_PHASE_TILE_FN tconv2d_f32_phase_tile_avx512
#define TCONV_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#define TCONV_TILE_LANES 16
#define TCONV_TILE_VECTORS 6
#include "impl/tconv2d_f32_phase_tile.inl"

// tconv2d_f32_phase_avx512: the phase-decomposition kernel for AVX-512 (F, VL,
// BW, DQ) with 512-bit vectors (impl/avx512_target.hpp).
#define TCONV_PHASE_FN tconv2d_f32_phase_avx512
#define TCONV_PHASE_LANES 16
#include "impl/avx512_target.hpp"
#define TCONV_TARGET TCONV_AVX512_TARGET
#include "impl/tconv2d_f32_phase.inl"

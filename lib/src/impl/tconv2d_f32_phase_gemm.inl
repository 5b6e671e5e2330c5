// Phase decomposition as a register-blocked implicit GEMM over channels.
//
// Included by one translation unit per ISA, which defines TCONV_GEMM_FN and
// TCONV_TARGET (see tconv2d_f32_phase.inl for why a target attribute).
// For output row oy and column phase ox0 (ox = ox0 + j * sw) the valid taps
// are those of tconv2d_f32_phase.inl:
//   row tap ky:    (oy + pad_top - ky * dh) divisible by sh, iy = that / sh in [0, ih)
//   column tap kx: (ox0 + pad_left - kx * dw) divisible by sw, ix = q + j
// and the phase is a stride-1 GEMM
//   dst[oc][oy][ox0 + j * sw] = bias[oc]
//       + sum over taps (ky, kx), ic of  wei[ky][kx][ic][oc] * src[iy][q + j][ic]
// with M = pixels j, N = output channels, K = taps x input channels. The
// micro-kernel holds a 6-pixel x 16-channel tile in twelve 8-float vector
// accumulators, broadcasting one input value per pixel and loading two
// weight vectors per K step. Inputs are packed channels-last with zero
// columns on both sides (prepare()), so the inner loops have no bounds
// checks; rows outside the input are skipped as taps.
#include <cstdint>
#include <cstring>

#include "impl/impls.hpp"
#include "index_math.hpp"
#include "impl/tconv2d_f32_phase_gemm.hpp"

namespace tconv::detail {

namespace {

typedef float Vec8 __attribute__((vector_size(32)));

struct GemmTap {
  const float* input;    // packed input at (iy, pad_left + q), channel 0
  const float* weights;  // packed weights at (ky, kx), ic 0, oc 0
};

TCONV_TARGET inline Vec8 load8(const float* p) noexcept {
  Vec8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// acc[m][h] = sum over taps, ic of w[ic][oc0 + 8h .. +8] * in[(j + m) * ic_count + ic].
TCONV_TARGET inline void micro_kernel(const GemmTap* taps, int tap_count, int ic_count, int ocp,
                                      int j, int oc0, Vec8 (&acc)[kGemmTilePixels][2]) noexcept {
  for (auto& row : acc) row[0] = row[1] = Vec8{};
  for (int t = 0; t < tap_count; ++t) {
    const float* in = taps[t].input + static_cast<std::ptrdiff_t>(j) * ic_count;
    const float* w = taps[t].weights + oc0;
    for (int ic = 0; ic < ic_count; ++ic) {
      const Vec8 w0 = load8(w + static_cast<std::ptrdiff_t>(ic) * ocp);
      const Vec8 w1 = load8(w + static_cast<std::ptrdiff_t>(ic) * ocp + 8);
      for (int m = 0; m < kGemmTilePixels; ++m) {
        const float x = in[m * ic_count + ic];
        acc[m][0] += w0 * x;
        acc[m][1] += w1 * x;
      }
    }
  }
}

}  // namespace

TCONV_TARGET void TCONV_GEMM_FN(const Problem& pb, const Weights& /*weights*/,
                                ConstTensorView /*src*/, TensorView dst,
                                std::span<const std::byte> shared, std::span<std::byte> workspace,
                                std::int64_t begin, std::int64_t end) noexcept {
  const ConvParams& p = pb.params;
  const GemmLayout layout = gemm_layout(pb);
  const auto* packed = reinterpret_cast<const float*>(&shared[0]);
  const float* packed_weights = packed + layout.weights_offset;
  const float* bias = packed + layout.bias_offset;
  auto* taps = reinterpret_cast<GemmTap*>(&workspace[0]);
  const int ic_count = p.in_channels;
  const int oc_count = p.out_channels;
  const int kh = p.kernel.h;
  const int kw = p.kernel.w;
  const int sh = p.stride.h;
  const int sw = p.stride.w;
  const int ow = pb.dst.w;
  const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(pb.dst.h) * ow;

  for (std::int64_t item = begin; item < end; ++item) {  // item = oy
    const int oy = static_cast<int>(item);
    for (int ox0 = 0; ox0 < sw && ox0 < ow; ++ox0) {
      const int n = (ow - ox0 + sw - 1) / sw;
      int tap_count = 0;
      for (int ky = 0; ky < kh; ++ky) {
        const int y = oy + p.pad_begin.h - ky * p.dilation.h;
        if (y < 0 || y % sh != 0 || y / sh >= pb.src.h) continue;
        const int iy = y / sh;
        for (int kx = 0; kx < kw; ++kx) {
          const std::int64_t x = std::int64_t{ox0} + p.pad_begin.w - std::int64_t{kx} * p.dilation.w;
          if (floor_mod(x, sw) != 0) continue;
          const auto q = static_cast<std::ptrdiff_t>(floor_div(x, sw));
          taps[tap_count++] = {
              packed + (static_cast<std::ptrdiff_t>(iy) * layout.iwp + layout.pad_left + q) * ic_count,
              packed_weights + (static_cast<std::ptrdiff_t>(ky) * kw + kx) * ic_count * layout.ocp};
        }
      }
      float* out = dst.data + static_cast<std::ptrdiff_t>(oy) * ow + ox0;
      for (int oc0 = 0; oc0 < oc_count; oc0 += kGemmTileChannels) {
        const int oc_end = oc0 + kGemmTileChannels < oc_count ? oc0 + kGemmTileChannels : oc_count;
        for (int j = 0; j < n; j += kGemmTilePixels) {
          Vec8 acc[kGemmTilePixels][2];
          micro_kernel(taps, tap_count, ic_count, layout.ocp, j, oc0, acc);
          const int m_end = n - j < kGemmTilePixels ? n - j : kGemmTilePixels;
          for (int oc = oc0; oc < oc_end; ++oc) {
            const int lane = oc - oc0;
            float* out_c = out + oc * plane + static_cast<std::ptrdiff_t>(j) * sw;
            for (int m = 0; m < m_end; ++m) out_c[m * sw] = acc[m][lane >> 3][lane & 7] + bias[oc];
          }
        }
      }
    }
  }
}

}  // namespace tconv::detail

// conv2d_f32_rows: direct convolution vectorised along the output row, for
// stride 1 (any dilation, groups, padding). Included by one file per ISA,
// which defines TCONV_ROWS_FN (the impl name) and TCONV_TARGET (a GCC
// target attribute, or nothing for the portable build).
//
// With stride 1, output row oy of channel oc = g * ocg + ocl is
//   dst[oc][oy][ox] = bias[oc] + sum_{icl, ky, kx} w[oc][icl][ky][kx]
//                     * src[g * icg + icl][oy - pt + ky * dh][ox - pl + kx * dw]
// so each (icl, ky, kx) adds one weight times a contiguous input segment
// src_row[ox + off], off = kx * dw - pl, to the output row; taps that fall
// outside the input contribute zero, so ox is clipped to
// [max(0, -off), min(ow, iw - off)). The loop over ox is the vector loop
// (the compiler vectorises it for the target); the output row stays in L1.
// Work item = one output row (oc * oh + oy), summed in a fixed order, so
// the result does not depend on the thread split.
#include <algorithm>

#include "impl/impls.hpp"

namespace tconv::detail {

namespace {

TCONV_TARGET void add_scaled(float* __restrict out, const float* __restrict in, float w,
                             int n) noexcept {
  for (int i = 0; i < n; ++i) out[i] += w * in[i];
}

}  // namespace

TCONV_TARGET void TCONV_ROWS_FN(const Problem& pb, const Weights& wei, ConstTensorView src,
                                TensorView dst, std::span<const std::byte> /*shared*/,
                                std::span<std::byte> /*workspace*/, std::int64_t begin,
                                std::int64_t end) noexcept {
  const ConvParams& p = pb.params;
  const int icg = p.in_channels / p.groups;
  const int ocg = p.out_channels / p.groups;
  const int kh = p.kernel.h;
  const int kw = p.kernel.w;
  const int ow = pb.dst.w;
  const int iw = pb.src.w;
  for (std::int64_t item = begin; item < end; ++item) {
    const int oc = static_cast<int>(item / pb.dst.h);
    const int oy = static_cast<int>(item % pb.dst.h);
    const int g = oc / ocg;
    float* out = dst.row(oc, oy);
    std::fill(out, out + ow, wei.bias.empty() ? 0.0f : wei.bias[static_cast<std::size_t>(oc)]);
    for (int icl = 0; icl < icg; ++icl) {
      const int ic = g * icg + icl;
      for (int ky = 0; ky < kh; ++ky) {
        const int iy = oy - p.pad_begin.h + ky * p.dilation.h;
        if (iy < 0 || iy >= pb.src.h) continue;
        const float* in = src.row(ic, iy);
        const float* w = wei.values.data() +
                         ((static_cast<std::size_t>(oc) * icg + icl) * kh + ky) * kw;
        for (int kx = 0; kx < kw; ++kx) {
          const int off = kx * p.dilation.w - p.pad_begin.w;
          const int lo = std::max(0, -off);
          const int hi = std::min(ow, iw - off);
          if (lo < hi) add_scaled(out + lo, in + lo + off, w[kx], hi - lo);
        }
      }
    }
  }
}

}  // namespace tconv::detail

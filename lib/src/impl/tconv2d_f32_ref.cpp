// Reference transposed convolution: a direct gather over output pixels.
//
// Output pixel (oc, oy, ox) receives input pixel (ic, iy, ix) through tap
// (ky, kx) iff, per axis,
//   oy + pad_top == iy * sh + ky * dh
// so tap ky contributes iff y = oy + pad_top - ky * dh is >= 0, divisible by
// sh, and iy = y / sh < ih (same for x). Channels: oc = g * ocg + ocl reads
// ic = g * icg + icl, weight [ic][ocl][ky][kx]. Accumulation in double,
// written for clarity, not speed: every other impl is tested against it.
#include "impl/impls.hpp"

namespace tconv::detail {

void tconv2d_f32_ref(const Problem& pb, const Weights& wei, ConstTensorView src, TensorView dst,
                     std::span<const std::byte> /*shared*/,
                     std::span<std::byte> /*workspace*/, std::int64_t begin,
                     std::int64_t end) noexcept {
  const ConvParams& p = pb.params;
  const int icg = p.in_channels / p.groups;
  const int ocg = p.out_channels / p.groups;
  const int kh = p.kernel.h;
  const int kw = p.kernel.w;
  const int ih = pb.src.h;
  const int iw = pb.src.w;
  for (std::int64_t item = begin; item < end; ++item) {  // item = oc * oh + oy
    const int oc = static_cast<int>(item / pb.dst.h);
    const int oy = static_cast<int>(item % pb.dst.h);
    const int g = oc / ocg;
    const int ocl = oc % ocg;
    const double bias = wei.bias.empty() ? 0.0 : double{wei.bias[static_cast<std::size_t>(oc)]};
    float* out_row = dst.row(oc, oy);
    for (int ox = 0; ox < pb.dst.w; ++ox) {
      double acc = bias;
      for (int ky = 0; ky < kh; ++ky) {
        const int y = oy + p.pad_begin.h - ky * p.dilation.h;
        if (y < 0 || y % p.stride.h != 0) continue;
        const int iy = y / p.stride.h;
        if (iy >= ih) continue;
        for (int kx = 0; kx < kw; ++kx) {
          const int x = ox + p.pad_begin.w - kx * p.dilation.w;
          if (x < 0 || x % p.stride.w != 0) continue;
          const int ix = x / p.stride.w;
          if (ix >= iw) continue;
          for (int icl = 0; icl < icg; ++icl) {
            const int ic = g * icg + icl;
            const std::size_t w_index =
                ((static_cast<std::size_t>(ic) * ocg + ocl) * kh + ky) * kw + kx;
            acc += double{src.row(ic, iy)[ix]} * double{wei.values[w_index]};
          }
        }
      }
      out_row[ox] = static_cast<float>(acc);
    }
  }
}

}  // namespace tconv::detail

// Reference convolution (cross-correlation), the adjoint of tconv2d_f32_ref.
//
// Output pixel (oc, oy, ox) reads input (ic, iy, ix) through tap (ky, kx) with
//   iy = oy * sh - pad_top + ky * dh,   ix = ox * sw - pad_left + kx * dw
// (zero outside the input); oc = g * ocg + ocl reads ic = g * icg + icl with
// weight [oc][icl][ky][kx]. Accumulation in double.
#include "impl/impls.hpp"

namespace tconv::detail {

void conv2d_f32_ref(const Problem& pb, const Weights& wei, ConstTensorView src, TensorView dst,
                    std::span<const std::byte> /*shared*/,
                     std::span<std::byte> /*workspace*/, std::int64_t begin,
                    std::int64_t end) noexcept {
  const ConvParams& p = pb.params;
  const int icg = p.in_channels / p.groups;
  const int ocg = p.out_channels / p.groups;
  const int kh = p.kernel.h;
  const int kw = p.kernel.w;
  for (std::int64_t item = begin; item < end; ++item) {  // item = oc * oh + oy
    const int oc = static_cast<int>(item / pb.dst.h);
    const int oy = static_cast<int>(item % pb.dst.h);
    const int g = oc / ocg;
    const double bias = wei.bias.empty() ? 0.0 : double{wei.bias[static_cast<std::size_t>(oc)]};
    float* out_row = dst.row(oc, oy);
    for (int ox = 0; ox < pb.dst.w; ++ox) {
      double acc = bias;
      for (int icl = 0; icl < icg; ++icl) {
        const int ic = g * icg + icl;
        for (int ky = 0; ky < kh; ++ky) {
          const int iy = oy * p.stride.h - p.pad_begin.h + ky * p.dilation.h;
          if (iy < 0 || iy >= pb.src.h) continue;
          const float* in_row = src.row(ic, iy);
          for (int kx = 0; kx < kw; ++kx) {
            const int ix = ox * p.stride.w - p.pad_begin.w + kx * p.dilation.w;
            if (ix < 0 || ix >= pb.src.w) continue;
            const std::size_t w_index =
                ((static_cast<std::size_t>(oc) * icg + icl) * kh + ky) * kw + kx;
            acc += double{in_row[ix]} * double{wei.values[w_index]};
          }
        }
      }
      out_row[ox] = static_cast<float>(acc);
    }
  }
}

}  // namespace tconv::detail

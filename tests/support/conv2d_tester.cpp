#include "conv2d_tester.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "tconv/core/conv2d.hpp"
#include "tconv/core/error.hpp"
#include "tconv_tester.hpp"

namespace tconv::test {

namespace {

// conv2d from its definition (tconv/core/conv2d.hpp), summed in double:
//   dst[oc][oy][ox] = bias[oc] + sum_{icl, ky, kx} wei[oc][icl][ky][kx]
//                     * src[g * icg + icl][oy * sh - pt + ky * dh][ox * sw - pl + kx * dw]
// with g = oc / ocg and zero outside the input.
std::vector<double> reference_conv2d(const ConvParams& p, const Tensor& src, const Weights& wei,
                                     const Shape3& dst) {
  const Shape3 in = src.shape();
  const int icg = p.in_channels / p.groups;
  const int ocg = p.out_channels / p.groups;
  const int kh = p.kernel.h;
  const int kw = p.kernel.w;
  std::vector<double> out(static_cast<std::size_t>(dst.elements()));
  for (int oc = 0; oc < dst.c; ++oc) {
    const int g = oc / ocg;
    const double bias = wei.bias.empty() ? 0.0 : double{wei.bias[static_cast<std::size_t>(oc)]};
    for (int oy = 0; oy < dst.h; ++oy)
      for (int ox = 0; ox < dst.w; ++ox) {
        double acc = bias;
        for (int icl = 0; icl < icg; ++icl)
          for (int ky = 0; ky < kh; ++ky) {
            const int iy = oy * p.stride.h - p.pad_begin.h + ky * p.dilation.h;
            if (iy < 0 || iy >= in.h) continue;
            for (int kx = 0; kx < kw; ++kx) {
              const int ix = ox * p.stride.w - p.pad_begin.w + kx * p.dilation.w;
              if (ix < 0 || ix >= in.w) continue;
              const float w =
                  wei.values[((static_cast<std::size_t>(oc) * icg + icl) * kh + ky) * kw + kx];
              acc += double{w} * src.at(g * icg + icl, iy, ix);
            }
          }
        out[(static_cast<std::size_t>(oc) * dst.h + oy) * dst.w + ox] = acc;
      }
  }
  return out;
}

}  // namespace

ConvParams Conv2dTester::params() const {
  ConvParams p = p_;
  p.in_channels = in_.c;
  p.out_channels = oc_;
  if (p.kernel.h == 0) p.kernel = {3, 3};
  return p;
}

Weights Conv2dTester::weights() const {
  return random_weights(params(), ConvKind::kConv2d, seed_, bias_);
}

Tensor Conv2dTester::input_tensor() const { return random_tensor(in_, seed_); }

bool Conv2dTester::output_is_empty() const {
  try {
    (void)params().output_shape(ConvKind::kConv2d, in_);
    return false;
  } catch (const InvalidArgument&) {
    return true;
  }
}

bool Conv2dTester::test_against_reference(std::string_view impl) const {
  const ConvParams p = params();
  if (!conv2d_impl_applicable(impl, p)) return false;
  INFO("problem " << p.to_string() << " input " << to_string(in_) << " seed " << seed_ << " impl "
                  << impl << " threads " << threads_);
  const Weights w = weights();
  const Tensor src = input_tensor();
  OpOptions options;
  options.force_impl = std::string(impl);
  options.threads = threads_;
  const Conv2d op = Conv2d::create(p, w, options);
  REQUIRE(op.impl_name() == impl);
  const Tensor actual = op.run(src.view());
  const Shape3 dst = p.output_shape(ConvKind::kConv2d, in_);
  REQUIRE(actual.shape() == dst);
  const std::vector<double> expected = reference_conv2d(p, src, w, dst);

  // Each output sums at most icg * kh * kw products of values in [-1, 1).
  const double tol = 1e-6 * (p.in_channels / p.groups * p.kernel.h * p.kernel.w + 1);
  const auto a = actual.span();
  std::size_t worst = 0;
  double worst_err = 0.0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double err = std::abs(double{a[i]} - expected[i]);
    if (!(err <= worst_err)) {  // NaN counts as the worst
      worst_err = err;
      worst = i;
    }
  }
  const auto plane = static_cast<std::size_t>(dst.h) * static_cast<std::size_t>(dst.w);
  INFO("worst flat index " << worst << " (oc " << worst / plane << ", oy "
                           << worst % plane / static_cast<std::size_t>(dst.w) << ", ox "
                           << worst % static_cast<std::size_t>(dst.w) << "): expected "
                           << expected[worst] << ", got " << a[worst] << ", tolerance " << tol);
  REQUIRE(worst_err <= tol);
  return true;
}

}  // namespace tconv::test

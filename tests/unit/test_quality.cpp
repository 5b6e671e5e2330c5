// PSNR and SSIM: hand-computable cases, refusals, and values computed
// independently with PyTorch (float64 conv2d with the normalised 11x11
// Gaussian; the script is in the comment beside the numbers).
#include <catch2/catch.hpp>
#include <cmath>

#include "tconv/core/error.hpp"
#include "tconv/sr/quality.hpp"

namespace {

using tconv::Shape3;
using tconv::Tensor;

Tensor filled(int h, int w, float v) {
  Tensor t(Shape3{1, h, w});
  for (float& x : t.span()) x = v;
  return t;
}

// The two deterministic test images of the PyTorch check below.
Tensor pattern_a(int h, int w) {
  Tensor t(Shape3{1, h, w});
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) t.at(0, y, x) = static_cast<float>((x * 7 + y * 13) % 256);
  return t;
}
Tensor pattern_b(int h, int w) {
  Tensor t(Shape3{1, h, w});
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      t.at(0, y, x) = static_cast<float>((x * x + 3 * y + (x * y) % 5) % 256);
  return t;
}

}  // namespace

TEST_CASE("psnr of hand-computable cases", "[quality]") {
  const Tensor zero = filled(4, 5, 0.0f);
  const Tensor one = filled(4, 5, 1.0f);
  // MSE 1 at peak 255: 20 log10(255).
  CHECK(tconv::psnr(zero.view(), one.view()) == Approx(20.0 * std::log10(255.0)).epsilon(1e-12));
  CHECK(tconv::mean_squared_error(zero.view(), one.view()) == 1.0);
  // One pixel off by 10 of 20: MSE 5; peak 1 (values on [0, 1]).
  Tensor other = zero.clone();
  other.at(0, 2, 3) = 10.0f;
  CHECK(tconv::mean_squared_error(zero.view(), other.view()) == 5.0);
  CHECK(tconv::psnr(zero.view(), other.view(), 1.0) == Approx(10.0 * std::log10(1.0 / 5.0)));
  CHECK(std::isinf(tconv::psnr(one.view(), one.view())));
}

TEST_CASE("ssim of hand-computable cases", "[quality]") {
  const Tensor a = pattern_a(15, 12);
  CHECK(tconv::ssim(a.view(), a.view()) == Approx(1.0).epsilon(1e-12));
  // Two constant images c and d: variances and covariance are 0, so every
  // window gives (2cd + C1) / (c^2 + d^2 + C1).
  const double c = 100.0;
  const double d = 120.0;
  const double c1 = (0.01 * 255) * (0.01 * 255);
  const Tensor ca = filled(13, 14, static_cast<float>(c));
  const Tensor cb = filled(13, 14, static_cast<float>(d));
  CHECK(tconv::ssim(ca.view(), cb.view()) ==
        Approx((2 * c * d + c1) / (c * c + d * d + c1)).epsilon(1e-12));
  const Tensor map = tconv::ssim_map(ca.view(), cb.view());
  CHECK(map.shape() == Shape3{1, 3, 4});  // the valid region: (13 - 10) x (14 - 10)
  // An 11x11 image has exactly one window.
  CHECK(tconv::ssim_map(filled(11, 11, 3.0f).view(), filled(11, 11, 3.0f).view()).shape() ==
        Shape3{1, 1, 1});
}

TEST_CASE("psnr and ssim match an independent PyTorch computation", "[quality][golden]") {
  // /usr/bin/python3: torch float64; a, b as pattern_a/pattern_b at 23x17;
  // g_i = exp(-(i-5)^2 / 4.5), w = outer(g, g) / sum; f = conv2d(., w) (valid);
  // C1 = 2.55^2, C2 = 7.65^2; map = ((2 ma mb + C1)(2 cab + C2)) /
  // ((ma^2 + mb^2 + C1)(va + vb + C2)); mean over the 13x7 map.
  const Tensor a = pattern_a(23, 17);
  const Tensor b = pattern_b(23, 17);
  CHECK(tconv::ssim(a.view(), b.view()) == Approx(0.22805144133651964).epsilon(1e-10));
  CHECK(tconv::psnr(a.view(), b.view()) == Approx(8.341493792456157).epsilon(1e-10));
  // Symmetric in its arguments.
  CHECK(tconv::ssim(b.view(), a.view()) == Approx(0.22805144133651964).epsilon(1e-10));
}

TEST_CASE("psnr and ssim refuse mismatched or unusable inputs", "[quality]") {
  const Tensor a = filled(12, 12, 1.0f);
  const Tensor b = filled(12, 13, 1.0f);
  const Tensor rgb(Shape3{3, 12, 12});
  const Tensor small = filled(10, 12, 1.0f);
  CHECK_THROWS_AS(tconv::psnr(a.view(), b.view()), tconv::ShapeMismatch);
  CHECK_THROWS_WITH(tconv::psnr(a.view(), b.view()), Catch::Contains("must have the reference's shape"));
  CHECK_THROWS_WITH(tconv::psnr(rgb.view(), rgb.view()), Catch::Contains("exactly one channel"));
  CHECK_THROWS_AS(tconv::psnr(a.view(), a.view(), 0.0), tconv::InvalidArgument);
  CHECK_THROWS_WITH(tconv::ssim(small.view(), small.view()), Catch::Contains("at least 11x11"));
  tconv::SsimParams even;
  even.window = 10;
  CHECK_THROWS_WITH(tconv::ssim(a.view(), a.view(), even), Catch::Contains("must be odd"));
  CHECK_THROWS_AS(tconv::shave(a.view(), 6), tconv::ShapeMismatch);
  const Tensor shaved = tconv::shave(pattern_a(9, 8).view(), 2);
  CHECK(shaved.shape() == Shape3{1, 5, 4});
  CHECK(shaved.at(0, 0, 0) == pattern_a(9, 8).at(0, 2, 2));
}

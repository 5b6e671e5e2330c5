// PSNR and SSIM (Wang et al. 2004, as their ssim_index.m computes it).
//
// SSIM: with the normalised 2-D Gaussian window w (separable, w = g g^T with
// g the normalised 1-D Gaussian, because fspecial's 2-D kernel normalised
// to sum 1 factors exactly into the two normalised 1-D kernels), the local
// statistics of every valid window position (y, x), 0 <= y <= h - n,
// 0 <= x <= w - n, are
//   mu_a = sum_ij w_ij a(y+i, x+j),  sigma_a^2 = sum_ij w_ij a^2 - mu_a^2,
//   sigma_ab = sum_ij w_ij a b - mu_a mu_b,
// and the map is ((2 mu_a mu_b + C1)(2 sigma_ab + C2)) /
// ((mu_a^2 + mu_b^2 + C1)(sigma_a^2 + sigma_b^2 + C2)). filter2 correlates
// (no flip); the window is symmetric, so it does not matter.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/colour.hpp"
#include "tconv/core/error.hpp"
#include "tconv/sr/quality.hpp"

namespace tconv {

Tensor full_range_luma(ConstTensorView rgb) {
  if (rgb.shape.c != 3)
    throw ShapeMismatch("luma input " + to_string(rgb.shape) + ": needs 3 channels (R, G, B)");
  Tensor out(Shape3{1, rgb.shape.h, rgb.shape.w});
  for (int y = 0; y < rgb.shape.h; ++y)
    for (int x = 0; x < rgb.shape.w; ++x)
      out.at(0, y, x) = detail::bt601_luma(rgb.row(0, y)[x], rgb.row(1, y)[x], rgb.row(2, y)[x]);
  return out;
}

namespace {

void check_pair(const char* op, ConstTensorView a, ConstTensorView b) {
  if (a.shape.c != 1)
    throw ShapeMismatch(std::string(op) + " reference " + to_string(a.shape) +
                        ": must have exactly one channel");
  if (b.shape != a.shape)
    throw ShapeMismatch(std::string(op) + " test " + to_string(b.shape) +
                        ": must have the reference's shape " + to_string(a.shape));
  if (a.shape.h < 1 || a.shape.w < 1)
    throw ShapeMismatch(std::string(op) + " image " + to_string(a.shape) + ": is empty");
}

void check_params(const SsimParams& p) {
  if (p.window < 1 || p.window % 2 == 0)
    throw InvalidArgument("ssim window " + std::to_string(p.window) + ": must be odd and >= 1");
  if (!(p.sigma > 0.0) || !std::isfinite(p.sigma))
    throw InvalidArgument("ssim sigma " + std::to_string(p.sigma) + ": must be finite and > 0");
  if (!(p.k1 >= 0.0) || !(p.k2 >= 0.0) || !std::isfinite(p.k1) || !std::isfinite(p.k2))
    throw InvalidArgument("ssim k1/k2 " + std::to_string(p.k1) + "/" + std::to_string(p.k2) +
                          ": must be finite and >= 0");
  if (!(p.dynamic_range > 0.0) || !std::isfinite(p.dynamic_range))
    throw InvalidArgument("ssim dynamic_range " + std::to_string(p.dynamic_range) +
                          ": must be finite and > 0");
}

// The normalised 1-D Gaussian of `n` taps centred on n / 2.
std::vector<double> gaussian(int n, double sigma) {
  std::vector<double> g(static_cast<std::size_t>(n));
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    const double x = i - (n - 1) / 2.0;
    g[static_cast<std::size_t>(i)] = std::exp(-x * x / (2.0 * sigma * sigma));
    sum += g[static_cast<std::size_t>(i)];
  }
  for (double& v : g) v /= sum;
  return g;
}

}  // namespace

double mean_squared_error(ConstTensorView reference, ConstTensorView test) {
  check_pair("mse", reference, test);
  const auto a = reference.span();
  const auto b = test.span();
  double sum = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    sum += d * d;
  }
  return sum / static_cast<double>(a.size());
}

double psnr(ConstTensorView reference, ConstTensorView test, double peak) {
  check_pair("psnr", reference, test);
  if (!(peak > 0.0) || !std::isfinite(peak))
    throw InvalidArgument("psnr peak " + std::to_string(peak) + ": must be finite and > 0");
  const double mse = mean_squared_error(reference, test);
  if (mse == 0.0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(peak * peak / mse);
}

namespace {

// The SSIM map in double, (h - n + 1) x (w - n + 1) values in row-major order.
std::vector<double> ssim_values(ConstTensorView reference, ConstTensorView test,
                                const SsimParams& params) {
  check_pair("ssim", reference, test);
  check_params(params);
  const int n = params.window;
  const int h = reference.shape.h;
  const int w = reference.shape.w;
  if (h < n || w < n)
    throw ShapeMismatch("ssim image " + to_string(reference.shape) + ": must be at least " +
                        std::to_string(n) + "x" + std::to_string(n));
  const std::vector<double> g = gaussian(n, params.sigma);
  const double c1 = (params.k1 * params.dynamic_range) * (params.k1 * params.dynamic_range);
  const double c2 = (params.k2 * params.dynamic_range) * (params.k2 * params.dynamic_range);
  const int vh = h - n + 1;
  const int vw = w - n + 1;

  // Horizontal pass: for each input row y and valid column x, the five
  // filtered products a, b, a^2, b^2, ab over columns x .. x + n - 1.
  const std::size_t plane = static_cast<std::size_t>(h) * static_cast<std::size_t>(vw);
  std::vector<double> rows(5 * plane);
  for (int y = 0; y < h; ++y) {
    const float* ra = reference.row(0, y);
    const float* rb = test.row(0, y);
    for (int x = 0; x < vw; ++x) {
      double s[5] = {0, 0, 0, 0, 0};
      for (int j = 0; j < n; ++j) {
        const double a = ra[x + j];
        const double b = rb[x + j];
        const double gj = g[static_cast<std::size_t>(j)];
        s[0] += gj * a;
        s[1] += gj * b;
        s[2] += gj * a * a;
        s[3] += gj * b * b;
        s[4] += gj * a * b;
      }
      const std::size_t at = static_cast<std::size_t>(y) * vw + x;
      for (int k = 0; k < 5; ++k) rows[k * plane + at] = s[k];
    }
  }
  // Vertical pass over rows y .. y + n - 1, then the SSIM formula.
  std::vector<double> map(static_cast<std::size_t>(vh) * static_cast<std::size_t>(vw));
  for (int y = 0; y < vh; ++y) {
    for (int x = 0; x < vw; ++x) {
      double s[5] = {0, 0, 0, 0, 0};
      for (int i = 0; i < n; ++i) {
        const std::size_t at = static_cast<std::size_t>(y + i) * vw + x;
        const double gi = g[static_cast<std::size_t>(i)];
        for (int k = 0; k < 5; ++k) s[k] += gi * rows[k * plane + at];
      }
      const double mu_a = s[0];
      const double mu_b = s[1];
      const double var_a = s[2] - mu_a * mu_a;
      const double var_b = s[3] - mu_b * mu_b;
      const double cov = s[4] - mu_a * mu_b;
      const double num = (2.0 * mu_a * mu_b + c1) * (2.0 * cov + c2);
      const double den = (mu_a * mu_a + mu_b * mu_b + c1) * (var_a + var_b + c2);
      // With C1 = C2 = 0 ssim_index.m defines flat windows separately; a 0/0
      // here means two constant, equal windows: structurally identical.
      map[static_cast<std::size_t>(y) * vw + x] = den == 0.0 ? 1.0 : num / den;
    }
  }
  return map;
}

}  // namespace

Tensor ssim_map(ConstTensorView reference, ConstTensorView test, const SsimParams& params) {
  const std::vector<double> values = ssim_values(reference, test, params);
  const int n = params.window;
  Tensor map(Shape3{1, reference.shape.h - n + 1, reference.shape.w - n + 1});
  for (std::size_t i = 0; i < values.size(); ++i) map.data()[i] = static_cast<float>(values[i]);
  return map;
}

double ssim(ConstTensorView reference, ConstTensorView test, const SsimParams& params) {
  // Averaged from the double map, so the mean carries no float rounding.
  const std::vector<double> values = ssim_values(reference, test, params);
  double sum = 0.0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

Tensor shave(ConstTensorView src, int border) {
  if (border < 0)
    throw InvalidArgument("shave border " + std::to_string(border) + ": must be >= 0");
  const int h = src.shape.h - 2 * border;
  const int w = src.shape.w - 2 * border;
  if (h < 1 || w < 1)
    throw ShapeMismatch("shave image " + to_string(src.shape) + ": border " +
                        std::to_string(border) + " leaves nothing");
  Tensor out(Shape3{src.shape.c, h, w});
  for (int c = 0; c < src.shape.c; ++c)
    for (int y = 0; y < h; ++y) {
      const float* from = src.row(c, y + border) + border;
      float* to = out.view().row(c, y);
      for (int x = 0; x < w; ++x) to[x] = from[x];
    }
  return out;
}

}  // namespace tconv

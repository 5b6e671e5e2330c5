// Checkerboard analysis: phase gains of a layer, phase metrics of images,
// the least-squares 3x3 convolution (see tconv/sr/analysis.hpp
// for the definitions; this file states the index math).
#include "tconv/sr/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <utility>

#include "core/index_math.hpp"
#include "core/linalg.hpp"
#include "core/padding.hpp"
#include "tconv/core/conv2d.hpp"
#include "tconv/core/error.hpp"

namespace tconv {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// Rows [y0, y1) and columns [x0, x1) of an image.
struct Region {
  int y0 = 0;
  int y1 = 0;
  int x0 = 0;
  int x1 = 0;
};

void check_stride(const char* op, Size2 stride) {
  if (stride.h < 1 || stride.w < 1)
    throw InvalidArgument(std::string(op) + " stride " + to_string(stride) + ": must be >= 1");
}

// The interior of `shape` without `border` on each side; it must hold at
// least `min_size` rows and columns so that every phase is present.
Region interior(const char* op, const Shape3& shape, Size2 border, Size2 min_size) {
  if (border.h < 0 || border.w < 0)
    throw InvalidArgument(std::string(op) + " border " + to_string(border) + ": must be >= 0");
  const Region r{border.h, shape.h - border.h, border.w, shape.w - border.w};
  if (shape.c < 1 || r.y1 - r.y0 < min_size.h || r.x1 - r.x0 < min_size.w)
    throw InvalidArgument(std::string(op) + " image " + to_string(shape) + " with border " +
                          to_string(border) + ": the interior must be at least " +
                          to_string(min_size) + " pixels");
  return r;
}

// max / min of non-negative values: 1 when all are 0, +inf when only the
// minimum is (a minimum below 1e-9 of the maximum is float rounding of a zero).
double max_over_min(const std::vector<double>& v) {
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  if (*hi <= 0.0) return 1.0;
  if (*lo <= 1e-9 * *hi) return kInf;
  return *hi / *lo;
}

// Sum over channels of spread_c^2 (see phase_mean_spread) on `r`; phases are
// taken in the image's own coordinates, so any region gives the same labels.
double sum_of_channel_spreads2(ConstTensorView image, Size2 s, const Region& r) {
  const std::size_t phases = static_cast<std::size_t>(s.h) * s.w;
  std::vector<double> sum(phases);
  std::vector<std::int64_t> count(phases);
  double total = 0.0;
  for (int c = 0; c < image.shape.c; ++c) {
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(count.begin(), count.end(), 0);
    for (int y = r.y0; y < r.y1; ++y) {
      const float* row = image.row(c, y);
      const std::size_t a = static_cast<std::size_t>(y % s.h) * s.w;
      for (int x = r.x0; x < r.x1; ++x) {
        sum[a + x % s.w] += row[x];
        ++count[a + x % s.w];
      }
    }
    double mbar = 0.0;
    for (std::size_t p = 0; p < phases; ++p) {
      sum[p] /= static_cast<double>(count[p]);  // now the phase mean m_c(a, b)
      mbar += sum[p];
    }
    mbar /= static_cast<double>(phases);
    double var = 0.0;
    for (std::size_t p = 0; p < phases; ++p) var += (sum[p] - mbar) * (sum[p] - mbar);
    total += var / static_cast<double>(phases);
  }
  return total;
}

// Factors A + ridge I for a symmetric positive semi-definite n x n A
// (row-major, only the upper triangle is read) in place, with a ridge of
// 1e-12 of A's mean diagonal that also floors every pivot.
void factor_spd(std::vector<double>& a, int n) {
  double trace = 0.0;
  for (int i = 0; i < n; ++i) trace += a[static_cast<std::size_t>(i) * n + i];
  const double ridge = 1e-12 * std::max(trace / n, 1e-300);
  for (int i = 0; i < n; ++i) a[static_cast<std::size_t>(i) * n + i] += ridge;
  detail::cholesky_factor(a, n, ridge);
}

// src with one replicated pixel on every side.
Tensor pad_replicate1(ConstTensorView src) {
  const Shape3 s = src.shape;
  Tensor out(Shape3{s.c, s.h + 2, s.w + 2});
  detail::pad_planes(src, out.view(), {1, 1}, detail::PadMode::kReplicate);
  return out;
}

}  // namespace

PhaseGains phase_gains(const ConvParams& params, const Weights& weights) {
  params.validate(ConvKind::kConvTranspose2d);
  const Shape4 expected = params.weight_shape(ConvKind::kConvTranspose2d);
  if (weights.shape != expected || static_cast<std::int64_t>(weights.values.size()) != expected.elements())
    throw ShapeMismatch("phase_gains weights " + to_string(weights.shape) + ": expected " +
                        to_string(expected) + " for " + params.to_string());
  // Automatic padding of conv_transpose2d does not depend on the input size
  // (out = in * s), so any input resolves it; explicit pads are used as given.
  Size2 pad = params.pad_begin;
  if (params.auto_pad != AutoPad::kNone) {
    ConvParams p = params;
    p.output_size.reset();
    pad = p.resolved(ConvKind::kConvTranspose2d, Shape3{p.in_channels, 8, 8}).pad_begin;
  }
  const Size2 s = params.stride;
  const int kh = params.kernel.h;
  const int kw = params.kernel.w;
  const int ocg = params.out_channels / params.groups;
  const int icg = params.in_channels / params.groups;

  PhaseGains out;
  out.stride = s;
  out.taps.assign(static_cast<std::size_t>(s.h) * s.w, 0);
  out.gains.assign(static_cast<std::size_t>(params.out_channels),
                   std::vector<double>(out.taps.size(), 0.0));
  // Tap t reaches output o from input i iff o + pad = i * s + t * d, so it
  // serves exactly the phase a = (t * d - pad) mod s.
  auto phase_of = [&](int ty, int tx) {
    const auto a = detail::floor_mod(std::int64_t{ty} * params.dilation.h - pad.h, s.h);
    const auto b = detail::floor_mod(std::int64_t{tx} * params.dilation.w - pad.w, s.w);
    return static_cast<std::size_t>(a * s.w + b);
  };
  for (int ty = 0; ty < kh; ++ty)
    for (int tx = 0; tx < kw; ++tx) ++out.taps[phase_of(ty, tx)];
  for (int oc = 0; oc < params.out_channels; ++oc) {
    const int g = oc / ocg;
    const int ocl = oc % ocg;
    for (int icl = 0; icl < icg; ++icl) {
      const int ic = g * icg + icl;
      // weights: [ic][ocl][ty][tx]
      const float* w = weights.values.data() +
                       (static_cast<std::size_t>(ic) * ocg + ocl) * static_cast<std::size_t>(kh) * kw;
      for (int ty = 0; ty < kh; ++ty)
        for (int tx = 0; tx < kw; ++tx) out.gains[oc][phase_of(ty, tx)] += w[ty * kw + tx];
    }
  }
  out.uneven_overlap =
      std::adjacent_find(out.taps.begin(), out.taps.end(), std::not_equal_to<>()) != out.taps.end();
  out.ratio = phase_gain_ratio(out.gains);
  return out;
}

double phase_gain_ratio(const std::vector<std::vector<double>>& gains) {
  double ratio = 1.0;
  for (const auto& g : gains) {
    if (g.empty()) continue;
    const auto [lo, hi] = std::minmax_element(g.begin(), g.end());
    double r = 1.0;
    if (*lo == *hi) r = 1.0;
    else if (*lo > 0.0) r = *hi / *lo;
    else if (*hi < 0.0) r = *lo / *hi;  // both negative: |lo| / |hi|
    else r = kInf;
    ratio = std::max(ratio, r);
  }
  return ratio;
}

double phase_mean_spread(ConstTensorView image, Size2 stride, Size2 border) {
  check_stride("phase_mean_spread", stride);
  const Region r = interior("phase_mean_spread", image.shape, border, stride);
  return std::sqrt(sum_of_channel_spreads2(image, stride, r) / image.shape.c);
}

double phase_energy_ratio(ConstTensorView image, Size2 s, Size2 border) {
  check_stride("phase_energy_ratio", s);
  const Size2 b{std::max(border.h, 1), std::max(border.w, 1)};
  const Region r = interior("phase_energy_ratio", image.shape, b, s);
  const std::size_t phases = static_cast<std::size_t>(s.h) * s.w;
  std::vector<double> energy(phases);
  std::vector<std::int64_t> count(phases);
  double worst = 1.0;
  for (int c = 0; c < image.shape.c; ++c) {
    std::fill(energy.begin(), energy.end(), 0.0);
    std::fill(count.begin(), count.end(), 0);
    for (int y = r.y0; y < r.y1; ++y) {
      const float* up = image.row(c, y - 1);
      const float* row = image.row(c, y);
      const float* down = image.row(c, y + 1);
      const std::size_t a = static_cast<std::size_t>(y % s.h) * s.w;
      for (int x = r.x0; x < r.x1; ++x) {
        const double lap = 4.0 * row[x] - double{up[x]} - down[x] - row[x - 1] - row[x + 1];
        energy[a + x % s.w] += lap * lap;
        ++count[a + x % s.w];
      }
    }
    for (std::size_t p = 0; p < phases; ++p) energy[p] /= static_cast<double>(count[p]);
    worst = std::max(worst, max_over_min(energy));
  }
  return worst;
}

double spectral_peak_ratio(ConstTensorView image, Size2 s, Size2 border) {
  check_stride("spectral_peak_ratio", s);
  const Region r = interior("spectral_peak_ratio", image.shape, border, {6 * s.h, 6 * s.w});
  const int nh = (r.y1 - r.y0) / s.h * s.h;  // multiples of s put every peak on a bin
  const int nw = (r.x1 - r.x0) / s.w * s.w;
  const int radius = std::min(8, std::min(nh / s.h, nw / s.w) / 2 - 1);

  // The bins needed per axis: every peak coordinate p * n / s and its
  // neighbours within the ring radius (mod n). slot[k] is k's column in the
  // partial transform, -1 for bins not computed.
  auto needed = [radius](int n, int stride, std::vector<int>& bins, std::vector<int>& slot) {
    slot.assign(static_cast<std::size_t>(n), -1);
    for (int p = 0; p < stride; ++p)
      for (int d = -radius; d <= radius; ++d) {
        const auto k = static_cast<std::size_t>(detail::floor_mod(p * (n / stride) + d, n));
        if (slot[k] < 0) {
          slot[k] = static_cast<int>(bins.size());
          bins.push_back(static_cast<int>(k));
        }
      }
  };
  std::vector<int> ky, kx, slot_y, slot_x;
  needed(nh, s.h, ky, slot_y);
  needed(nw, s.w, kx, slot_x);

  auto hann = [](int n) {
    std::vector<double> w(static_cast<std::size_t>(n));
    for (int j = 0; j < n; ++j) w[j] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * j / n);
    return w;
  };
  auto twiddles = [](int n, std::vector<double>& cs, std::vector<double>& sn) {
    cs.resize(static_cast<std::size_t>(n));
    sn.resize(static_cast<std::size_t>(n));
    for (int m = 0; m < n; ++m) {
      cs[m] = std::cos(2.0 * std::numbers::pi * m / n);
      sn[m] = std::sin(2.0 * std::numbers::pi * m / n);
    }
  };
  const std::vector<double> wy = hann(nh), wx = hann(nw);
  std::vector<double> cy, sy, cx, sx;
  twiddles(nh, cy, sy);
  twiddles(nw, cx, sx);

  std::vector<double> v(static_cast<std::size_t>(nw));
  std::vector<double> row_re(static_cast<std::size_t>(nh) * kx.size());
  std::vector<double> row_im(row_re.size());
  std::vector<double> power(ky.size() * kx.size());
  std::vector<double> ring;
  double worst = 0.0;  // below 1 when every checkerboard bin is a notch
  for (int c = 0; c < image.shape.c; ++c) {
    double mean = 0.0;
    for (int y = 0; y < nh; ++y) {
      const float* row = image.row(c, r.y0 + y) + r.x0;
      for (int x = 0; x < nw; ++x) mean += row[x];
    }
    mean /= static_cast<double>(nh) * nw;
    // Row transforms at the needed columns: F(y, u) = sum_x v(y, x) e^{-2 pi i u x / nw}.
    for (int y = 0; y < nh; ++y) {
      const float* row = image.row(c, r.y0 + y) + r.x0;
      for (int x = 0; x < nw; ++x) v[x] = (row[x] - mean) * wx[x] * wy[y];
      for (std::size_t j = 0; j < kx.size(); ++j) {
        double re = 0.0, im = 0.0;
        std::size_t m = 0;  // (u * x) mod nw
        for (int x = 0; x < nw; ++x) {
          re += v[x] * cx[m];
          im -= v[x] * sx[m];
          m += static_cast<std::size_t>(kx[j]);
          if (m >= static_cast<std::size_t>(nw)) m -= static_cast<std::size_t>(nw);
        }
        row_re[static_cast<std::size_t>(y) * kx.size() + j] = re;
        row_im[static_cast<std::size_t>(y) * kx.size() + j] = im;
      }
    }
    // Column transforms at the needed rows: P(k, u) = |sum_y F(y, u) e^{-2 pi i k y / nh}|^2.
    for (std::size_t i = 0; i < ky.size(); ++i)
      for (std::size_t j = 0; j < kx.size(); ++j) {
        double re = 0.0, im = 0.0;
        std::size_t m = 0;  // (k * y) mod nh
        for (int y = 0; y < nh; ++y) {
          const double fr = row_re[static_cast<std::size_t>(y) * kx.size() + j];
          const double fi = row_im[static_cast<std::size_t>(y) * kx.size() + j];
          // (fr + i fi)(cos - i sin)
          re += fr * cy[m] + fi * sy[m];
          im += fi * cy[m] - fr * sy[m];
          m += static_cast<std::size_t>(ky[i]);
          if (m >= static_cast<std::size_t>(nh)) m -= static_cast<std::size_t>(nh);
        }
        power[i * kx.size() + j] = re * re + im * im;
      }
    auto p_at = [&](std::int64_t k, std::int64_t u) {
      const auto kk = static_cast<std::size_t>(detail::floor_mod(k, nh));
      const auto uu = static_cast<std::size_t>(detail::floor_mod(u, nw));
      return power[static_cast<std::size_t>(slot_y[kk]) * kx.size() + static_cast<std::size_t>(slot_x[uu])];
    };
    // Wrapped distance to DC along one axis.
    auto dc_dist = [](std::int64_t k, int n) {
      const auto m = detail::floor_mod(k, n);
      return std::min<std::int64_t>(m, n - m);
    };
    for (int p = 0; p < s.h; ++p)
      for (int q = 0; q < s.w; ++q) {
        if (p == 0 && q == 0) continue;
        const std::int64_t k0 = std::int64_t{p} * (nh / s.h);
        const std::int64_t u0 = std::int64_t{q} * (nw / s.w);
        ring.clear();
        for (int dy = -radius; dy <= radius; ++dy)
          for (int dx = -radius; dx <= radius; ++dx) {
            if (std::max(std::abs(dy), std::abs(dx)) < 2) continue;  // the peak's main lobe
            if (dc_dist(k0 + dy, nh) <= 1 && dc_dist(u0 + dx, nw) <= 1) continue;  // DC's
            ring.push_back(p_at(k0 + dy, u0 + dx));
          }
        auto mid = ring.begin() + static_cast<std::ptrdiff_t>(ring.size() / 2);
        std::nth_element(ring.begin(), mid, ring.end());
        const double median = *mid;
        const double peak = p_at(k0, u0);
        const double ratio = median > 0.0 ? peak / median : (peak > 0.0 ? kInf : 1.0);
        worst = std::max(worst, ratio);
      }
  }
  return worst;
}

PhaseMetrics phase_metrics(ConstTensorView image, Size2 stride, Size2 border) {
  return {phase_mean_spread(image, stride, border), phase_energy_ratio(image, stride, border),
          spectral_peak_ratio(image, stride, border)};
}

Tensor local_phase_mean_spread(ConstTensorView image, Size2 s, Size2 window) {
  check_stride("local_phase_mean_spread", s);
  if (window.h < 1 || window.w < 1)
    throw InvalidArgument("local_phase_mean_spread window " + to_string(window) + ": must be >= 1");
  const Region whole = interior("local_phase_mean_spread", image.shape, {0, 0}, s);
  const int th = std::max(1, whole.y1 / window.h);
  const int tw = std::max(1, whole.x1 / window.w);
  Tensor map(Shape3{1, th, tw});
  for (int ty = 0; ty < th; ++ty)
    for (int tx = 0; tx < tw; ++tx) {
      // The last row / column of tiles extends to the edge (never shorter than a window).
      const Region r{ty * window.h, ty == th - 1 ? whole.y1 : (ty + 1) * window.h,
                     tx * window.w, tx == tw - 1 ? whole.x1 : (tx + 1) * window.w};
      map.at(0, ty, tx) = static_cast<float>(
          std::sqrt(sum_of_channel_spreads2(image, s, r) / image.shape.c));
    }
  return map;
}

Tensor conv3x3_replicate(ConstTensorView src, const Weights& weights) {
  const Shape4 w = weights.shape;
  const bool dense = w.c == src.shape.c;
  const bool depthwise = !dense && w.c == 1 && w.n == src.shape.c;
  if (w.h != 3 || w.w != 3 || (!dense && !depthwise) ||
      static_cast<std::int64_t>(weights.values.size()) != w.elements())
    throw ShapeMismatch("conv3x3 weights " + to_string(w) + ": expected (out, " +
                        std::to_string(src.shape.c) + ", 3, 3) or depthwise (" +
                        std::to_string(src.shape.c) + ", 1, 3, 3) for a " +
                        to_string(src.shape) + " input");
  ConvParams p;
  p.in_channels = src.shape.c;
  p.out_channels = w.n;
  p.groups = dense ? 1 : src.shape.c;
  p.kernel = {3, 3};
  const Tensor padded = pad_replicate1(src);
  return Conv2d::create(p, weights).run(padded.view());
}

Weights fit_conv3x3(ConstTensorView src, ConstTensorView target, Size2 border, bool depthwise) {
  if (src.shape.h != target.shape.h || src.shape.w != target.shape.w ||
      (depthwise && src.shape.c != target.shape.c))
    throw ShapeMismatch("fit_conv3x3 target " + to_string(target.shape) + ": expected the size of src " +
                        to_string(src.shape) + (depthwise ? " and as many channels" : ""));
  const Region r = interior("fit_conv3x3", target.shape, border, {1, 1});
  const int ic_total = src.shape.c;
  const int oc_total = target.shape.c;
  Weights out;
  out.shape = {oc_total, depthwise ? 1 : ic_total, 3, 3};
  out.values.assign(static_cast<std::size_t>(out.shape.elements()), 0.0f);
  out.bias.assign(static_cast<std::size_t>(oc_total), 0.0f);

  // One least-squares system per group of input channels used: all of them
  // (dense) or one (depthwise). Feature j = ic * 9 + ty * 3 + tx is
  // src[ic](clamp(y + ty - 1), clamp(x + tx - 1)), read as padded[ic](y + ty,
  // x + tx) from the replicate-padded source conv3x3_replicate() runs on, so
  // the fit and the run see the same margin; the last feature is 1 (bias).
  const Tensor padded = pad_replicate1(src);
  const int systems = depthwise ? ic_total : 1;
  const int ics = depthwise ? 1 : ic_total;
  const int n = ics * 9 + 1;
  const int targets = depthwise ? 1 : oc_total;
  std::vector<double> feature(static_cast<std::size_t>(n));
  for (int sys = 0; sys < systems; ++sys) {
    std::vector<double> ata(static_cast<std::size_t>(n) * n, 0.0);
    std::vector<std::vector<double>> atb(static_cast<std::size_t>(targets),
                                         std::vector<double>(static_cast<std::size_t>(n), 0.0));
    for (int y = r.y0; y < r.y1; ++y)
      for (int x = r.x0; x < r.x1; ++x) {
        for (int icl = 0; icl < ics; ++icl) {
          const int ic = depthwise ? sys : icl;
          for (int ty = 0; ty < 3; ++ty) {
            const float* row = padded.view().row(ic, y + ty);
            for (int tx = 0; tx < 3; ++tx)
              feature[static_cast<std::size_t>(icl * 9 + ty * 3 + tx)] = row[x + tx];
          }
        }
        feature[static_cast<std::size_t>(n - 1)] = 1.0;
        for (int i = 0; i < n; ++i) {
          const double fi = feature[i];
          double* a = ata.data() + static_cast<std::size_t>(i) * n;
          for (int j = i; j < n; ++j) a[j] += fi * feature[j];
        }
        for (int t = 0; t < targets; ++t) {
          const double v = target.row(depthwise ? sys : t, y)[x];
          for (int i = 0; i < n; ++i) atb[t][i] += feature[i] * v;
        }
      }
    factor_spd(ata, n);
    for (int t = 0; t < targets; ++t) {
      detail::cholesky_solve(ata, n, atb[t]);
      const int oc = depthwise ? sys : t;
      for (int i = 0; i < n - 1; ++i)
        out.values[static_cast<std::size_t>(oc) * (n - 1) + i] = static_cast<float>(atb[t][i]);
      out.bias[oc] = static_cast<float>(atb[t][n - 1]);
    }
  }
  return out;
}

}  // namespace tconv

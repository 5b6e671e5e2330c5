// Least-squares fit of one conv_transpose2d layer; the index relation and
// the solution are described in linear_fit.hpp.
//
// Accumulation: samples of one phase are gathered into a block of kBlock
// rows x (n taps) and added to the upper triangle of X^T X four rows at a
// time (four rank-1 updates per pass over the triangle, so the triangle is
// read and written a quarter as often), with X^T Y, the column sums X^T 1,
// and sums of Y and Y^2 beside it.
#include "tconv/sr/linear_fit.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/linalg.hpp"
#include "tconv/core/error.hpp"

namespace tconv {

namespace {

constexpr int kBlock = 64;

// Normal equations of one phase.
struct Phase {
  int ry = 0;
  int rx = 0;
  int my = 0;  // taps per column of this phase
  int mx = 0;  // taps per row of this phase
  int n = 0;   // channels * my * mx
  std::vector<double> xtx;  // n x n, upper triangle filled
  std::vector<double> xsum; // n
  std::vector<double> xty;  // n x channels
  std::vector<double> ysum; // channels
  std::vector<double> yy;   // channels
  std::int64_t count = 0;
  // Pending samples: rows of n inputs and of `channels` targets.
  std::vector<double> xbuf;
  std::vector<double> ybuf;
  int pending = 0;
};

int taps_of_phase(int kernel, int s, int r) { return (kernel - r + s - 1) / s; }

// floor division for the (possibly negative) index math.
int fdiv(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

void flush(Phase& p, int channels) {
  const int n = p.n;
  int b = 0;
  for (; b + 4 <= p.pending; b += 4) {
    const double* x0 = &p.xbuf[static_cast<std::size_t>(b) * n];
    const double* x1 = x0 + n;
    const double* x2 = x1 + n;
    const double* x3 = x2 + n;
    for (int i = 0; i < n; ++i) {
      const double a0 = x0[i], a1 = x1[i], a2 = x2[i], a3 = x3[i];
      double* row = &p.xtx[static_cast<std::size_t>(i) * n];
      for (int j = i; j < n; ++j) row[j] += a0 * x0[j] + a1 * x1[j] + a2 * x2[j] + a3 * x3[j];
    }
  }
  for (; b < p.pending; ++b) {
    const double* x0 = &p.xbuf[static_cast<std::size_t>(b) * n];
    for (int i = 0; i < n; ++i) {
      double* row = &p.xtx[static_cast<std::size_t>(i) * n];
      for (int j = i; j < n; ++j) row[j] += x0[i] * x0[j];
    }
  }
  for (b = 0; b < p.pending; ++b) {
    const double* x = &p.xbuf[static_cast<std::size_t>(b) * n];
    const double* y = &p.ybuf[static_cast<std::size_t>(b) * channels];
    for (int i = 0; i < n; ++i) {
      p.xsum[static_cast<std::size_t>(i)] += x[i];
      for (int c = 0; c < channels; ++c)
        p.xty[static_cast<std::size_t>(i) * channels + c] += x[i] * y[c];
    }
    for (int c = 0; c < channels; ++c) {
      p.ysum[static_cast<std::size_t>(c)] += y[c];
      p.yy[static_cast<std::size_t>(c)] += y[c] * y[c];
    }
  }
  p.count += p.pending;
  p.pending = 0;
}

}  // namespace

struct LinearFit::State {
  ConvParams params;
  int s = 1;
  int kernel = 1;
  int channels = 1;
  int pad = 0;  // pad_begin, both axes
  std::vector<Phase> phases;  // index ry * s + rx
};

int default_linear_kernel(int scale) noexcept { return 8 * scale; }

ConvParams linear_fit_geometry(int scale, int kernel, int channels) {
  if (scale < 1 || scale > 16)
    throw InvalidArgument("linear_fit scale " + std::to_string(scale) + ": must be in [1, 16]");
  if (kernel < scale || kernel > 64)
    throw InvalidArgument("linear_fit kernel " + std::to_string(kernel) +
                          ": must be in [scale, 64] = [" + std::to_string(scale) + ", 64]");
  if (channels < 1 || channels > 4)
    throw InvalidArgument("linear_fit channels " + std::to_string(channels) +
                          ": must be in [1, 4]");
  // Output o of phase r = (o + p) mod s uses inputs q - t, t < m(r), with
  // q = floor((o + p) / s): their centre q - (m - 1) / 2 should sit on the
  // output's input coordinate (o + 0.5) / s - 0.5. The relation repeats
  // with period s in o, so o in [0, s) decides.
  int best_pad = 0;
  double best_err = std::numeric_limits<double>::infinity();
  bool best_expressible = false;
  for (int p = 0; p <= kernel - scale; ++p) {
    double err = 0;
    for (int o = 0; o < scale; ++o) {
      const int q = fdiv(o + p, scale);
      const int r = (o + p) - q * scale;
      const int m = taps_of_phase(kernel, scale, r);
      const double centre = q - (m - 1) / 2.0;
      err = std::max(err, std::abs(centre - ((o + 0.5) / scale - 0.5)));
    }
    // Ties (an odd scale with an even tap count cannot centre every phase)
    // go to a pad PyTorch can express: symmetric padding plus output_padding.
    const int end_p = kernel - scale - p;
    const bool expressible = end_p <= p && p - end_p < scale;
    if (err < best_err - 1e-12 || (err < best_err + 1e-12 && expressible && !best_expressible)) {
      best_err = err;
      best_pad = p;
      best_expressible = expressible;
    }
  }
  ConvParams params;
  params.in_channels = channels;
  params.out_channels = channels;
  params.kernel = {kernel, kernel};
  params.stride = {scale, scale};
  // out = (in - 1) s - p_begin - p_end + k + output_padding = in s
  //   <=> p_end - output_padding = k - s - p_begin.
  const int end = kernel - scale - best_pad;
  if (end <= best_pad && best_pad - end < scale) {
    params.padding(best_pad);
    params.output_padding = {best_pad - end, best_pad - end};
  } else {
    params.pad_begin = {best_pad, best_pad};
    params.pad_end = {end, end};
  }
  return params;
}

LinearFit::LinearFit(std::unique_ptr<State> state) : state_(std::move(state)) {}
LinearFit::LinearFit(LinearFit&&) noexcept = default;
LinearFit& LinearFit::operator=(LinearFit&&) noexcept = default;
LinearFit::~LinearFit() = default;

LinearFit LinearFit::create(const LinearFitParams& params) {
  const int kernel = params.kernel == 0 ? default_linear_kernel(params.scale) : params.kernel;
  auto st = std::make_unique<State>();
  st->params = linear_fit_geometry(params.scale, kernel, params.channels);
  st->s = params.scale;
  st->kernel = kernel;
  st->channels = params.channels;
  st->pad = st->params.pad_begin.h;
  for (int ry = 0; ry < st->s; ++ry)
    for (int rx = 0; rx < st->s; ++rx) {
      Phase p;
      p.ry = ry;
      p.rx = rx;
      p.my = taps_of_phase(kernel, st->s, ry);
      p.mx = taps_of_phase(kernel, st->s, rx);
      p.n = st->channels * p.my * p.mx;
      const auto n = static_cast<std::size_t>(p.n);
      const auto c = static_cast<std::size_t>(st->channels);
      p.xtx.assign(n * n, 0.0);
      p.xsum.assign(n, 0.0);
      p.xty.assign(n * c, 0.0);
      p.ysum.assign(c, 0.0);
      p.yy.assign(c, 0.0);
      p.xbuf.assign(kBlock * n, 0.0);
      p.ybuf.assign(kBlock * c, 0.0);
      st->phases.push_back(std::move(p));
    }
  return LinearFit(std::move(st));
}

const ConvParams& LinearFit::params() const noexcept { return state_->params; }

std::int64_t LinearFit::samples() const noexcept {
  std::int64_t total = 0;
  for (const Phase& p : state_->phases) total += p.count + p.pending;
  return total;
}

void LinearFit::add(ConstTensorView lr, ConstTensorView hr) {
  State& st = *state_;
  const int s = st.s;
  const int c = st.channels;
  if (lr.shape.c != c)
    throw ShapeMismatch("linear_fit input " + to_string(lr.shape) + ": must have " +
                        std::to_string(c) + " channels");
  if (hr.shape != Shape3{c, lr.shape.h * s, lr.shape.w * s})
    throw ShapeMismatch("linear_fit target " + to_string(hr.shape) + ": must be " +
                        to_string(Shape3{c, lr.shape.h * s, lr.shape.w * s}) +
                        " (the input's size times the scale)");
  const int ih = lr.shape.h;
  const int iw = lr.shape.w;
  for (int oy = 0; oy < hr.shape.h; ++oy) {
    const int qy = fdiv(oy + st.pad, s);
    const int ry = oy + st.pad - qy * s;
    for (int ox = 0; ox < hr.shape.w; ++ox) {
      const int qx = fdiv(ox + st.pad, s);
      const int rx = ox + st.pad - qx * s;
      Phase& p = st.phases[static_cast<std::size_t>(ry * s + rx)];
      // Interior only: inputs qy - my + 1 .. qy and qx - mx + 1 .. qx.
      if (qy - p.my + 1 < 0 || qy >= ih || qx - p.mx + 1 < 0 || qx >= iw) continue;
      double* x = &p.xbuf[static_cast<std::size_t>(p.pending) * p.n];
      // x[(ic * my + ty) * mx + tx] = lr[ic][qy - ty][qx - tx]: the input
      // that reaches this output through tap (ry + ty s, rx + tx s).
      for (int ic = 0; ic < c; ++ic)
        for (int ty = 0; ty < p.my; ++ty) {
          const float* row = lr.row(ic, qy - ty);
          for (int tx = 0; tx < p.mx; ++tx) *x++ = row[qx - tx];
        }
      double* y = &p.ybuf[static_cast<std::size_t>(p.pending) * c];
      for (int oc = 0; oc < c; ++oc) y[oc] = hr.row(oc, oy)[ox];
      if (++p.pending == kBlock) flush(p, c);
    }
  }
}

LinearFitResult LinearFit::solve(double ridge) const {
  if (!(ridge >= 0.0) || !std::isfinite(ridge))
    throw InvalidArgument("linear_fit ridge " + std::to_string(ridge) +
                          ": must be finite and >= 0");
  State& st = *state_;
  const int c = st.channels;
  const int s = st.s;
  for (Phase& p : st.phases) flush(p, c);

  struct Solved {
    std::vector<double> chol;  // Cholesky factor of the phase's ridged X^T X
    std::vector<double> u;     // A^-1 r, n x c (column oc contiguous)
    std::vector<double> v;     // A^-1 xsum
  };
  std::vector<Solved> solved(st.phases.size());
  double total = 0;
  std::vector<double> num(static_cast<std::size_t>(c), 0.0);
  double den = 0;
  for (std::size_t k = 0; k < st.phases.size(); ++k) {
    const Phase& p = st.phases[k];
    if (p.count == 0)
      throw InvalidArgument("linear_fit phase " + std::to_string(p.ry) + "," +
                            std::to_string(p.rx) +
                            ": no samples (the images are smaller than the kernel's reach)");
    Solved& sv = solved[k];
    const int n = p.n;
    sv.chol = p.xtx;
    for (int i = 0; i < n; ++i)
      sv.chol[static_cast<std::size_t>(i) * n + i] += ridge * static_cast<double>(p.count);
    if (!detail::cholesky_factor(sv.chol, n))
      throw InvalidArgument("linear_fit phase " + std::to_string(p.ry) + "," +
                            std::to_string(p.rx) + " ridge " + std::to_string(ridge) +
                            ": normal equations not positive definite (raise --ridge or add images)");
    sv.v = p.xsum;
    detail::cholesky_solve(sv.chol, n, sv.v);
    sv.u.assign(static_cast<std::size_t>(n) * c, 0.0);
    for (int oc = 0; oc < c; ++oc) {
      std::vector<double> col(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) col[static_cast<std::size_t>(i)] = p.xty[static_cast<std::size_t>(i) * c + oc];
      detail::cholesky_solve(sv.chol, n, col);
      std::copy(col.begin(), col.end(), sv.u.begin() + static_cast<std::ptrdiff_t>(oc) * n);
    }
    total += static_cast<double>(p.count);
    for (int i = 0; i < n; ++i) den -= p.xsum[static_cast<std::size_t>(i)] * sv.v[static_cast<std::size_t>(i)];
    for (int oc = 0; oc < c; ++oc) {
      num[static_cast<std::size_t>(oc)] += p.ysum[static_cast<std::size_t>(oc)];
      for (int i = 0; i < n; ++i)
        num[static_cast<std::size_t>(oc)] -=
            p.xsum[static_cast<std::size_t>(i)] * sv.u[static_cast<std::size_t>(oc) * n + i];
    }
  }
  den += total;
  // den = N - sum c^T A^-1 c > 0 unless the inputs predict a constant exactly.
  if (!(den > 0.0))
    throw InvalidArgument("linear_fit bias: the shared bias is undetermined (degenerate images)");

  LinearFitResult result;
  result.samples = static_cast<std::int64_t>(total);
  result.layer.params = st.params;
  Weights& w = result.layer.weights;
  w.shape = {c, c, st.kernel, st.kernel};
  w.values.assign(static_cast<std::size_t>(w.shape.elements()), 0.0f);
  w.bias.assign(static_cast<std::size_t>(c), 0.0f);
  std::vector<double> bias(static_cast<std::size_t>(c));
  for (int oc = 0; oc < c; ++oc) {
    bias[static_cast<std::size_t>(oc)] = num[static_cast<std::size_t>(oc)] / den;
    w.bias[static_cast<std::size_t>(oc)] = static_cast<float>(bias[static_cast<std::size_t>(oc)]);
  }
  double sse = 0;
  for (std::size_t k = 0; k < st.phases.size(); ++k) {
    const Phase& p = st.phases[k];
    const Solved& sv = solved[k];
    const int n = p.n;
    for (int oc = 0; oc < c; ++oc) {
      const double b = bias[static_cast<std::size_t>(oc)];
      std::vector<double> wp(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i)
        wp[static_cast<std::size_t>(i)] =
            sv.u[static_cast<std::size_t>(oc) * n + i] - sv.v[static_cast<std::size_t>(i)] * b;
      // Squared error from the sums: sum y^2 - 2 (w.r + b sum y) + w^T A w
      // + 2 b w.xsum + b^2 count, with A the un-ridged X^T X (upper triangle).
      double wr = 0;
      double wc = 0;
      double waw = 0;
      for (int i = 0; i < n; ++i) {
        const double wi = wp[static_cast<std::size_t>(i)];
        wr += wi * p.xty[static_cast<std::size_t>(i) * c + oc];
        wc += wi * p.xsum[static_cast<std::size_t>(i)];
        double row = p.xtx[static_cast<std::size_t>(i) * n + i] * wi;
        for (int j = i + 1; j < n; ++j) row += 2.0 * p.xtx[static_cast<std::size_t>(i) * n + j] * wp[static_cast<std::size_t>(j)];
        waw += wi * row;
      }
      sse += p.yy[static_cast<std::size_t>(oc)] -
             2.0 * (wr + b * p.ysum[static_cast<std::size_t>(oc)]) + waw + 2.0 * b * wc +
             b * b * static_cast<double>(p.count);
      // Tap (ic, ty, tx) of this phase is kernel element (ry + ty s, rx + tx s);
      // weights [ic][oc][ky][kx].
      for (int ic = 0; ic < c; ++ic)
        for (int ty = 0; ty < p.my; ++ty)
          for (int tx = 0; tx < p.mx; ++tx) {
            const int ky = p.ry + ty * s;
            const int kx = p.rx + tx * s;
            const std::size_t at =
                ((static_cast<std::size_t>(ic) * c + oc) * st.kernel + ky) * st.kernel + kx;
            w.values[at] = static_cast<float>(wp[static_cast<std::size_t>((ic * p.my + ty) * p.mx + tx)]);
          }
    }
  }
  result.train_mse = std::max(sse, 0.0) / (total * c);
  result.train_psnr = result.train_mse > 0 ? 10.0 * std::log10(1.0 / result.train_mse)
                                           : std::numeric_limits<double>::infinity();
  return result;
}

Tensor dihedral(ConstTensorView src, int k) {
  if (k < 0 || k > 7)
    throw InvalidArgument("dihedral k " + std::to_string(k) + ": must be in [0, 8)");
  const bool flip_x = (k & 1) != 0;
  const bool flip_y = (k & 2) != 0;
  const bool transpose = (k & 4) != 0;
  const int h = src.shape.h;
  const int w = src.shape.w;
  Tensor out(transpose ? Shape3{src.shape.c, w, h} : src.shape);
  for (int c = 0; c < src.shape.c; ++c)
    for (int y = 0; y < h; ++y) {
      const float* row = src.row(c, y);
      const int fy = flip_y ? h - 1 - y : y;
      for (int x = 0; x < w; ++x) {
        const int fx = flip_x ? w - 1 - x : x;
        if (transpose)
          out.at(c, fx, fy) = row[x];
        else
          out.at(c, fy, fx) = row[x];
      }
    }
  return out;
}

}  // namespace tconv

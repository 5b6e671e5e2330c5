// Input gradients of the layer kinds without planned weights
// (detail::layer_input_grad) against their own forwards as oracles:
//   - central finite differences: for L(x) = <forward(x), r> with a random
//     r, dL/dx_i = (L(x + h e_i) - L(x - h e_i)) / 2h must equal dx_i (dy =
//     r) for every i, on every kind, x kept away from the kinks of the
//     piecewise-linear ones; prelu's dL/da the same way on the slopes;
//   - the adjoint identity <forward(x), dy> = <x, dx> (double sums) for the
//     linear kinds (pixel_shuffle, pad of every mode at value 0, upsample
//     of both modes) on many random shapes from 1x1 and one-row/one-column
//     images up, factors 1 to 4;
//   - the conventions at the kinks, value by value, as torch autograd has
//     them (relu 0, prelu / leaky_relu the slope at x == 0, clamp inclusive).
// dx starts as NaN (every value must be written) and dslopes at 0.5 (prelu
// adds to it).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "model/model_internal.hpp"

namespace {

using tconv::Shape3;
using tconv::Tensor;
using tconv::detail::NetLayer;
using tconv::detail::Op;
using tconv::detail::PadMode;
using tconv::detail::UpsampleMode;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

int pick(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

std::vector<float> normal_values(std::mt19937& rng, std::int64_t n) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

double dot(std::span<const float> a, std::span<const float> b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += double(a[i]) * b[i];
  return s;
}

std::string describe(const NetLayer& l, const Shape3& s) {
  std::string d = std::string(tconv::detail::name_of(l.op)) + " input " + tconv::to_string(s);
  switch (l.op) {
    case Op::kPrelu:
      d += " slopes " + std::to_string(l.slopes.size());
      break;
    case Op::kLeakyRelu:
      d += " slope " + std::to_string(l.a);
      break;
    case Op::kClamp:
      d += " min " + std::to_string(l.a) + " max " + std::to_string(l.b);
      break;
    case Op::kPixelShuffle:
      d += " factor " + std::to_string(l.factor);
      break;
    case Op::kPad:
      d += " " + std::string(tconv::detail::kPadModes[static_cast<int>(l.pad_mode)]) + " " +
           std::to_string(l.pad_begin.h) + "," + std::to_string(l.pad_begin.w) + "," +
           std::to_string(l.pad_end.h) + "," + std::to_string(l.pad_end.w) + " value " +
           std::to_string(l.a);
      break;
    case Op::kUpsample:
      d += " " + std::string(tconv::detail::kUpsampleModes[static_cast<int>(l.upsample_mode)]) +
           " factor " + std::to_string(l.factor);
      break;
    default:
      break;
  }
  return d;
}

Tensor run(const NetLayer& l, const Tensor& x) { return tconv::detail::forward(l, x.clone(), 1); }

struct Grad {
  Tensor y;
  std::vector<float> dx;
  std::vector<float> dslopes;  // minus the 0.5 they started at
};

Grad backward(const NetLayer& l, const Tensor& x, std::span<const float> dy) {
  Grad g{run(l, x), std::vector<float>(x.span().size(), kNaN),
         std::vector<float>(l.slopes.size(), 0.5f)};
  REQUIRE(dy.size() == g.y.span().size());
  tconv::detail::layer_input_grad(l, x.view(), g.y.view(), {dy.data(), g.y.shape()},
                                  {g.dx.data(), x.shape()}, g.dslopes);
  for (float& v : g.dslopes) v -= 0.5f;
  return g;
}

// A random layer of kind `op` for a random input shape (written to s).
NetLayer random_layer(std::mt19937& rng, Op op, Shape3& s) {
  NetLayer l;
  l.op = op;
  s = {pick(rng, 1, 4), pick(rng, 1, 7), pick(rng, 1, 7)};
  switch (op) {
    case Op::kPrelu:
      l.slopes = normal_values(rng, pick(rng, 0, 1) ? s.c : 1);
      break;
    case Op::kLeakyRelu:
      l.a = std::uniform_real_distribution<float>(-0.5f, 0.5f)(rng);
      break;
    case Op::kClamp:
      l.a = std::uniform_real_distribution<float>(-1.0f, 0.0f)(rng);
      l.b =
          pick(rng, 0, 3) == 0 ? INFINITY : std::uniform_real_distribution<float>(0.2f, 1.0f)(rng);
      if (pick(rng, 0, 3) == 0) l.a = -INFINITY;
      break;
    case Op::kPixelShuffle:
      l.factor = pick(rng, 1, 4);
      s.c = pick(rng, 1, 3) * l.factor * l.factor;
      s.h = pick(rng, 1, 4);
      s.w = pick(rng, 1, 4);
      break;
    case Op::kPad: {
      l.pad_mode = static_cast<PadMode>(pick(rng, 0, 3));
      // As torch: reflect below the side it mirrors, circular at most that side.
      const int most_h = l.pad_mode == PadMode::kReflect    ? s.h - 1
                         : l.pad_mode == PadMode::kCircular ? s.h
                                                            : 4;
      const int most_w = l.pad_mode == PadMode::kReflect    ? s.w - 1
                         : l.pad_mode == PadMode::kCircular ? s.w
                                                            : 4;
      l.pad_begin = {pick(rng, 0, most_h), pick(rng, 0, most_w)};
      l.pad_end = {pick(rng, 0, most_h), pick(rng, 0, most_w)};
      break;
    }
    case Op::kUpsample:
      l.factor = pick(rng, 1, 4);
      l.upsample_mode = static_cast<UpsampleMode>(pick(rng, 0, 1));
      break;
    default:
      break;
  }
  l.in_channels = s.c;
  l.out_channels = tconv::detail::layer_output(l, s).c;
  return l;
}

// Whether x is within `margin` of a point where the kind's derivative jumps.
bool near_kink(const NetLayer& l, float x, float margin) {
  switch (l.op) {
    case Op::kRelu:
    case Op::kPrelu:
    case Op::kLeakyRelu:
      return std::abs(x) < margin;
    case Op::kClamp:
      return std::abs(x - l.a) < margin || std::abs(x - l.b) < margin;
    default:
      return false;
  }
}

}  // namespace

TEST_CASE("layer backward: input gradients equal central finite differences",
          "[backward][property]") {
  const Op op = GENERATE(Op::kRelu, Op::kPrelu, Op::kLeakyRelu, Op::kTanh, Op::kSigmoid, Op::kClamp,
                         Op::kPixelShuffle, Op::kPad, Op::kUpsample);
  for (std::uint32_t seed = 1; seed <= 25; ++seed) {
    std::mt19937 rng(seed * 7919 + static_cast<std::uint32_t>(op));
    Shape3 s;
    NetLayer l = random_layer(rng, op, s);
    if (l.op == Op::kPad && l.pad_mode == PadMode::kConstant)
      l.a = std::uniform_real_distribution<float>(-1.0f, 1.0f)(rng);  // affine: still L's slope
    INFO(describe(l, s) << ", seed " << seed);
    constexpr float kStep = 1.0f / 128;
    std::vector<float> xv = normal_values(rng, s.elements());
    for (float& v : xv)
      while (near_kink(l, v, 4 * kStep)) v = std::normal_distribution<float>(0.0f, 1.0f)(rng);
    Tensor x(s, xv);
    const Shape3 out = tconv::detail::layer_output(l, s);
    const std::vector<float> r = normal_values(rng, out.elements());
    const Grad g = backward(l, x, r);
    const bool smooth = l.op == Op::kTanh || l.op == Op::kSigmoid;
    // Float forwards: the step's rounding in L's sums, plus h^2 f''' for tanh and sigmoid.
    const double tol = smooth ? 2e-4 : 2e-5;
    auto loss = [&](const Tensor& t) { return dot(run(l, t).span(), r); };
    for (std::size_t i = 0; i < xv.size(); ++i) {
      Tensor plus = x.clone(), minus = x.clone();
      plus.span()[i] += kStep;
      minus.span()[i] -= kStep;
      const double h2 = double(plus.span()[i]) - minus.span()[i];
      const double fd = (loss(plus) - loss(minus)) / h2;
      INFO("x index " << i << " value " << xv[i] << ": finite difference " << fd << ", dx "
                      << g.dx[i]);
      REQUIRE(std::abs(fd - g.dx[i]) <=
              tol * (1.0 + std::abs(fd)) * std::sqrt(double(out.elements())));
    }
    for (std::size_t k = 0; k < l.slopes.size(); ++k) {
      const float a = l.slopes[k];
      l.slopes[k] = a + kStep;
      const double lp = loss(x);
      const float ap = l.slopes[k];
      l.slopes[k] = a - kStep;
      const double lm = loss(x);
      const double fd = (lp - lm) / (double(ap) - l.slopes[k]);
      l.slopes[k] = a;
      INFO("slope " << k << ": finite difference " << fd << ", dslopes " << g.dslopes[k]);
      REQUIRE(std::abs(fd - g.dslopes[k]) <=
              2e-5 * (1.0 + std::abs(fd)) * std::sqrt(double(s.elements())));
    }
  }
}

TEST_CASE("layer backward: linear kinds satisfy <forward(x), dy> = <x, dx>",
          "[backward][property]") {
  const Op op = GENERATE(Op::kPixelShuffle, Op::kPad, Op::kUpsample);
  int cases = 0;
  for (std::uint32_t seed = 1; seed <= 400; ++seed) {
    std::mt19937 rng(seed * 104729 + static_cast<std::uint32_t>(op));
    Shape3 s;
    const NetLayer l = random_layer(rng, op, s);
    INFO(describe(l, s) << ", seed " << seed);
    const Tensor x(s, normal_values(rng, s.elements()));
    const Shape3 out = tconv::detail::layer_output(l, s);
    const std::vector<float> dy = normal_values(rng, out.elements());
    const Grad g = backward(l, x, dy);
    for (const float v : g.dx) REQUIRE(std::isfinite(v));
    const double lhs = dot(g.y.span(), dy);
    const double rhs = dot(x.span(), g.dx);
    double scale = 0;
    for (std::size_t i = 0; i < dy.size(); ++i) scale += std::abs(double(g.y.span()[i]) * dy[i]);
    INFO("<y, dy> " << lhs << ", <x, dx> " << rhs << " (scale " << scale << ")");
    REQUIRE(std::abs(lhs - rhs) <= 1e-6 * (scale + 1.0));
    ++cases;
  }
  CHECK(cases == 400);
}

TEST_CASE("layer backward: thin images and every factor through upsample and pad",
          "[backward][property]") {
  // The edges carry the clamped taps and mirrored indices: shapes down to
  // 1x1, one row and one column, every factor and mode, every pad mode.
  for (const Shape3 s :
       {Shape3{1, 1, 1}, Shape3{2, 1, 6}, Shape3{2, 5, 1}, Shape3{1, 2, 2}, Shape3{3, 3, 7}}) {
    for (int f = 1; f <= 4; ++f)
      for (const UpsampleMode mode : {UpsampleMode::kNearest, UpsampleMode::kBilinear}) {
        NetLayer l;
        l.op = Op::kUpsample;
        l.factor = f;
        l.upsample_mode = mode;
        INFO(describe(l, s));
        std::mt19937 rng(static_cast<std::uint32_t>(f * 31 + s.h * 7 + s.w));
        const Tensor x(s, normal_values(rng, s.elements()));
        const std::vector<float> dy = normal_values(rng, std::int64_t{s.c} * s.h * f * s.w * f);
        const Grad g = backward(l, x, dy);
        REQUIRE(std::abs(dot(g.y.span(), dy) - dot(x.span(), g.dx)) <=
                1e-5 * (1.0 + std::sqrt(double(dy.size()))));
        // Each output is a convex combination of inputs: a constant stays
        // constant, and every input's dx sums its block for a constant dy.
        std::vector<float> ones(dy.size(), 1.0f);
        const Grad gc = backward(l, Tensor(s, std::vector<float>(x.span().size(), 2.0f)), ones);
        for (const float v : gc.y.span()) REQUIRE(v == Approx(2.0f).epsilon(1e-6));
        double total = 0;
        for (const float v : gc.dx) total += v;
        REQUIRE(total == Approx(double(ones.size())).epsilon(1e-6));
      }
    for (int m = 0; m < 4; ++m) {
      NetLayer l;
      l.op = Op::kPad;
      l.pad_mode = static_cast<PadMode>(m);
      const int limit_h = l.pad_mode == PadMode::kReflect ? s.h - 1 : s.h;
      const int limit_w = l.pad_mode == PadMode::kReflect ? s.w - 1 : s.w;
      l.pad_begin = {std::min(2, limit_h), std::min(1, limit_w)};
      l.pad_end = {std::min(1, limit_h), std::min(3, limit_w)};
      INFO(describe(l, s));
      std::mt19937 rng(static_cast<std::uint32_t>(m * 31 + s.h * 7 + s.w));
      const Tensor x(s, normal_values(rng, s.elements()));
      const Shape3 out = tconv::detail::layer_output(l, s);
      const std::vector<float> dy = normal_values(rng, out.elements());
      const Grad g = backward(l, x, dy);
      REQUIRE(std::abs(dot(g.y.span(), dy) - dot(x.span(), g.dx)) <=
              1e-5 * (1.0 + std::sqrt(double(dy.size()))));
    }
  }
}

TEST_CASE("layer backward: torch autograd's conventions at the kinks", "[backward]") {
  const Shape3 s{1, 1, 6};
  const std::vector<float> dy = {1, 2, 3, 4, 5, 6};
  auto dx_of = [&](const NetLayer& l, std::vector<float> x) {
    return backward(l, Tensor(s, std::move(x)), dy);
  };
  NetLayer relu;
  relu.op = Op::kRelu;
  CHECK(dx_of(relu, {0.0f, -0.0f, 1, -1, 0, 2}).dx == std::vector<float>{0, 0, 3, 0, 0, 6});
  NetLayer prelu;
  prelu.op = Op::kPrelu;
  prelu.slopes = {0.25f};
  const Grad p = dx_of(prelu, {0.0f, -0.0f, 1, -1, 0, -2});
  CHECK(p.dx == std::vector<float>{0.25f, 0.5f, 3, 1, 1.25f, 1.5f});
  CHECK(p.dslopes == std::vector<float>{-4 - 12});  // x dy where x <= 0
  NetLayer leaky;
  leaky.op = Op::kLeakyRelu;
  leaky.a = 0.5f;
  CHECK(dx_of(leaky, {0.0f, -0.0f, 1, -1, 0, 2}).dx == std::vector<float>{0.5f, 1, 3, 2, 2.5f, 6});
  NetLayer clamp;
  clamp.op = Op::kClamp;
  clamp.a = -0.5f;
  clamp.b = 0.75f;
  CHECK(dx_of(clamp, {-0.5f, 0.75f, -0.6f, 0.8f, 0, -0.4f}).dx ==
        std::vector<float>{1, 2, 0, 0, 5, 6});
  clamp.b = INFINITY;
  CHECK(dx_of(clamp, {-0.5f, 1e30f, -0.6f, 0.8f, 0, -0.4f}).dx ==
        std::vector<float>{1, 2, 0, 4, 5, 6});
}

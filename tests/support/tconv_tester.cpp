#include "tconv_tester.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "tconv/core/conv2d.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/error.hpp"

namespace tconv::test {

std::vector<float> random_values(std::size_t n, std::uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

Tensor random_tensor(Shape3 shape, std::uint32_t seed) {
  return Tensor(shape, random_values(static_cast<std::size_t>(shape.elements()), seed));
}

ConvParams TConvTester::params() const {
  ConvParams p = p_;
  p.in_channels = in_.c;
  p.out_channels = oc_;
  if (p.kernel.h == 0) p.kernel = {3, 3};
  return p;
}

Weights random_weights(const ConvParams& p, ConvKind kind, std::uint32_t seed, bool bias) {
  Weights w;
  w.shape = p.weight_shape(kind);
  w.values = random_values(static_cast<std::size_t>(w.shape.elements()), seed + 1000);
  if (bias) w.bias = random_values(static_cast<std::size_t>(p.out_channels), seed + 2000);
  return w;
}

Weights TConvTester::weights() const {
  return random_weights(params(), ConvKind::kConvTranspose2d, seed_, bias_);
}

bool TConvTester::output_is_empty() const {
  try {
    (void)params().output_shape(ConvKind::kConvTranspose2d, in_);
    return false;
  } catch (const InvalidArgument&) {
    return true;
  }
}

bool TConvTester::test_against_reference(std::string_view impl) const {
  const ConvParams p = params();
  if (!conv_transpose2d_impl_applicable(impl, p)) {
    return false;  // the caller reports what it skipped
  }
  const Tensor src = random_tensor(in_, seed_);
  INFO("problem " << p.to_string() << " input " << to_string(in_) << " seed " << seed_);
  const Tensor expected =
      ConvTranspose2d::create(p, weights(), {"tconv2d_f32_ref"}).run(src.view());
  const ConvTranspose2d op = ConvTranspose2d::create(p, weights(), {std::string(impl)});
  const Tensor actual = op.run(src.view());
  REQUIRE(actual.shape() == expected.shape());
  // Each output sums at most icg * kh * kw products of values in [-1, 1).
  const float tol =
      1e-6f * static_cast<float>(p.in_channels / p.groups * p.kernel.h * p.kernel.w + 1);
  const auto e = expected.span();
  const auto a = actual.span();
  std::size_t worst = 0;
  float worst_err = 0.0f;
  for (std::size_t i = 0; i < e.size(); ++i) {
    const float err = std::abs(a[i] - e[i]);
    if (!(err <= worst_err)) {
      worst_err = err;
      worst = i;
    }
  }
  INFO("impl " << op.impl_name() << ", worst flat index " << worst << ": expected "
               << (e.empty() ? 0.0f : e[worst]) << ", got " << (a.empty() ? 0.0f : a[worst]));
  REQUIRE(worst_err <= tol);
  return true;
}

void TConvTester::test_adjoint() const {
  const ConvParams p = params();
  const Weights w = weights();
  const ConvTranspose2d tconv = ConvTranspose2d::create(p, Weights{w.shape, w.values, {}});
  // conv2d with in/out swapped reads the same weight buffer as (out, in/g, kh, kw).
  ConvParams q = tconv.params().resolved(ConvKind::kConvTranspose2d, in_);
  std::swap(q.in_channels, q.out_channels);
  q.output_padding = {0, 0};
  const Conv2d conv = Conv2d::create(q, Weights{w.shape, w.values, {}});

  const Tensor y = random_tensor(in_, seed_);
  const Tensor ty = tconv.run(y.view());
  const Tensor x = random_tensor(ty.shape(), seed_ + 7);
  const Tensor cx = conv.run(x.view());
  INFO("problem " << p.to_string() << " input " << to_string(in_) << " seed " << seed_
                  << " conv2d output " << to_string(cx.shape()));
  // conv2d's output covers y's extent (it is larger when output_padding >= stride).
  REQUIRE(cx.shape().c == in_.c);
  REQUIRE(cx.shape().h >= in_.h);
  REQUIRE(cx.shape().w >= in_.w);
  double lhs = 0.0;  // <conv2d(x), y>
  double scale = 0.0;
  for (int c = 0; c < in_.c; ++c)
    for (int i = 0; i < in_.h; ++i)
      for (int j = 0; j < in_.w; ++j) {
        lhs += double{cx.at(c, i, j)} * y.at(c, i, j);
        scale += std::abs(double{cx.at(c, i, j)} * y.at(c, i, j));
      }
  double rhs = 0.0;  // <x, conv_transpose2d(y)>
  for (std::size_t i = 0; i < x.span().size(); ++i) rhs += double{x.span()[i]} * ty.span()[i];
  INFO("<conv2d(x), y> = " << lhs << ", <x, conv_transpose2d(y)> = " << rhs);
  REQUIRE(std::abs(lhs - rhs) <= 1e-5 * (scale + 1.0));
}

}  // namespace tconv::test

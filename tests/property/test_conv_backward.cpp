// Gradients of conv2d and conv_transpose2d (ConvBackward) against the
// forward ops as oracles: both ops are linear in x and in W, so for any dy
//   <op_W(x), dy> = <x, dx>          (dx the input gradient: the adjoint)
//   <op_V(x), dy> = <dW, V>          (any direction V: the weight gradient)
//   <op_{0,v}(x), dy> = <db, v>      (bias only: the bias gradient)
// hold exactly in real arithmetic; they are checked in double on random
// layers of every geometry the model format allows, with every impl the
// registry would choose. Also: bit-identical results for any thread count,
// batches equal to their items, and the shape rules.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "tconv/core/conv2d.hpp"
#include "tconv/core/conv_backward.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/error.hpp"

using tconv::BatchView;
using tconv::ConstBatchView;
using tconv::ConvBackward;
using tconv::ConvKind;
using tconv::ConvParams;
using tconv::Shape3;
using tconv::Weights;

namespace {

std::vector<float> random_values(std::mt19937& rng, std::int64_t n) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// A random layer: groups, every stride, dilation, padding and output
// padding the format allows, channel counts on both sides of the tiles.
struct Layer {
  ConvKind kind;
  ConvParams params;
  Shape3 item;
  int count;
};

Layer random_layer(std::mt19937& rng, ConvKind kind) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (;;) {
    Layer l{kind, {}, {}, pick(1, 3)};
    ConvParams& p = l.params;
    const int groups = pick(1, 3);
    const bool wide = pick(0, 3) == 0;
    p.groups = wide ? 1 : groups;
    p.in_channels = wide ? pick(8, 17) : p.groups * pick(1, 3);
    p.out_channels = wide ? pick(8, 17) : p.groups * pick(1, 3);
    p.kernel = {pick(1, 5), pick(1, 5)};
    p.stride = {pick(1, 3), pick(1, 3)};
    p.dilation = {pick(1, 3), pick(1, 2)};
    p.pad_begin = {pick(0, 2), pick(0, 2)};
    p.pad_end = {pick(0, 2), pick(0, 2)};
    if (kind == ConvKind::kConvTranspose2d)
      p.output_padding = {pick(0, std::max(p.stride.h, p.dilation.h) - 1),
                          pick(0, std::max(p.stride.w, p.dilation.w) - 1)};
    l.item = {p.in_channels, pick(1, 11), pick(1, 17)};
    try {
      if (p.output_shape(kind, l.item).elements() > 0) return l;
    } catch (const tconv::InvalidArgument&) {
    }
  }
}

// The forward op on a batch, by the registry's choice of impl.
std::vector<float> forward(const Layer& l, const Weights& w, const std::vector<float>& x) {
  const Shape3 out = l.params.output_shape(l.kind, l.item);
  std::vector<float> y(static_cast<std::size_t>(out.elements() * l.count));
  const ConstBatchView src{x.data(), l.count, l.item};
  const BatchView dst{y.data(), l.count, out};
  if (l.kind == ConvKind::kConv2d)
    tconv::Conv2d::create(l.params, w).run_batch(src, dst, 1);
  else
    tconv::ConvTranspose2d::create(l.params, w).run_batch(src, dst, 1);
  return y;
}

// sum a_i b_i in double, and sum |a_i b_i| (the scale of its rounding).
struct Dot {
  double value = 0, scale = 0;
};
Dot dot(const std::vector<float>& a, const std::vector<float>& b) {
  Dot d;
  for (std::size_t i = 0; i < a.size(); ++i) {
    d.value += double(a[i]) * b[i];
    d.scale += std::abs(double(a[i]) * b[i]);
  }
  return d;
}

// Float impls accumulate in float: agree to a relative 1e-5 of the scale.
void check_equal(const Dot& lhs, const Dot& rhs, const std::string& what) {
  INFO(what << ": " << lhs.value << " vs " << rhs.value << " (scale " << lhs.scale << ")");
  CHECK(std::abs(lhs.value - rhs.value) <= 1e-5 * (lhs.scale + rhs.scale) + 1e-12);
}

struct Grads {
  std::vector<float> dx, dw, db;
};

Grads backward(const ConvBackward& b, const Layer& l, const Weights& w, const std::vector<float>& x,
               const std::vector<float>& dy, int threads) {
  Grads g;
  g.dx.assign(x.size(), -1.0f);
  g.dw.assign(w.values.size(), -1.0f);
  g.db.assign(static_cast<std::size_t>(l.params.out_channels), -1.0f);
  const Shape3 out = b.output_shape();
  b.input_grad({dy.data(), l.count, out}, {g.dx.data(), l.count, l.item}, threads);
  b.weight_grad({x.data(), l.count, l.item}, {dy.data(), l.count, out}, g.dw, g.db, threads);
  return g;
}

std::string describe(const Layer& l) {
  return std::string(l.kind == ConvKind::kConv2d ? "conv2d " : "conv_transpose2d ") +
         l.params.to_string() + " item " + tconv::to_string(l.item) + " x" + std::to_string(l.count);
}

}  // namespace

TEST_CASE("conv backward: gradients satisfy the adjoint identities on random layers", "[backward][property]") {
  std::mt19937 rng(2026);
  for (const ConvKind kind : {ConvKind::kConv2d, ConvKind::kConvTranspose2d}) {
    for (int trial = 0; trial < 60; ++trial) {
      const Layer l = random_layer(rng, kind);
      INFO(describe(l));
      const auto wshape = l.params.weight_shape(kind);
      const Weights w{wshape, random_values(rng, wshape.elements()), {}};
      const auto x = random_values(rng, l.item.elements() * l.count);
      const ConvBackward b = ConvBackward::create(kind, l.params, w, l.item);
      const Shape3 out = b.output_shape();
      REQUIRE(out == l.params.output_shape(kind, l.item));
      const auto dy = random_values(rng, out.elements() * l.count);
      const Grads g = backward(b, l, w, x, dy, 2);

      check_equal(dot(forward(l, w, x), dy), dot(x, g.dx), "<op(x), dy> = <x, dx>");
      for (int dir = 0; dir < 2; ++dir) {
        const Weights v{wshape, random_values(rng, wshape.elements()), {}};
        check_equal(dot(forward(l, v, x), dy), dot(g.dw, v.values), "<op_V(x), dy> = <dW, V>");
      }
      const Weights bias_only{wshape, std::vector<float>(w.values.size(), 0.0f),
                              random_values(rng, l.params.out_channels)};
      check_equal(dot(forward(l, bias_only, x), dy), dot(g.db, bias_only.bias), "<op_b(x), dy> = <db, b>");
    }
  }
}

TEST_CASE("conv backward: bit-identical for any thread count, batches equal to their items", "[backward][property][threads]") {
  std::mt19937 rng(7);
  for (const ConvKind kind : {ConvKind::kConv2d, ConvKind::kConvTranspose2d}) {
    for (int trial = 0; trial < 20; ++trial) {
      Layer l = random_layer(rng, kind);
      l.count = 3;
      INFO(describe(l));
      const auto wshape = l.params.weight_shape(kind);
      const Weights w{wshape, random_values(rng, wshape.elements()), random_values(rng, l.params.out_channels)};
      const auto x = random_values(rng, l.item.elements() * l.count);
      const ConvBackward b = ConvBackward::create(kind, l.params, w, l.item);
      const auto dy = random_values(rng, b.output_shape().elements() * l.count);
      const Grads one = backward(b, l, w, x, dy, 1);
      for (const int threads : {2, 3, 7}) {
        const Grads many = backward(b, l, w, x, dy, threads);
        CHECK(many.dx == one.dx);
        CHECK(many.dw == one.dw);
        CHECK(many.db == one.db);
      }
      // Item by item: the same input gradient bit for bit; weight gradients
      // whose sum is the batch's, up to the float lanes' rounding (the
      // bound of the impl-against-reference test below).
      Layer single = l;
      single.count = 1;
      std::vector<double> dw_sum(one.dw.size(), 0.0);
      for (int n = 0; n < l.count; ++n) {
        const std::vector<float> xn(x.begin() + n * l.item.elements(), x.begin() + (n + 1) * l.item.elements());
        const auto out_elements = b.output_shape().elements();
        const std::vector<float> dyn(dy.begin() + n * out_elements, dy.begin() + (n + 1) * out_elements);
        const Grads g = backward(b, single, w, xn, dyn, 2);
        CHECK(std::equal(g.dx.begin(), g.dx.end(), one.dx.begin() + n * l.item.elements()));
        for (std::size_t i = 0; i < dw_sum.size(); ++i) dw_sum[i] += g.dw[i];
      }
      for (std::size_t i = 0; i < dw_sum.size(); ++i) {
        INFO("weight " << i);
        CHECK(std::abs(dw_sum[i] - one.dw[i]) <= 1e-4 * (std::abs(dw_sum[i]) + 1.0));
      }
    }
  }
}

TEST_CASE("conv backward: a transposed convolution's output padding past its stride is cropped from dx", "[backward]") {
  // Stride 1, dilation 2, output_padding 1: the adjoint conv2d of dy has one
  // row and column more than x; dx must still satisfy <op(x), dy> = <x, dx>.
  std::mt19937 rng(3);
  Layer l{ConvKind::kConvTranspose2d, {}, {2, 4, 5}, 2};
  l.params.in_channels = 2;
  l.params.out_channels = 3;
  l.params.kernel = {3, 3};
  l.params.dilation = {2, 2};
  l.params.output_padding = {1, 1};
  const auto wshape = l.params.weight_shape(l.kind);
  const Weights w{wshape, random_values(rng, wshape.elements()), {}};
  const auto x = random_values(rng, l.item.elements() * l.count);
  const ConvBackward b = ConvBackward::create(l.kind, l.params, w, l.item);
  const auto dy = random_values(rng, b.output_shape().elements() * l.count);
  const Grads g = backward(b, l, w, x, dy, 2);
  check_equal(dot(forward(l, w, x), dy), dot(x, g.dx), "<op(x), dy> = <x, dx>");
}

TEST_CASE("conv backward: shape rules", "[backward]") {
  ConvParams p;
  p.in_channels = 2;
  p.out_channels = 4;
  p.kernel = {3, 3};
  p.stride = {2, 2};
  const Weights w{p.weight_shape(ConvKind::kConv2d), std::vector<float>(72, 0.5f), {}};
  const Shape3 item{2, 9, 9};
  const ConvBackward b = ConvBackward::create(ConvKind::kConv2d, p, w, item);
  CHECK(b.output_shape() == Shape3{4, 4, 4});
  std::vector<float> x(2 * 81), dy(4 * 16), dx(2 * 81), dw(72), db(4);
  CHECK_THROWS_AS(b.input_grad({dy.data(), 1, {4, 4, 5}}, {dx.data(), 1, item}), tconv::ShapeMismatch);
  CHECK_THROWS_AS(b.input_grad({dy.data(), 1, {4, 4, 4}}, {dx.data(), 2, item}), tconv::ShapeMismatch);
  CHECK_THROWS_AS(b.input_grad({dx.data(), 1, {4, 4, 4}}, {dx.data(), 1, item}), tconv::InvalidArgument);
  CHECK_THROWS_AS(b.weight_grad({x.data(), 1, item}, {dy.data(), 1, {4, 4, 4}}, std::span<float>(dw).first(71), db),
                  tconv::ShapeMismatch);
  CHECK_THROWS_AS(b.weight_grad({x.data(), 1, item}, {dy.data(), 1, {4, 4, 4}}, dw, std::span<float>(db).first(3)),
                  tconv::ShapeMismatch);
  CHECK_THROWS_AS(b.weight_grad({x.data(), 1, item}, {dy.data(), 1, {4, 4, 4}}, dw, db, 257), tconv::InvalidArgument);
  CHECK_NOTHROW(b.weight_grad({x.data(), 1, item}, {dy.data(), 1, {4, 4, 4}}, dw, {}));
  CHECK_THROWS_AS(ConvBackward::create(ConvKind::kConv2d, p, w, {3, 9, 9}), tconv::ShapeMismatch);
  const Weights transposed{p.weight_shape(ConvKind::kConvTranspose2d), std::vector<float>(72, 0.5f), {}};
  CHECK_THROWS_AS(ConvBackward::create(ConvKind::kConv2d, p, transposed, item), tconv::ShapeMismatch);
  ConvParams bad = p;
  bad.groups = 3;
  CHECK_THROWS_AS(ConvBackward::create(ConvKind::kConv2d, bad, w, item), tconv::InvalidArgument);
}

TEST_CASE("conv backward: every weight-gradient impl agrees with the reference", "[backward][property]") {
  std::mt19937 rng(99);
  for (const std::string& name : tconv::conv_weight_grad_impl_names()) {
    if (name == "conv_weight_grad_f32_ref") continue;
    if (!tconv::conv_weight_grad_impl_applicable(name)) {
      WARN("skipped: " << name << " does not run on this CPU");
      continue;
    }
    tconv::OpOptions forced;
    forced.force_impl = name;
    tconv::OpOptions reference;
    reference.force_impl = "conv_weight_grad_f32_ref";
    for (const ConvKind kind : {ConvKind::kConv2d, ConvKind::kConvTranspose2d}) {
      for (int trial = 0; trial < 40; ++trial) {
        Layer l = random_layer(rng, kind);
        if (trial % 5 == 0) l.item.w += 37;  // rows longer than the 16 lanes, with a tail
        INFO(name << " " << describe(l));
        const auto wshape = l.params.weight_shape(kind);
        const Weights w{wshape, random_values(rng, wshape.elements()), {}};
        const auto x = random_values(rng, l.item.elements() * l.count);
        const ConvBackward fast = ConvBackward::create(kind, l.params, w, l.item, forced);
        const ConvBackward ref = ConvBackward::create(kind, l.params, w, l.item, reference);
        REQUIRE(fast.weight_grad_impl() == name);
        REQUIRE(ref.weight_grad_impl() == "conv_weight_grad_f32_ref");
        const auto dy = random_values(rng, fast.output_shape().elements() * l.count);
        const Grads expected = backward(ref, l, w, x, dy, 2);
        const Grads actual = backward(fast, l, w, x, dy, 3);
        // Float lanes against double sums of at most a few thousand products.
        for (std::size_t i = 0; i < actual.dw.size(); ++i) {
          INFO("weight " << i << ": " << actual.dw[i] << " vs " << expected.dw[i]);
          CHECK(std::abs(actual.dw[i] - expected.dw[i]) <= 1e-4f * (1.0f + std::abs(expected.dw[i])));
        }
        CHECK(actual.dx == expected.dx);
        CHECK(backward(fast, l, w, x, dy, 1).dw == actual.dw);
      }
    }
  }
}

TEST_CASE("conv backward: a strided transposed convolution's input gradient over stride phases equals the direct one", "[backward][property]") {
  // Default: the adjoint conv2d runs at stride 1 over dy split into phases;
  // forcing conv2d_f32_ref runs the strided conv2d directly (double sums).
  std::mt19937 rng(5);
  tconv::OpOptions direct;
  direct.force_impl = "conv2d_f32_ref";
  int strided = 0;
  for (int trial = 0; trial < 80; ++trial) {
    const Layer l = random_layer(rng, ConvKind::kConvTranspose2d);
    if (l.params.stride == tconv::Size2{1, 1}) continue;
    ++strided;
    INFO(describe(l));
    const auto wshape = l.params.weight_shape(l.kind);
    const Weights w{wshape, random_values(rng, wshape.elements()), {}};
    const ConvBackward split = ConvBackward::create(l.kind, l.params, w, l.item);
    const ConvBackward plain = ConvBackward::create(l.kind, l.params, w, l.item, direct);
    CHECK(split.input_grad_impl() != "conv2d_f32_ref");
    const auto dy = random_values(rng, split.output_shape().elements() * l.count);
    std::vector<float> a(static_cast<std::size_t>(l.item.elements() * l.count), -1.0f), b = a;
    split.input_grad({dy.data(), l.count, split.output_shape()}, {a.data(), l.count, l.item}, 2);
    plain.input_grad({dy.data(), l.count, plain.output_shape()}, {b.data(), l.count, l.item}, 2);
    for (std::size_t i = 0; i < a.size(); ++i) {
      INFO("element " << i << ": " << a[i] << " vs " << b[i]);
      CHECK(std::abs(a[i] - b[i]) <= 1e-4f * (1.0f + std::abs(b[i])));
    }
  }
  CHECK(strided >= 40);
}

TEST_CASE("conv backward: every weight-gradient impl agrees with the reference on training shapes", "[backward][property]") {
  // FSRCNN's layers on 32-wide rows (the flat impls read A in place, row by
  // row), batches of 16, plus rows of 16 and 48, dilation, groups, and a
  // stride whose B phases differ in size.
  struct Case {
    const char* name;
    ConvKind kind;
    int ic, oc, groups, k, s, d, pad, output_padding;
    Shape3 item;
    int count;
  };
  const ConvKind k2d = ConvKind::kConv2d, kt = ConvKind::kConvTranspose2d;
  const Case cases[] = {
      {"feature_1to56_k5", k2d, 1, 56, 1, 5, 1, 1, 2, 0, {1, 32, 32}, 16},
      {"shrink_56to12_k1", k2d, 56, 12, 1, 1, 1, 1, 0, 0, {56, 32, 32}, 16},
      {"map_12to12_k3", k2d, 12, 12, 1, 3, 1, 1, 1, 0, {12, 32, 32}, 16},
      {"expand_12to56_k1", k2d, 12, 56, 1, 1, 1, 1, 0, 0, {12, 32, 32}, 16},
      {"deconv_56to1_k9s2", kt, 56, 1, 1, 9, 2, 1, 4, 1, {56, 32, 32}, 4},
      {"deconv_8to3_k4s3_rows16", kt, 8, 3, 1, 4, 3, 1, 1, 2, {8, 9, 16}, 3},
      {"dilated_6to5_k3d2_rows48", k2d, 6, 5, 1, 3, 1, 2, 2, 0, {6, 7, 48}, 2},
      {"grouped_6to9_k3s2_rows32", k2d, 6, 9, 3, 3, 2, 1, 1, 0, {6, 13, 65}, 2},
      {"depthwise_4to4_k3_rows16", kt, 4, 4, 4, 3, 1, 1, 1, 0, {4, 5, 16}, 3},
  };
  std::mt19937 rng(31);
  tconv::OpOptions reference;
  reference.force_impl = "conv_weight_grad_f32_ref";
  for (const Case& c : cases) {
    Layer l{c.kind, {}, c.item, c.count};
    ConvParams& p = l.params;
    p.in_channels = c.ic;
    p.out_channels = c.oc;
    p.groups = c.groups;
    p.kernel = {c.k, c.k};
    p.stride = {c.s, c.s};
    p.dilation = {c.d, c.d};
    p.pad_begin = p.pad_end = {c.pad, c.pad};
    p.output_padding = {c.output_padding, c.output_padding};
    INFO(c.name << ": " << describe(l));
    const auto wshape = p.weight_shape(c.kind);
    const Weights w{wshape, random_values(rng, wshape.elements()), {}};
    const auto x = random_values(rng, l.item.elements() * l.count);
    const ConvBackward ref = ConvBackward::create(c.kind, p, w, l.item, reference);
    const auto dy = random_values(rng, ref.output_shape().elements() * l.count);
    const Grads expected = backward(ref, l, w, x, dy, 2);
    const Shape3 a_item = c.kind == k2d ? ref.output_shape() : l.item;  // A: the unskipped grid
    const float products = float(l.count) * float(a_item.h) * float(a_item.w);
    const float tolerance = 1e-4f + 2e-7f * products;
    for (const std::string& name : tconv::conv_weight_grad_impl_names()) {
      if (name == "conv_weight_grad_f32_ref" || !tconv::conv_weight_grad_impl_applicable(name)) continue;
      INFO("impl " << name);
      tconv::OpOptions forced;
      forced.force_impl = name;
      const ConvBackward fast = ConvBackward::create(c.kind, p, w, l.item, forced);
      const Grads actual = backward(fast, l, w, x, dy, 1);
      // Float lanes against double sums of `products` terms of unit scale:
      // the rounding grows with the number of terms.
      float worst = 0;
      std::size_t worst_index = 0;
      for (std::size_t i = 0; i < actual.dw.size(); ++i) {
        const float error = std::abs(actual.dw[i] - expected.dw[i]) / (tolerance + std::abs(expected.dw[i]) * 1e-4f);
        if (!(error <= worst)) {
          worst = error;
          worst_index = i;
        }
      }
      INFO("worst weight " << worst_index << ": " << actual.dw[worst_index] << " vs " << expected.dw[worst_index]
                           << " (tolerance " << tolerance << ")");
      CHECK(worst <= 1.0f);
      CHECK(actual.db == expected.db);
      for (const int threads : {2, 3, 7}) CHECK(backward(fast, l, w, x, dy, threads).dw == actual.dw);
    }
  }
}

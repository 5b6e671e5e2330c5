// TrainableNetwork, mse_loss, Adam, make_architecture and PatchSampler:
// the whole network's parameter gradients against central finite
// differences, steps bit-identical for any thread count, Adam's first steps
// against their closed form, every architecture's shape, the sampler's
// flips against the pairs they came from.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "tconv/core/error.hpp"
#include "tconv/model/model.hpp"
#include "tconv/train/architectures.hpp"
#include "tconv/train/network.hpp"

namespace {

using namespace tconv;

std::vector<float> random_values(std::size_t n, unsigned seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

ModelFileLayer layer(const std::string& op, const std::string& name = "") {
  ModelFileLayer l;
  l.op = op;
  if (!name.empty()) {
    l.weight = name + ".weight";
    if (op == "conv2d" || op == "conv_transpose2d") l.bias = name + ".bias";
  }
  return l;
}

// A small network with every parameter kind and the layer kinds training
// meets: conv2d (padded, strided), prelu, tanh, conv_transpose2d, pixel_shuffle.
ModelFileSpec small_network() {
  ModelFileSpec spec;
  spec.scale = 2;
  ModelFileLayer c1 = layer("conv2d", "c1");
  c1.params.padding(1);
  ModelFileLayer c2 = layer("conv2d", "c2");
  c2.params.stride = {2, 2};
  c2.params.padding(1);
  ModelFileLayer t1 = layer("conv_transpose2d", "t1");
  t1.params.stride = {2, 2};
  t1.params.padding(1);
  ModelFileLayer ps = layer("pixel_shuffle");
  ps.factor = 2;
  ModelFileLayer c3 = layer("conv2d", "c3");
  c3.params.padding(1);
  spec.layers = {c1, layer("prelu", "a1"), c2, layer("tanh"), t1, layer("prelu", "a2"), c3, ps};
  spec.tensors = {{"c1.weight", {4, 1, 3, 3}, random_values(36, 1, -0.5f, 0.5f)},
                  {"c1.bias", {4}, random_values(4, 2, -0.1f, 0.1f)},
                  {"a1.weight", {4}, {0.25f, 0.1f, -0.2f, 0.3f}},
                  {"c2.weight", {6, 4, 3, 3}, random_values(216, 3, -0.3f, 0.3f)},
                  {"c2.bias", {6}, random_values(6, 4, -0.1f, 0.1f)},
                  {"t1.weight", {6, 3, 4, 4}, random_values(288, 5, -0.3f, 0.3f)},
                  {"t1.bias", {3}, random_values(3, 6, -0.1f, 0.1f)},
                  {"a2.weight", {1}, {0.2f}},
                  {"c3.weight", {4, 3, 3, 3}, random_values(108, 7, -0.3f, 0.3f)},
                  {"c3.bias", {4}, random_values(4, 8, -0.1f, 0.1f)}};
  return spec;
}

double loss_of(TrainableNetwork& net, const std::vector<float>& x, const std::vector<float>& target) {
  const ConstBatchView y = net.forward({x.data(), net.batch(), net.input_shape()}, 1);
  std::vector<float> g(target.size());
  return mse_loss(y, {target.data(), net.batch(), net.output_shape()},
                  {g.data(), net.batch(), net.output_shape()});
}

}  // namespace

TEST_CASE("network parameter gradients equal central finite differences", "[train][backward]") {
  TrainableNetwork net = TrainableNetwork::create(small_network(), {1, 6, 8}, 3);
  REQUIRE(net.output_shape() == Shape3{1, 12, 16});
  const std::vector<float> x = random_values(3 * 48, 11);
  const std::vector<float> target = random_values(3 * 192, 12);
  const ConstBatchView y = net.forward({x.data(), 3, net.input_shape()}, 1);
  std::vector<float> dy(target.size());
  (void)mse_loss(y, {target.data(), 3, net.output_shape()}, {dy.data(), 3, net.output_shape()});
  net.backward({dy.data(), 3, net.output_shape()}, 1);
  std::vector<TrainParameter> analytic = net.parameters();
  REQUIRE(analytic.size() == 10);
  int checked = 0;
  for (std::size_t k = 0; k < analytic.size(); ++k) {
    const std::size_t n = analytic[k].value.size();
    for (std::size_t i = 0; i < n; i += std::max<std::size_t>(1, n / 7)) {
      const float v = analytic[k].value[i];
      const float h = 1e-2f;
      net.parameters()[k].value[i] = v + h;
      const double up = loss_of(net, x, target);
      net.parameters()[k].value[i] = v - h;
      const double down = loss_of(net, x, target);
      net.parameters()[k].value[i] = v;
      const double numeric = (up - down) / (2.0 * h);
      INFO(analytic[k].name << "[" << i << "]: analytic " << analytic[k].grad[i] << ", numeric " << numeric);
      CHECK(std::abs(analytic[k].grad[i] - numeric) <= 2e-3 + 2e-2 * std::abs(numeric));
      ++checked;
    }
  }
  CHECK(checked >= 50);
}

TEST_CASE("training steps give the same bits on any thread count", "[train][threads]") {
  const Architecture a = make_architecture({"fsrcnn-s", 2, "random", 5});
  std::vector<std::vector<float>> finals;
  for (const int threads : {1, 2, 3}) {
    OpOptions options;
    options.threads = threads;
    TrainableNetwork net = TrainableNetwork::create(a.spec, {1, 12, 12}, 4, options);
    Adam adam;
    const std::vector<float> x = random_values(4 * 144, 21, 0.0f, 1.0f);
    const std::vector<float> target = random_values(4 * 576, 22, 0.0f, 1.0f);
    std::vector<float> dy(target.size());
    for (int step = 0; step < 3; ++step) {
      const ConstBatchView y = net.forward({x.data(), 4, net.input_shape()});
      (void)mse_loss(y, {target.data(), 4, net.output_shape()}, {dy.data(), 4, net.output_shape()});
      net.backward({dy.data(), 4, net.output_shape()});
      adam.step(net.parameters(), 1e-3);
    }
    std::vector<float> all;
    for (const TrainParameter& p : net.parameters()) all.insert(all.end(), p.value.begin(), p.value.end());
    finals.push_back(all);
  }
  CHECK(finals[0] == finals[1]);
  CHECK(finals[0] == finals[2]);
}

TEST_CASE("Adam's first two steps follow the closed form", "[train]") {
  // Step 1: m = 0.1 g, v = 0.001 g^2, so m / (1 - 0.9) = g and
  // sqrt(v / (1 - 0.999)) = |g|: every value moves by lr sign(g) (eps aside).
  std::vector<TrainParameter> p(1);
  p[0].value = {1.0f, -2.0f, 0.5f};
  p[0].grad = {0.3f, -4.0f, 1e-3f};
  p[0].lr_scale = 0.5f;
  Adam adam;
  adam.step(p, 0.02);
  CHECK(p[0].value[0] == Approx(1.0 - 0.01).epsilon(1e-6));
  CHECK(p[0].value[1] == Approx(-2.0 + 0.01).epsilon(1e-6));
  CHECK(p[0].value[2] == Approx(0.5 - 0.01 * 1e-3 / (1e-3 + 1e-8)).epsilon(1e-6));
  // Step 2 with g2: m = 0.09 g1 + 0.1 g2, v = 0.000999 g1^2 + 0.001 g2^2.
  const double g1 = 0.3, g2 = -0.1;
  p[0].grad = {static_cast<float>(g2), 0.0f, 0.0f};
  const double before = p[0].value[0];
  adam.step(p, 0.02);
  const double m = (0.09 * g1 + 0.1 * g2) / (1 - 0.81);
  const double v = (0.000999 * g1 * g1 + 0.001 * g2 * g2) / (1 - 0.999 * 0.999);
  CHECK(p[0].value[0] == Approx(before - 0.01 * m / (std::sqrt(v) + 1e-8)).epsilon(1e-5));
  CHECK(adam.steps() == 2);
  CHECK_THROWS_AS(adam.restore(1, {{1.0f}}, {}), InvalidArgument);
}

TEST_CASE("every architecture upsamples by its scale and loads as a model", "[train]") {
  for (const std::string& name : architecture_names())
    for (const int s : {2, 3, 4}) {
      INFO(name << " x" << s);
      const Architecture a = make_architecture({name, s, "random", 1});
      TrainableNetwork net = TrainableNetwork::create(a.spec, {1, 10, 9}, 1);
      CHECK(net.output_shape() == Shape3{1, 10 * s, 9 * s});
      const std::vector<unsigned char> bytes = encode_model(a.spec);
      const Model m = Model::from_safetensors(parse_safetensors(bytes, "arch"), "arch");
      CHECK(m.scale() == s);
    }
  CHECK_THROWS_AS(make_architecture({"nope", 2, "random", 1}), InvalidArgument);
  CHECK_THROWS_AS(make_architecture({"espcn", 2, "bilinear", 1}), InvalidArgument);
  CHECK_THROWS_AS(make_architecture({"fsrcnn", 9, "random", 1}), InvalidArgument);
  // The same seed gives the same weights, another seed others.
  CHECK(make_architecture({"fsrcnn", 2, "random", 3}).spec.tensors[0].values ==
        make_architecture({"fsrcnn", 2, "random", 3}).spec.tensors[0].values);
  CHECK(make_architecture({"fsrcnn", 2, "random", 3}).spec.tensors[0].values !=
        make_architecture({"fsrcnn", 2, "random", 4}).spec.tensors[0].values);
}

TEST_CASE("a bilinear-initialised linear layer is bilinear interpolation inside the image", "[train]") {
  const Architecture a = make_architecture({"linear", 2, "bilinear", 1});
  TrainableNetwork net = TrainableNetwork::create(a.spec, {1, 12, 12}, 1);
  // A linear ramp stays a ramp under bilinear interpolation away from the
  // border: out(Y, X) = in at ((Y + 0.5) / 2 - 0.5, (X + 0.5) / 2 - 0.5).
  std::vector<float> x(144);
  for (int y = 0; y < 12; ++y)
    for (int xx = 0; xx < 12; ++xx) x[static_cast<std::size_t>(y * 12 + xx)] = 0.1f * y + 0.03f * xx;
  const ConstBatchView out = net.forward({x.data(), 1, {1, 12, 12}});
  for (int y = 4; y < 20; ++y)
    for (int xx = 4; xx < 20; ++xx) {
      const double sy = (y + 0.5) / 2 - 0.5, sx = (xx + 0.5) / 2 - 0.5;
      CHECK(out.data[y * 24 + xx] == Approx(0.1 * sy + 0.03 * sx).margin(1e-5));
    }
}

TEST_CASE("patch sampler: pairs stay aligned under every flip and depend on (seed, step) only",
          "[train]") {
  // HR is a function of position; LR pixel (y, x) holds HR's centre value of
  // its s x s block, so aligned patches satisfy hr(block centre) == lr.
  const int s = 2, h = 20, w = 26;
  std::vector<TrainingPair> pairs;
  Tensor lr({1, h, w}), hr({1, h * s, w * s});
  for (int y = 0; y < h * s; ++y)
    for (int x = 0; x < w * s; ++x) hr.view().row(0, y)[x] = static_cast<float>(1000 * y + x);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)  // the block's mean
      lr.view().row(0, y)[x] = static_cast<float>(1000 * (s * y + 0.5) + s * x + 0.5);
  pairs.push_back({std::move(lr), std::move(hr)});
  const int context = 2;
  const PatchSampler sampler(std::move(pairs), s, 6, context);
  const int side = 6 + 2 * context;
  std::vector<float> lb(static_cast<std::size_t>(8 * side * side)), hb(8 * 144);
  const BatchView lv{lb.data(), 8, {1, side, side}}, hv{hb.data(), 8, {1, 12, 12}};
  sampler.fill(7, 3, lv, hv);
  for (int b = 0; b < 8; ++b)
    for (int y = 0; y < 6; ++y)
      for (int x = 0; x < 6; ++x) {
        // The mean of the HR block under LR (y + c, x + c) equals that LR pixel.
        double mean = 0;
        for (int i = 0; i < s; ++i)
          for (int j = 0; j < s; ++j) mean += hv.at(b).row(0, s * y + i)[s * x + j];
        CHECK(mean / (s * s) == Approx(lv.at(b).row(0, y + context)[x + context]));
      }
  std::vector<float> lb2(lb.size()), hb2(hb.size());
  sampler.fill(7, 3, {lb2.data(), 8, lv.item}, {hb2.data(), 8, hv.item});
  CHECK(lb == lb2);
  sampler.fill(7, 4, {lb2.data(), 8, lv.item}, {hb2.data(), 8, hv.item});
  CHECK(lb != lb2);
  CHECK_THROWS_AS(PatchSampler({}, 2, 4), InvalidArgument);
}

// Independent oracle for the layer kinds without planned weights: PyTorch's
// forward output and autograd input gradient (and prelu's dL/da) of relu,
// prelu, leaky_relu, tanh, sigmoid, clamp, pixel_shuffle, pad and upsample
// on inputs that hold the kink values exactly (generate_grad_golden.py
// beside this file writes data/grad_layer_*; the test itself needs no torch).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "model/model_internal.hpp"
#include "tconv/io/npy.hpp"

namespace {

using tconv::detail::NetLayer;
using tconv::detail::Op;

const std::string kDir = TCONV_GOLDEN_DIR;

tconv::NpyArray load(const std::string& name, const char* key) {
  return tconv::read_npy(kDir + "/grad_layer_" + name + "_" + key + ".npy");
}

// Float arithmetic against float64 autograd: relative 1e-5 of the array's largest magnitude.
void check_close(std::span<const float> actual, const std::vector<float>& expected,
                 const char* what) {
  REQUIRE(actual.size() == expected.size());
  double largest = 0;
  for (const float v : expected) largest = std::max(largest, std::abs(double(v)));
  double worst = 0;
  std::size_t at = 0;
  for (std::size_t i = 0; i < actual.size(); ++i)
    if (const double d = std::abs(double(actual[i]) - expected[i]); d > worst) {
      worst = d;
      at = i;
    }
  INFO(what << ": largest difference " << worst << " at flat index " << at << " (largest value "
            << largest << ")");
  CHECK(worst <= 1e-5 * (largest + 1.0));
}

// The layer the case describes, as the model format would plan it.
NetLayer layer_of(const nlohmann::json& c, int channels, const tconv::NpyArray* slopes) {
  NetLayer l;
  const std::string op = c.at("op");
  for (const auto& o : tconv::detail::kOps)
    if (o.name == op) l.op = o.op;
  REQUIRE(tconv::detail::name_of(l.op) == op);
  l.in_channels = l.out_channels = channels;
  switch (l.op) {
    case Op::kPrelu:
      l.slopes = slopes->values;
      break;
    case Op::kLeakyRelu:
      l.a = c.at("slope").get<float>();
      break;
    case Op::kClamp:
      l.a = c.at("min").is_null() ? -INFINITY : c.at("min").get<float>();
      l.b = c.at("max").is_null() ? INFINITY : c.at("max").get<float>();
      break;
    case Op::kPixelShuffle:
      l.factor = c.at("factor");
      l.out_channels = channels / (l.factor * l.factor);
      break;
    case Op::kPad: {
      const auto p = c.at("padding").get<std::vector<int>>();
      l.pad_begin = {p.at(0), p.at(1)};
      l.pad_end = {p.at(2), p.at(3)};
      const std::string mode = c.at("mode");
      const auto* m =
          std::find(std::begin(tconv::detail::kPadModes), std::end(tconv::detail::kPadModes), mode);
      REQUIRE(m != std::end(tconv::detail::kPadModes));
      l.pad_mode = static_cast<tconv::detail::PadMode>(m - std::begin(tconv::detail::kPadModes));
      l.a = c.at("value").get<float>();
      break;
    }
    case Op::kUpsample: {
      l.factor = c.at("factor");
      const std::string mode = c.at("mode");
      REQUIRE((mode == "nearest" || mode == "bilinear"));
      l.upsample_mode = mode == "nearest" ? tconv::detail::UpsampleMode::kNearest
                                          : tconv::detail::UpsampleMode::kBilinear;
      break;
    }
    default:
      break;
  }
  return l;
}

tconv::Shape3 item_of(const tconv::NpyArray& a) {
  REQUIRE(a.shape.size() == 4);
  return {static_cast<int>(a.shape[1]), static_cast<int>(a.shape[2]), static_cast<int>(a.shape[3])};
}

}  // namespace

TEST_CASE("layer forwards and input gradients match PyTorch autograd golden cases",
          "[golden][torch][backward]") {
  std::ifstream in(kDir + "/grad_layer_cases.json");
  REQUIRE(in.good());
  const nlohmann::json cases = nlohmann::json::parse(in);
  REQUIRE(cases.size() >= 38);
  int upsample_cases = 0;
  for (const auto& c : cases) {
    const std::string name = c.at("name");
    INFO("case " << name << ": " << c.dump());
    const tconv::NpyArray x = load(name, "x"), y = load(name, "y"), dy = load(name, "dy");
    const tconv::NpyArray dx_expected = load(name, "dx");
    const bool prelu = c.at("op") == "prelu";
    const tconv::NpyArray slopes = prelu ? load(name, "w") : tconv::NpyArray{};
    const tconv::Shape3 item = item_of(x);
    const tconv::Shape3 out_item = item_of(y);
    const NetLayer l = layer_of(c, item.c, &slopes);
    REQUIRE(tconv::detail::layer_output(l, item) == out_item);
    upsample_cases += l.op == Op::kUpsample;

    std::vector<float> y_got, dx(x.values.size());
    std::vector<float> dslopes(l.slopes.size(), 0.0f);
    const auto n_in = static_cast<std::size_t>(item.elements());
    const auto n_out = static_cast<std::size_t>(out_item.elements());
    for (std::int64_t b = 0; b < x.shape[0]; ++b) {
      const auto bi = static_cast<std::size_t>(b);
      tconv::Tensor xb(item, {x.values.begin() + bi * n_in, x.values.begin() + (bi + 1) * n_in});
      const tconv::Tensor yb = tconv::detail::forward(l, xb.clone(), 1);
      REQUIRE(yb.shape() == out_item);
      y_got.insert(y_got.end(), yb.span().begin(), yb.span().end());
      // The items' dL/da add up in dslopes, as over a batch.
      tconv::detail::layer_input_grad(l, xb.view(), yb.view(),
                                      {dy.values.data() + bi * n_out, out_item},
                                      {dx.data() + bi * n_in, item}, dslopes);
    }
    check_close(y_got, y.values, "y");
    check_close(dx, dx_expected.values, "dx");
    if (prelu) check_close(dslopes, load(name, "dw").values, "dslopes");
  }
  CHECK(upsample_cases == 20);
}

// Independent oracle for the backward pass: PyTorch autograd's gradients of
// conv2d and conv_transpose2d (generate_grad_golden.py beside this file writes
// data/grad_*; the test itself needs no torch).
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tconv/core/conv_backward.hpp"
#include "tconv/io/npy.hpp"

namespace {

const std::string kDir = TCONV_GOLDEN_DIR;

tconv::Size2 pair_of(const nlohmann::json& j) { return {j.at(0).get<int>(), j.at(1).get<int>()}; }

tconv::NpyArray load(const std::string& name, const char* key) {
  return tconv::read_npy(kDir + "/grad_" + name + "_" + key + ".npy");
}

// Float sums against float64 autograd: relative 1e-5 of the array's largest magnitude.
void check_close(const std::vector<float>& actual, const std::vector<float>& expected, const char* what) {
  REQUIRE(actual.size() == expected.size());
  double largest = 0;
  for (const float v : expected) largest = std::max(largest, std::abs(double(v)));
  double worst = 0;
  for (std::size_t i = 0; i < actual.size(); ++i)
    worst = std::max(worst, std::abs(double(actual[i]) - expected[i]));
  INFO(what << ": largest difference " << worst << " (largest value " << largest << ")");
  CHECK(worst <= 1e-5 * (largest + 1.0));
}

}  // namespace

TEST_CASE("gradients match PyTorch autograd golden cases", "[golden][torch][backward]") {
  std::ifstream in(kDir + "/grad_cases.json");
  REQUIRE(in.good());
  const nlohmann::json cases = nlohmann::json::parse(in);
  REQUIRE(cases.size() >= 13);
  for (const auto& c : cases) {
    const std::string name = c.at("name");
    const tconv::ConvKind kind = c.at("op") == "conv2d" ? tconv::ConvKind::kConv2d
                                                        : tconv::ConvKind::kConvTranspose2d;
    tconv::ConvParams p;
    p.in_channels = c.at("in_channels");
    p.out_channels = c.at("out_channels");
    p.groups = c.at("groups");
    p.kernel = pair_of(c.at("kernel"));
    p.stride = pair_of(c.at("stride"));
    p.dilation = pair_of(c.at("dilation"));
    const auto pads = c.at("padding").get<std::vector<int>>();
    p.pad_begin = {pads.at(0), pads.at(1)};
    p.pad_end = {pads.at(2), pads.at(3)};
    if (kind == tconv::ConvKind::kConvTranspose2d) p.output_padding = pair_of(c.at("output_padding"));
    INFO("case " << name << " " << c.at("op").get<std::string>() << " " << p.to_string());

    const tconv::NpyArray x = load(name, "x"), w = load(name, "w"), dy = load(name, "dy");
    REQUIRE(x.shape.size() == 4);
    REQUIRE(dy.shape.size() == 4);
    const std::int64_t count = x.shape[0];
    const tconv::Shape3 item{static_cast<int>(x.shape[1]), static_cast<int>(x.shape[2]),
                             static_cast<int>(x.shape[3])};
    const tconv::Shape3 out_item{static_cast<int>(dy.shape[1]), static_cast<int>(dy.shape[2]),
                                 static_cast<int>(dy.shape[3])};
    const tconv::Weights weights{{static_cast<int>(w.shape[0]), static_cast<int>(w.shape[1]),
                                  static_cast<int>(w.shape[2]), static_cast<int>(w.shape[3])},
                                 w.values,
                                 load(name, "b").values};
    const auto backward = tconv::ConvBackward::create(kind, p, weights, item);
    REQUIRE(backward.output_shape() == out_item);

    std::vector<float> dx(x.values.size()), dw(w.values.size()), db(static_cast<std::size_t>(p.out_channels));
    backward.input_grad({dy.values.data(), count, out_item}, {dx.data(), count, item}, 2);
    backward.weight_grad({x.values.data(), count, item}, {dy.values.data(), count, out_item}, dw, db, 2);
    check_close(dx, load(name, "dx").values, "dx");
    check_close(dw, load(name, "dw").values, "dw");
    check_close(db, load(name, "db").values, "db");
  }
}

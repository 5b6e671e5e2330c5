// Independent oracle: PyTorch-generated golden vectors (generate_golden.py
// beside this file writes data/; the test itself needs no torch).
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tconv/core/conv2d.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/error.hpp"
#include "tconv/core/torch_settings.hpp"
#include "tconv/io/npy.hpp"

namespace {

const std::string kDir = TCONV_GOLDEN_DIR;

tconv::Size2 pair_of(const nlohmann::json& j) { return {j.at(0).get<int>(), j.at(1).get<int>()}; }

// The case's PyTorch settings through the library's one parser of them.
tconv::ConvParams params_of(const nlohmann::json& c) {
  const tconv::ConvKind kind = c.at("op") == "conv_transpose2d" ? tconv::ConvKind::kConvTranspose2d
                                                                : tconv::ConvKind::kConv2d;
  tconv::ConvParams base;
  base.in_channels = c.at("in_channels");
  base.out_channels = c.at("out_channels");
  base.kernel = pair_of(c.at("kernel"));
  tconv::TorchConvSettings s;
  s.groups = c.at("groups");
  s.stride = c.at("stride").get<std::vector<int>>();
  s.dilation = c.at("dilation").get<std::vector<int>>();
  const std::string auto_pad = c.at("auto_pad");
  if (auto_pad == "none") s.padding = c.at("padding").get<std::vector<int>>();
  else s.padding_word = auto_pad;
  if (kind == tconv::ConvKind::kConvTranspose2d)
    s.output_padding = c.at("output_padding").get<std::vector<int>>();
  if (!c.at("output_size").is_null()) s.output_size = c.at("output_size").get<std::vector<int>>();
  return tconv::torch_conv_params(kind, s, base);
}

tconv::Weights weights_of(const std::string& name, bool bias) {
  tconv::NpyArray w = tconv::read_npy(kDir + "/" + name + "_w.npy");
  REQUIRE(w.shape.size() == 4);
  tconv::Weights weights{{static_cast<int>(w.shape[0]), static_cast<int>(w.shape[1]),
                          static_cast<int>(w.shape[2]), static_cast<int>(w.shape[3])},
                         std::move(w.values),
                         {}};
  if (bias) weights.bias = tconv::read_npy(kDir + "/" + name + "_b.npy").values;
  return weights;
}

}  // namespace

TEST_CASE("matches PyTorch golden vectors", "[golden][torch]") {
  std::ifstream in(kDir + "/cases.json");
  REQUIRE(in.good());
  const nlohmann::json cases = nlohmann::json::parse(in);
  REQUIRE(cases.size() >= 40);
  int transposed = 0;
  for (const auto& c : cases) {
    const std::string name = c.at("name");
    const std::string op = c.at("op");
    const tconv::ConvParams p = params_of(c);
    INFO("case " << name << " (" << c.value("note", "") << ") " << op << " " << p.to_string());
    const tconv::NpyArray x = tconv::read_npy(kDir + "/" + name + "_x.npy");
    const tconv::NpyArray y = tconv::read_npy(kDir + "/" + name + "_y.npy");
    REQUIRE(x.shape == c.at("input_shape").get<std::vector<std::int64_t>>());
    REQUIRE(y.shape == c.at("output_shape").get<std::vector<std::int64_t>>());
    const std::size_t rank = x.shape.size();
    const std::int64_t batch = rank == 4 ? x.shape[0] : 1;
    const tconv::Shape3 item{static_cast<int>(x.shape[rank - 3]), static_cast<int>(x.shape[rank - 2]),
                             static_cast<int>(x.shape[rank - 1])};

    std::vector<float> actual;
    const bool is_t = op == "conv_transpose2d";
    transposed += is_t ? 1 : 0;
    for (std::int64_t b = 0; b < batch; ++b) {
      const tconv::ConstTensorView src{x.values.data() + b * item.elements(), item};
      const tconv::Tensor out =
          is_t ? tconv::ConvTranspose2d::create(p, weights_of(name, c.at("bias"))).run(src)
               : tconv::Conv2d::create(p, weights_of(name, c.at("bias"))).run(src);
      REQUIRE(out.shape().c == y.shape[rank - 3]);
      REQUIRE(out.shape().h == y.shape[rank - 2]);
      REQUIRE(out.shape().w == y.shape[rank - 1]);
      actual.insert(actual.end(), out.span().begin(), out.span().end());
    }
    REQUIRE(actual.size() == y.values.size());
    for (std::size_t i = 0; i < actual.size(); ++i) {
      INFO("flat index " << i);
      REQUIRE(std::abs(actual[i] - y.values[i]) <= 1e-5f * (1.0f + std::abs(y.values[i])));
    }
  }
  REQUIRE(transposed >= 40);
}

// Model files written by PyTorch code (generate_model_golden.py) give
// torch's forward output: every op of the layer list against an oracle
// that shares no code with the library.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "tconv/io/npy.hpp"
#include "tconv/model/model.hpp"

TEST_CASE("model files from PyTorch match torch's forward", "[golden][model]") {
  const std::string name =
      GENERATE("model_rgb_x2", "model_gray_x3", "model_y_x2", "model_pad_gray_x2");
  INFO("case " << name);
  const std::string base = std::string(TCONV_GOLDEN_DIR) + "/" + name;
  const tconv::Model model = tconv::Model::load(base + ".safetensors");
  const tconv::NpyArray x = tconv::read_npy(base + "_x.npy");
  const tconv::NpyArray y = tconv::read_npy(base + "_y.npy");
  REQUIRE(x.shape.size() == 3);
  const tconv::Shape3 in{static_cast<int>(x.shape[0]), static_cast<int>(x.shape[1]),
                         static_cast<int>(x.shape[2])};
  const tconv::Tensor out = model.run_network({x.values.data(), in});
  REQUIRE(out.shape() == tconv::Shape3{static_cast<int>(y.shape[0]), static_cast<int>(y.shape[1]),
                                       static_cast<int>(y.shape[2])});
  float worst = 0;
  std::size_t at = 0;
  float spread = 0;
  for (std::size_t i = 0; i < y.values.size(); ++i) {
    const float d = std::abs(out.span()[i] - y.values[i]);
    if (d > worst) {
      worst = d;
      at = i;
    }
    spread = std::max(spread, std::abs(y.values[i] - y.values[0]));
  }
  INFO("worst index " << at << ": torch " << y.values[at] << ", ours " << out.span()[at]);
  REQUIRE(worst <= 1e-5f);
  REQUIRE(spread > 0.05f);  // the output is not a constant the test could match by accident
}

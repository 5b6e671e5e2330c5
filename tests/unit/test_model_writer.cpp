// The model writer: encode_model() -> parse -> Model gives back the layers
// and metadata written, and the layer list is exactly the format's JSON.
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "tconv/core/error.hpp"
#include "tconv/io/safetensors.hpp"
#include "tconv/model/model.hpp"

namespace {

using tconv::ModelFileLayer;
using tconv::NamedTensor;

NamedTensor random_tensor(const std::string& name, std::vector<std::int64_t> shape, unsigned seed) {
  std::int64_t n = 1;
  for (const auto d : shape) n *= d;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = u(rng);
  return {name, std::move(shape), std::move(v)};
}

ModelFileLayer conv(const std::string& op, const std::string& weight, const std::string& bias) {
  ModelFileLayer l;
  l.op = op;
  l.weight = weight;
  l.bias = bias;
  return l;
}

ModelFileLayer simple(const std::string& op) {
  ModelFileLayer l;
  l.op = op;
  return l;
}

// A gray x2 network using every op and every kind of setting the format has.
tconv::ModelFileSpec every_op_spec() {
  tconv::ModelFileSpec spec;
  spec.scale = 2;
  spec.color = tconv::ModelColor::kGray;
  spec.residual = tconv::ModelResidual::kBilinear;
  spec.metadata = {{"source", "test_model_writer.cpp"}, {"tconv.train", "hand-made"}};
  spec.tensors = {random_tensor("c1.weight", {4, 1, 3, 3}, 1), random_tensor("c1.bias", {4}, 2),
                  random_tensor("act.weight", {4}, 3), random_tensor("c2.weight", {4, 2, 3, 3}, 4),
                  random_tensor("c3.weight", {4, 4, 2, 2}, 5), random_tensor("t.weight", {1, 1, 3, 3}, 6),
                  random_tensor("t.bias", {1}, 7)};
  ModelFileLayer c1 = conv("conv2d", "c1.weight", "c1.bias");
  c1.params.auto_pad = tconv::AutoPad::kSameUpper;
  ModelFileLayer act = simple("prelu");
  act.weight = "act.weight";
  ModelFileLayer c2 = conv("conv2d", "c2.weight", "");
  c2.params.groups = 2;
  c2.params.dilation = {2, 1};
  c2.params.pad_begin = c2.params.pad_end = {2, 1};
  ModelFileLayer leaky = simple("leaky_relu");
  leaky.value = 0.25;
  ModelFileLayer pad = simple("pad");
  pad.pad_begin = {1, 1};
  pad.pad_end = {0, 0};
  pad.mode = "replicate";
  ModelFileLayer c3 = conv("conv2d", "c3.weight", "");
  ModelFileLayer shuffle = simple("pixel_shuffle");
  shuffle.factor = 2;
  ModelFileLayer clamp = simple("clamp");
  clamp.min = -0.5;
  ModelFileLayer t = conv("conv_transpose2d", "t.weight", "t.bias");
  t.params.stride = {2, 2};
  t.params.pad_begin = {2, 1};
  t.params.pad_end = {1, 2};
  t.params.output_padding = {1, 1};
  ModelFileLayer c4 = conv("conv2d", "t.weight", "t.bias");
  c4.params.stride = {2, 2};
  c4.params.padding(1);
  ModelFileLayer zero_pad = simple("pad");
  zero_pad.pad_begin = zero_pad.pad_end = {0, 0};
  zero_pad.value = 0.5;
  spec.layers = {c1, act, c2, leaky, pad, c3, shuffle, clamp, simple("relu"), t, c4,
                 simple("tanh"), zero_pad, simple("sigmoid")};
  return spec;
}

}  // namespace

TEST_CASE("encode_model writes the format's layer list", "[model]") {
  const tconv::ModelFileSpec spec = every_op_spec();
  const std::vector<unsigned char> bytes = tconv::encode_model(spec);
  const tconv::SafetensorsFile file = tconv::parse_safetensors(bytes, "written");
  CHECK(file.metadata.at("tconv.format") == "1");
  CHECK(file.metadata.at("tconv.scale") == "2");
  CHECK(file.metadata.at("tconv.color") == "gray");
  CHECK(file.metadata.at("tconv.residual") == "bilinear");
  CHECK(file.metadata.at("source") == "test_model_writer.cpp");
  CHECK(file.metadata.at("tconv.train") == "hand-made");
  CHECK(file.metadata.size() == 7);
  CHECK(file.metadata.at("tconv.layers") ==
        R"([{"bias":"c1.bias","op":"conv2d","padding":"same","stride":1,"weight":"c1.weight"},)"
        R"({"op":"prelu","weight":"act.weight"},)"
        R"({"dilation":[2,1],"groups":2,"op":"conv2d","padding":[2,1],"stride":1,"weight":"c2.weight"},)"
        R"({"op":"leaky_relu","slope":0.25},)"
        R"({"mode":"replicate","op":"pad","padding":[1,1,0,0]},)"
        R"({"op":"conv2d","padding":0,"stride":1,"weight":"c3.weight"},)"
        R"({"factor":2,"op":"pixel_shuffle"},)"
        R"({"min":-0.5,"op":"clamp"},)"
        R"({"op":"relu"},)"
        R"({"bias":"t.bias","op":"conv_transpose2d","output_padding":1,"padding":[2,1,1,2],"stride":2,"weight":"t.weight"},)"
        R"({"bias":"t.bias","op":"conv2d","padding":1,"stride":2,"weight":"t.weight"},)"
        R"({"op":"tanh"},)"
        R"({"op":"pad","padding":0,"value":0.5},)"
        R"({"op":"sigmoid"}])");
}

TEST_CASE("encode_model round trip: load gives back the layers and metadata", "[model]") {
  const tconv::ModelFileSpec spec = every_op_spec();
  const std::vector<unsigned char> bytes = tconv::encode_model(spec);
  const tconv::SafetensorsFile file = tconv::parse_safetensors(bytes, "written");
  const tconv::Model model = tconv::Model::from_safetensors(file, "written");
  CHECK(model.scale() == 2);
  CHECK(model.color() == tconv::ModelColor::kGray);
  CHECK(model.residual() == tconv::ModelResidual::kBilinear);
  CHECK(model.metadata() == file.metadata);
  // Every tensor comes back with its name, shape and values.
  REQUIRE(file.tensors.size() == spec.tensors.size());
  for (const NamedTensor& t : spec.tensors) {
    const NamedTensor* back = file.find(t.name);
    REQUIRE(back != nullptr);
    CHECK(back->shape == t.shape);
    CHECK(back->values == t.values);
  }
  const std::vector<std::string> lines = model.describe();
  REQUIRE(lines.size() == spec.layers.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    INFO("layer " << i << ": " << lines[i]);
    CHECK(lines[i].rfind(std::to_string(i) + " " + spec.layers[i].op + " ", 0) == 0);
  }
  CHECK(lines[1].find("4 slope(s)") != std::string::npos);
  CHECK(lines[2].find("g2ic4oc4_kh3kw3_sh1sw1_ph2pw1_dh2dw1") != std::string::npos);
  CHECK(lines[4].find("replicate 1,1,0,0") != std::string::npos);
  CHECK(lines[6].find("factor 2") != std::string::npos);
  CHECK(lines[9].find("_pt2pl1pb1pr2") != std::string::npos);
  CHECK(lines[9].find("_oph1opw1") != std::string::npos);

  // Writing what was read gives the same bytes.
  CHECK(tconv::encode_safetensors(file) == bytes);
}

TEST_CASE("encode_model writes upsample layers and load reads them back", "[model][upsample]") {
  tconv::ModelFileSpec spec;
  spec.scale = 6;
  spec.color = tconv::ModelColor::kGray;
  ModelFileLayer nearest = simple("upsample");
  nearest.factor = 2;
  ModelFileLayer named_nearest = simple("upsample");
  named_nearest.factor = 1;
  named_nearest.mode = "nearest";
  ModelFileLayer bilinear = simple("upsample");
  bilinear.factor = 3;
  bilinear.mode = "bilinear";
  spec.layers = {nearest, named_nearest, bilinear};
  const std::vector<unsigned char> bytes = tconv::encode_model(spec);
  const tconv::SafetensorsFile file = tconv::parse_safetensors(bytes, "written");
  // nearest is the default and left out, as the other ops' defaults.
  CHECK(file.metadata.at("tconv.layers") ==
        R"([{"factor":2,"op":"upsample"},{"factor":1,"op":"upsample"},)"
        R"({"factor":3,"mode":"bilinear","op":"upsample"}])");
  const tconv::Model model = tconv::Model::from_safetensors(file, "written");
  CHECK(model.describe() == std::vector<std::string>{"0 upsample nearest factor 2 -> 1 ch",
                                                     "1 upsample nearest factor 1 -> 1 ch",
                                                     "2 upsample bilinear factor 3 -> 1 ch"});
  const tconv::Tensor x({1, 2, 3}, {1, 2, 3, 4, 5, 6});
  CHECK(model.run_network(x.view()).shape() == tconv::Shape3{1, 12, 18});
}

TEST_CASE("encode_model refuses what the format cannot say", "[model]") {
  tconv::ModelFileSpec spec = every_op_spec();
  SECTION("scale") {
    spec.scale = 0;
    CHECK_THROWS_AS(tconv::encode_model(spec), tconv::InvalidArgument);
  }
  SECTION("no layers") {
    spec.layers.clear();
    CHECK_THROWS_AS(tconv::encode_model(spec), tconv::InvalidArgument);
  }
  SECTION("unknown op") {
    spec.layers[0].op = "batch_norm";
    CHECK_THROWS_AS(tconv::encode_model(spec), tconv::InvalidArgument);
  }
  SECTION("conv_transpose2d auto_pad") {
    spec.layers[9].params.auto_pad = tconv::AutoPad::kSameUpper;
    CHECK_THROWS_AS(tconv::encode_model(spec), tconv::InvalidArgument);
  }
  SECTION("output_size") {
    spec.layers[9].params.output_size = tconv::Size2{8, 8};
    CHECK_THROWS_AS(tconv::encode_model(spec), tconv::InvalidArgument);
  }
  SECTION("a reserved metadata key") {
    spec.metadata["tconv.scale"] = "3";
    CHECK_THROWS_AS(tconv::encode_model(spec), tconv::InvalidArgument);
  }
}

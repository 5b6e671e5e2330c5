// Networks in row bands (lib/src/model/model_bands.cpp): bit-identical to
// the layers run whole one after the other, for every band height and 1, 2
// and 3 threads, on FSRCNN-shaped, pixel_shuffle, upsample (nearest and
// bilinear), strided, prelu and residual networks and ones whose bands need
// rows a convolution reads from padding alone or a conv_transpose2d computes
// ahead; networks with a pad
// layer take the whole-map path; the predicted peak stays bounded as the
// image grows.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "model/model_internal.hpp"
#include "model_spec.hpp"
#include "tconv/core/error.hpp"
#include "tconv_tester.hpp"

namespace {

using tconv::Shape3;
using tconv::Tensor;
using tconv::test::ModelSpec;

using tconv::test::random_values;

std::vector<float> weights(std::vector<std::int64_t> shape, std::uint32_t seed) {
  std::size_t n = 1;
  for (std::int64_t d : shape) n *= static_cast<std::size_t>(d);
  return random_values(n, seed, -0.5f, 0.5f);
}

tconv::detail::ModelData parse(const ModelSpec& spec) {
  tconv::detail::ModelData data;
  tconv::detail::parse_model(spec.file(), "m.safetensors", {}, data);
  return data;
}

// The layers' forward() one after the other on whole maps.
Tensor run_whole(const tconv::detail::ModelData& data, const Tensor& src) {
  Tensor x = src.clone();
  for (const tconv::detail::NetLayer& l : data.layers)
    x = tconv::detail::forward(l, std::move(x), 1);
  return x;
}

void require_identical(const Tensor& expected, const Tensor& got) {
  REQUIRE(expected.shape() == got.shape());
  const auto e = expected.span();
  const auto g = got.span();
  for (std::size_t i = 0; i < e.size(); ++i)
    if (std::memcmp(&e[i], &g[i], sizeof(float)) != 0) {
      INFO("first differing flat index " << i << ": expected " << e[i] << ", got " << g[i]);
      REQUIRE(false);
    }
}

// FSRCNN's shape (first 5x5 d, shrink 1x1 s, m 3x3 s, expand 1x1 d, prelu
// after each, conv_transpose2d 9x9 stride `scale`) with random weights.
ModelSpec fsrcnn(int d, int s, int m, int scale, const std::string& color = "y") {
  const int c = color == "rgb" ? 3 : 1;
  std::string layers = R"([{"op": "conv2d", "weight": "w0", "bias": "b0", "padding": 2},
                           {"op": "prelu", "weight": "a0"},
                           {"op": "conv2d", "weight": "w1", "bias": "b1"},
                           {"op": "prelu", "weight": "a1"})";
  ModelSpec spec(color, scale, "");
  spec.tensor("w0", {d, c, 5, 5}, weights({d, c, 5, 5}, 1))
      .tensor("b0", {d}, weights({d}, 2))
      .tensor("a0", {d}, weights({d}, 3))
      .tensor("w1", {s, d, 1, 1}, weights({s, d, 1, 1}, 4))
      .tensor("b1", {s}, weights({s}, 5))
      .tensor("a1", {s}, weights({s}, 6));
  for (int i = 0; i < m; ++i) {
    const std::string n = std::to_string(i + 2);
    layers += R"(, {"op": "conv2d", "weight": "w)" + n + R"(", "bias": "b)" + n +
              R"(", "padding": 1}, {"op": "prelu", "weight": "a)" + n + R"("})";
    spec.tensor("w" + n, {s, s, 3, 3}, weights({s, s, 3, 3}, 10 + i))
        .tensor("b" + n, {s}, weights({s}, 20 + i))
        .tensor("a" + n, {1}, weights({1}, 30 + i));
  }
  layers += R"(, {"op": "conv2d", "weight": "we", "bias": "be"}, {"op": "prelu", "weight": "ae"},
               {"op": "conv_transpose2d", "weight": "wt", "bias": "bt", "stride": )" +
            std::to_string(scale) + R"(, "padding": 4, "output_padding": )" +
            std::to_string(scale - 1) + "}]";
  spec.tensor("we", {d, s, 1, 1}, weights({d, s, 1, 1}, 40))
      .tensor("be", {d}, weights({d}, 41))
      .tensor("ae", {d}, weights({d}, 42))
      .tensor("wt", {d, c, 9, 9}, weights({d, c, 9, 9}, 43))
      .tensor("bt", {c}, weights({c}, 44));
  spec.meta["tconv.layers"] = layers;
  return spec;
}

struct Net {
  const char* name;
  ModelSpec spec;
};

std::vector<Net> networks() {
  std::vector<Net> nets;
  nets.push_back({"fsrcnn d16 s8 m2 x2", fsrcnn(16, 8, 2, 2)});
  nets.push_back({"fsrcnn d10 s4 m1 x3 rgb", fsrcnn(10, 4, 1, 3, "rgb")});
  // ESPCN: convolutions, tanh, pixel_shuffle last.
  nets.push_back({"espcn x2", ModelSpec("gray", 2, R"([
      {"op": "conv2d", "weight": "w0", "bias": "b0", "padding": 2}, {"op": "tanh"},
      {"op": "conv2d", "weight": "w1", "bias": "b1", "padding": 1}, {"op": "sigmoid"},
      {"op": "conv2d", "weight": "w2", "padding": 1}, {"op": "pixel_shuffle", "factor": 2}])")
                                  .tensor("w0", {8, 1, 5, 5}, weights({8, 1, 5, 5}, 1))
                                  .tensor("b0", {8}, weights({8}, 2))
                                  .tensor("w1", {6, 8, 3, 3}, weights({6, 8, 3, 3}, 3))
                                  .tensor("b1", {6}, weights({6}, 4))
                                  .tensor("w2", {4, 6, 3, 3}, weights({4, 6, 3, 3}, 5))});
  // pixel_shuffle then a 3x3 convolution: rows of the shuffle's input halo.
  nets.push_back(
      {"pixel_shuffle then conv x3", ModelSpec("gray", 3, R"([
      {"op": "conv2d", "weight": "w0", "padding": 1}, {"op": "leaky_relu", "slope": 0.2},
      {"op": "pixel_shuffle", "factor": 3}, {"op": "conv2d", "weight": "w1", "padding": 1},
      {"op": "clamp", "min": -0.5, "max": 0.5}])")
                                         .tensor("w0", {18, 1, 3, 3}, weights({18, 1, 3, 3}, 6))
                                         .tensor("w1", {1, 2, 3, 3}, weights({1, 2, 3, 3}, 7))});
  // A conv_transpose2d (stride 2) then a 3x3 convolution: the tconv computes
  // rows ahead of what the next band needs, the convolution reads a window.
  nets.push_back({"tconv then conv x2", ModelSpec("gray", 2, R"([
      {"op": "conv_transpose2d", "weight": "w0", "bias": "b0", "stride": 2, "padding": 1},
      {"op": "relu"}, {"op": "conv2d", "weight": "w1", "bias": "b1", "padding": 1}])")
                                            .tensor("w0", {1, 3, 4, 4}, weights({1, 3, 4, 4}, 8))
                                            .tensor("b0", {3}, weights({3}, 9))
                                            .tensor("w1", {1, 3, 3, 3}, weights({1, 3, 3, 3}, 10))
                                            .tensor("b1", {1}, weights({1}, 11))});
  // Strided down then up: a stride-2 convolution skips rows, a stride-4
  // conv_transpose2d (kernel 3 < stride: output rows that receive nothing).
  nets.push_back({"down x2 then up x4", ModelSpec("gray", 2, R"([
      {"op": "conv2d", "weight": "w0", "bias": "b0", "stride": 2, "padding": 1},
      {"op": "prelu", "weight": "a0"},
      {"op": "conv_transpose2d", "weight": "w1", "bias": "b1", "stride": 4, "output_padding": 1}])")
                                            .tensor("w0", {4, 1, 3, 3}, weights({4, 1, 3, 3}, 12))
                                            .tensor("b0", {4}, weights({4}, 13))
                                            .tensor("a0", {4}, weights({4}, 14))
                                            .tensor("w1", {4, 1, 3, 3}, weights({4, 1, 3, 3}, 15))
                                            .tensor("b1", {1}, weights({1}, 16))});
  // Padding beyond the kernel: bands of rows that read padding alone, then
  // a dilated grouped convolution.
  nets.push_back({"wide padding, dilation, groups x1",
                  ModelSpec("gray", 1, R"([
      {"op": "conv2d", "weight": "w0", "bias": "b0", "padding": 4},
      {"op": "conv2d", "weight": "w1", "bias": "b1", "dilation": 2, "groups": 2},
      {"op": "conv2d", "weight": "w2", "padding": [2, 1, 0, 1]}])")
                      .tensor("w0", {4, 1, 3, 3}, weights({4, 1, 3, 3}, 17))
                      .tensor("b0", {4}, weights({4}, 18))
                      .tensor("w1", {2, 2, 3, 3}, weights({2, 2, 3, 3}, 19))
                      .tensor("b1", {2}, weights({2}, 20))
                      .tensor("w2", {1, 2, 5, 5}, weights({1, 2, 5, 5}, 21))});
  // upsample (bilinear) first, then a 3x3 convolution: each output row of
  // the upsample reads two input rows, clamped at both edges.
  ModelSpec bilinear("gray", 2, R"([{"op": "upsample", "factor": 2, "mode": "bilinear"},
      {"op": "conv2d", "weight": "w0", "bias": "b0", "padding": 1}, {"op": "relu"}])");
  bilinear.tensor("w0", {1, 1, 3, 3}, weights({1, 1, 3, 3}, 22))
      .tensor("b0", {1}, weights({1}, 23));
  nets.push_back({"upsample bilinear x2 then conv", bilinear});
  // Convolutions around a nearest x3 upsample, and a bilinear x4 one after
  // a stride-2 convolution (bands whose rows share input rows).
  ModelSpec nearest("rgb", 3, R"([{"op": "conv2d", "weight": "w0", "padding": 1},
      {"op": "prelu", "weight": "a0"}, {"op": "upsample", "factor": 3},
      {"op": "conv2d", "weight": "w1", "padding": 1}])");
  nearest.tensor("w0", {4, 3, 3, 3}, weights({4, 3, 3, 3}, 24))
      .tensor("a0", {4}, weights({4}, 25))
      .tensor("w1", {3, 4, 3, 3}, weights({3, 4, 3, 3}, 26));
  nets.push_back({"conv, upsample nearest x3, conv x3", nearest});
  ModelSpec strided("gray", 2, R"([{"op": "conv2d", "weight": "w0", "stride": 2, "padding": 1},
      {"op": "tanh"}, {"op": "upsample", "factor": 4, "mode": "bilinear"}, {"op": "sigmoid"},
      {"op": "conv2d", "weight": "w1", "padding": [2, 1, 0, 1]}])");
  strided.tensor("w0", {2, 1, 3, 3}, weights({2, 1, 3, 3}, 27))
      .tensor("w1", {1, 2, 3, 3}, weights({1, 2, 3, 3}, 28));
  nets.push_back({"down x2, upsample bilinear x4, conv x2", strided});
  return nets;
}

}  // namespace

TEST_CASE("model bands: every band height and thread count gives the whole run's bits",
          "[model][bands]") {
  for (const Net& net : networks()) {
    const tconv::detail::ModelData data = parse(net.spec);
    REQUIRE(tconv::detail::bandable(data.layers));
    const int c = data.color == tconv::ModelColor::kRgb ? 3 : 1;
    for (const Shape3 in : {Shape3{c, 9, 7}, Shape3{c, 1, 5}, Shape3{c, 6, 1}, Shape3{c, 16, 3}}) {
      INFO(net.name << ", input " << tconv::to_string(in));
      const Tensor src(in, random_values(static_cast<std::size_t>(in.elements()), 99, 0, 1));
      const Tensor expected = run_whole(data, src);
      const int out_h = expected.shape().h;
      for (int band = 1; band <= out_h; ++band) {
        const int threads = 1 + band % 3;
        INFO("band rows " << band << ", threads " << threads);
        Tensor got(expected.shape());
        tconv::detail::run_banded(data.layers, src.view(), got.view(), false, threads, band);
        require_identical(expected, got);
      }
    }
  }
}

TEST_CASE("model bands: run_network, its dst form and the residual equal the whole run",
          "[model][bands]") {
  const std::string residual = GENERATE("none", "bicubic", "bilinear");
  ModelSpec spec = fsrcnn(12, 6, 2, 2);
  spec.residual(residual);
  const tconv::Model model = spec.load();
  const tconv::detail::ModelData data = parse(spec);
  const Tensor src({1, 23, 17}, random_values(23 * 17, 5, 0, 1));
  Tensor expected = run_whole(data, src);
  if (data.residual_op) {
    Tensor up(expected.shape());
    data.residual_op->run(src.view(), up.view(), 1);
    for (std::size_t i = 0; i < up.span().size(); ++i) expected.span()[i] += up.span()[i];
  }
  for (int threads : {1, 2, 3}) {
    INFO("residual " << residual << ", threads " << threads);
    require_identical(expected, model.run_network(src.view(), threads));
    Tensor into(expected.shape());
    model.run_network(src.view(), into.view(), threads);
    require_identical(expected, into);
    // The same in bands (a small image runs whole: its maps need less).
    for (int band : {2, 6, 46}) {
      INFO("band rows " << band);
      Tensor banded(expected.shape());
      tconv::detail::run_network_into(data, src.view(), banded.view(), threads, true, band);
      require_identical(expected, banded);
    }
  }
  Tensor wrong({1, 46, 35});
  REQUIRE_THROWS_AS(model.run_network(src.view(), wrong.view()), tconv::ShapeMismatch);
  Tensor overlapping({1, 46, 34});
  REQUIRE_THROWS_AS(model.run_network({overlapping.data(), {1, 23, 17}}, overlapping.view()),
                    tconv::InvalidArgument);
}

TEST_CASE("model bands: networks with a pad layer run whole", "[model][bands]") {
  const std::string mode = GENERATE("constant", "reflect", "replicate", "circular");
  ModelSpec s("gray", 1, R"([{"op": "pad", "padding": 1, "mode": ")" + mode + R"("},
      {"op": "conv2d", "weight": "w"}, {"op": "prelu", "weight": "a"}])");
  s.tensor("w", {1, 1, 3, 3}, weights({1, 1, 3, 3}, 1)).tensor("a", {1}, {0.25f});
  const tconv::detail::ModelData data = parse(s);
  REQUIRE_FALSE(tconv::detail::bandable(data.layers));
  const Tensor src({1, 8, 5}, random_values(40, 2, 0, 1));
  require_identical(run_whole(data, src), s.load().run_network(src.view(), 2));
}

TEST_CASE("model bands: the peak stays bounded as the image grows", "[model][bands]") {
  // FSRCNN x2's shape (d 56, s 12, m 4); nothing runs.
  const tconv::Model model = fsrcnn(56, 12, 4, 2).load();
  auto beside_output = [&](int h, int w) {
    const std::int64_t out = std::int64_t{2 * h} * (2 * w) * 4;
    return model.network_peak_bytes({1, h, w}) - out;
  };
  const std::int64_t map_1080p = std::int64_t{56} * 1080 * 1920 * 4;  // one whole feature map
  const std::int64_t at_1080p = beside_output(1080, 1920);
  INFO("1080p: " << at_1080p << " bytes besides the output");
  CHECK(at_1080p < map_1080p / 8);
  CHECK(at_1080p < (std::int64_t{64} << 20));
  // Taller images add nothing; wider ones grow with the row width only.
  CHECK(beside_output(4320, 1920) <= at_1080p + (std::int64_t{1} << 20));
  const std::int64_t at_100mp = beside_output(10000, 10000);
  INFO("100 MP: " << at_100mp << " bytes besides the output");
  CHECK(at_100mp < (std::int64_t{128} << 20));
  // A whole 1080p RGB image through the y colour path: the output and the
  // colour planes, then the bands.
  const std::int64_t image = model.planned_peak_bytes({3, 1080, 1920});
  INFO("1080p RGB image: " << image);
  CHECK(image < (std::int64_t{200} << 20));
}

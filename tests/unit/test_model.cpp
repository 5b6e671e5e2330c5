// Model files: small networks against the planned ops applied by hand and
// hand-computed cases, the colour handling, one refusal per validation rule
// (type and message), and the shared FSRCNN files (skipped loudly without
// ../shared).
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <random>
#include <tuple>

#include "model_spec.hpp"
#include "tconv_tester.hpp"
#include "tconv/core/conv2d.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/error.hpp"
#include "tconv/model/model.hpp"
#include "tconv/resample/border.hpp"
#include "tconv/resample/factories.hpp"

namespace {

using tconv::NamedTensor;
using tconv::test::ModelSpec;

using tconv::test::random_values;

tconv::Tensor random_tensor(tconv::Shape3 s, std::uint32_t seed) {
  return tconv::Tensor(s, random_values(static_cast<std::size_t>(s.elements()), seed, 0, 1));
}

float max_abs_diff(const tconv::Tensor& a, const tconv::Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  float worst = 0;
  for (std::size_t i = 0; i < a.span().size(); ++i)
    worst = std::max(worst, std::abs(a.span()[i] - b.span()[i]));
  return worst;
}

void require_refused(const ModelSpec& spec, const std::string& message) {
  INFO("expected: " << message);
  REQUIRE_THROWS_AS(spec.load(), tconv::FormatError);
  REQUIRE_THROWS_WITH(spec.load(), Catch::StartsWith("model m.safetensors: ") &&
                                       Catch::Contains(message));
}

// A gray x2 model of one conv_transpose2d 1->1 k4 s2 p1.
ModelSpec one_layer() {
  return ModelSpec("gray", 2,
                   R"([{"op": "conv_transpose2d", "weight": "up.weight", "bias": "up.bias",
                        "stride": 2, "padding": 1}])")
      .tensor("up.weight", {1, 1, 4, 4}, random_values(16, 7))
      .tensor("up.bias", {1}, {0.125f});
}

}  // namespace

TEST_CASE("model: one conv_transpose2d layer equals the op with the same weights", "[model]") {
  const ModelSpec spec = one_layer();
  const tconv::Model m = spec.load();
  REQUIRE(m.scale() == 2);
  REQUIRE(m.channels() == 1);
  REQUIRE(m.color() == tconv::ModelColor::kGray);
  const tconv::Tensor x = random_tensor({1, 9, 7}, 1);
  tconv::ConvParams p;
  p.in_channels = p.out_channels = 1;
  p.kernel = {4, 4};
  p.stride = {2, 2};
  p.padding(1);
  tconv::Weights w{{1, 1, 4, 4}, spec.tensors[0].values, {0.125f}};
  const tconv::Tensor want = tconv::conv_transpose2d(x.view(), p, std::move(w));
  const tconv::Tensor got = m.run_network(x.view());
  REQUIRE(got.shape() == tconv::Shape3{1, 18, 14});
  REQUIRE(max_abs_diff(got, want) == 0.0f);
  // upsample() of a gray image with a gray model is the same network.
  REQUIRE(max_abs_diff(m.upsample(x.view()), want) == 0.0f);
}

TEST_CASE("model: two layers equal the two ops applied by hand", "[model]") {
  const auto w1 = random_values(4 * 3 * 3 * 3, 11);
  const auto b1 = random_values(4, 12);
  const auto w2 = random_values(4 * 3 * 3 * 3, 13);
  const tconv::Model m =
      ModelSpec("rgb", 2,
                R"([{"op": "conv2d", "weight": "a.w", "bias": "a.b", "padding": [1, 1]},
                    {"op": "conv_transpose2d", "weight": "b.w", "stride": [2, 2],
                     "padding": [1, 1, 1, 1], "output_padding": 1}])")
          .tensor("a.w", {4, 3, 3, 3}, w1)
          .tensor("a.b", {4}, b1)
          .tensor("b.w", {4, 3, 3, 3}, w2)
          .load();
  const tconv::Tensor x = random_tensor({3, 8, 11}, 2);
  tconv::ConvParams p1;
  p1.in_channels = 3;
  p1.out_channels = 4;
  p1.kernel = {3, 3};
  p1.padding(1);
  tconv::ConvParams p2;
  p2.in_channels = 4;
  p2.out_channels = 3;
  p2.kernel = {3, 3};
  p2.stride = {2, 2};
  p2.padding(1);
  p2.output_padding = {1, 1};
  const tconv::Tensor h = tconv::conv2d(x.view(), p1, {{4, 3, 3, 3}, w1, b1});
  const tconv::Tensor want = tconv::conv_transpose2d(h.view(), p2, {{4, 3, 3, 3}, w2, {}});
  REQUIRE(max_abs_diff(m.run_network(x.view()), want) == 0.0f);
  REQUIRE(m.describe().size() == 2);
  REQUIRE(m.macs_per_pixel() == Approx(4 * 3 * 9 + 4 * 3 * 9));
}

TEST_CASE("model: pixel_shuffle matches a hand-computed case", "[model]") {
  // conv2d 1 -> 4 (1x1, weights 1..4) makes channel k = (k + 1) x; pixel
  // shuffle 2: out[2y + i][2x + j] = channel (2i + j) at (y, x).
  const tconv::Model m = ModelSpec("gray", 2,
                                   R"([{"op": "conv2d", "weight": "w"},
                                       {"op": "pixel_shuffle", "factor": 2}])")
                             .tensor("w", {4, 1, 1, 1}, {1, 2, 3, 4})
                             .load();
  const tconv::Tensor x({1, 1, 2}, {1.0f, 10.0f});
  const tconv::Tensor y = m.run_network(x.view());
  REQUIRE(y.shape() == tconv::Shape3{1, 2, 4});
  REQUIRE(std::vector<float>(y.span().begin(), y.span().end()) ==
          std::vector<float>{1, 2, 10, 20, 3, 4, 30, 40});
}

TEST_CASE("model: upsample matches hand-computed nearest and bilinear cases",
          "[model][upsample]") {
  const tconv::Tensor x({1, 1, 2}, {0.0f, 4.0f});
  auto run = [&](const std::string& layer, int f) {
    const tconv::Model m = ModelSpec("gray", f, "[" + layer + "]").load();
    REQUIRE(m.macs_per_pixel() == 0);
    const tconv::Tensor y = m.run_network(x.view());
    REQUIRE(y.shape() == tconv::Shape3{1, f, 2 * f});
    return std::vector<float>(y.span().begin(), y.span().end());
  };
  // nearest (the default mode): out[oy][ox] = in[oy / 3][ox / 3].
  REQUIRE(run(R"({"op": "upsample", "factor": 3})", 3) ==
          std::vector<float>{0, 0, 0, 4, 4, 4, 0, 0, 0, 4, 4, 4, 0, 0, 0, 4, 4, 4});
  // bilinear, align_corners=False: source x = (ox + 0.5) / 2 - 0.5 = 0, 0.25,
  // 0.75, 1.25 -> 0, 1, 3 and 4 (the last tap clamped to the edge); the one
  // row reads itself twice.
  REQUIRE(run(R"({"op": "upsample", "factor": 2, "mode": "bilinear"})", 2) ==
          std::vector<float>{0, 1, 3, 4, 0, 1, 3, 4});
  REQUIRE(run(R"({"op": "upsample", "factor": 1, "mode": "bilinear"})", 1) ==
          std::vector<float>{0, 4});
}

TEST_CASE("model: upsample(bilinear, 2) then conv2d runs through run_network",
          "[model][upsample]") {
  // The network: torch.nn.Upsample(scale_factor=2, mode="bilinear") then a
  // 3x3 conv2d with padding 1, a relu and a 1x1 conv2d back to RGB, checked
  // against the conv2d op on a double-precision bilinear upsample by hand
  // (row bands: test_model_bands.cpp).
  const auto w = random_values(2 * 3 * 3 * 3, 41);
  const tconv::Model m = ModelSpec("rgb", 2, R"([
                                       {"op": "upsample", "factor": 2, "mode": "bilinear"},
                                       {"op": "conv2d", "weight": "w", "padding": 1},
                                       {"op": "relu"}, {"op": "conv2d", "weight": "v"}])")
                             .tensor("w", {2, 3, 3, 3}, w)
                             .tensor("v", {3, 2, 1, 1}, {1, 0, 0, 1, 1, 1})
                             .load();
  REQUIRE(m.describe().at(0) == "0 upsample bilinear factor 2 -> 3 ch");
  const tconv::Tensor x = random_tensor({3, 9, 7}, 12);
  const tconv::Tensor y = m.run_network(x.view(), 2);
  REQUIRE(y.shape() == tconv::Shape3{3, 18, 14});
  // The bilinear upsample by hand (align_corners=False, taps clamped at the
  // edges), then the two convolutions.
  tconv::Tensor up({3, 18, 14});
  auto tap = [](int o, int n) {
    const double src = std::max(0.0, (o + 0.5) / 2 - 0.5);
    const int i0 = static_cast<int>(src);
    return std::tuple{i0, std::min(i0 + 1, n - 1), src - i0};
  };
  for (int c = 0; c < 3; ++c)
    for (int oy = 0; oy < 18; ++oy)
      for (int ox = 0; ox < 14; ++ox) {
        const auto [y0, y1, wy] = tap(oy, 9);
        const auto [x0, x1, wx] = tap(ox, 7);
        auto at = [&](int yy, int xx) { return double(x.view().row(c, yy)[xx]); };
        up.view().row(c, oy)[ox] = static_cast<float>(
            (1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x1)) +
            wy * ((1 - wx) * at(y1, x0) + wx * at(y1, x1)));
      }
  tconv::ConvParams p;
  p.in_channels = 3;
  p.out_channels = 2;
  p.kernel = {3, 3};
  p.padding(1);
  tconv::Tensor h = tconv::conv2d(up.view(), p, {{2, 3, 3, 3}, w, {}});
  for (float& v : h.span()) v = std::max(v, 0.0f);
  tconv::ConvParams q;
  q.in_channels = 2;
  q.out_channels = 3;
  q.kernel = {1, 1};
  const tconv::Tensor want = tconv::conv2d(h.view(), q, {{3, 2, 1, 1}, {1, 0, 0, 1, 1, 1}, {}});
  REQUIRE(max_abs_diff(y, want) < 1e-5f);
}

TEST_CASE("model: pad matches torch.nn.functional.pad in every mode", "[model]") {
  // x = 1..12 as 3 x 4; padding [top 2, left 1, bottom 1, right 3], i.e.
  // F.pad(x, (1, 3, 2, 1), mode) in PyTorch's (left, right, top, bottom)
  // order. The expected 6 x 8 arrays were printed by PyTorch 2 (value 0.5
  // for constant). The network is pad then a 4 x 5 valid conv2d back to
  // 3 x 4, checked against the conv2d op on PyTorch's padded array.
  struct Case {
    const char* mode;
    std::vector<float> padded;
  };
  const Case cases[] = {
      {"constant", {.5f, .5f, .5f, .5f, .5f, .5f, .5f, .5f, .5f, .5f, .5f, .5f, .5f, .5f, .5f, .5f,
                    .5f, 1,   2,   3,   4,   .5f, .5f, .5f, .5f, 5,   6,   7,   8,   .5f, .5f, .5f,
                    .5f, 9,   10,  11,  12,  .5f, .5f, .5f, .5f, .5f, .5f, .5f, .5f, .5f, .5f, .5f}},
      {"reflect", {10, 9, 10, 11, 12, 11, 10, 9, 6, 5, 6, 7, 8, 7, 6, 5, 2, 1, 2, 3, 4, 3, 2, 1,
                   6, 5, 6, 7, 8, 7, 6, 5, 10, 9, 10, 11, 12, 11, 10, 9, 6, 5, 6, 7, 8, 7, 6, 5}},
      {"replicate", {1, 1, 2, 3, 4, 4, 4, 4, 1, 1, 2, 3, 4, 4, 4, 4, 1, 1, 2, 3, 4, 4, 4, 4,
                     5, 5, 6, 7, 8, 8, 8, 8, 9, 9, 10, 11, 12, 12, 12, 12, 9, 9, 10, 11, 12, 12, 12, 12}},
      {"circular", {8, 5, 6, 7, 8, 5, 6, 7, 12, 9, 10, 11, 12, 9, 10, 11, 4, 1, 2, 3, 4, 1, 2, 3,
                    8, 5, 6, 7, 8, 5, 6, 7, 12, 9, 10, 11, 12, 9, 10, 11, 4, 1, 2, 3, 4, 1, 2, 3}},
  };
  const auto w = random_values(4 * 5, 31);
  tconv::ConvParams valid;
  valid.in_channels = valid.out_channels = 1;
  valid.kernel = {4, 5};
  std::vector<float> x(12);
  for (int i = 0; i < 12; ++i) x[i] = float(i + 1);
  for (const Case& c : cases) {
    INFO(c.mode);
    const std::string value = std::string(c.mode) == "constant" ? R"(, "value": 0.5)" : "";
    const tconv::Model m =
        ModelSpec("gray", 1,
                  std::string(R"([{"op": "pad", "padding": [2, 1, 1, 3], "mode": ")") + c.mode +
                      "\"" + value + R"(}, {"op": "conv2d", "weight": "w"}])")
            .tensor("w", {1, 1, 4, 5}, w)
            .load();
    const tconv::Tensor padded({1, 6, 8}, c.padded);
    const tconv::Tensor want = tconv::conv2d(padded.view(), valid, {{1, 1, 4, 5}, w, {}});
    REQUIRE(max_abs_diff(m.run_network(tconv::Tensor({1, 3, 4}, x).view()), want) == 0.0f);
  }
  // Reflect needs pads below the side (as PyTorch): a 2 x 2 input cannot
  // mirror 2 pixels, and the message says why.
  const tconv::Model r = ModelSpec("gray", 1,
                                   R"([{"op": "pad", "padding": 2, "mode": "reflect"},
                                       {"op": "conv2d", "weight": "w"}])")
                             .tensor("w", {1, 1, 5, 5}, random_values(25, 3))
                             .load();
  REQUIRE_THROWS_AS(r.run_network(random_tensor({1, 2, 2}, 1).view()), tconv::ShapeMismatch);
  REQUIRE_THROWS_WITH(r.run_network(random_tensor({1, 2, 2}, 1).view()),
                      Catch::Contains("reflect padding 2,2 (h, w) needs sides above it"));
  REQUIRE(r.run_network(random_tensor({1, 3, 3}, 1).view()).shape() == tconv::Shape3{1, 3, 3});
}

TEST_CASE("model: prelu and the other activations match hand-computed cases", "[model]") {
  // conv2d 1 -> 2 with weights (1, -1), per-channel PReLU (0.5, 0.25), then
  // a 1x1 conv summing the channels: x = 2 gives 2 + (-2 * 0.25) = 1.5;
  // x = -4 gives (-4 * 0.5) + 4 = 2.
  const std::string layers = R"([{"op": "conv2d", "weight": "a"}, {"op": "prelu", "weight": "s"},
                                 {"op": "conv2d", "weight": "b"}])";
  const tconv::Tensor x({1, 1, 2}, {2.0f, -4.0f});
  auto run = [&](const ModelSpec& spec) {
    const tconv::Tensor y = spec.load().run_network(x.view());
    return std::vector<float>(y.span().begin(), y.span().end());
  };
  REQUIRE(run(ModelSpec("gray", 1, layers)
                  .tensor("a", {2, 1, 1, 1}, {1, -1})
                  .tensor("s", {2}, {0.5f, 0.25f})
                  .tensor("b", {1, 2, 1, 1}, {1, 1})) == std::vector<float>{1.5f, 2.0f});
  // One shared slope 0.5: 2 + (-2 * 0.5) = 1; (-4 * 0.5) + 4 = 2.
  REQUIRE(run(ModelSpec("gray", 1, layers)
                  .tensor("a", {2, 1, 1, 1}, {1, -1})
                  .tensor("s", {1}, {0.5f})
                  .tensor("b", {1, 2, 1, 1}, {1, 1})) == std::vector<float>{1.0f, 2.0f});
  auto single = [&](const std::string& op) {
    return run(ModelSpec("gray", 1, R"([{"op": "conv2d", "weight": "a"}, )" + op + "]")
                   .tensor("a", {1, 1, 1, 1}, {1}));
  };
  REQUIRE(single(R"({"op": "relu"})") == std::vector<float>{2, 0});
  REQUIRE(single(R"({"op": "leaky_relu", "slope": 0.25})") == std::vector<float>{2, -1});
  REQUIRE(single(R"({"op": "leaky_relu"})") == std::vector<float>{2, -0.04f});
  REQUIRE(single(R"({"op": "clamp", "min": -1, "max": 1.5})") == std::vector<float>{1.5f, -1});
  REQUIRE(single(R"({"op": "clamp", "min": 0})") == std::vector<float>{2, 0});
  const auto t = single(R"({"op": "tanh"})");
  REQUIRE(t[0] == Approx(std::tanh(2.0)));
  const auto s = single(R"({"op": "sigmoid"})");
  REQUIRE(s[1] == Approx(1.0 / (1.0 + std::exp(4.0))));
}

TEST_CASE("model: the y colour path round-trips a gray image", "[model]") {
  // An identity network (1x1 conv, weight 1) at scale 1.
  const tconv::Model m =
      ModelSpec("y", 1, R"([{"op": "conv2d", "weight": "w"}])").tensor("w", {1, 1, 1, 1}, {1}).load();
  tconv::Tensor gray({1, 5, 7});
  for (int i = 0; i < 35; ++i) gray.span()[static_cast<std::size_t>(i)] = float(i * 7 % 256) / 255.0f;
  const tconv::Tensor out1 = m.upsample(gray.view());
  REQUIRE(out1.shape() == gray.shape());
  REQUIRE(max_abs_diff(out1, gray) < 1e-6f);
  // The same image as R = G = B: the colour path gives it back, still gray.
  tconv::Tensor rgb({3, 5, 7});
  for (int k = 0; k < 3; ++k)
    std::copy(gray.span().begin(), gray.span().end(), rgb.data() + k * 35);
  const tconv::Tensor out3 = m.upsample(rgb.view());
  REQUIRE(max_abs_diff(out3, rgb) < 1e-6f);
  // 8-bit values survive exactly.
  for (std::size_t i = 0; i < out3.span().size(); ++i)
    REQUIRE(std::lround(out3.span()[i] * 255.0f) == std::lround(rgb.span()[i] * 255.0f));
  // Y, Cb, Cr of gray: Y = 16/255 + 219/255 v, Cb = Cr = 128/255.
  const tconv::Tensor ycc = tconv::rgb_to_ycbcr(rgb.view());
  REQUIRE(ycc.at(0, 1, 1) == Approx(16.0 / 255 + 219.0 / 255 * gray.at(0, 1, 1)).margin(1e-6));
  REQUIRE(ycc.at(1, 2, 3) == Approx(128.0 / 255).margin(1e-6));
  REQUIRE(ycc.at(2, 4, 6) == Approx(128.0 / 255).margin(1e-6));
  // A colour image round-trips through rgb_to_ycbcr / ycbcr_to_rgb.
  const tconv::Tensor colour = random_tensor({3, 4, 5}, 9);
  REQUIRE(max_abs_diff(tconv::ycbcr_to_rgb(tconv::rgb_to_ycbcr(colour.view()).view()), colour) <
          1e-6f);
}

TEST_CASE("model: y colour upsamples Y with the network and Cb/Cr with bicubic", "[model]") {
  // A network that is bicubic itself: then the whole image is bicubic.
  const tconv::Layer bic = tconv::make_upsampler(tconv::Interpolation::kBicubic, {2, 2}, 1);
  const int k = bic.params.kernel.h;
  const int pad = bic.params.pad_begin.h;
  // Zero border inside the network, replicate for Cb/Cr: compare the interior.
  const tconv::Model m =
      ModelSpec("y", 2, R"([{"op": "conv_transpose2d", "weight": "w", "stride": 2, "padding": )" +
                            std::to_string(pad) + "}]")
          .tensor("w", {1, 1, k, k}, bic.weights.values)
          .load();
  const tconv::Tensor rgb = random_tensor({3, 12, 10}, 5);
  const tconv::Tensor got = m.upsample(rgb.view());
  const tconv::Layer bic3 = tconv::make_upsampler(tconv::Interpolation::kBicubic, {2, 2}, 3);
  const tconv::ConvTranspose2d op = tconv::ConvTranspose2d::create(bic3.params, bic3.weights);
  const tconv::Tensor want = tconv::run_with_border(op, rgb.view(), tconv::Border::kReplicate);
  REQUIRE(got.shape() == want.shape());
  float worst = 0;
  for (int c = 0; c < 3; ++c)
    for (int y = 4; y < 20; ++y)
      for (int x = 4; x < 16; ++x) worst = std::max(worst, std::abs(got.at(c, y, x) - want.at(c, y, x)));
  REQUIRE(worst < 1e-5f);
}

TEST_CASE("model: residual adds the interpolated input", "[model]") {
  for (const std::string kind : {"bicubic", "bilinear"}) {
    ModelSpec spec = one_layer();
    spec.meta["tconv.residual"] = kind;
    const tconv::Model m = spec.load();
    const tconv::Model plain = one_layer().load();
    const tconv::Tensor x = random_tensor({1, 6, 5}, 3);
    const tconv::Layer l = tconv::make_upsampler(*tconv::parse_interpolation(kind), {2, 2}, 1);
    const tconv::ConvTranspose2d op = tconv::ConvTranspose2d::create(l.params, l.weights);
    const tconv::Tensor up = tconv::run_with_border(op, x.view(), tconv::Border::kReplicate);
    tconv::Tensor want = plain.run_network(x.view());
    for (std::size_t i = 0; i < want.span().size(); ++i) want.span()[i] += up.span()[i];
    REQUIRE(max_abs_diff(m.run_network(x.view()), want) < 1e-6f);
  }
}

TEST_CASE("model: rgb and gray colour modes and alpha", "[model]") {
  // rgb: a network that swaps R and B (1x1 conv) at scale 1.
  const tconv::Model swap = ModelSpec("rgb", 1, R"([{"op": "conv2d", "weight": "w"}])")
                                .tensor("w", {3, 3, 1, 1}, {0, 0, 1, 0, 1, 0, 1, 0, 0})
                                .load();
  const tconv::Tensor rgba = random_tensor({4, 3, 4}, 4);
  const tconv::Tensor out = swap.upsample(rgba.view());
  REQUIRE(out.shape() == rgba.shape());
  REQUIRE(out.at(0, 1, 2) == rgba.at(2, 1, 2));
  REQUIRE(out.at(2, 2, 3) == rgba.at(0, 2, 3));
  REQUIRE(out.at(3, 0, 1) == Approx(rgba.at(3, 0, 1)).margin(1e-6));  // alpha at scale 1
  // A gray image through an rgb model: the luma of the result.
  const tconv::Tensor g = random_tensor({1, 3, 4}, 6);
  REQUIRE(swap.upsample(g.view()).at(0, 1, 1) == Approx(g.at(0, 1, 1)).margin(1e-6));
  // gray: every channel through the network separately.
  const tconv::Model twice = ModelSpec("gray", 1, R"([{"op": "conv2d", "weight": "w"}])")
                                 .tensor("w", {1, 1, 1, 1}, {2})
                                 .load();
  const tconv::Tensor rgb = random_tensor({3, 2, 2}, 8);
  const tconv::Tensor o2 = twice.upsample(rgb.view());
  for (std::size_t i = 0; i < o2.span().size(); ++i) REQUIRE(o2.span()[i] == 2 * rgb.span()[i]);
  REQUIRE_THROWS_AS(twice.run_network(rgb.view()), tconv::ShapeMismatch);
  REQUIRE_THROWS_AS(twice.upsample(random_tensor({2, 2, 2}, 1).view()), tconv::ShapeMismatch);
}

TEST_CASE("model: one refusal per validation rule", "[model]") {
  const std::string conv = R"([{"op": "conv2d", "weight": "w"}])";
  auto base = [&](const std::string& layers = R"([{"op": "conv2d", "weight": "w"}])") {
    return ModelSpec("gray", 1, layers).tensor("w", {1, 1, 1, 1}, {1});
  };
  SECTION("pad") {
    const std::string tail = R"(, {"op": "conv2d", "weight": "w3"}])";
    auto padded = [&](const std::string& pad) {
      return ModelSpec("gray", 1, "[" + pad + tail).tensor("w3", {1, 1, 3, 3}, random_values(9, 5));
    };
    require_refused(padded(R"({"op": "pad"})"), "layer 0 (pad): needs \"padding\"");
    require_refused(padded(R"({"op": "pad", "padding": [1, 1, 1]})"),
                    "layer 0 (pad): \"padding\" must be N, [h, w] or [top, left, bottom, right]");
    require_refused(padded(R"({"op": "pad", "padding": -1})"),
                    "layer 0 (pad): \"padding\" -1: must be an integer in [0, 65536]");
    require_refused(padded(R"({"op": "pad", "padding": 1, "mode": "wrap"})"),
                    "layer 0 (pad): \"mode\" must be constant, reflect, replicate or circular");
    require_refused(padded(R"({"op": "pad", "padding": 1, "mode": "reflect", "value": 1})"),
                    "layer 0 (pad): \"value\" applies to mode constant only");
    require_refused(padded(R"({"op": "pad", "padding": 1, "width": 1})"),
                    "layer 0 (pad): unknown key \"width\" (it takes padding, mode, value)");
    // The scale check sees the pad: 1 + 1 more pixels that the 3 x 3 conv
    // takes back, but 2 + 2 are too many.
    REQUIRE_NOTHROW(padded(R"({"op": "pad", "padding": 1, "mode": "replicate"})").load());
    require_refused(padded(R"({"op": "pad", "padding": 2})"), "tconv.scale 1: the layers turn");
  }
  SECTION("upsample") {
    auto up = [](const std::string& layer) { return ModelSpec("gray", 2, "[" + layer + "]"); };
    REQUIRE_NOTHROW(up(R"({"op": "upsample", "factor": 2, "mode": "bilinear"})").load());
    require_refused(up(R"({"op": "upsample"})"),
                    "layer 0 (upsample): needs \"factor\" (an integer in [1, 64])");
    require_refused(up(R"({"op": "upsample", "factor": 0})"),
                    "layer 0 (upsample): \"factor\" 0: must be an integer in [1, 64]");
    require_refused(up(R"({"op": "upsample", "factor": 65})"),
                    "layer 0 (upsample): \"factor\" 65: must be an integer in [1, 64]");
    require_refused(up(R"({"op": "upsample", "factor": 1.5})"),
                    "layer 0 (upsample): \"factor\" 1.5: must be an integer in [1, 64]");
    require_refused(up(R"({"op": "upsample", "factor": 2, "mode": "bicubic"})"),
                    "layer 0 (upsample): \"mode\" 'bicubic': must be nearest or bilinear");
    require_refused(up(R"({"op": "upsample", "factor": 2, "mode": 1})"),
                    "layer 0 (upsample): \"mode\" value: must be nearest or bilinear");
    require_refused(up(R"({"op": "upsample", "factor": 2, "align_corners": true})"),
                    "layer 0 (upsample): unknown key \"align_corners\" (it takes factor, mode)");
    require_refused(up(R"({"op": "upsample", "scale_factor": 2})"),
                    "layer 0 (upsample): unknown key \"scale_factor\" (it takes factor, mode)");
    require_refused(up(R"({"op": "upsample", "factor": 3})"),
                    "tconv.scale 2: the layers turn 60x60 into 180x180, not 120x120");
  }
  SECTION("metadata") {
    ModelSpec s = base();
    s.meta.erase("tconv.format");
    require_refused(s, "__metadata__ has no 'tconv.format'");
    s = base();
    s.meta["tconv.format"] = "2";
    require_refused(s, "tconv.format '2': only format 1");
    s = base();
    s.meta["tconv.scale"] = "x2";
    require_refused(s, "tconv.scale 'x2': must be an integer in [1, 64]");
    s.meta["tconv.scale"] = "0";
    require_refused(s, "tconv.scale '0'");
    s = base();
    s.meta["tconv.color"] = "ycbcr";
    require_refused(s, "tconv.color 'ycbcr': must be y, rgb or gray");
    s = base();
    s.meta["tconv.residual"] = "lanczos";
    require_refused(s, "tconv.residual 'lanczos': must be none, bicubic or bilinear");
    s = base();
    s.meta.erase("tconv.layers");
    require_refused(s, "__metadata__ has no 'tconv.layers'");
  }
  SECTION("layer list") {
    require_refused(base("[{\"op\": \"conv2d\", }]"), "tconv.layers is not valid JSON: byte");
    require_refused(base("{}"), "tconv.layers must be a non-empty JSON list");
    require_refused(base("[]"), "tconv.layers must be a non-empty JSON list");
    require_refused(base(R"([{"op": "conv3d"}])"),
                    "layer 0: unknown op \"conv3d\" (conv2d, conv_transpose2d, relu, prelu, "
                    "leaky_relu, tanh, sigmoid, pixel_shuffle, clamp, pad, upsample)");
    require_refused(base(R"([{"weight": "w"}])"), "layer 0: needs \"op\"");
    require_refused(base(R"([{"op": "relu", "inplace": true}])"),
                    "layer 0 (relu): unknown key \"inplace\" (it takes none)");
    require_refused(base(R"([{"op": "conv2d", "weight": "w", "padding_mode": "reflect"}])"),
                    "layer 0 (conv2d): unknown key \"padding_mode\"");
    require_refused(base(R"([{"op": "conv2d", "weight": "w", "stride": 0}])"),
                    "layer 0 (conv2d): \"stride\" 0: must be an integer in [1, 65536]");
    require_refused(base(R"([{"op": "conv2d", "weight": "w", "padding": [1, 2, 3]}])"),
                    "\"padding\" must be N, [h, w] or [top, left, bottom, right]");
    require_refused(base(R"([{"op": "conv2d", "weight": "w", "groups": 1.5}])"),
                    "\"groups\" 1.5: must be an integer");
    require_refused(base(R"([{"op": "clamp"}])"), "layer 0 (clamp): needs \"min\", \"max\" or both");
    require_refused(base(R"([{"op": "clamp", "min": 2, "max": 1}])"), "min 2 is above max 1");
    require_refused(base(R"([{"op": "leaky_relu", "slope": "x"}])"), "\"slope\" must be a finite number");
  }
  SECTION("tensors exist and are finite") {
    require_refused(base(R"([{"op": "conv2d", "weight": "nope"}])"),
                    "layer 0 (conv2d): weight 'nope': no such tensor in the file");
    require_refused(base(R"([{"op": "conv2d", "weight": "w", "bias": "b"}])"),
                    "layer 0 (conv2d): bias 'b': no such tensor");
    require_refused(base(R"([{"op": "conv2d"}])"), "layer 0 (conv2d): needs \"weight\"");
    ModelSpec s("gray", 1, conv);
    s.tensor("w", {1, 1, 1, 1}, {NAN});
    require_refused(s, "layer 0 (conv2d): weight 'w' value 0 is NaN: weights must be finite");
    ModelSpec s2("gray", 1, conv);
    s2.tensor("w", {1, 1, 1, 1}, {-INFINITY});
    require_refused(s2, "value 0 is infinite");
  }
  SECTION("shapes for the channels flowing in") {
    // Layer 1 receives 4 channels from layer 0 but its weight expects 3.
    require_refused(ModelSpec("gray", 1,
                              R"([{"op": "conv2d", "weight": "a"}, {"op": "relu"},
                                  {"op": "conv2d", "weight": "b"}])")
                        .tensor("a", {4, 1, 3, 3}, std::vector<float>(36, 0.1f))
                        .tensor("b", {1, 3, 1, 1}, {1, 1, 1}),
                    "layer 2 (conv2d): weight 'b' has shape 1x3x1x1, needs Nx4xKhxKw (out, "
                    "in/groups, kh, kw) for 4 input channels, groups 1");
    require_refused(ModelSpec("gray", 1, R"([{"op": "conv2d", "weight": "a"}])")
                        .tensor("a", {1, 1, 3}, {1, 1, 1}),
                    "weight 'a' has shape 1x1x3, needs 4 dimensions (out, in/groups, kh, kw)");
    require_refused(ModelSpec("gray", 1, R"([{"op": "conv2d", "weight": "a", "bias": "b"}])")
                        .tensor("a", {1, 1, 1, 1}, {1})
                        .tensor("b", {2}, {1, 1}),
                    "bias 'b' has shape 2, needs 1 (one per output channel)");
    require_refused(ModelSpec("gray", 1,
                              R"([{"op": "conv2d", "weight": "a"}, {"op": "prelu", "weight": "p"},
                                  {"op": "conv2d", "weight": "c"}])")
                        .tensor("a", {3, 1, 1, 1}, {1, 1, 1})
                        .tensor("p", {2}, {1, 1})
                        .tensor("c", {1, 3, 1, 1}, {1, 1, 1}),
                    "layer 1 (prelu): weight 'p' has shape 2, needs 1 or 3");
    require_refused(ModelSpec("gray", 2,
                              R"([{"op": "conv2d", "weight": "a"}, {"op": "pixel_shuffle", "factor": 2}])")
                        .tensor("a", {3, 1, 1, 1}, {1, 1, 1}),
                    "layer 1 (pixel_shuffle): factor 2 needs a multiple of 4 input channels, got 3");
    require_refused(ModelSpec("gray", 1, R"([{"op": "conv2d", "weight": "a", "groups": 2}])")
                        .tensor("a", {2, 1, 1, 1}, {1, 1}),
                    "groups 2 does not divide the 1 input channels");
    require_refused(ModelSpec("gray", 1, R"([{"op": "conv2d", "weight": "a"}])")
                        .tensor("a", {2, 1, 1, 1}, {1, 1}),
                    "the layers end with 2 channels; tconv.color gray needs 1");
  }
  SECTION("a conv2d-layout weight given to conv_transpose2d is named") {
    // 8 -> 1 channels: conv_transpose2d wants (8, 1, 4, 4); (1, 8, 4, 4) is conv2d's layout.
    require_refused(ModelSpec("gray", 2,
                              R"([{"op": "conv2d", "weight": "a"},
                                  {"op": "conv_transpose2d", "weight": "t", "stride": 2, "padding": 1}])")
                        .tensor("a", {8, 1, 1, 1}, std::vector<float>(8, 1))
                        .tensor("t", {1, 8, 4, 4}, std::vector<float>(128, 1)),
                    "layer 1 (conv_transpose2d): weight 't' has shape 1x8x4x4, needs 8xNxKhxKw "
                    "(in, out/groups, kh, kw) for 8 input channels, groups 1; it looks like a "
                    "conv2d weight");
  }
  SECTION("the declared scale is what the layers produce") {
    ModelSpec s = one_layer();
    s.meta["tconv.scale"] = "3";
    require_refused(s, "tconv.scale 3: the layers turn 60x60 into 120x120, not 180x180");
    require_refused(ModelSpec("gray", 2, R"([{"op": "conv_transpose2d", "weight": "t", "stride": 2}])")
                        .tensor("t", {1, 1, 3, 3}, std::vector<float>(9, 1)),
                    "tconv.scale 2: the layers turn 60x60 into 121x121");
    require_refused(ModelSpec("gray", 1, R"([{"op": "conv2d", "weight": "a"}])")
                        .tensor("a", {1, 1, 100, 100}, std::vector<float>(10000, 1)),
                    "the layers cannot take a 60x60 input");
  }
  SECTION("op parameter rules come from the op") {
    require_refused(base(R"([{"op": "conv2d", "weight": "w", "padding": "same", "stride": 2}])"),
                    "padding \"same\" needs stride 1");
    require_refused(ModelSpec("gray", 2,
                              R"([{"op": "conv_transpose2d", "weight": "t", "stride": 2,
                                   "padding": 1, "output_padding": 2}])")
                        .tensor("t", {1, 1, 4, 4}, std::vector<float>(16, 1)),
                    "layer 0 (conv_transpose2d): output_padding 2x2");
  }
}

TEST_CASE("model: conv2d padding forms and dilation/groups", "[model]") {
  // "same" keeps the size for an even kernel (odd pixel at the end, as PyTorch).
  const tconv::Model m = ModelSpec("gray", 1, R"([{"op": "conv2d", "weight": "w", "padding": "same"}])")
                             .tensor("w", {1, 1, 2, 4}, std::vector<float>(8, 1))
                             .load();
  const tconv::Tensor x = random_tensor({1, 5, 6}, 2);
  REQUIRE(m.run_network(x.view()).shape() == x.shape());
  // Input sizes the network cannot map to s times themselves are refused at run time.
  const tconv::Model strided =
      ModelSpec("gray", 2,
                R"([{"op": "conv2d", "weight": "d", "stride": 2},
                    {"op": "conv_transpose2d", "weight": "u", "stride": 4}])")
          .tensor("d", {1, 1, 2, 2}, std::vector<float>(4, 0.25f))
          .tensor("u", {1, 1, 4, 4}, std::vector<float>(16, 1))
          .load();
  REQUIRE(strided.run_network(random_tensor({1, 6, 8}, 1).view()).shape() == tconv::Shape3{1, 12, 16});
  REQUIRE_THROWS_AS(strided.run_network(random_tensor({1, 7, 8}, 1).view()), tconv::ShapeMismatch);
}

TEST_CASE("model: written, read back and loaded from a file", "[model]") {
  const ModelSpec spec = one_layer();
  const auto bytes = tconv::encode_safetensors(spec.tensors, spec.meta);
  const auto path = std::filesystem::temp_directory_path() / "tconv_test_model_roundtrip.safetensors";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size());
    std::fclose(f);
  }
  const tconv::Model m = tconv::Model::load(path.string());
  std::filesystem::remove(path);
  const tconv::Tensor x = random_tensor({1, 4, 4}, 1);
  REQUIRE(max_abs_diff(m.run_network(x.view()), spec.load().run_network(x.view())) == 0.0f);
  REQUIRE(m.metadata().at("tconv.color") == "gray");
  REQUIRE_THROWS_AS(tconv::Model::load(path.string()), tconv::IoError);
}

TEST_CASE("model: the shipped FSRCNN x2/x3/x4 files load and run", "[model]") {
  for (const int s : {2, 3, 4}) {
    const tconv::Model m = tconv::Model::load(std::string(TCONV_MODELS_DIR) + "/fsrcnn_y_x" +
                                              std::to_string(s) + ".safetensors");
    INFO("x" << s);
    REQUIRE(m.scale() == s);
    REQUIRE(m.color() == tconv::ModelColor::kY);
    REQUIRE(m.describe().size() == 15);
    // A smooth gradient: the output is finite, the right size and close to
    // the input's values (FSRCNN reproduces smooth regions).
    tconv::Tensor x({1, 24, 20});
    for (int y = 0; y < 24; ++y)
      for (int c = 0; c < 20; ++c) x.at(0, y, c) = 0.2f + 0.5f * float(y + c) / 44.0f;
    const tconv::Tensor out = m.upsample(x.view());
    REQUIRE(out.shape() == tconv::Shape3{1, 24 * s, 20 * s});
    const float centre = out.at(0, 12 * s, 10 * s);
    REQUIRE(std::isfinite(centre));
    REQUIRE(centre == Approx(x.at(0, 12, 10)).margin(0.03));
  }
}

TEST_CASE("model: corrupted layer lists and shapes are refused, never crash", "[model][fuzz]") {
  const std::string layers =
      R"([{"op": "conv2d", "weight": "a.w", "bias": "a.b", "padding": [1, 1, 1, 1], "groups": 1},
          {"op": "prelu", "weight": "p"}, {"op": "leaky_relu", "slope": 0.2},
          {"op": "conv2d", "weight": "c.w", "dilation": 2, "padding": 2},
          {"op": "pixel_shuffle", "factor": 2}, {"op": "clamp", "min": 0, "max": 1},
          {"op": "conv_transpose2d", "weight": "t.w", "stride": [1, 1], "padding": 1}])";
  const ModelSpec good = ModelSpec("gray", 2, layers)
                             .tensor("a.w", {4, 1, 3, 3}, random_values(36, 1))
                             .tensor("a.b", {4}, random_values(4, 2))
                             .tensor("p", {4}, random_values(4, 3))
                             .tensor("c.w", {4, 4, 3, 3}, random_values(144, 4))
                             .tensor("t.w", {1, 1, 3, 3}, random_values(9, 5));
  const tconv::Tensor x = random_tensor({1, 6, 5}, 1);
  REQUIRE(good.load().run_network(x.view()).shape() == tconv::Shape3{1, 12, 10});
  std::mt19937 rng(99);
  static constexpr char kSignificant[] = "{}[]\",:0123456789-.e \\";
  int loaded = 0;
  int refused = 0;
  for (int iter = 0; iter < 1500; ++iter) {
    ModelSpec s = good;
    std::string& text = s.meta["tconv.layers"];
    switch (rng() % 3) {
      case 0: text.resize(rng() % text.size()); break;
      case 1:
        for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k)
          text[rng() % text.size()] = kSignificant[rng() % (sizeof(kSignificant) - 1)];
        break;
      default: {  // a tensor of another shape
        NamedTensor& t = s.tensors[rng() % s.tensors.size()];
        t.shape.assign(1 + rng() % 4, 1);
        for (auto& d : t.shape) d = 1 + static_cast<std::int64_t>(rng() % 4);
        std::size_t n = 1;
        for (auto d : t.shape) n *= static_cast<std::size_t>(d);
        t.values.assign(n, 0.5f);
        break;
      }
    }
    try {
      const tconv::Model m = s.load();
      // Whatever loads must run (or refuse the input size) without crashing.
      try {
        (void)m.run_network(x.view());
      } catch (const tconv::ShapeMismatch&) {
      }
      ++loaded;
    } catch (const tconv::FormatError& e) {
      REQUIRE(std::string(e.what()).rfind("model m.safetensors: ", 0) == 0);
      ++refused;
    }
  }
  INFO("loaded " << loaded << " refused " << refused);
  REQUIRE(refused > 500);
}

TEST_CASE("model: planned peak bytes follow the layers and the colour handling", "[model]") {
  // pad P, then a 2x2 conv dilated 2P: a 1x1 input is (2P + 1)^2 in between.
  const int pad = 100;
  const tconv::Model m =
      ModelSpec("gray", 1,
                R"([{"op": "pad", "padding": 100}, {"op": "conv2d", "weight": "w", "dilation": 200}])")
          .tensor("w", {1, 1, 2, 2}, {0.25f, 0.25f, 0.25f, 0.25f})
          .load();
  const std::int64_t padded = std::int64_t{2 * pad + 1} * (2 * pad + 1) * 4;
  const std::int64_t net = m.network_peak_bytes({1, 1, 1});
  INFO("network peak " << net);
  CHECK(net >= padded + 4);             // the padded plane beside its input or output
  CHECK(net <= padded + 8 + (1 << 20));  // plus the convolution's scratch
  // An RGBA image: three colour planes and alpha, each through the network in turn.
  const std::int64_t image = m.planned_peak_bytes({4, 1, 1});
  CHECK(image >= net + 16);
  CHECK(image <= net + 64 + (1 << 20));
  // It grows with the input as the padded plane does.
  CHECK(m.network_peak_bytes({1, 60, 60}) >= std::int64_t{260} * 260 * 4);
  // Shapes the run would refuse are refused alike, before anything runs.
  REQUIRE_THROWS_AS(m.network_peak_bytes({3, 1, 1}), tconv::ShapeMismatch);
  REQUIRE_THROWS_AS(m.planned_peak_bytes({2, 1, 1}), tconv::ShapeMismatch);
  const tconv::Model reflect =
      ModelSpec("gray", 1, R"([{"op": "pad", "padding": 2, "mode": "reflect"}, {"op": "conv2d", "weight": "w"}])")
          .tensor("w", {1, 1, 5, 5}, std::vector<float>(25, 0.04f))
          .load();
  REQUIRE_THROWS_AS(reflect.network_peak_bytes({1, 2, 2}), tconv::ShapeMismatch);
  REQUIRE_THROWS_AS(reflect.run_network(random_tensor({1, 2, 2}, 3).view()), tconv::ShapeMismatch);
}

TEST_CASE("model: alpha: colour under transparent pixels never shows, a flat colour keeps its value", "[model]") {
  // Bilinear x2 (kernel 4, stride 2, padding 1) in every colour kind.
  const float taps[4] = {0.25f, 0.75f, 0.75f, 0.25f};
  std::vector<float> one;
  for (const float a : taps)
    for (const float b : taps) one.push_back(a * b);
  std::vector<float> three;
  for (int c = 0; c < 3; ++c) three.insert(three.end(), one.begin(), one.end());
  const std::string single = R"([{"op": "conv_transpose2d", "weight": "w", "stride": 2, "padding": 1}])";
  const std::string depthwise =
      R"([{"op": "conv_transpose2d", "weight": "w", "stride": 2, "padding": 1, "groups": 3}])";
  for (const std::string color : {"y", "rgb", "gray"}) {
    INFO("colour " << color);
    const tconv::Model m = color == "rgb"
                               ? ModelSpec(color, 2, depthwise).tensor("w", {3, 1, 4, 4}, three).load()
                               : ModelSpec(color, 2, single).tensor("w", {1, 1, 4, 4}, one).load();
    // A flat colour (0.2, 0.5, 0.7) on the left half, transparent on the
    // right, with two different colours under the transparent pixels.
    tconv::Tensor a({4, 6, 8});
    tconv::Tensor b({4, 6, 8});
    const tconv::Tensor noise = random_tensor({3, 6, 8}, 11);
    for (int y = 0; y < 6; ++y)
      for (int x = 0; x < 8; ++x) {
        const bool visible = x < 4;
        for (int c = 0; c < 3; ++c) {
          a.at(c, y, x) = visible ? 0.2f + 0.25f * float(c) + 0.05f * float(c == 2) : (c == 1 ? 1.0f : 0.0f);
          b.at(c, y, x) = visible ? a.at(c, y, x) : noise.at(c, y, x);
        }
        a.at(3, y, x) = b.at(3, y, x) = visible ? 1.0f : 0.0f;
      }
    const tconv::Tensor oa = m.upsample(a.view());
    const tconv::Tensor ob = m.upsample(b.view());
    CHECK(max_abs_diff(oa, ob) <= 1e-6f);
    // Away from the image border (where the network sees its zero padding,
    // which y's offset turns into a colour shift with or without alpha).
    for (int y = 2; y < 10; ++y)
      for (int x = 2; x < 14; ++x) {
        if (oa.at(3, y, x) < 0.01f) continue;
        INFO("pixel " << y << "," << x << " alpha " << oa.at(3, y, x));
        for (int c = 0; c < 3; ++c) REQUIRE(oa.at(c, y, x) == Approx(a.at(c, 0, 0)).margin(1e-4));
      }
  }
}

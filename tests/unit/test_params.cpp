// One test per validation rule: exception type and the exact message.
#include <catch2/catch.hpp>

#include "tconv/core/conv2d.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/error.hpp"

using tconv::AutoPad;
using tconv::ConvKind;
using tconv::ConvParams;
using tconv::Shape3;
using tconv::Size2;

namespace {

ConvParams base() {
  ConvParams p;
  p.in_channels = 2;
  p.out_channels = 4;
  p.kernel = {4, 4};
  p.stride = {2, 2};
  p.padding(1);
  return p;
}

tconv::Weights weights_for(const ConvParams& p, ConvKind kind = ConvKind::kConvTranspose2d) {
  tconv::Weights w;
  w.shape = p.weight_shape(kind);
  w.values.assign(static_cast<std::size_t>(w.shape.elements()), 0.5f);
  return w;
}

void require_invalid(const ConvParams& p, const std::string& message,
                     ConvKind kind = ConvKind::kConvTranspose2d) {
  INFO("problem " << p.to_string());
  REQUIRE_THROWS_AS(p.validate(kind), tconv::InvalidArgument);
  REQUIRE_THROWS_WITH(p.validate(kind), message);
  // create() validates the same rules before touching the weights.
  if (kind == ConvKind::kConvTranspose2d)
    REQUIRE_THROWS_WITH(tconv::ConvTranspose2d::create(p, {}), message);
  else
    REQUIRE_THROWS_WITH(tconv::Conv2d::create(p, {}), message);
}

}  // namespace

TEST_CASE("valid params pass and name themselves", "[params]") {
  const ConvParams p = base();
  REQUIRE_FALSE(p.first_violation(ConvKind::kConvTranspose2d).has_value());
  REQUIRE(p.to_string() == "g1ic2oc4_kh4kw4_sh2sw2_ph1pw1");
  ConvParams q = p;
  q.pad_end = {2, 0};
  q.dilation = {2, 1};
  q.output_padding = {1, 0};
  REQUIRE(q.to_string() == "g1ic2oc4_kh4kw4_sh2sw2_pt1pl1pb2pr0_dh2dw1_oph1opw0");
}

TEST_CASE("stride 0 is refused", "[params]") {
  ConvParams p = base();
  p.stride = {0, 2};
  require_invalid(p, "conv_transpose2d stride 0x2: stride must be >= 1");
  require_invalid(p, "conv2d stride 0x2: stride must be >= 1", ConvKind::kConv2d);
}

TEST_CASE("stride above the limit is refused", "[params]") {
  ConvParams p = base();
  p.stride = {2, 70000};
  require_invalid(p, "conv_transpose2d stride 2x70000: stride must be <= 65536");
}

TEST_CASE("kernel 0 is refused", "[params]") {
  ConvParams p = base();
  p.kernel = {3, 0};
  require_invalid(p, "conv_transpose2d kernel 3x0: kernel must be >= 1");
}

TEST_CASE("dilation 0 is refused", "[params]") {
  ConvParams p = base();
  p.dilation = {0, 1};
  require_invalid(p, "conv_transpose2d dilation 0x1: dilation must be >= 1");
}

TEST_CASE("negative padding is refused", "[params]") {
  ConvParams p = base();
  p.pad_end = {1, -1};
  require_invalid(p, "conv_transpose2d padding 1,1,1,-1: padding must be >= 0 (top,left,bottom,right)");
}

TEST_CASE("output_padding must be smaller than stride or dilation", "[params]") {
  ConvParams p = base();
  p.output_padding = {2, 0};
  require_invalid(p,
                  "conv_transpose2d output_padding 2x0: output_padding must be >= 0 and < "
                  "max(stride, dilation) = 2x2");
  p.output_padding = {-1, 0};
  require_invalid(p,
                  "conv_transpose2d output_padding -1x0: output_padding must be >= 0 and < "
                  "max(stride, dilation) = 2x2");
  // PyTorch's rule: smaller than stride OR dilation.
  p.output_padding = {2, 0};
  p.dilation = {3, 1};
  REQUIRE_FALSE(p.first_violation(ConvKind::kConvTranspose2d).has_value());
}

TEST_CASE("conv2d takes no output_padding or output_size", "[params]") {
  ConvParams p = base();
  p.output_padding = {1, 1};
  require_invalid(p, "conv2d output_padding 1x1: only conv_transpose2d takes output_padding",
                  ConvKind::kConv2d);
  p.output_padding = {0, 0};
  p.output_size = Size2{8, 8};
  require_invalid(p, "conv2d output_size 8x8: only conv_transpose2d takes output_size",
                  ConvKind::kConv2d);
}

TEST_CASE("channels must be divisible by groups", "[params]") {
  ConvParams p = base();
  p.in_channels = 3;
  p.groups = 2;
  require_invalid(p, "conv_transpose2d groups 2: in_channels 3 must be divisible by groups");
  p.in_channels = 4;
  p.out_channels = 6;
  p.groups = 4;
  require_invalid(p, "conv_transpose2d groups 4: out_channels 6 must be divisible by groups");
  p.groups = 0;
  require_invalid(p, "conv_transpose2d groups 0: groups must be >= 1");
}

TEST_CASE("channel counts must be positive", "[params]") {
  ConvParams p = base();
  p.in_channels = 0;
  require_invalid(p, "conv_transpose2d in_channels 0: must be in [1, 65536]");
  p.in_channels = 2;
  p.out_channels = -3;
  require_invalid(p, "conv_transpose2d out_channels -3: must be in [1, 65536]");
}

TEST_CASE("output_size cannot be combined with auto_pad", "[params]") {
  ConvParams p = base();
  p.auto_pad = AutoPad::kSameUpper;
  p.output_size = Size2{8, 8};
  require_invalid(p, "conv_transpose2d output_size 8x8: cannot be combined with auto_pad same");
}

TEST_CASE("weight shape mismatch is refused", "[params]") {
  const ConvParams p = base();
  tconv::Weights w = weights_for(p);
  w.shape = {2, 4, 3, 3};
  w.values.resize(static_cast<std::size_t>(w.shape.elements()));
  REQUIRE_THROWS_AS(tconv::ConvTranspose2d::create(p, w), tconv::ShapeMismatch);
  REQUIRE_THROWS_WITH(tconv::ConvTranspose2d::create(p, w),
                      "conv_transpose2d weight 2x4x3x3: expected 2x4x4x4 (in_channels, "
                      "out_channels/groups, kh, kw) for g1ic2oc4_kh4kw4_sh2sw2_ph1pw1");
  ConvParams g = p;
  g.groups = 2;
  REQUIRE_THROWS_WITH(tconv::Conv2d::create(g, weights_for(p)),
                      "conv2d weight 2x4x4x4: expected 4x1x4x4 (out_channels, "
                      "in_channels/groups, kh, kw) for g2ic2oc4_kh4kw4_sh2sw2_ph1pw1");
}

TEST_CASE("weight value count mismatch is refused", "[params]") {
  const ConvParams p = base();
  tconv::Weights w = weights_for(p);
  w.values.pop_back();
  REQUIRE_THROWS_AS(tconv::ConvTranspose2d::create(p, w), tconv::ShapeMismatch);
  REQUIRE_THROWS_WITH(tconv::ConvTranspose2d::create(p, w),
                      "conv_transpose2d weight 2x4x4x4: holds 127 values, expected 128");
}

TEST_CASE("bias shape mismatch is refused", "[params]") {
  const ConvParams p = base();
  tconv::Weights w = weights_for(p);
  w.bias = {1.0f, 2.0f, 3.0f};
  REQUIRE_THROWS_AS(tconv::ConvTranspose2d::create(p, w), tconv::ShapeMismatch);
  REQUIRE_THROWS_WITH(tconv::ConvTranspose2d::create(p, w),
                      "conv_transpose2d bias 3: expected out_channels = 4 values");
}

TEST_CASE("non-finite weights are refused", "[params]") {
  const ConvParams p = base();
  tconv::Weights w = weights_for(p);
  w.values[5] = std::numeric_limits<float>::quiet_NaN();
  REQUIRE_THROWS_AS(tconv::ConvTranspose2d::create(p, w), tconv::InvalidArgument);
  REQUIRE_THROWS_WITH(tconv::ConvTranspose2d::create(p, w),
                      "conv_transpose2d weight value at flat index 5: weights must be finite");
}

TEST_CASE("input channels must match in_channels", "[params]") {
  const auto op = tconv::ConvTranspose2d::create(base(), weights_for(base()));
  const tconv::Tensor src(Shape3{3, 5, 5});
  REQUIRE_THROWS_AS(op.run(src.view()), tconv::ShapeMismatch);
  REQUIRE_THROWS_WITH(op.run(src.view()),
                      "conv_transpose2d input 3x5x5: expected 2 channels (in_channels)");
}

TEST_CASE("an empty output is refused", "[params]") {
  ConvParams p = base();
  p.padding(3);  // (1 - 1) * 2 - 6 + 3 + 1 = -2
  const auto op = tconv::ConvTranspose2d::create(p, weights_for(p));
  const tconv::Tensor src(Shape3{2, 1, 1});
  REQUIRE_THROWS_AS(op.run(src.view()), tconv::InvalidArgument);
  REQUIRE_THROWS_WITH(op.run(src.view()),
                      "conv_transpose2d output -2x-2 for input 2x1x1 "
                      "(g1ic2oc4_kh4kw4_sh2sw2_ph3pw3): output must be at least 1x1");
}

TEST_CASE("output element limit is checked before allocating", "[params]") {
  const ConvParams p = base();
  tconv::OpOptions options;
  options.max_output_elements = 1000;
  const auto op = tconv::ConvTranspose2d::create(p, weights_for(p), options);
  const tconv::Tensor src(Shape3{2, 16, 16});  // output 4x32x32 = 4096 elements
  REQUIRE_THROWS_AS(op.run(src.view()), tconv::LimitExceeded);
  REQUIRE_THROWS_WITH(op.run(src.view()),
                      "conv_transpose2d output 4x32x32 (4096 elements) for "
                      "g1ic2oc4_kh4kw4_sh2sw2_ph1pw1: exceeds the limit of 1000 elements");
}

TEST_CASE("output sides above 2^31 are refused without overflow", "[params]") {
  ConvParams p = base();
  p.stride = {65536, 65536};
  p.kernel = {65536, 65536};
  p.padding(0);
  // (in - 1) * 65536 + 65535 + 1 overflows int for in = 40000.
  const Shape3 huge{2, 40000, 40000};
  REQUIRE_THROWS_AS(p.output_shape(ConvKind::kConvTranspose2d, huge), tconv::LimitExceeded);
  REQUIRE_THROWS_WITH(p.output_shape(ConvKind::kConvTranspose2d, huge),
                      "conv_transpose2d output 2621440000x2621440000 for input 2x40000x40000: "
                      "each side must be < 2^31");
}

TEST_CASE("default output element limit refuses a huge output before allocating", "[params]") {
  ConvParams p = base();
  p.kernel = {1, 1};
  p.stride = {65536, 65536};
  p.padding(0);
  // 4 x (199 * 65536 + 1)^2 elements: far above the 2^30 default.
  const auto op = tconv::ConvTranspose2d::create(p, weights_for(p));
  const tconv::Tensor src(Shape3{2, 200, 200});
  REQUIRE_THROWS_AS(op.run(src.view()), tconv::LimitExceeded);
  REQUIRE_THROWS_WITH(op.run(src.view()),
                      Catch::Contains("exceeds the limit of 1073741824 elements"));
}

TEST_CASE("output_size outside the valid range is refused", "[params]") {
  ConvParams p = base();  // 4x4 input -> 8x8 at output_padding 0; valid 8..9
  p.output_size = Size2{10, 8};
  REQUIRE_THROWS_AS(p.output_shape(ConvKind::kConvTranspose2d, Shape3{2, 4, 4}),
                    tconv::InvalidArgument);
  REQUIRE_THROWS_WITH(p.output_shape(ConvKind::kConvTranspose2d, Shape3{2, 4, 4}),
                      "conv_transpose2d output_size 10x8: valid sizes for input 2x4x4 range "
                      "from 8x8 to 9x9");
  p.output_size = Size2{9, 8};
  REQUIRE(p.output_shape(ConvKind::kConvTranspose2d, Shape3{2, 4, 4}) == Shape3{4, 9, 8});
  REQUIRE(p.resolved(ConvKind::kConvTranspose2d, Shape3{2, 4, 4}).output_padding == Size2{1, 0});
}

TEST_CASE("output sizes follow the formulas", "[params]") {
  ConvParams p = base();
  // (in - 1) * s - pb - pe + d * (k - 1) + op + 1
  REQUIRE(p.output_shape(ConvKind::kConvTranspose2d, Shape3{2, 7, 5}) == Shape3{4, 14, 10});
  p.pad_begin = {0, 2};
  p.pad_end = {1, 0};
  p.dilation = {2, 1};
  p.output_padding = {1, 0};
  REQUIRE(p.output_shape(ConvKind::kConvTranspose2d, Shape3{2, 7, 5}) ==
          Shape3{4, 6 * 2 - 1 + 6 + 1 + 1, 4 * 2 - 2 + 3 + 1});
  // SAME: out = in * stride whatever the kernel.
  for (int k : {1, 2, 3, 4, 5, 7}) {
    ConvParams s = base();
    s.kernel = {k, k};
    s.stride = {2, 3};
    s.auto_pad = AutoPad::kSameLower;
    INFO("k " << k);
    REQUIRE(s.output_shape(ConvKind::kConvTranspose2d, Shape3{2, 7, 5}) == Shape3{4, 14, 15});
    ConvParams c = s;
    c.auto_pad = AutoPad::kSameUpper;
    c.in_channels = 2;
    REQUIRE(c.output_shape(ConvKind::kConv2d, Shape3{2, 7, 5}) == Shape3{4, 4, 2});
  }
}

// PyTorch layer settings -> ConvParams (tconv/core/torch_settings.hpp): the
// forms each setting takes, PyTorch's defaults, and one refusal per rule.
#include <catch2/catch.hpp>

#include "tconv/core/error.hpp"
#include "tconv/core/torch_settings.hpp"

using tconv::ConvKind;
using tconv::Size2;
using tconv::TorchConvSettings;

TEST_CASE("torch settings: defaults and the N / [h, w] / four-side forms", "[params]") {
  tconv::ConvParams base;
  base.in_channels = 4;
  base.out_channels = 6;
  base.kernel = {3, 5};
  const tconv::ConvParams d = tconv::torch_conv_params(ConvKind::kConvTranspose2d, {}, base);
  CHECK(d.in_channels == 4);
  CHECK(d.out_channels == 6);
  CHECK(d.kernel == Size2{3, 5});
  CHECK(d.groups == 1);
  CHECK(d.stride == Size2{1, 1});
  CHECK(d.dilation == Size2{1, 1});
  CHECK(d.pad_begin == Size2{0, 0});
  CHECK(d.pad_end == Size2{0, 0});
  CHECK(d.output_padding == Size2{0, 0});
  CHECK(d.auto_pad == tconv::AutoPad::kNone);
  CHECK_FALSE(d.output_size.has_value());

  TorchConvSettings s;
  s.groups = 2;
  s.stride = {2};
  s.dilation = {1, 2};
  s.padding = {1, 2, 3, 4};
  s.output_padding = {1, 0};
  s.output_size = {9};
  const tconv::ConvParams p = tconv::torch_conv_params(ConvKind::kConvTranspose2d, s, base);
  CHECK(p.groups == 2);
  CHECK(p.stride == Size2{2, 2});
  CHECK(p.dilation == Size2{1, 2});
  CHECK(p.pad_begin == Size2{1, 2});
  CHECK(p.pad_end == Size2{3, 4});
  CHECK(p.output_padding == Size2{1, 0});
  CHECK(p.output_size == Size2{9, 9});

  s = {};
  s.padding = {3, 1};
  const tconv::ConvParams q = tconv::torch_conv_params(ConvKind::kConv2d, s, base);
  CHECK(q.pad_begin == Size2{3, 1});
  CHECK(q.pad_end == Size2{3, 1});
  CHECK(tconv::torch_padding(std::vector<int>{2}) == std::pair{Size2{2, 2}, Size2{2, 2}});
}

TEST_CASE("torch settings: padding words", "[params]") {
  TorchConvSettings s;
  s.padding_word = "same";
  CHECK(tconv::torch_conv_params(ConvKind::kConv2d, s).auto_pad == tconv::AutoPad::kSameUpper);
  CHECK(tconv::torch_conv_params(ConvKind::kConvTranspose2d, s).auto_pad ==
        tconv::AutoPad::kSameUpper);
  s.padding_word = "same_lower";
  CHECK(tconv::torch_conv_params(ConvKind::kConvTranspose2d, s).auto_pad ==
        tconv::AutoPad::kSameLower);
  s.padding_word = "valid";
  const tconv::ConvParams v = tconv::torch_conv_params(ConvKind::kConv2d, s);
  CHECK(v.auto_pad == tconv::AutoPad::kNone);
  CHECK(v.pad_begin == Size2{0, 0});
}

TEST_CASE("torch settings: one refusal per rule", "[params]") {
  auto refused = [](ConvKind kind, const TorchConvSettings& s, const std::string& message) {
    INFO("expected: " << message);
    CHECK_THROWS_AS(tconv::torch_conv_params(kind, s), tconv::InvalidArgument);
    CHECK_THROWS_WITH(tconv::torch_conv_params(kind, s), Catch::Contains(message));
  };
  TorchConvSettings s;
  s.stride = {1, 2, 3};
  refused(ConvKind::kConv2d, s, "\"stride\" must be N or [h, w], got 3 values");
  s = {};
  s.dilation = {};
  s.padding = {1, 2, 3};
  refused(ConvKind::kConvTranspose2d, s,
          "\"padding\" must be N, [h, w] or [top, left, bottom, right], got 3 values");
  s = {};
  s.output_padding = {1};
  refused(ConvKind::kConv2d, s, "\"output_padding\" applies to conv_transpose2d only");
  s = {};
  s.output_size = {4, 4};
  refused(ConvKind::kConv2d, s, "\"output_size\" applies to conv_transpose2d only");
  s = {};
  s.padding_word = "same";
  s.stride = {2};
  refused(ConvKind::kConv2d, s, "padding \"same\" needs stride 1 (as in PyTorch)");
  s = {};
  s.padding_word = "valid";
  refused(ConvKind::kConvTranspose2d, s, "padding \"valid\": conv_transpose2d takes same");
  s.padding_word = "full";
  refused(ConvKind::kConv2d, s, "padding \"full\": conv2d takes same, valid");
  s.padding_word = "same";
  s.padding = {1};
  refused(ConvKind::kConv2d, s, "give a word or integers, not both");
}

// tconv/core/torch_settings.hpp - PyTorch layer settings to ConvParams.
//
// torch.nn.Conv2d and torch.nn.ConvTranspose2d take stride, padding,
// output_padding, dilation, groups (and, when called, output_size) as an
// int N or a pair (h, w); padding also as the words "same" / "valid"
// (Conv2d). The model format, the tool's layer flags and the golden
// cases all write them that way; this is the one place that turns them
// into ConvParams. Values are not range-checked here: ConvParams::validate()
// names the rule a value breaks.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tconv/core/conv_params.hpp"

namespace tconv {

/// The settings of one layer as written, each an integer list (empty:
/// absent, PyTorch's default).
struct TorchConvSettings {
  std::vector<int> stride;          ///< N or {h, w}; default 1.
  std::vector<int> padding;         ///< N, {h, w} or {top, left, bottom, right}; default 0.
  /// Instead of `padding`: "same_upper" (AutoPad::kSameUpper) or
  /// "same_lower" (kSameLower), the ONNX auto_pad; "same", for conv2d
  /// PyTorch's (stride 1 only; the odd pixel at the end), for
  /// conv_transpose2d the same as "same_upper"; conv2d "valid" (no
  /// padding). Empty: use `padding`.
  std::string padding_word;
  std::vector<int> output_padding;  ///< conv_transpose2d only: N or {h, w}; default 0.
  std::vector<int> dilation;        ///< N or {h, w}; default 1.
  std::vector<int> output_size;     ///< conv_transpose2d only: N or {h, w}; default none.
  int groups = 1;                   ///< As given (validate() checks it).
};

/// N or {h, w} as a Size2. Throws InvalidArgument
/// "\"<name>\" must be N or [h, w], got <count> values" for other lengths.
[[nodiscard]] Size2 torch_pair(std::string_view name, std::span<const int> values);

/// Padding N, {h, w} or {top, left, bottom, right} as {pad_begin, pad_end}
/// ({top, left}, {bottom, right}); the same form torch.nn.functional.pad's
/// layer takes in the model format. Throws InvalidArgument
/// "\"padding\" must be N, [h, w] or [top, left, bottom, right], got <count>
/// values" for other lengths.
[[nodiscard]] std::pair<Size2, Size2> torch_padding(std::span<const int> values);

/// `base` (channels and kernel as the caller set them) with the geometry of
/// `settings`: groups, stride, dilation, pad_begin / pad_end or auto_pad,
/// output_padding and output_size; absent settings take PyTorch's defaults.
/// Throws InvalidArgument (messages as above, the words' rules naming the
/// setting) for a list of the wrong length, a padding word `kind` does not
/// take, conv2d "same" with a stride other than 1, or output_padding /
/// output_size on conv2d.
[[nodiscard]] ConvParams torch_conv_params(ConvKind kind, const TorchConvSettings& settings,
                                           ConvParams base = {});

}  // namespace tconv

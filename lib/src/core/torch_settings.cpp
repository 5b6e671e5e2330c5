// PyTorch layer settings to ConvParams (see tconv/core/torch_settings.hpp).
#include "tconv/core/torch_settings.hpp"

#include <string>

#include "tconv/core/error.hpp"

namespace tconv {

namespace {

std::string got(std::span<const int> values) {
  return ", got " + std::to_string(values.size()) + " values";
}

}  // namespace

Size2 torch_pair(std::string_view name, std::span<const int> values) {
  if (values.size() == 1) return {values[0], values[0]};
  if (values.size() == 2) return {values[0], values[1]};
  throw InvalidArgument("\"" + std::string(name) + "\" must be N or [h, w]" + got(values));
}

std::pair<Size2, Size2> torch_padding(std::span<const int> values) {
  if (values.size() == 4) return {{values[0], values[1]}, {values[2], values[3]}};
  if (values.size() == 1 || values.size() == 2) {
    const Size2 p = torch_pair("padding", values);
    return {p, p};
  }
  throw InvalidArgument("\"padding\" must be N, [h, w] or [top, left, bottom, right]" +
                        got(values));
}

ConvParams torch_conv_params(ConvKind kind, const TorchConvSettings& s, ConvParams base) {
  const bool transposed = kind == ConvKind::kConvTranspose2d;
  ConvParams p = base;
  p.groups = s.groups;
  p.stride = s.stride.empty() ? Size2{1, 1} : torch_pair("stride", s.stride);
  p.dilation = s.dilation.empty() ? Size2{1, 1} : torch_pair("dilation", s.dilation);
  if (!transposed && !s.output_padding.empty())
    throw InvalidArgument("\"output_padding\" applies to conv_transpose2d only");
  if (!transposed && !s.output_size.empty())
    throw InvalidArgument("\"output_size\" applies to conv_transpose2d only");
  p.output_padding =
      s.output_padding.empty() ? Size2{0, 0} : torch_pair("output_padding", s.output_padding);
  p.output_size.reset();
  if (!s.output_size.empty()) p.output_size = torch_pair("output_size", s.output_size);
  p.auto_pad = AutoPad::kNone;
  p.padding(0);
  if (!s.padding_word.empty()) {
    const std::string& w = s.padding_word;
    if (!s.padding.empty())
      throw InvalidArgument("padding \"" + w + "\": give a word or integers, not both");
    if (!transposed && w == "same") {
      // PyTorch's 'same' (stride 1): total d (k - 1), the odd pixel at the end.
      if (p.stride != Size2{1, 1})
        throw InvalidArgument("padding \"same\" needs stride 1 (as in PyTorch)");
      p.auto_pad = AutoPad::kSameUpper;
    } else if (!transposed && w == "valid") {
      // no padding
    } else if (w == "same" || w == "same_upper") {
      p.auto_pad = AutoPad::kSameUpper;
    } else if (w == "same_lower") {
      p.auto_pad = AutoPad::kSameLower;
    } else {
      throw InvalidArgument("padding \"" + w + "\": " + std::string(to_string(kind)) +
                            (transposed ? " takes same, same_upper or same_lower"
                                        : " takes same, valid, same_upper or same_lower"));
    }
  } else if (!s.padding.empty()) {
    const auto [begin, end] = torch_padding(s.padding);
    p.pad_begin = begin;
    p.pad_end = end;
  }
  return p;
}

}  // namespace tconv

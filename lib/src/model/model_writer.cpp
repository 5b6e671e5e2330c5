// The model file writer (see tconv/model/model.hpp and docs/model-format.md):
// the layer list as compact JSON with each object's keys in alphabetical
// order, settings at PyTorch's default left out, then encode_safetensors().
#include <charconv>
#include <cmath>
#include <map>
#include <string>

#include "io/json.hpp"
#include "model/model_internal.hpp"
#include "tconv/core/error.hpp"
#include "tconv/model/model.hpp"

namespace tconv {

namespace {

std::string number(int v) { return std::to_string(v); }

std::string number(double v) {
  if (!std::isfinite(v)) throw InvalidArgument("encode_model value: must be finite");
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round trip
  (void)ec;
  return std::string(buf, end);
}

// N when both axes agree, else [h, w].
std::string pair_json(Size2 v) {
  return v.h == v.w ? number(v.h) : "[" + number(v.h) + "," + number(v.w) + "]";
}

// N, [h, w] or [top, left, bottom, right].
std::string padding_json(Size2 begin, Size2 end) {
  if (begin == end) return pair_json(begin);
  return "[" + number(begin.h) + "," + number(begin.w) + "," + number(end.h) + "," +
         number(end.w) + "]";
}

std::string quote(const std::string& s) { return detail::json_quote(s); }

// The layer's JSON object; std::map keeps the keys in alphabetical order.
std::string layer_json(const ModelFileLayer& l, std::size_t index) {
  const std::string what = "encode_model layer " + std::to_string(index) + " (" + l.op + ")";
  std::map<std::string, std::string> fields{{"op", quote(l.op)}};
  const bool transposed = l.op == "conv_transpose2d";
  if (l.op == "conv2d" || transposed) {
    const ConvParams& p = l.params;
    fields["weight"] = quote(l.weight);
    if (!l.bias.empty()) fields["bias"] = quote(l.bias);
    fields["stride"] = pair_json(p.stride);
    if (p.dilation != Size2{1, 1}) fields["dilation"] = pair_json(p.dilation);
    if (p.groups != 1) fields["groups"] = number(p.groups);
    if (p.output_size)
      throw InvalidArgument(what + " output_size: the model format has none");
    if (p.auto_pad == AutoPad::kSameUpper && !transposed) {
      fields["padding"] = quote("same");
    } else if (p.auto_pad != AutoPad::kNone) {
      throw InvalidArgument(what + " auto_pad: the model format writes only conv2d \"same\"");
    } else {
      fields["padding"] = padding_json(p.pad_begin, p.pad_end);
    }
    if (p.output_padding != Size2{0, 0}) {
      if (!transposed) throw InvalidArgument(what + " output_padding: conv_transpose2d only");
      fields["output_padding"] = pair_json(p.output_padding);
    }
  } else if (l.op == "pad") {
    fields["padding"] = padding_json(l.pad_begin, l.pad_end);
    if (!l.mode.empty() && l.mode != "constant") fields["mode"] = quote(l.mode);
    if (l.value) fields["value"] = number(*l.value);
  } else if (l.op == "prelu") {
    fields["weight"] = quote(l.weight);
  } else if (l.op == "leaky_relu") {
    if (l.value) fields["slope"] = number(*l.value);
  } else if (l.op == "clamp") {
    if (l.min) fields["min"] = number(*l.min);
    if (l.max) fields["max"] = number(*l.max);
  } else if (l.op == "pixel_shuffle") {
    fields["factor"] = number(l.factor);
  } else if (l.op == "upsample") {
    fields["factor"] = number(l.factor);
    if (!l.mode.empty() && l.mode != "nearest") fields["mode"] = quote(l.mode);
  } else if (l.op != "relu" && l.op != "tanh" && l.op != "sigmoid") {
    throw InvalidArgument(what + ": unknown op (conv2d, conv_transpose2d, relu, prelu, "
                                 "leaky_relu, tanh, sigmoid, pixel_shuffle, clamp, pad, upsample)");
  }
  std::string out = "{";
  for (const auto& [key, text] : fields) out += (out.size() > 1 ? "," : "") + quote(key) + ":" + text;
  return out + "}";
}

}  // namespace

std::vector<unsigned char> encode_model(const ModelFileSpec& spec) {
  if (spec.scale < 1 || spec.scale > detail::kMaxModelScale)
    throw InvalidArgument("encode_model scale " + std::to_string(spec.scale) +
                          ": must be in [1, " + std::to_string(detail::kMaxModelScale) + "]");
  if (spec.layers.empty()) throw InvalidArgument("encode_model layers: needs at least one");
  std::string layers = "[";
  for (std::size_t i = 0; i < spec.layers.size(); ++i)
    layers += (i ? "," : "") + layer_json(spec.layers[i], i);
  layers += "]";
  std::map<std::string, std::string> metadata = {
      {"tconv.format", "1"},
      {"tconv.scale", std::to_string(spec.scale)},
      {"tconv.color", std::string(to_string(spec.color))},
      {"tconv.residual", std::string(to_string(spec.residual))},
      {"tconv.layers", layers},
  };
  for (const auto& [key, value] : spec.metadata) {
    if (metadata.count(key) != 0)
      throw InvalidArgument("encode_model metadata '" + key + "': set by the writer itself");
    metadata.emplace(key, value);
  }
  return encode_safetensors(spec.tensors, metadata);
}

}  // namespace tconv

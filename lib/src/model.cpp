// Learned upsamplers (see tconv/model.hpp): metadata and layer-list parsing,
// validation of every tensor against the channels flowing in, then running
// the planned ops with the colour handling and the residual.
#include "tconv/model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <tuple>
#include <variant>

#include "colour.hpp"
#include "io/json.hpp"
#include "padding.hpp"
#include "tconv/border.hpp"
#include "tconv/conv2d.hpp"
#include "tconv/conv_transpose2d.hpp"
#include "tconv/error.hpp"
#include "tconv/factories.hpp"
#include "tconv/torch_settings.hpp"

namespace tconv {

namespace {

using detail::JsonValue;

constexpr int kMaxScale = 64;
// Sizes the layer geometry is checked on: out must be scale x in for both
// (multiples of 2, 3, 4, 6 and 12, so strided stages divide evenly).
constexpr std::array<int, 2> kProbeSizes = {60, 84};

enum class Op { kConv2d, kConvTranspose2d, kRelu, kPrelu, kLeakyRelu, kTanh, kSigmoid,
                kPixelShuffle, kClamp, kPad };

// torch.nn.functional.pad's modes, in detail::PadMode's order.
using detail::PadMode;
constexpr std::string_view kPadModes[] = {"constant", "reflect", "replicate", "circular"};

struct OpName {
  std::string_view name;
  Op op;
};
constexpr OpName kOps[] = {
    {"conv2d", Op::kConv2d},   {"conv_transpose2d", Op::kConvTranspose2d},
    {"relu", Op::kRelu},       {"prelu", Op::kPrelu},
    {"leaky_relu", Op::kLeakyRelu}, {"tanh", Op::kTanh},
    {"sigmoid", Op::kSigmoid}, {"pixel_shuffle", Op::kPixelShuffle},
    {"clamp", Op::kClamp},     {"pad", Op::kPad},
};

std::string_view name_of(Op op) {
  for (const OpName& o : kOps)
    if (o.op == op) return o.name;
  return "?";
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : "") + std::to_string(shape[i]);
  return shape.empty() ? "scalar" : s;
}

struct NetLayer {
  Op op = Op::kRelu;
  std::optional<Conv2d> conv;
  std::optional<ConvTranspose2d> tconv;
  std::vector<float> slopes;  // prelu: 1 or C values
  float a = 0.0f;             // leaky_relu slope; clamp min; pad value
  float b = 0.0f;             // clamp max
  int factor = 1;             // pixel_shuffle
  Size2 pad_begin{}, pad_end{};  // pad: top, left / bottom, right
  PadMode pad_mode = PadMode::kConstant;
  int in_channels = 0;
  int out_channels = 0;
  double macs_per_pixel = 0;  // per network-input pixel
};

// Builds the layers, reporting every problem as FormatError "model <what>: ...".
class Builder {
 public:
  Builder(const SafetensorsFile& file, std::string_view what, const OpOptions& options)
      : file_(file), what_(what), options_(options) {}

  [[noreturn]] void fail(const std::string& rule) const {
    throw FormatError("model " + std::string(what_) + ": " + rule);
  }
  [[noreturn]] void fail_layer(const std::string& rule) const {
    fail("layer " + std::to_string(index_) + " (" + std::string(name_of(op_)) + "): " + rule);
  }

  const std::string& meta(const std::string& key, const char* rule) const {
    const auto it = file_.metadata.find(key);
    if (it == file_.metadata.end()) fail("__metadata__ has no '" + key + "': " + rule);
    return it->second;
  }

  int parse_scale() const {
    const std::string& s = meta("tconv.scale", "the upsampling factor, e.g. \"2\"");
    int v = 0;
    bool ok = !s.empty() && s.size() <= 3 && s[0] != '0';
    for (const char c : s) {
      ok = ok && c >= '0' && c <= '9';
      if (ok) v = v * 10 + (c - '0');
    }
    if (!ok || v < 1 || v > kMaxScale)
      fail("tconv.scale '" + s + "': must be an integer in [1, " + std::to_string(kMaxScale) + "]");
    return v;
  }

  // The tensor `key` of the layer names; refuses a missing one and NaN/Inf.
  const NamedTensor& tensor(const JsonValue& layer, const char* key) const {
    const JsonValue* v = layer.find(key);
    if (v == nullptr) fail_layer("needs \"" + std::string(key) + "\" (a tensor name)");
    if (!v->is_string()) fail_layer("\"" + std::string(key) + "\" must be a tensor name");
    const NamedTensor* t = file_.find(v->text);
    if (t == nullptr) fail_layer(std::string(key) + " '" + v->text + "': no such tensor in the file");
    for (std::size_t i = 0; i < t->values.size(); ++i)
      if (!std::isfinite(t->values[i]))
        fail_layer(std::string(key) + " '" + t->name + "' value " + std::to_string(i) + " is " +
                   (std::isnan(t->values[i]) ? "NaN" : "infinite") + ": weights must be finite");
    return *t;
  }

  int integer(const JsonValue& v, const std::string& key, int lo, int hi) const {
    const auto i = v.as_int64();
    if (!i || *i < lo || *i > hi)
      fail_layer("\"" + key + "\" " + (v.is_number() ? v.text : std::string("value")) +
                 ": must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return static_cast<int>(*i);
  }

  // Runs a torch_settings call, turning its InvalidArgument into this layer's FormatError.
  template <typename Fn>
  auto torch_call(Fn&& fn) const {
    try {
      return fn();
    } catch (const InvalidArgument& e) {
      fail_layer(e.what());
    }
  }

  // The integers of a setting written N or [...] (each in [lo,
  // kMaxParamValue]); empty when absent. What the count means is
  // torch_settings' to say.
  std::vector<int> ints(const JsonValue& layer, const std::string& key, int lo) const {
    const JsonValue* v = layer.find(key);
    if (v == nullptr) return {};
    if (!v->is_array()) return {integer(*v, key, lo, kMaxParamValue)};
    if (v->items.empty())
      torch_call([&] {
        if (key == "padding") (void)torch_padding({});
        (void)torch_pair(key, {});
      });
    std::vector<int> out;
    for (const JsonValue& item : v->items) out.push_back(integer(item, key, lo, kMaxParamValue));
    return out;
  }

  double number(const JsonValue& v, const std::string& key) const {
    const auto d = v.as_double();
    if (!d || std::abs(*d) > 3.0e38) fail_layer("\"" + key + "\" must be a finite number");
    return *d;
  }

  void check_keys(const JsonValue& layer, std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, unused] : layer.members) {
      if (key == "op") continue;
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (const auto k : allowed) list += (list.empty() ? "" : ", ") + std::string(k);
        fail_layer("unknown key \"" + key + "\"" +
                   (list.empty() ? std::string(" (it takes none)") : " (it takes " + list + ")"));
      }
    }
  }

  NetLayer conv(const JsonValue& j, int channels) {
    const bool transposed = op_ == Op::kConvTranspose2d;
    if (transposed)
      check_keys(j, {"weight", "bias", "stride", "padding", "dilation", "groups", "output_padding"});
    else
      check_keys(j, {"weight", "bias", "stride", "padding", "dilation", "groups"});
    const NamedTensor& w = tensor(j, "weight");
    TorchConvSettings settings;
    if (const JsonValue* g = j.find("groups")) settings.groups = integer(*g, "groups", 1, kMaxChannels);
    settings.stride = ints(j, "stride", 1);
    settings.dilation = ints(j, "dilation", 1);
    if (transposed) settings.output_padding = ints(j, "output_padding", 0);
    if (const JsonValue* pad = j.find("padding"); pad != nullptr && pad->is_string()) {
      // The words the format takes are conv2d's "same" and "valid", as in PyTorch.
      if (transposed || (pad->text != "same" && pad->text != "valid"))
        fail_layer("\"padding\" must be N, [h, w] or [top, left, bottom, right]" +
                   std::string(transposed ? "" : " or \"same\" / \"valid\""));
      settings.padding_word = pad->text;
    } else {
      settings.padding = ints(j, "padding", 0);
    }
    const ConvKind kind = transposed ? ConvKind::kConvTranspose2d : ConvKind::kConv2d;
    ConvParams p = torch_call([&] { return torch_conv_params(kind, settings); });
    const std::string wname = "weight '" + w.name + "'";
    const int g = p.groups;
    const std::string for_input = " for " + std::to_string(channels) + " input channels, groups " +
                                  std::to_string(g);
    if (w.shape.size() != 4)
      fail_layer(wname + " has shape " + shape_text(w.shape) + ", needs 4 dimensions " +
                 (transposed ? "(in, out/groups, kh, kw)" : "(out, in/groups, kh, kw)"));
    for (const std::int64_t d : w.shape)
      if (d < 1 || d > kMaxChannels)
        fail_layer(wname + " has shape " + shape_text(w.shape) + ": each dimension must be in [1, " +
                   std::to_string(kMaxChannels) + "]");
    if (channels % g != 0)
      fail_layer("groups " + std::to_string(g) + " does not divide the " + std::to_string(channels) +
                 " input channels");
    const auto n0 = static_cast<int>(w.shape[0]);
    const auto n1 = static_cast<int>(w.shape[1]);
    p.kernel = {static_cast<int>(w.shape[2]), static_cast<int>(w.shape[3])};
    p.in_channels = channels;
    if (transposed) {
      // conv_transpose2d: (in, out/groups, kh, kw).
      if (n0 != channels) {
        std::string rule = wname + " has shape " + shape_text(w.shape) + ", needs " +
                           std::to_string(channels) + "xNxKhxKw (in, out/groups, kh, kw)" + for_input;
        if (n1 * g == channels)
          rule += "; it looks like a conv2d weight (out, in/groups, kh, kw): conv_transpose2d "
                  "weights are (in, out/groups, kh, kw) as torch.nn.ConvTranspose2d stores them "
                  "(swap the first two axes)";
        fail_layer(rule);
      }
      p.out_channels = n1 * g;
    } else {
      // conv2d: (out, in/groups, kh, kw).
      if (n1 * g != channels) {
        std::string rule = wname + " has shape " + shape_text(w.shape) + ", needs Nx" +
                           std::to_string(channels / g) + "xKhxKw (out, in/groups, kh, kw)" + for_input;
        if (n0 == channels)
          rule += "; it looks like a conv_transpose2d weight (in, out/groups, kh, kw)";
        fail_layer(rule);
      }
      if (n0 % g != 0)
        fail_layer(wname + " has shape " + shape_text(w.shape) + ": its " + std::to_string(n0) +
                   " output channels are not divisible by groups " + std::to_string(g));
      p.out_channels = n0;
    }
    Weights weights;
    weights.shape = {n0, n1, p.kernel.h, p.kernel.w};
    weights.values = w.values;
    if (j.find("bias") != nullptr) {
      const NamedTensor& b = tensor(j, "bias");
      if (b.shape.size() != 1 || b.shape[0] != p.out_channels)
        fail_layer("bias '" + b.name + "' has shape " + shape_text(b.shape) + ", needs " +
                   std::to_string(p.out_channels) + " (one per output channel)");
      weights.bias = b.values;
    }
    if (const auto why = p.first_violation(kind)) fail_layer(*why);
    NetLayer layer;
    layer.op = op_;
    layer.in_channels = channels;
    layer.out_channels = p.out_channels;
    layer.macs_per_pixel = double(channels) / g * p.out_channels * p.kernel.h * p.kernel.w /
                           (transposed ? 1.0 : double(p.stride.h) * p.stride.w);
    OpOptions options = options_;
    // A forced impl applies to the op kind it belongs to.
    const auto names = transposed ? conv_transpose2d_impl_names() : conv2d_impl_names();
    if (std::find(names.begin(), names.end(), options.force_impl) == names.end())
      options.force_impl.clear();
    try {
      if (transposed)
        layer.tconv.emplace(ConvTranspose2d::create(p, std::move(weights), options));
      else
        layer.conv.emplace(Conv2d::create(p, std::move(weights), options));
    } catch (const Error& e) {
      fail_layer(e.what());
    }
    return layer;
  }

  NetLayer layer(const JsonValue& j, int channels) {
    if (!j.is_object()) fail("layer " + std::to_string(index_) + ": must be an object with \"op\"");
    const JsonValue* op = j.find("op");
    if (op == nullptr || !op->is_string())
      fail("layer " + std::to_string(index_) + ": needs \"op\" (a string)");
    const OpName* found = nullptr;
    for (const OpName& o : kOps)
      if (o.name == op->text) found = &o;
    if (found == nullptr)
      fail("layer " + std::to_string(index_) + ": unknown op \"" + op->text +
           "\" (conv2d, conv_transpose2d, relu, prelu, leaky_relu, tanh, sigmoid, pixel_shuffle, "
           "clamp, pad)");
    op_ = found->op;
    if (op_ == Op::kConv2d || op_ == Op::kConvTranspose2d) return conv(j, channels);
    NetLayer l;
    l.op = op_;
    l.in_channels = l.out_channels = channels;
    l.macs_per_pixel = 0;
    switch (op_) {
      case Op::kRelu:
      case Op::kTanh:
      case Op::kSigmoid: check_keys(j, {}); break;
      case Op::kPrelu: {
        check_keys(j, {"weight"});
        const NamedTensor& w = tensor(j, "weight");
        if (w.shape.size() != 1 || (w.shape[0] != 1 && w.shape[0] != channels))
          fail_layer("weight '" + w.name + "' has shape " + shape_text(w.shape) + ", needs 1 or " +
                     std::to_string(channels) + " (one slope, or one per channel)");
        l.slopes = w.values;
        break;
      }
      case Op::kLeakyRelu:
        check_keys(j, {"slope"});
        l.a = 0.01f;
        if (const JsonValue* s = j.find("slope")) l.a = static_cast<float>(number(*s, "slope"));
        break;
      case Op::kClamp: {
        check_keys(j, {"min", "max"});
        const JsonValue* lo = j.find("min");
        const JsonValue* hi = j.find("max");
        if (lo == nullptr && hi == nullptr) fail_layer("needs \"min\", \"max\" or both");
        l.a = lo ? static_cast<float>(number(*lo, "min")) : -INFINITY;
        l.b = hi ? static_cast<float>(number(*hi, "max")) : INFINITY;
        if (l.a > l.b) fail_layer("min " + lo->text + " is above max " + hi->text);
        break;
      }
      case Op::kPixelShuffle: {
        check_keys(j, {"factor"});
        const JsonValue* f = j.find("factor");
        if (f == nullptr) fail_layer("needs \"factor\"");
        l.factor = integer(*f, "factor", 1, kMaxScale);
        const int r2 = l.factor * l.factor;
        if (channels % r2 != 0)
          fail_layer("factor " + std::to_string(l.factor) + " needs a multiple of " +
                     std::to_string(r2) + " input channels, got " + std::to_string(channels));
        l.out_channels = channels / r2;
        break;
      }
      case Op::kPad: pad(j, l); break;
      default: break;
    }
    return l;
  }

  // {"op": "pad", "padding": N | [h, w] | [top, left, bottom, right],
  //  "mode"?: constant | reflect | replicate | circular, "value"?}.
  void pad(const JsonValue& j, NetLayer& l) const {
    check_keys(j, {"padding", "mode", "value"});
    const JsonValue* pad = j.find("padding");
    if (pad == nullptr) fail_layer("needs \"padding\" (N, [h, w] or [top, left, bottom, right])");
    const std::vector<int> values = ints(j, "padding", 0);
    std::tie(l.pad_begin, l.pad_end) = torch_call([&] { return torch_padding(values); });
    if (const JsonValue* m = j.find("mode")) {
      const auto* found = m->is_string()
                              ? std::find(std::begin(kPadModes), std::end(kPadModes), m->text)
                              : std::end(kPadModes);
      if (found == std::end(kPadModes))
        fail_layer("\"mode\" must be constant, reflect, replicate or circular");
      l.pad_mode = static_cast<PadMode>(found - std::begin(kPadModes));
    }
    if (const JsonValue* v = j.find("value")) {
      if (l.pad_mode != PadMode::kConstant) fail_layer("\"value\" applies to mode constant only");
      l.a = static_cast<float>(number(*v, "value"));
    }
  }

  std::vector<NetLayer> layers(int channels) {
    const std::string& text = meta("tconv.layers", "the JSON list of layers");
    JsonValue list;
    try {
      list = detail::parse_json(text);
    } catch (const detail::JsonError& e) {
      fail(std::string("tconv.layers is not valid JSON: ") + e.what());
    }
    if (!list.is_array() || list.items.empty()) fail("tconv.layers must be a non-empty JSON list");
    std::vector<NetLayer> out;
    for (const JsonValue& j : list.items) {
      out.push_back(layer(j, channels));
      channels = out.back().out_channels;
      ++index_;
    }
    return out;
  }

 private:
  const SafetensorsFile& file_;
  std::string_view what_;
  const OpOptions& options_;
  int index_ = 0;
  Op op_ = Op::kRelu;
};

// Why a pad layer cannot take an input of shape s, or nullopt when it can:
// as torch.nn.functional.pad, reflect needs every pad below the side it
// mirrors and circular at most that side.
std::optional<std::string> pad_refusal(const NetLayer& l, Shape3 s) {
  const int most_h = std::max(l.pad_begin.h, l.pad_end.h);
  const int most_w = std::max(l.pad_begin.w, l.pad_end.w);
  if (l.pad_mode == PadMode::kReflect && (most_h >= s.h || most_w >= s.w))
    return "reflect padding " + std::to_string(most_h) + "," + std::to_string(most_w) +
           " (h, w) needs sides above it";
  if (l.pad_mode == PadMode::kCircular && (most_h > s.h || most_w > s.w))
    return "circular padding " + std::to_string(most_h) + "," + std::to_string(most_w) +
           " (h, w) needs sides of at least it";
  return std::nullopt;
}

Tensor apply_pad(const NetLayer& l, ConstTensorView x) {
  if (const auto why = pad_refusal(l, x.shape))
    throw ShapeMismatch("pad layer input " + to_string(x.shape) + ": " + *why);
  const Shape3 s = x.shape;
  Tensor out(Shape3{s.c, s.h + l.pad_begin.h + l.pad_end.h, s.w + l.pad_begin.w + l.pad_end.w});
  // PyTorch's reflect is reflect-101, the images' kReflect.
  detail::pad_planes(x, out.view(), l.pad_begin, l.pad_mode, l.a);
  return out;
}

// Output shape of layer l for an input of shape s; throws as running it
// would (ShapeMismatch / InvalidArgument for a size it cannot take).
Shape3 layer_output(const NetLayer& l, const Shape3& s) {
  if (l.conv) return l.conv->output_shape(s);
  if (l.tconv) return l.tconv->output_shape(s);
  if (l.op == Op::kPixelShuffle)
    return {s.c / (l.factor * l.factor), s.h * l.factor, s.w * l.factor};
  if (l.op == Op::kPad) {
    if (const auto why = pad_refusal(l, s))
      throw ShapeMismatch("pad layer input " + to_string(s) + ": " + *why);
    return {s.c, s.h + l.pad_begin.h + l.pad_end.h, s.w + l.pad_begin.w + l.pad_end.w};
  }
  return s;
}

// Spatial output size of the layers for an h x w input, or nullopt when
// some layer cannot take the size.
std::optional<Size2> spatial_output(const std::vector<NetLayer>& layers, Shape3 s) {
  try {
    for (const NetLayer& l : layers) s = layer_output(l, s);
  } catch (const Error&) {
    return std::nullopt;
  }
  return Size2{s.h, s.w};
}

constexpr std::int64_t kFloatBytes = sizeof(float);

// Applies an elementwise or reshaping layer to x (in place where possible).
Tensor apply(const NetLayer& l, Tensor x) {
  if (l.conv) return l.conv->run(x.view());
  if (l.tconv) return l.tconv->run(x.view());
  const Shape3 s = x.shape();
  const std::size_t plane = static_cast<std::size_t>(s.h) * s.w;
  float* v = x.data();
  switch (l.op) {
    case Op::kRelu:
      for (std::size_t i = 0; i < x.span().size(); ++i) v[i] = v[i] > 0.0f ? v[i] : 0.0f;
      break;
    case Op::kPrelu:
      // torch.prelu: max(0, x) + a_c min(0, x), one slope or one per channel.
      for (int c = 0; c < s.c; ++c) {
        const float a = l.slopes.size() == 1 ? l.slopes[0] : l.slopes[static_cast<std::size_t>(c)];
        float* p = v + c * plane;
        for (std::size_t i = 0; i < plane; ++i) p[i] = p[i] >= 0.0f ? p[i] : a * p[i];
      }
      break;
    case Op::kLeakyRelu:
      for (std::size_t i = 0; i < x.span().size(); ++i) v[i] = v[i] >= 0.0f ? v[i] : l.a * v[i];
      break;
    case Op::kTanh:
      for (std::size_t i = 0; i < x.span().size(); ++i) v[i] = std::tanh(v[i]);
      break;
    case Op::kSigmoid:
      for (std::size_t i = 0; i < x.span().size(); ++i) v[i] = 1.0f / (1.0f + std::exp(-v[i]));
      break;
    case Op::kClamp:
      for (std::size_t i = 0; i < x.span().size(); ++i) v[i] = std::clamp(v[i], l.a, l.b);
      break;
    case Op::kPad: return apply_pad(l, x.view());
    case Op::kPixelShuffle: {
      // torch.pixel_shuffle: out[c][y r + i][x r + j] = in[c r^2 + i r + j][y][x].
      const int r = l.factor;
      Tensor out(Shape3{s.c / (r * r), s.h * r, s.w * r});
      for (int c = 0; c < out.shape().c; ++c)
        for (int i = 0; i < r; ++i)
          for (int j = 0; j < r; ++j) {
            const int ic = (c * r + i) * r + j;
            for (int y = 0; y < s.h; ++y) {
              const float* src = x.view().row(ic, y);
              float* dst = out.view().row(c, y * r + i) + j;
              for (int xx = 0; xx < s.w; ++xx) dst[xx * r] = src[xx];
            }
          }
      return out;
    }
    default: break;
  }
  return x;
}

// BT.601 (MATLAB rgb2ycbcr) for values in [0, 1]: ycbcr = kOffset + kM rgb.
constexpr const auto& kM = detail::kBt601UnitMatrix;
constexpr const auto& kOffset = detail::kBt601UnitOffset;

std::array<std::array<double, 3>, 3> inverse_m() {
  const auto& m = kM;
  const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                     m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                     m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  std::array<std::array<double, 3>, 3> inv{};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      // Cofactor of (c, r) over the determinant (adjugate = transposed cofactors).
      const int r1 = (c + 1) % 3, r2 = (c + 2) % 3, c1 = (r + 1) % 3, c2 = (r + 2) % 3;
      inv[r][c] = (m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1]) / det;
    }
  return inv;
}

void require_channels(ConstTensorView t, int c, const char* what) {
  if (t.shape.c != c)
    throw ShapeMismatch(std::string(what) + " input " + to_string(t.shape) + ": needs " +
                        std::to_string(c) + " channels");
}

ConvTranspose2d interpolator(Interpolation kind, int scale, int channels, const OpOptions& options) {
  tconv::Layer l = make_upsampler(kind, {scale, scale}, channels);
  OpOptions o = options;
  o.force_impl.clear();
  return ConvTranspose2d::create(l.params, std::move(l.weights), o);
}

}  // namespace

std::string_view to_string(ModelColor color) noexcept {
  switch (color) {
    case ModelColor::kY: return "y";
    case ModelColor::kRgb: return "rgb";
    case ModelColor::kGray: return "gray";
  }
  return "?";
}

std::string_view to_string(ModelResidual residual) noexcept {
  switch (residual) {
    case ModelResidual::kNone: return "none";
    case ModelResidual::kBicubic: return "bicubic";
    case ModelResidual::kBilinear: return "bilinear";
  }
  return "?";
}

Tensor rgb_to_ycbcr(ConstTensorView rgb) {
  require_channels(rgb, 3, "rgb_to_ycbcr");
  Tensor out(rgb.shape);
  const std::size_t plane = static_cast<std::size_t>(rgb.shape.h) * rgb.shape.w;
  const float* r = rgb.data;
  for (int k = 0; k < 3; ++k) {
    float* o = out.data() + k * plane;
    for (std::size_t i = 0; i < plane; ++i)
      o[i] = static_cast<float>(detail::bt601_ycbcr_unit(k, r[i], r[i + plane], r[i + 2 * plane]));
  }
  return out;
}

namespace {

// Y, Cb, Cr planes at `ycbcr` to R, G, B planes at `rgb` (each `plane`
// values); every pixel's three values are read before any is written, so
// rgb may be ycbcr (in place).
void ycbcr_to_rgb_planes(const float* ycbcr, float* rgb, std::size_t plane) {
  static const auto inv = inverse_m();
  for (std::size_t i = 0; i < plane; ++i) {
    const double y = ycbcr[i] - kOffset[0];
    const double cb = ycbcr[i + plane] - kOffset[1];
    const double cr = ycbcr[i + 2 * plane] - kOffset[2];
    for (std::size_t k = 0; k < 3; ++k)
      rgb[i + k * plane] = static_cast<float>(inv[k][0] * y + inv[k][1] * cb + inv[k][2] * cr);
  }
}

}  // namespace

Tensor ycbcr_to_rgb(ConstTensorView ycbcr) {
  require_channels(ycbcr, 3, "ycbcr_to_rgb");
  Tensor out(ycbcr.shape);
  ycbcr_to_rgb_planes(ycbcr.data, out.data(),
                      static_cast<std::size_t>(ycbcr.shape.h) * ycbcr.shape.w);
  return out;
}

struct Model::State {
  int scale = 1;
  ModelColor color = ModelColor::kY;
  ModelResidual residual = ModelResidual::kNone;
  std::map<std::string, std::string> metadata;
  std::vector<NetLayer> layers;
  std::optional<ConvTranspose2d> residual_op;  // channels() channels
  std::optional<ConvTranspose2d> chroma_op;    // 2 channels (y colour)
  std::optional<ConvTranspose2d> chroma_alpha_op;  // 1 channel: alpha as Cb, Cr see it
  std::string what;
};

Model::Model(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

Model Model::load(const std::string& path, const OpOptions& options) {
  const SafetensorsFile file = read_safetensors(path);
  return from_safetensors(file, path, options);
}

Model Model::from_safetensors(const SafetensorsFile& file, std::string_view what,
                              const OpOptions& options) {
  Builder b(file, what, options);
  auto st = std::make_unique<State>();
  st->what = std::string(what);
  st->metadata = file.metadata;
  if (const std::string& f = b.meta("tconv.format", "is this a tconv model file?"); f != "1")
    b.fail("tconv.format '" + f + "': only format 1 is known");
  st->scale = b.parse_scale();
  const std::string& color = b.meta("tconv.color", "y, rgb or gray");
  if (color == "y") st->color = ModelColor::kY;
  else if (color == "rgb") st->color = ModelColor::kRgb;
  else if (color == "gray") st->color = ModelColor::kGray;
  else b.fail("tconv.color '" + color + "': must be y, rgb or gray");
  if (const auto it = file.metadata.find("tconv.residual"); it != file.metadata.end()) {
    if (it->second == "none") st->residual = ModelResidual::kNone;
    else if (it->second == "bicubic") st->residual = ModelResidual::kBicubic;
    else if (it->second == "bilinear") st->residual = ModelResidual::kBilinear;
    else b.fail("tconv.residual '" + it->second + "': must be none, bicubic or bilinear");
  }
  const int channels = st->color == ModelColor::kRgb ? 3 : 1;
  st->layers = b.layers(channels);
  if (const int out = st->layers.back().out_channels; out != channels)
    b.fail("the layers end with " + std::to_string(out) + " channels; tconv.color " + color +
           " needs " + std::to_string(channels));
  for (const int n : kProbeSizes) {
    const auto out = spatial_output(st->layers, {channels, n, n});
    if (!out)
      b.fail("the layers cannot take a " + std::to_string(n) + "x" + std::to_string(n) + " input");
    if (out->h != n * st->scale || out->w != n * st->scale)
      b.fail("tconv.scale " + std::to_string(st->scale) + ": the layers turn " + std::to_string(n) +
             "x" + std::to_string(n) + " into " + to_string(*out) + ", not " +
             std::to_string(n * st->scale) + "x" + std::to_string(n * st->scale));
  }
  if (st->residual != ModelResidual::kNone)
    st->residual_op.emplace(interpolator(st->residual == ModelResidual::kBicubic
                                             ? Interpolation::kBicubic
                                             : Interpolation::kBilinear,
                                         st->scale, channels, options));
  if (st->color == ModelColor::kY)
    st->chroma_op.emplace(interpolator(Interpolation::kBicubic, st->scale, 2, options));
  if (st->color == ModelColor::kY)
    st->chroma_alpha_op.emplace(interpolator(Interpolation::kBicubic, st->scale, 1, options));
  return Model(std::move(st));
}

int Model::scale() const noexcept { return state_->scale; }
ModelColor Model::color() const noexcept { return state_->color; }
ModelResidual Model::residual() const noexcept { return state_->residual; }
int Model::channels() const noexcept { return state_->color == ModelColor::kRgb ? 3 : 1; }
const std::map<std::string, std::string>& Model::metadata() const noexcept {
  return state_->metadata;
}

double Model::macs_per_pixel() const noexcept {
  // A layer after an upsampling stage runs on more pixels: weight each by
  // the area ratio of its input to the network input.
  double total = 0;
  double area = 1;
  for (const NetLayer& l : state_->layers) {
    total += l.macs_per_pixel * area;
    if (l.tconv) area *= double(l.tconv->params().stride.h) * l.tconv->params().stride.w;
    if (l.conv) area /= double(l.conv->params().stride.h) * l.conv->params().stride.w;
    if (l.op == Op::kPixelShuffle) area *= double(l.factor) * l.factor;
  }
  return total;
}

std::vector<std::string> Model::describe() const {
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < state_->layers.size(); ++i) {
    const NetLayer& l = state_->layers[i];
    std::string s = std::to_string(i) + " " + std::string(name_of(l.op));
    if (l.conv) s += " " + l.conv->params().to_string();
    if (l.tconv) s += " " + l.tconv->params().to_string();
    if (l.op == Op::kPixelShuffle) s += " factor " + std::to_string(l.factor);
    if (l.op == Op::kPad)
      s += " " + std::string(kPadModes[static_cast<int>(l.pad_mode)]) + " " +
           std::to_string(l.pad_begin.h) + "," + std::to_string(l.pad_begin.w) + "," +
           std::to_string(l.pad_end.h) + "," + std::to_string(l.pad_end.w);
    if (l.op == Op::kPrelu) s += " " + std::to_string(l.slopes.size()) + " slope(s)";
    s += " -> " + std::to_string(l.out_channels) + " ch";
    if (l.conv) s += " (" + std::string(l.conv->impl_name()) + ")";
    if (l.tconv) s += " (" + std::string(l.tconv->impl_name()) + ")";
    lines.push_back(std::move(s));
  }
  return lines;
}

std::int64_t Model::network_peak_bytes(const Shape3& src) const {
  const State& st = *state_;
  if (src.c != channels())
    throw ShapeMismatch("model " + st.what + " input " + to_string(src) + ": needs " +
                        std::to_string(channels()) + " channels");
  // run_network() keeps one activation x; a layer that makes a new tensor
  // holds x and its output (and a convolution its scratch) at once.
  Shape3 s = src;
  std::int64_t peak = s.elements() * kFloatBytes;
  for (const NetLayer& l : st.layers) {
    const Shape3 o = layer_output(l, s);
    std::int64_t live = s.elements() * kFloatBytes;
    if (l.conv || l.tconv || l.op == Op::kPad || l.op == Op::kPixelShuffle) {
      if (o.elements() > Tensor::kMaxElements)
        throw LimitExceeded("model " + st.what + " layer output " + to_string(o) + ": too large");
      live += o.elements() * kFloatBytes;
    }
    if (l.conv) live += l.conv->scratch_bytes(s);
    if (l.tconv) live += l.tconv->scratch_bytes(s);
    peak = std::max(peak, live);
    s = o;
  }
  const Shape3 want{channels(), src.h * st.scale, src.w * st.scale};
  if (s != want)
    throw ShapeMismatch("model " + st.what + " input " + to_string(src) + ": the layers give " +
                        to_string(s) + ", not " + to_string(want) +
                        " (this input size does not suit the network)");
  if (st.residual_op)
    peak = std::max(peak, 2 * want.elements() * kFloatBytes +
                              run_with_border_scratch_bytes(*st.residual_op, src,
                                                            Border::kReplicate));
  return peak;
}

std::int64_t Model::planned_peak_bytes(const Shape3& image) const {
  const State& st = *state_;
  const int c = image.c;
  if (c != 1 && c != 3 && c != 4)
    throw ShapeMismatch("model " + st.what + " image " + to_string(image) +
                        ": needs 1, 3 or 4 channels");
  const Size2 size{image.h, image.w};
  const Shape3 one{1, image.h, image.w};
  const Shape3 three{3, image.h, image.w};
  const Shape3 out_shape{c, image.h * st.scale, image.w * st.scale};
  if (out_shape.elements() > Tensor::kMaxElements)
    throw LimitExceeded("model " + st.what + " output " + to_string(out_shape) + ": too large");
  // The output is allocated first and filled in place; with alpha the
  // premultiplied colour planes live until the colour stage ends, then
  // alpha takes the gray path.
  const std::int64_t out = out_shape.elements() * kFloatBytes;
  if (c == 1) return out + gray_peak_bytes(size);
  std::int64_t colour = 0;
  switch (st.color) {
    case ModelColor::kY:
      // Y, Cb, Cr at the input size, then the network on Y; Cb and Cr are
      // interpolated straight into the output.
      colour = three.elements() * kFloatBytes +
               std::max(network_peak_bytes(one),
                        run_with_border_scratch_bytes(*st.chroma_op, {2, image.h, image.w},
                                                      Border::kReplicate));
      break;
    case ModelColor::kRgb: colour = network_peak_bytes(three); break;
    case ModelColor::kGray: colour = gray_peak_bytes(size); break;
  }
  const std::int64_t premultiplied = c == 4 ? three.elements() * kFloatBytes : 0;
  std::int64_t peak = out + premultiplied + colour;
  // Y, Cb, Cr stay while alpha takes the gray path and the chroma's path.
  const std::int64_t kept = st.color == ModelColor::kY ? three.elements() * kFloatBytes : 0;
  if (c == 4) peak = std::max(peak, out + kept + gray_peak_bytes(size));
  if (c == 4 && st.chroma_alpha_op)
    peak = std::max(peak, out + three.elements() * kFloatBytes +
                              out_shape.elements() / c * kFloatBytes +
                              run_with_border_scratch_bytes(*st.chroma_alpha_op, one,
                                                            Border::kReplicate));
  return peak;
}

Tensor Model::run_network(ConstTensorView src) const {
  const State& st = *state_;
  require_channels(src, channels(), ("model " + st.what).c_str());
  Tensor x(src.shape, std::vector<float>(src.span().begin(), src.span().end()));
  for (const NetLayer& l : st.layers) x = apply(l, std::move(x));
  const Shape3 want{channels(), src.shape.h * st.scale, src.shape.w * st.scale};
  if (x.shape() != want)
    throw ShapeMismatch("model " + st.what + " input " + to_string(src.shape) + ": the layers give " +
                        to_string(x.shape()) + ", not " + to_string(want) +
                        " (this input size does not suit the network)");
  if (st.residual_op) {
    const Tensor up = run_with_border(*st.residual_op, src, Border::kReplicate);
    const auto u = up.span();
    const auto o = x.span();
    for (std::size_t i = 0; i < o.size(); ++i) o[i] += u[i];
  }
  return x;
}

void Model::run_gray(const float* src, float* dst, Size2 size) const {
  const State& st = *state_;
  const Shape3 one{1, size.h, size.w};
  const auto plane = static_cast<std::size_t>(one.elements());
  const auto out_plane = plane * static_cast<std::size_t>(st.scale) * st.scale;
  switch (st.color) {
    case ModelColor::kY: {
      // Gray v is R = G = B = v: Y = 16/255 + 219/255 v, and back.
      Tensor y(one);
      for (std::size_t i = 0; i < plane; ++i)
        y.data()[i] = static_cast<float>(kOffset[0] + (219.0 / 255) * src[i]);
      const Tensor yo = run_network(y.view());
      for (std::size_t i = 0; i < out_plane; ++i)
        dst[i] = static_cast<float>((yo.data()[i] - kOffset[0]) * (255.0 / 219));
      break;
    }
    case ModelColor::kRgb: {
      // R = G = B in, BT.601 luma of the result out.
      Tensor three(Shape3{3, one.h, one.w});
      for (std::size_t k = 0; k < 3; ++k) std::copy(src, src + plane, three.data() + k * plane);
      const Tensor o = run_network(three.view());
      const float* p = o.data();
      for (std::size_t i = 0; i < out_plane; ++i)
        dst[i] = detail::bt601_luma(p[i], p[i + out_plane], p[i + 2 * out_plane]);
      break;
    }
    case ModelColor::kGray: {
      const Tensor o = run_network({src, one});
      std::copy(o.span().begin(), o.span().end(), dst);
      break;
    }
  }
}

std::int64_t Model::gray_peak_bytes(Size2 size) const {
  const Shape3 one{1, size.h, size.w};
  switch (state_->color) {
    case ModelColor::kY: return one.elements() * kFloatBytes + network_peak_bytes(one);
    case ModelColor::kRgb:
      return 3 * one.elements() * kFloatBytes + network_peak_bytes({3, size.h, size.w});
    case ModelColor::kGray: break;
  }
  return network_peak_bytes(one);
}

Tensor Model::upsample(ConstTensorView image) const {
  const State& st = *state_;
  const int c = image.shape.c;
  if (c != 1 && c != 3 && c != 4)
    throw ShapeMismatch("model " + st.what + " image " + to_string(image.shape) +
                        ": needs 1, 3 or 4 channels");
  const Size2 size{image.shape.h, image.shape.w};
  const std::size_t plane = static_cast<std::size_t>(size.h) * size.w;
  const Shape3 one{1, size.h, size.w};
  const Shape3 out_shape{c, size.h * st.scale, size.w * st.scale};
  if (out_shape.elements() > Tensor::kMaxElements)
    throw LimitExceeded("model " + st.what + " output " + to_string(out_shape) + ": too large");
  const std::size_t out_plane = static_cast<std::size_t>(out_shape.h) * out_shape.w;
  Tensor out(out_shape);
  if (c == 1) {
    run_gray(image.data, out.data(), size);
    return out;
  }
  // With alpha, the colour goes through premultiplied by alpha (clamped to
  // [0, 1]), so a transparent pixel adds no colour to its visible neighbours.
  Tensor premultiplied;
  if (c == 4) {
    premultiplied = Tensor(Shape3{3, one.h, one.w});
    const float* alpha = image.data + 3 * plane;
    for (std::size_t k = 0; k < 3; ++k)
      for (std::size_t i = 0; i < plane; ++i)
        premultiplied.data()[k * plane + i] =
            image.data[k * plane + i] * std::clamp(alpha[i], 0.0f, 1.0f);
  }
  const ConstTensorView rgb = c == 4 ? premultiplied.view()
                                     : ConstTensorView{image.data, {3, one.h, one.w}};
  float* alpha = out.data() + 3 * out_plane;
  switch (st.color) {
    case ModelColor::kY: {
      // Y through the network and Cb, Cr interpolated, all into the first
      // three output planes, then converted to R, G, B in place.
      const Tensor ycc = rgb_to_ycbcr(rgb);
      {
        const Tensor yo = run_network({ycc.data(), one});
        std::copy(yo.span().begin(), yo.span().end(), out.data());
      }
      run_with_border(*st.chroma_op, {ycc.data() + plane, {2, one.h, one.w}},
                      {out.data() + out_plane, {2, out_shape.h, out_shape.w}}, Border::kReplicate);
      if (c == 4) {
        // Premultiplied, Y - 16/255 scales with alpha as the network sees it
        // (the gray path) and Cb - 128/255, Cr - 128/255 with alpha as the
        // chroma interpolation sees it; each is divided by its own alpha.
        premultiplied = Tensor();
        run_gray(image.data + 3 * plane, alpha, size);
        const Tensor chroma_alpha = run_with_border(
            *st.chroma_alpha_op, {image.data + 3 * plane, one}, Border::kReplicate);
        float* p = out.data();
        for (std::size_t i = 0; i < out_plane; ++i) {
          const float ac = chroma_alpha.data()[i];
          p[i] = alpha[i] > 0.0f ? static_cast<float>(kOffset[0] + (p[i] - kOffset[0]) / alpha[i])
                                 : static_cast<float>(kOffset[0]);
          for (std::size_t k = 1; k < 3; ++k) {
            float& v = p[k * out_plane + i];
            v = ac > 0.0f ? static_cast<float>(kOffset[k] + (v - kOffset[k]) / ac)
                          : static_cast<float>(kOffset[k]);
          }
        }
      }
      ycbcr_to_rgb_planes(out.data(), out.data(), out_plane);
      if (c == 4) {
        for (std::size_t k = 0; k < 3; ++k)
          for (std::size_t i = 0; i < out_plane; ++i)
            if (!(alpha[i] > 0.0f)) out.data()[k * out_plane + i] = 0.0f;
        for (std::size_t i = 0; i < out_plane; ++i) alpha[i] = std::clamp(alpha[i], 0.0f, 1.0f);
      }
      return out;
    }
    case ModelColor::kRgb: {
      const Tensor o = run_network(rgb);
      std::copy(o.span().begin(), o.span().end(), out.data());
      break;
    }
    case ModelColor::kGray:
      for (std::size_t k = 0; k < 3; ++k)
        run_gray(rgb.data + k * plane, out.data() + k * out_plane, size);
      break;
  }
  if (c == 4) {
    premultiplied = Tensor();
    // Alpha takes the colour's path (as a gray image), so premultiplied
    // colour and alpha are filtered alike and a flat colour divides back to
    // itself exactly; where alpha is not positive, no colour either.
    run_gray(image.data + 3 * plane, alpha, size);
    for (std::size_t k = 0; k < 3; ++k)
      for (std::size_t i = 0; i < out_plane; ++i) {
        float& v = out.data()[k * out_plane + i];
        v = alpha[i] > 0.0f ? v / alpha[i] : 0.0f;
      }
    for (std::size_t i = 0; i < out_plane; ++i) alpha[i] = std::clamp(alpha[i], 0.0f, 1.0f);
  }
  return out;
}

}  // namespace tconv

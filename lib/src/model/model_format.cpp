// The model file reader (docs/model-format.md): the metadata, then the
// layer list parsed and validated against the channels flowing in, every
// convolution planned; the geometry checked on two probe sizes.
#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>

#include "io/json.hpp"
#include "model/model_internal.hpp"
#include "tconv/core/error.hpp"
#include "tconv/core/torch_settings.hpp"
#include "tconv/resample/factories.hpp"

namespace tconv::detail {

namespace {

// Sizes the layer geometry is checked on: out must be scale x in for both
// (multiples of 2, 3, 4, 6 and 12, so strided stages divide evenly).
constexpr std::array<int, 2> kProbeSizes = {60, 84};

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : "") + std::to_string(shape[i]);
  return shape.empty() ? "scalar" : s;
}

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
    if (!ok || v < 1 || v > kMaxModelScale)
      fail("tconv.scale '" + s + "': must be an integer in [1, " + std::to_string(kMaxModelScale) + "]");
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
    if (found == nullptr) {
      std::string list;
      for (const OpName& o : kOps) list += (list.empty() ? "" : ", ") + std::string(o.name);
      fail("layer " + std::to_string(index_) + ": unknown op \"" + op->text + "\" (" + list + ")");
    }
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
        l.factor = integer(*f, "factor", 1, kMaxModelScale);
        const int r2 = l.factor * l.factor;
        if (channels % r2 != 0)
          fail_layer("factor " + std::to_string(l.factor) + " needs a multiple of " +
                     std::to_string(r2) + " input channels, got " + std::to_string(channels));
        l.out_channels = channels / r2;
        break;
      }
      case Op::kPad: pad(j, l); break;
      case Op::kUpsample: upsample(j, l); break;
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

  // {"op": "upsample", "factor": F, "mode"?: nearest | bilinear}:
  // torch.nn.Upsample(scale_factor=F, mode=..., align_corners=False).
  void upsample(const JsonValue& j, NetLayer& l) const {
    check_keys(j, {"factor", "mode"});
    const JsonValue* f = j.find("factor");
    if (f == nullptr)
      fail_layer("needs \"factor\" (an integer in [1, " + std::to_string(kMaxModelScale) + "])");
    l.factor = integer(*f, "factor", 1, kMaxModelScale);
    if (const JsonValue* m = j.find("mode")) {
      const auto* found = m->is_string() ? std::find(std::begin(kUpsampleModes),
                                                     std::end(kUpsampleModes), m->text)
                                         : std::end(kUpsampleModes);
      if (found == std::end(kUpsampleModes))
        fail_layer("\"mode\" " + (m->is_string() ? "'" + m->text + "'" : std::string("value")) +
                   ": must be nearest or bilinear");
      l.upsample_mode = static_cast<UpsampleMode>(found - std::begin(kUpsampleModes));
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

ConvTranspose2d interpolator(Interpolation kind, int scale, int channels, const OpOptions& options) {
  tconv::Layer l = make_upsampler(kind, {scale, scale}, channels);
  OpOptions o = options;
  o.force_impl.clear();
  return ConvTranspose2d::create(l.params, std::move(l.weights), o);
}

}  // namespace

void parse_model(const SafetensorsFile& file, std::string_view what, const OpOptions& options,
                 ModelData& data) {
  Builder b(file, what, options);
  ModelData* st = &data;
  st->what = std::string(what);
  st->options = options;
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
                                         st->scale, channels, options),
                            Border::kReplicate);
  if (st->color == ModelColor::kY)
    st->chroma_op.emplace(interpolator(Interpolation::kBicubic, st->scale, 2, options),
                          Border::kReplicate);
  if (st->color == ModelColor::kY)
    st->chroma_alpha_op.emplace(interpolator(Interpolation::kBicubic, st->scale, 1, options),
                                Border::kReplicate);
}

}  // namespace tconv::detail

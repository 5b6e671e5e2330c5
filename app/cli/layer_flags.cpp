// Layer flags: parsing and turning them into a ConvTranspose2d layer.
#include "cli/layer_flags.hpp"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <vector>

#include "cli/exit_codes.hpp"
#include "cli/model_lookup.hpp"
#include "cli/suggest.hpp"
#include "tconv/core/error.hpp"
#include "tconv/core/torch_settings.hpp"
#include "tconv/io/npy.hpp"

namespace tconv::app {

namespace {

std::vector<int> parse_ints(const std::string& text, const char* flag) {
  std::vector<int> values;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  while (true) {
    int v = 0;
    const auto [next, ec] = std::from_chars(p, end, v);
    if (ec != std::errc() || next == p)
      throw UsageError(std::string(flag) + " " + text + ": expected integers separated by commas");
    values.push_back(v);
    p = next;
    if (p == end) break;
    if (*p != ',')
      throw UsageError(std::string(flag) + " " + text + ": expected integers separated by commas");
    ++p;
  }
  return values;
}

Shape4 shape4_of(const NpyArray& a, const std::string& path) {
  if (a.shape.size() != 4)
    throw UsageError("--weights " + path + ": expected a 4-d array (in, out/groups, kh, kw), got " +
                     std::to_string(a.shape.size()) + "-d");
  for (auto d : a.shape)
    if (d < 1 || d > kMaxChannels)
      throw UsageError("--weights " + path + ": dimension " + std::to_string(d) +
                       " out of range [1, " + std::to_string(kMaxChannels) + "]");
  return {static_cast<int>(a.shape[0]), static_cast<int>(a.shape[1]), static_cast<int>(a.shape[2]),
          static_cast<int>(a.shape[3])};
}

}  // namespace

void add_layer_flags(CLI::App& cmd, LayerFlags& f) {
  cmd.add_option("-s,--scale", f.scale,
                 "Upsampling factor F or FH,FW, height first (the stride with --weights)")
      ->capture_default_str()
      ->each([&f](const std::string&) { f.scale_given = true; });
  cmd.add_option("-k,--kernel", f.kernel,
                 "Interpolation kernel: bilinear (default), nearest, bicubic, lanczos3 (also linear, "
                 "box, cubic, catrom, lanczos; any case)");
  cmd.add_option("-w,--weights", f.weights,
                 "Learned weights W.npy, PyTorch ConvTranspose2d layout (in, out/groups, kh, kw)");
  cmd.add_option("--bias", f.bias, "Bias B.npy (out,), with --weights");
  cmd.add_option("--padding", f.padding,
                 "With --weights: P, PH,PW, T,L,B,R (top,left,bottom,right), same or same_lower");
  cmd.add_option("--output-padding", f.output_padding, "With --weights: O or OH,OW");
  cmd.add_option("--dilation", f.dilation, "With --weights: D or DH,DW");
  cmd.add_option("--output-size", f.output_size,
                 "With --weights: requested output size H,W, height first (PyTorch output_size)");
  cmd.add_option("--groups", f.groups, "With --weights: groups")->capture_default_str();
  cmd.add_option("--border", f.border,
                 "Beyond the edge: zero, replicate (images' default), reflect, normalize");
  cmd.add_option("--model", f.model,
                 "Learned upsampler: a file M.safetensors, or a name such as fsrcnn_y_x2 looked up "
                 "in TCONV_MODEL_PATH, the user's and the installed models (see `models`); -s, if "
                 "given, must match it");
}

std::optional<Model> load_model(const LayerFlags& f, const OpOptions& options) {
  if (f.model.empty()) return std::nullopt;
  const std::pair<bool, const char*> conflicts[] = {
      {!f.kernel.empty(), "--kernel"},         {!f.weights.empty(), "--weights"},
      {!f.bias.empty(), "--bias"},             {!f.padding.empty(), "--padding"},
      {!f.output_padding.empty(), "--output-padding"}, {!f.dilation.empty(), "--dilation"},
      {!f.output_size.empty(), "--output-size"}, {f.groups != 1, "--groups"},
      {!f.border.empty(), "--border"}};
  for (const auto& [given, flag] : conflicts)
    if (given) throw UsageError(std::string("--model cannot be combined with ") + flag);
  const std::string file = resolve_model(f.model);
  if (file != f.model) spdlog::debug("--model {}: {}", f.model, file);
  Model model = Model::load(file, options);
  if (f.scale_given) {
    const Size2 s = scale_of(f);
    if (s != Size2{model.scale(), model.scale()})
      throw UsageError("-s " + f.scale + ": --model " + f.model + " upsamples by " +
                       std::to_string(model.scale()));
  }
  return model;
}

Size2 parse_pair(const std::string& text, const char* flag, int lo, int hi) {
  const std::vector<int> v = parse_ints(text, flag);
  if (v.size() != 1 && v.size() != 2)
    throw UsageError(std::string(flag) + " " + text + ": expected N or H,W");
  const Size2 s = v.size() == 1 ? Size2{v[0], v[0]} : Size2{v[0], v[1]};
  // Range rules are the library's; only reject what cannot be represented.
  if (s.h < lo || s.w < lo || s.h > hi || s.w > hi)
    throw UsageError(std::string(flag) + " " + text + ": each value must be in [" +
                     std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return s;
}

std::string scale_text(Size2 scale) {
  return scale.h == scale.w ? std::to_string(scale.h)
                            : std::to_string(scale.h) + "x" + std::to_string(scale.w);
}

Size2 scale_of(const LayerFlags& flags) {
  // The library names the rule for out-of-range values; the pair only has to parse.
  return parse_pair(flags.scale, "-s", INT_MIN, INT_MAX);
}

Border border_of(const LayerFlags& flags, Border fallback) {
  if (flags.border.empty()) return fallback;
  const auto border = parse_border(flags.border);
  if (!border)
    throw UsageError("--border " + flags.border +
                     ": unknown border (zero, replicate, reflect, normalize)");
  return *border;
}

std::optional<Interpolation> interpolation_of(const LayerFlags& f) {
  if (!f.weights.empty()) return std::nullopt;
  const std::string name = f.kernel.empty() ? "bilinear" : f.kernel;
  const auto kind = parse_interpolation(name);
  if (!kind)
    throw UsageError("--kernel " + name + ": unknown kernel" + did_you_mean(name, interpolation_names()) +
                     " (bilinear, nearest, bicubic, lanczos3; also linear, box, cubic, catrom, lanczos)");
  return kind;
}

LayerSource::LayerSource(const LayerFlags& f) : scale_(scale_of(f)) {
  const Size2 scale = scale_;
  if (f.weights.empty()) {
    for (const auto& [value, flag] :
         {std::pair{&f.bias, "--bias"}, std::pair{&f.padding, "--padding"},
          std::pair{&f.output_padding, "--output-padding"}, std::pair{&f.dilation, "--dilation"},
          std::pair{&f.output_size, "--output-size"}})
      if (!value->empty()) throw UsageError(std::string(flag) + " applies only with --weights");
    if (f.groups != 1) throw UsageError("--groups applies only with --weights");
    interpolation_ = interpolation_of(f);
    return;
  }
  if (!f.kernel.empty()) throw UsageError("--kernel and --weights exclude each other");
  if (!f.scale_given) throw UsageError("--weights needs -s, the stride of the layer");

  NpyArray w = read_npy(f.weights);
  Layer& layer = weights_layer_;
  layer.weights.shape = shape4_of(w, f.weights);
  layer.weights.values = std::move(w.values);
  if (!f.bias.empty()) {
    NpyArray b = read_npy(f.bias);
    if (b.shape.size() != 1)
      throw UsageError("--bias " + f.bias + ": expected a 1-d array (out,), got " +
                       std::to_string(b.shape.size()) + "-d");
    layer.weights.bias = std::move(b.values);
  }
  ConvParams base;
  base.in_channels = layer.weights.shape.n;
  base.out_channels = layer.weights.shape.c * std::max(f.groups, 1);
  base.kernel = {layer.weights.shape.h, layer.weights.shape.w};
  TorchConvSettings settings;
  settings.groups = f.groups;
  settings.stride = {scale.h, scale.w};
  const bool word = !f.padding.empty() && (f.padding[0] < '0' || f.padding[0] > '9') &&
                    f.padding[0] != '-' && f.padding[0] != '+';
  if (word) settings.padding_word = f.padding;
  else if (!f.padding.empty()) settings.padding = parse_ints(f.padding, "--padding");
  if (!f.output_padding.empty())
    settings.output_padding = parse_ints(f.output_padding, "--output-padding");
  if (!f.dilation.empty()) settings.dilation = parse_ints(f.dilation, "--dilation");
  if (!f.output_size.empty()) settings.output_size = parse_ints(f.output_size, "--output-size");
  try {
    layer.params = torch_conv_params(ConvKind::kConvTranspose2d, settings, base);
  } catch (const InvalidArgument& e) {
    throw UsageError(e.what());
  }
}

Layer LayerSource::layer(int channels) const {
  if (interpolation_) return make_upsampler(*interpolation_, scale_, channels);
  return weights_layer_;  // the op checks the input's channels against in_channels when it runs
}

ConvParams LayerSource::params(int channels) const {
  if (interpolation_) return make_upsampler(*interpolation_, scale_, channels).params;
  return weights_layer_.params;
}

Layer make_layer(const LayerFlags& flags, int channels) { return LayerSource(flags).layer(channels); }

}  // namespace tconv::app

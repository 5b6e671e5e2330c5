// Layer flags: parsing and turning them into a ConvTranspose2d layer.
#include "cli/layer_flags.hpp"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <numeric>
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
                 "Upsampling factor: 2, 1.5 or 150%; FH,FW per axis, height first (an integer "
                 "stride with --weights)")
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

void add_target_flags(CLI::App& cmd, LayerFlags& f) {
  cmd.add_option("--size", f.size, "Output size WxH, width first (e.g. 1920x1080); sets both sides");
  cmd.add_option("--width", f.width, "Output width; the height keeps the aspect ratio");
  cmd.add_option("--height", f.height, "Output height; the width keeps the aspect ratio");
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

namespace {

// One factor of -s: "2", "1.5" or "150%" as num / den in lowest terms.
Ratio parse_factor(const std::string& text, const std::string& all) {
  std::size_t at = 0;
  std::int64_t digits = 0;
  std::int64_t den = 1;
  int whole = 0;
  int decimals = 0;
  while (at < text.size() && text[at] >= '0' && text[at] <= '9' && whole < 9)
    digits = digits * 10 + (text[at++] - '0'), ++whole;
  if (at < text.size() && text[at] == '.') {
    ++at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9' && decimals < 6)
      digits = digits * 10 + (text[at++] - '0'), den *= 10, ++decimals;
  }
  if (at < text.size() && text[at] == '%') ++at, den *= 100;
  if (whole == 0 || at != text.size() || (text.find('.') != std::string::npos && decimals == 0))
    throw UsageError("-s " + all + ": expected a factor such as 2, 1.5 or 150% (at most 6 decimals), "
                     "or FH,FW per axis");
  if (digits < den)
    throw UsageError("-s " + all + ": factors below 1 are refused: this tool upsamples (for a "
                     "smaller image use a downscaler such as vips or ImageMagick)");
  // Integer factors are strides too; the library names their limits.
  if (den != 1 && digits > den * kMaxFactor)
    throw UsageError("-s " + all + ": fractional factors above " + std::to_string(kMaxFactor) +
                     " are refused");
  if (digits > INT32_MAX) throw UsageError("-s " + all + ": factor out of range");
  const std::int64_t g = std::gcd(digits, den);
  return {static_cast<int>(digits / g), static_cast<int>(den / g)};
}

// Decimal text of a ratio whose denominator divides a power of ten (every
// ratio -s gives): "1.5", "2".
std::string decimal_text(Ratio r) {
  std::string text = std::to_string(r.num / r.den);
  std::int64_t rest = r.num % r.den;
  if (rest != 0) text += '.';
  for (int i = 0; rest != 0 && i < 8; ++i) {
    rest *= 10;
    text += static_cast<char>('0' + rest / r.den);
    rest %= r.den;
  }
  return text;
}

// A side of --size, --width or --height: an integer in [1, kMaxRatioTerm].
UsageError size_error(const std::string& flag, const std::string& all) {
  return UsageError(flag + " " + all + ": expected " +
                    (flag == "--size" ? std::string("WxH, width first, e.g. 1920x1080")
                                      : std::string("a size in pixels")) +
                    " (each side in [1, " + std::to_string(kMaxRatioTerm) + "])");
}

int parse_side(const std::string& text, const std::string& flag, const std::string& all) {
  int v = 0;
  const auto [next, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || next != text.data() + text.size() || v < 1 || v > kMaxRatioTerm)
    throw size_error(flag, all);
  return v;
}

// --size WxH as {h, w}.
Size2 parse_wxh(const std::string& text) {
  const std::size_t x = text.find_first_of("xX");
  if (x == std::string::npos) throw size_error("--size", text);
  return {parse_side(text.substr(x + 1), "--size", text), parse_side(text.substr(0, x), "--size", text)};
}

}  // namespace

Ratio2 scale_ratio_of(const LayerFlags& flags) {
  const std::string& text = flags.scale;
  const std::size_t comma = text.find(',');
  if (comma == std::string::npos) {
    const Ratio r = parse_factor(text, text);
    return {r, r};
  }
  if (text.find(',', comma + 1) != std::string::npos)
    throw UsageError("-s " + text + ": expected F or FH,FW");
  return {parse_factor(text.substr(0, comma), text), parse_factor(text.substr(comma + 1), text)};
}

Size2 scale_of(const LayerFlags& flags) {
  const Ratio2 r = scale_ratio_of(flags);
  if (r.h.den != 1 || r.w.den != 1)
    throw UsageError("-s " + flags.scale + ": needs an integer factor here (fractional factors "
                     "serve the interpolation kernels of the main command)");
  return {r.h.num, r.w.num};
}

std::string scale_name(const LayerFlags& flags) {
  if (!flags.size.empty()) return flags.size;
  if (!flags.width.empty()) return "w" + flags.width;
  if (!flags.height.empty()) return "h" + flags.height;
  const Ratio2 r = scale_ratio_of(flags);
  return r.h == r.w ? decimal_text(r.h) : decimal_text(r.h) + "x" + decimal_text(r.w);
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

LayerSource::LayerSource(const LayerFlags& f) {
  const Ratio2 ratio = scale_ratio_of(f);
  scale_ = {ratio.h.num, ratio.w.num};
  if (ratio.h.den != 1 || ratio.w.den != 1) fixed_ratio_ = ratio;
  targeted_ = !f.size.empty() || !f.width.empty() || !f.height.empty();
  if (targeted_) {
    if (f.scale_given) throw UsageError("-s and --size, --width or --height exclude each other");
    if (!f.size.empty() && (!f.width.empty() || !f.height.empty()))
      throw UsageError("--size sets both sides; --width and --height go without it");
    if (!f.width.empty() && !f.height.empty())
      throw UsageError("--width " + f.width + " --height " + f.height +
                       ": give one (the other side keeps the aspect ratio), or --size " + f.width +
                       "x" + f.height + " for both");
    if (!f.size.empty()) {
      target_ = parse_wxh(f.size);
    } else if (!f.width.empty()) {
      target_ = {0, parse_side(f.width, "--width", f.width)};
    } else {
      target_ = {parse_side(f.height, "--height", f.height), 0};
    }
  }
  if (resamples() && !f.weights.empty())
    throw UsageError(std::string(targeted_ ? "--size, --width and --height" : "-s " + f.scale) +
                     ": --weights takes an integer -s, the layer's stride (fractional factors "
                     "and target sizes serve the interpolation kernels)");
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

Ratio2 LayerSource::ratio_for(Size2 size) const {
  if (fixed_ratio_) return *fixed_ratio_;
  const std::string input = std::to_string(size.w) + "x" + std::to_string(size.h);
  // One side given: its ratio for both axes, so the aspect ratio stays.
  auto ratio = [&](int target, int in, const char* side) {
    if (target < in)
      throw InputError("the target " + std::string(side) + " " + std::to_string(target) +
                       " is smaller than the input's (" + input +
                       "): factors below 1 are refused, this tool upsamples");
    try {
      return reduced({target, in});
    } catch (const InvalidArgument&) {
      throw InputError("the input " + input + " is too large for a target size (sides up to " +
                       std::to_string(kMaxRatioTerm) + ")");
    }
  };
  // One side given: the other follows by the same factor, rounded as
  // resampled_length() rounds; then each axis maps the input's edges onto
  // the output's exactly (its own out / in), as cv::resize and ImageMagick
  // do for a size.
  Size2 target = target_;
  if (target.h == 0)
    target.h = static_cast<int>(std::min<std::int64_t>(
        resampled_length(size.h, ratio(target.w, size.w, "width")), kMaxRatioTerm));
  if (target.w == 0)
    target.w = static_cast<int>(std::min<std::int64_t>(
        resampled_length(size.w, ratio(target.h, size.h, "height")), kMaxRatioTerm));
  return {ratio(target.h, size.h, "height"), ratio(target.w, size.w, "width")};
}

Size2 LayerSource::output_size(Size2 size) const {
  if (!resamples()) {
    const ConvParams geometry = params(1);
    geometry.validate(ConvKind::kConvTranspose2d);
    const Shape3 out =
        geometry.output_shape(ConvKind::kConvTranspose2d, {geometry.in_channels, size.h, size.w});
    return {out.h, out.w};
  }
  const Ratio2 r = ratio_for(size);
  const std::int64_t h = resampled_length(size.h, r.h);
  const std::int64_t w = resampled_length(size.w, r.w);
  if (h > INT32_MAX || w > INT32_MAX)
    throw InputError("the output of " + std::to_string(size.w) + "x" + std::to_string(size.h) +
                     " would have a side above 2^31 - 1");
  return {static_cast<int>(h), static_cast<int>(w)};
}

Layer make_layer(const LayerFlags& flags, int channels) { return LayerSource(flags).layer(channels); }

}  // namespace tconv::app

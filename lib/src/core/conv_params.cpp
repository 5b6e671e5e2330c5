// Parameter validation and resolution: every rule of the contract is
// checked here, once, before anything is allocated.
#include "tconv/core/conv_params.hpp"

#include <algorithm>
#include <climits>

#include "tconv/core/error.hpp"

namespace tconv {

std::string_view to_string(ConvKind kind) noexcept {
  return kind == ConvKind::kConvTranspose2d ? "conv_transpose2d" : "conv2d";
}

namespace {

std::string hw(Size2 s) { return to_string(s); }

std::string pads(const ConvParams& p) {
  return std::to_string(p.pad_begin.h) + "," + std::to_string(p.pad_begin.w) + "," +
         std::to_string(p.pad_end.h) + "," + std::to_string(p.pad_end.w);
}

bool in_range(Size2 s, int lo, int hi) { return s.h >= lo && s.w >= lo && s.h <= hi && s.w <= hi; }

const std::string kMaxText = std::to_string(kMaxParamValue);

// Output length along one axis of conv_transpose2d with explicit pads.
std::int64_t tconv_length(std::int64_t in, int k, int s, int d, int pb, int pe, int op) {
  return (in - 1) * s - pb - pe + std::int64_t{d} * (k - 1) + op + 1;
}

struct Axis {
  int pad_begin = 0;
  int pad_end = 0;
  int output_padding = 0;
  std::int64_t out = 0;
};

// ONNX auto_pad split: the odd pixel goes to the end (upper) or begin (lower).
void split_same(AutoPad mode, std::int64_t total, Axis& a) {
  const auto half = static_cast<int>(total / 2);
  const auto rest = static_cast<int>(total - half);
  a.pad_begin = mode == AutoPad::kSameUpper ? half : rest;
  a.pad_end = mode == AutoPad::kSameUpper ? rest : half;
}

Axis resolve_tconv_axis(const ConvParams& p, int in, int k, int s, int d, int pb, int pe, int op,
                        std::optional<int> requested) {
  Axis a{pb, pe, op, 0};
  if (p.auto_pad != AutoPad::kNone) {
    // out = in * s  <=>  pb + pe - op == d * (k - 1) + 1 - s.
    const std::int64_t total = std::int64_t{d} * (k - 1) + 1 + op - s;
    if (total >= 0) {
      split_same(p.auto_pad, total, a);
    } else {
      a.pad_begin = a.pad_end = 0;
      a.output_padding = static_cast<int>(op - total);  // = s - 1 - d * (k - 1) < s
    }
    a.out = std::int64_t{in} * s;
    return a;
  }
  const std::int64_t min_out = tconv_length(in, k, s, d, pb, pe, 0);
  if (requested) {
    a.output_padding = static_cast<int>(*requested - min_out);
    a.out = *requested;
  } else {
    a.out = min_out + op;
  }
  return a;
}

Axis resolve_conv_axis(const ConvParams& p, int in, int k, int s, int d, int pb, int pe) {
  Axis a{pb, pe, 0, 0};
  const std::int64_t extent = std::int64_t{d} * (k - 1) + 1;
  if (p.auto_pad != AutoPad::kNone) {
    a.out = (std::int64_t{in} + s - 1) / s;
    split_same(p.auto_pad, std::max<std::int64_t>(0, (a.out - 1) * s + extent - in), a);
    return a;
  }
  const std::int64_t span = std::int64_t{in} + pb + pe - extent;
  a.out = span < 0 ? 0 : span / s + 1;
  return a;
}

}  // namespace

std::optional<std::string> ConvParams::first_violation(ConvKind kind) const {
  const std::string max_ch = std::to_string(kMaxChannels);
  if (in_channels < 1 || in_channels > kMaxChannels)
    return "in_channels " + std::to_string(in_channels) + ": must be in [1, " + max_ch + "]";
  if (out_channels < 1 || out_channels > kMaxChannels)
    return "out_channels " + std::to_string(out_channels) + ": must be in [1, " + max_ch + "]";
  if (groups < 1) return "groups " + std::to_string(groups) + ": groups must be >= 1";
  if (in_channels % groups != 0)
    return "groups " + std::to_string(groups) + ": in_channels " + std::to_string(in_channels) +
           " must be divisible by groups";
  if (out_channels % groups != 0)
    return "groups " + std::to_string(groups) + ": out_channels " + std::to_string(out_channels) +
           " must be divisible by groups";
  if (kernel.h < 1 || kernel.w < 1) return "kernel " + hw(kernel) + ": kernel must be >= 1";
  if (stride.h < 1 || stride.w < 1) return "stride " + hw(stride) + ": stride must be >= 1";
  if (dilation.h < 1 || dilation.w < 1)
    return "dilation " + hw(dilation) + ": dilation must be >= 1";
  if (!in_range(kernel, 1, kMaxParamValue))
    return "kernel " + hw(kernel) + ": kernel must be <= " + kMaxText;
  if (!in_range(stride, 1, kMaxParamValue))
    return "stride " + hw(stride) + ": stride must be <= " + kMaxText;
  if (!in_range(dilation, 1, kMaxParamValue))
    return "dilation " + hw(dilation) + ": dilation must be <= " + kMaxText;
  if (pad_begin.h < 0 || pad_begin.w < 0 || pad_end.h < 0 || pad_end.w < 0)
    return "padding " + pads(*this) + ": padding must be >= 0 (top,left,bottom,right)";
  if (!in_range(pad_begin, 0, kMaxParamValue) || !in_range(pad_end, 0, kMaxParamValue))
    return "padding " + pads(*this) + ": padding must be <= " + kMaxText;
  if (kind == ConvKind::kConv2d) {
    if (output_padding != Size2{0, 0})
      return "output_padding " + hw(output_padding) +
             ": only conv_transpose2d takes output_padding";
    if (output_size)
      return "output_size " + hw(*output_size) + ": only conv_transpose2d takes output_size";
    return std::nullopt;
  }
  const Size2 limit{std::max(stride.h, dilation.h), std::max(stride.w, dilation.w)};
  if (output_padding.h < 0 || output_padding.w < 0 || output_padding.h >= limit.h ||
      output_padding.w >= limit.w)
    return "output_padding " + hw(output_padding) +
           ": output_padding must be >= 0 and < max(stride, dilation) = " + hw(limit);
  if (output_size) {
    if (auto_pad != AutoPad::kNone)
      return "output_size " + hw(*output_size) + ": cannot be combined with auto_pad same";
    if (!in_range(*output_size, 1, INT_MAX))
      return "output_size " + hw(*output_size) + ": output_size must be >= 1";
  }
  return std::nullopt;
}

void ConvParams::validate(ConvKind kind) const {
  if (auto why = first_violation(kind))
    throw InvalidArgument(std::string(tconv::to_string(kind)) + " " + *why);
}

Shape4 ConvParams::weight_shape(ConvKind kind) const noexcept {
  const int per_group = groups > 0 ? 1 : 0;
  if (kind == ConvKind::kConvTranspose2d)
    return {in_channels, per_group ? out_channels / groups : 0, kernel.h, kernel.w};
  return {out_channels, per_group ? in_channels / groups : 0, kernel.h, kernel.w};
}

ConvParams ConvParams::resolved(ConvKind kind, const Shape3& src) const {
  const std::string op{tconv::to_string(kind)};
  if (src.c != in_channels)
    throw ShapeMismatch(op + " input " + tconv::to_string(src) + ": expected " +
                        std::to_string(in_channels) + " channels (in_channels)");
  if (src.h < 1 || src.w < 1)
    throw ShapeMismatch(op + " input " + tconv::to_string(src) +
                        ": height and width must be >= 1");
  Axis ay;
  Axis ax;
  if (kind == ConvKind::kConvTranspose2d) {
    std::optional<int> req_h;
    std::optional<int> req_w;
    if (output_size) {
      req_h = output_size->h;
      req_w = output_size->w;
    }
    ay = resolve_tconv_axis(*this, src.h, kernel.h, stride.h, dilation.h, pad_begin.h, pad_end.h,
                            output_padding.h, req_h);
    ax = resolve_tconv_axis(*this, src.w, kernel.w, stride.w, dilation.w, pad_begin.w, pad_end.w,
                            output_padding.w, req_w);
    if (output_size && (ay.output_padding < 0 || ay.output_padding >= stride.h ||
                        ax.output_padding < 0 || ax.output_padding >= stride.w)) {
      const auto lo_h = ay.out - ay.output_padding;
      const auto lo_w = ax.out - ax.output_padding;
      throw InvalidArgument(op + " output_size " + hw(*output_size) + ": valid sizes for input " +
                            tconv::to_string(src) + " range from " + std::to_string(lo_h) + "x" +
                            std::to_string(lo_w) + " to " + std::to_string(lo_h + stride.h - 1) +
                            "x" + std::to_string(lo_w + stride.w - 1));
    }
  } else {
    ay = resolve_conv_axis(*this, src.h, kernel.h, stride.h, dilation.h, pad_begin.h, pad_end.h);
    ax = resolve_conv_axis(*this, src.w, kernel.w, stride.w, dilation.w, pad_begin.w, pad_end.w);
  }
  if (ay.out < 1 || ax.out < 1)
    throw InvalidArgument(op + " output " + std::to_string(ay.out) + "x" +
                          std::to_string(ax.out) + " for input " + tconv::to_string(src) + " (" +
                          to_string() + "): output must be at least 1x1");
  if (ay.out > INT_MAX || ax.out > INT_MAX)
    throw LimitExceeded(op + " output " + std::to_string(ay.out) + "x" + std::to_string(ax.out) +
                        " for input " + tconv::to_string(src) + ": each side must be < 2^31");
  ConvParams r = *this;
  r.auto_pad = AutoPad::kNone;
  r.output_size.reset();
  r.pad_begin = {ay.pad_begin, ax.pad_begin};
  r.pad_end = {ay.pad_end, ax.pad_end};
  r.output_padding = {ay.output_padding, ax.output_padding};
  return r;
}

Shape3 ConvParams::output_shape(ConvKind kind, const Shape3& src) const {
  const ConvParams r = resolved(kind, src);
  if (kind == ConvKind::kConvTranspose2d)
    return {out_channels,
            static_cast<int>(tconv_length(src.h, kernel.h, stride.h, dilation.h, r.pad_begin.h,
                                          r.pad_end.h, r.output_padding.h)),
            static_cast<int>(tconv_length(src.w, kernel.w, stride.w, dilation.w, r.pad_begin.w,
                                          r.pad_end.w, r.output_padding.w))};
  const Axis ay = resolve_conv_axis(r, src.h, kernel.h, stride.h, dilation.h, r.pad_begin.h,
                                    r.pad_end.h);
  const Axis ax = resolve_conv_axis(r, src.w, kernel.w, stride.w, dilation.w, r.pad_begin.w,
                                    r.pad_end.w);
  return {out_channels, static_cast<int>(ay.out), static_cast<int>(ax.out)};
}

std::string ConvParams::to_string() const {
  std::string s = "g" + std::to_string(groups) + "ic" + std::to_string(in_channels) + "oc" +
                  std::to_string(out_channels) + "_kh" + std::to_string(kernel.h) + "kw" +
                  std::to_string(kernel.w) + "_sh" + std::to_string(stride.h) + "sw" +
                  std::to_string(stride.w);
  if (auto_pad != AutoPad::kNone) {
    s += auto_pad == AutoPad::kSameUpper ? "_same_upper" : "_same_lower";
  } else if (pad_begin == pad_end) {
    s += "_ph" + std::to_string(pad_begin.h) + "pw" + std::to_string(pad_begin.w);
  } else {
    s += "_pt" + std::to_string(pad_begin.h) + "pl" + std::to_string(pad_begin.w) + "pb" +
         std::to_string(pad_end.h) + "pr" + std::to_string(pad_end.w);
  }
  if (dilation != Size2{1, 1})
    s += "_dh" + std::to_string(dilation.h) + "dw" + std::to_string(dilation.w);
  if (output_padding != Size2{0, 0})
    s += "_oph" + std::to_string(output_padding.h) + "opw" + std::to_string(output_padding.w);
  if (output_size) s += "_oh" + std::to_string(output_size->h) + "ow" + std::to_string(output_size->w);
  return s;
}

}  // namespace tconv

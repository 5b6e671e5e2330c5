// The layer kinds' shape rules and forwards (docs/model-format.md#layer-kinds):
// one function per kind, listed in kForwards in Op's order.
#include <algorithm>
#include <cmath>
#include <iterator>
#include <utility>

#include "model/model_internal.hpp"
#include "tconv/core/error.hpp"

namespace tconv::detail {

namespace {

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

Tensor forward_conv(const NetLayer& l, Tensor x, int threads) {
  return l.conv ? l.conv->run(x.view(), threads) : l.tconv->run(x.view(), threads);
}

// The element-wise kinds on the channel rows [begin, end) of x (row
// c * h + y is row y of channel c).
void pointwise_rows(const NetLayer& l, TensorView x, std::int64_t begin,
                    std::int64_t end) noexcept {
  const std::size_t w = static_cast<std::size_t>(x.shape.w);
  float* const first = x.data + static_cast<std::size_t>(begin) * w;
  float* const last = x.data + static_cast<std::size_t>(end) * w;
  switch (l.op) {
    case Op::kRelu:
      for (float* v = first; v != last; ++v) *v = *v > 0.0f ? *v : 0.0f;
      break;
    case Op::kPrelu:
      // torch.prelu: max(0, x) + a_c min(0, x), one slope or one per channel.
      for (std::int64_t r = begin; r < end; ++r) {
        const auto c = static_cast<std::size_t>(r / x.shape.h);
        const float a = l.slopes.size() == 1 ? l.slopes[0] : l.slopes[c];
        float* p = x.data + static_cast<std::size_t>(r) * w;
        for (std::size_t i = 0; i < w; ++i) p[i] = p[i] >= 0.0f ? p[i] : a * p[i];
      }
      break;
    case Op::kLeakyRelu:
      for (float* v = first; v != last; ++v) *v = *v >= 0.0f ? *v : l.a * *v;
      break;
    case Op::kTanh:
      for (float* v = first; v != last; ++v) *v = std::tanh(*v);
      break;
    case Op::kSigmoid:
      for (float* v = first; v != last; ++v) *v = 1.0f / (1.0f + std::exp(-*v));
      break;
    case Op::kClamp:
      for (float* v = first; v != last; ++v) *v = std::clamp(*v, l.a, l.b);
      break;
    default:
      break;
  }
}

Tensor forward_pointwise(const NetLayer& l, Tensor x, int) {
  pointwise_rows(l, x.view(), 0, std::int64_t{x.shape().c} * x.shape().h);
  return x;
}

Tensor forward_pixel_shuffle(const NetLayer& l, Tensor x, int) {
  const Shape3 s = x.shape();
  const int r = l.factor;
  Tensor out(Shape3{s.c / (r * r), s.h * r, s.w * r});
  pixel_shuffle_rows(l, x.view(), 0, out.view(), {0, out.shape().h});
  return out;
}

Tensor forward_pad(const NetLayer& l, Tensor x, int) { return apply_pad(l, x.view()); }

Tensor forward_upsample(const NetLayer& l, Tensor x, int) {
  const Shape3 s = x.shape();
  Tensor out(Shape3{s.c, s.h * l.factor, s.w * l.factor});
  upsample_rows(l, x.view(), 0, s.h, out.view(), {0, out.shape().h});
  return out;
}

using ForwardFn = Tensor (*)(const NetLayer&, Tensor, int threads);
// Indexed by Op.
constexpr ForwardFn kForwards[] = {
    &forward_conv,      &forward_conv,      &forward_pointwise, &forward_pointwise,
    &forward_pointwise, &forward_pointwise, &forward_pointwise, &forward_pixel_shuffle,
    &forward_pointwise, &forward_pad,       &forward_upsample,
};
static_assert(std::size(kForwards) == std::size(kOps));

}  // namespace

bool is_pointwise(Op op) noexcept {
  return op == Op::kRelu || op == Op::kPrelu || op == Op::kLeakyRelu || op == Op::kTanh ||
         op == Op::kSigmoid || op == Op::kClamp;
}

void pointwise(const NetLayer& l, TensorView x, std::int64_t begin, std::int64_t end) noexcept {
  pointwise_rows(l, x, begin, end);
}

// torch.pixel_shuffle: out[c][y r + i][x r + j] = in[c r^2 + i r + j][y][x].
void pixel_shuffle_rows(const NetLayer& l, ConstTensorView in, int in_begin, TensorView out,
                        RowRange rows) noexcept {
  const int r = l.factor;
  for (int c = 0; c < out.shape.c; ++c)
    for (int oy = rows.begin; oy < rows.end; ++oy) {
      const int i = oy % r;
      float* dst = out.row(c, oy - rows.begin);
      for (int j = 0; j < r; ++j) {
        const float* src = in.row((c * r + i) * r + j, oy / r - in_begin);
        for (int xx = 0; xx < in.shape.w; ++xx) dst[xx * r + j] = src[xx];
      }
    }
}

// Bilinear, align_corners=False (ATen's area_pixel_compute_source_index):
// s = (o + 0.5) / f - 0.5 = (2o + 1 - f) / 2f, clamped below at 0; with
// num = max(0, 2o + 1 - f), i0 = num / 2f and w = (num mod 2f) / 2f, so the
// index is exact and w the correctly rounded quotient. s < n - 1/2 always,
// so only i1 needs the clamp at the far edge (torch's h1p = 0 there).
UpsampleTap upsample_tap(UpsampleMode mode, int o, int f, int n) noexcept {
  if (mode == UpsampleMode::kNearest) return {o / f, o / f, 0.0f};
  const int num = std::max(0, 2 * o + 1 - f);
  const int i0 = num / (2 * f);
  return {i0, std::min(i0 + 1, n - 1),
          static_cast<float>(num % (2 * f)) / static_cast<float>(2 * f)};
}

RowRange upsample_input_rows(const NetLayer& l, int in_h, RowRange out) noexcept {
  return {upsample_tap(l.upsample_mode, out.begin, l.factor, in_h).i0,
          upsample_tap(l.upsample_mode, out.end - 1, l.factor, in_h).i1 + 1};
}

// nearest: out[c][oy][ox] = in[c][oy / f][ox / f]; bilinear: the taps of
// upsample_tap() on each axis, out = (1 - wy) ((1 - wx) in[y0][x0] + wx
// in[y0][x1]) + wy ((1 - wx) in[y1][x0] + wx in[y1][x1]).
void upsample_rows(const NetLayer& l, ConstTensorView in, int in_begin, int in_h, TensorView out,
                   RowRange rows) noexcept {
  const int f = l.factor;
  const int iw = in.shape.w;
  for (int c = 0; c < out.shape.c; ++c)
    for (int oy = rows.begin; oy < rows.end; ++oy) {
      const UpsampleTap ty = upsample_tap(l.upsample_mode, oy, f, in_h);
      float* dst = out.row(c, oy - rows.begin);
      const float* r0 = in.row(c, ty.i0 - in_begin);
      if (l.upsample_mode == UpsampleMode::kNearest) {
        for (int x = 0; x < iw; ++x)
          for (int j = 0; j < f; ++j) dst[x * f + j] = r0[x];
        continue;
      }
      const float* r1 = in.row(c, ty.i1 - in_begin);
      for (int ox = 0; ox < out.shape.w; ++ox) {
        const UpsampleTap tx = upsample_tap(UpsampleMode::kBilinear, ox, f, iw);
        const float top = (1.0f - tx.w) * r0[tx.i0] + tx.w * r0[tx.i1];
        const float bottom = (1.0f - tx.w) * r1[tx.i0] + tx.w * r1[tx.i1];
        dst[ox] = (1.0f - ty.w) * top + ty.w * bottom;
      }
    }
}

// Output shape of layer l for an input of shape s; throws as running it
// would (ShapeMismatch / InvalidArgument for a size it cannot take).
Shape3 layer_output(const NetLayer& l, const Shape3& s) {
  if (l.conv) return l.conv->output_shape(s);
  if (l.tconv) return l.tconv->output_shape(s);
  if (l.op == Op::kPixelShuffle)
    return {s.c / (l.factor * l.factor), s.h * l.factor, s.w * l.factor};
  if (l.op == Op::kUpsample) return {s.c, s.h * l.factor, s.w * l.factor};
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

Tensor forward(const NetLayer& l, Tensor x, int threads) {
  return kForwards[static_cast<int>(l.op)](l, std::move(x), threads);
}

}  // namespace tconv::detail

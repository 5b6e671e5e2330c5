// The input gradients of the layer kinds without weights to plan
// (docs/internals.md#gradients): dx = dL/dx from the layer's input x, its
// output y and dy = dL/dy, as PyTorch autograd defines it, one function per
// kind, listed in kBackwards in Op's order (conv2d and conv_transpose2d are
// ConvBackward's).
//
// Element-wise kinds: dx = f'(x) dy with torch's choice at each kink
// (checked with torch 1.13 autograd on inputs holding the kink values, and
// by the golden cases of tests/golden/generate_grad_golden.py):
//   relu        dy where y > 0, else 0 (threshold_backward on the output: 0 at x == 0)
//   prelu       dy where x > 0, else a dy (so a dy at x == 0 and -0); dL/da = sum of
//               x dy where x <= 0 (x == 0 adds 0), per channel or over all
//   leaky_relu  dy where x > 0, else slope dy (slope dy at x == 0)
//   tanh        dy (1 - y^2)        sigmoid  dy y (1 - y)
//   clamp       dy where min <= x <= max (both bounds inclusive), else 0
// The rearranging kinds are linear, so dx is the adjoint (transpose) of
// the forward: every output position's dy is added to the input position
// it was read from (and to both bilinear taps with their weights):
//   pixel_shuffle  dx[c r^2 + i r + j][y][x] = dy[c][y r + i][x r + j]
//   pad            dx[sy][sx] += dy[oy][ox] with (sy, sx) from
//                  pad_source_index() per axis; constant mode drops the border
//   upsample       nearest: dx[y][x] = sum of dy over its f x f block;
//                  bilinear: dy[oy][ox] spread over the four taps with
//                  weights (1 - wy or wy)(1 - wx or wx)
#include <algorithm>
#include <iterator>

#include "model/model_internal.hpp"

namespace tconv::detail {

namespace {

using BackwardFn = void (*)(const NetLayer&, ConstTensorView x, ConstTensorView y,
                            ConstTensorView dy, TensorView dx, std::span<float> dslopes) noexcept;

std::size_t elements(ConstTensorView t) noexcept {
  return static_cast<std::size_t>(t.shape.elements());
}

void backward_relu(const NetLayer&, ConstTensorView, ConstTensorView y, ConstTensorView dy,
                   TensorView dx, std::span<float>) noexcept {
  for (std::size_t i = 0, n = elements(y); i < n; ++i)
    dx.data[i] = y.data[i] > 0.0f ? dy.data[i] : 0.0f;
}

void backward_prelu(const NetLayer& l, ConstTensorView x, ConstTensorView, ConstTensorView dy,
                    TensorView dx, std::span<float> dslopes) noexcept {
  const std::size_t plane = static_cast<std::size_t>(x.shape.h) * x.shape.w;
  double all = 0;  // one slope: the sum over every channel
  for (int c = 0; c < x.shape.c; ++c) {
    const float a = l.slopes.size() == 1 ? l.slopes[0] : l.slopes[static_cast<std::size_t>(c)];
    const float* xc = x.data + c * plane;
    const float* gc = dy.data + c * plane;
    float* dc = dx.data + c * plane;
    // dL/da of the plane in 16 float lanes (lane i mod 16), added to a
    // double in lane order: a fixed order the compiler vectorises, unlike
    // one running sum (a plane of a 32x32 patch is 64 products per lane).
    float lanes[16] = {};
    std::size_t i = 0;
    for (; i + 16 <= plane; i += 16)
      for (std::size_t j = 0; j < 16; ++j) {
        const float xv = xc[i + j], gv = gc[i + j];
        dc[i + j] = xv > 0.0f ? gv : a * gv;
        lanes[j] += xv <= 0.0f ? xv * gv : 0.0f;
      }
    double da = 0;
    for (; i < plane; ++i) {
      dc[i] = xc[i] > 0.0f ? gc[i] : a * gc[i];
      if (xc[i] <= 0.0f) da += double(xc[i]) * gc[i];
    }
    for (const float v : lanes) da += v;
    if (l.slopes.size() == 1)
      all += da;
    else
      dslopes[static_cast<std::size_t>(c)] += static_cast<float>(da);
  }
  if (l.slopes.size() == 1) dslopes[0] += static_cast<float>(all);
}

void backward_leaky_relu(const NetLayer& l, ConstTensorView x, ConstTensorView, ConstTensorView dy,
                         TensorView dx, std::span<float>) noexcept {
  for (std::size_t i = 0, n = elements(x); i < n; ++i)
    dx.data[i] = x.data[i] > 0.0f ? dy.data[i] : l.a * dy.data[i];
}

void backward_tanh(const NetLayer&, ConstTensorView, ConstTensorView y, ConstTensorView dy,
                   TensorView dx, std::span<float>) noexcept {
  for (std::size_t i = 0, n = elements(y); i < n; ++i)
    dx.data[i] = dy.data[i] * (1.0f - y.data[i] * y.data[i]);
}

void backward_sigmoid(const NetLayer&, ConstTensorView, ConstTensorView y, ConstTensorView dy,
                      TensorView dx, std::span<float>) noexcept {
  for (std::size_t i = 0, n = elements(y); i < n; ++i)
    dx.data[i] = dy.data[i] * (1.0f - y.data[i]) * y.data[i];
}

void backward_clamp(const NetLayer& l, ConstTensorView x, ConstTensorView, ConstTensorView dy,
                    TensorView dx, std::span<float>) noexcept {
  for (std::size_t i = 0, n = elements(x); i < n; ++i)
    dx.data[i] = x.data[i] >= l.a && x.data[i] <= l.b ? dy.data[i] : 0.0f;
}

// The inverse permutation of pixel_shuffle_rows().
void backward_pixel_shuffle(const NetLayer& l, ConstTensorView, ConstTensorView, ConstTensorView dy,
                            TensorView dx, std::span<float>) noexcept {
  const int r = l.factor;
  for (int c = 0; c < dy.shape.c; ++c)
    for (int oy = 0; oy < dy.shape.h; ++oy) {
      const int i = oy % r;
      const float* src = dy.row(c, oy);
      for (int j = 0; j < r; ++j) {
        float* dst = dx.row((c * r + i) * r + j, oy / r);
        for (int xx = 0; xx < dx.shape.w; ++xx) dst[xx] = src[xx * r + j];
      }
    }
}

// The adjoint of pad_planes(): output (oy, ox) was copied from input
// (pad_source_index(oy - top), pad_source_index(ox - left)), or is the
// constant (-1) and reaches no input.
void backward_pad(const NetLayer& l, ConstTensorView, ConstTensorView, ConstTensorView dy,
                  TensorView dx, std::span<float>) noexcept {
  std::fill(dx.data, dx.data + elements(dx), 0.0f);
  const int ih = dx.shape.h;
  const int iw = dx.shape.w;
  for (int c = 0; c < dy.shape.c; ++c)
    for (int oy = 0; oy < dy.shape.h; ++oy) {
      const int sy = pad_source_index(l.pad_mode, oy - l.pad_begin.h, ih);
      if (sy < 0) continue;
      const float* src = dy.row(c, oy);
      float* dst = dx.row(c, sy);
      for (int ox = 0; ox < dy.shape.w; ++ox) {
        const int sx = pad_source_index(l.pad_mode, ox - l.pad_begin.w, iw);
        if (sx >= 0) dst[sx] += src[ox];
      }
    }
}

// The adjoint of upsample_rows(): each output value's dy goes back to the
// input values it was made from, with the weights it was made with.
void backward_upsample(const NetLayer& l, ConstTensorView, ConstTensorView, ConstTensorView dy,
                       TensorView dx, std::span<float>) noexcept {
  std::fill(dx.data, dx.data + elements(dx), 0.0f);
  const int f = l.factor;
  const int ih = dx.shape.h;
  const int iw = dx.shape.w;
  for (int c = 0; c < dy.shape.c; ++c)
    for (int oy = 0; oy < dy.shape.h; ++oy) {
      const UpsampleTap ty = upsample_tap(l.upsample_mode, oy, f, ih);
      const float* src = dy.row(c, oy);
      float* d0 = dx.row(c, ty.i0);
      if (l.upsample_mode == UpsampleMode::kNearest) {
        for (int x = 0; x < iw; ++x)
          for (int j = 0; j < f; ++j) d0[x] += src[x * f + j];
        continue;
      }
      float* d1 = dx.row(c, ty.i1);
      for (int ox = 0; ox < dy.shape.w; ++ox) {
        const UpsampleTap tx = upsample_tap(UpsampleMode::kBilinear, ox, f, iw);
        const float top = (1.0f - ty.w) * src[ox];
        const float bottom = ty.w * src[ox];
        d0[tx.i0] += (1.0f - tx.w) * top;
        d0[tx.i1] += tx.w * top;
        d1[tx.i0] += (1.0f - tx.w) * bottom;
        d1[tx.i1] += tx.w * bottom;
      }
    }
}

// conv2d and conv_transpose2d: ConvBackward's (never called here).
void backward_conv(const NetLayer&, ConstTensorView, ConstTensorView, ConstTensorView, TensorView,
                   std::span<float>) noexcept {}

// Indexed by Op.
constexpr BackwardFn kBackwards[] = {
    &backward_conv,       &backward_conv, &backward_relu,     &backward_prelu,
    &backward_leaky_relu, &backward_tanh, &backward_sigmoid,  &backward_pixel_shuffle,
    &backward_clamp,      &backward_pad,  &backward_upsample,
};
static_assert(std::size(kBackwards) == std::size(kOps));

}  // namespace

void layer_input_grad(const NetLayer& l, ConstTensorView x, ConstTensorView y, ConstTensorView dy,
                      TensorView dx, std::span<float> dslopes) noexcept {
  kBackwards[static_cast<int>(l.op)](l, x, y, dy, dx, dslopes);
}

}  // namespace tconv::detail

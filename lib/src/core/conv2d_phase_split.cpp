// A strided conv2d as a stride-1 conv2d over phase planes (conv2d_phase_split.hpp).
#include "core/conv2d_phase_split.hpp"

#include <algorithm>

#include "core/index_math.hpp"

namespace tconv::detail {

namespace {

struct AxisSplit {
  int kernel, pad_begin, pad_end, length;
  std::int64_t first;  // f(0)
};

AxisSplit split_axis(int k, int s, int d, int p, int input, int output) {
  AxisSplit a{};
  a.first = floor_div(-std::int64_t{p}, s);
  const std::int64_t last = floor_div(std::int64_t{k - 1} * d - p, s);
  a.kernel = static_cast<int>(last - a.first + 1);
  a.pad_begin = static_cast<int>(-a.first);
  a.length = (input + s - 1) / s;
  // Output length + pb + pe - K' + 1 = output, or more when pe would be negative.
  a.pad_end = std::max(0, output - 1 - a.length - a.pad_begin + a.kernel);
  return a;
}

}  // namespace

PhaseSplitConv phase_split_conv2d(const ConvParams& strided, const Weights& weights,
                                  const Shape3& input, const Shape3& output) {
  const ConvParams& p = strided;
  const AxisSplit ah = split_axis(p.kernel.h, p.stride.h, p.dilation.h, p.pad_begin.h, input.h, output.h);
  const AxisSplit aw = split_axis(p.kernel.w, p.stride.w, p.dilation.w, p.pad_begin.w, input.w, output.w);
  const int phases = p.stride.h * p.stride.w;
  PhaseSplitConv split;
  split.stride = p.stride;
  split.split_item = {input.c * phases, ah.length, aw.length};
  ConvParams& q = split.params;
  q.in_channels = p.in_channels * phases;
  q.out_channels = p.out_channels;
  q.groups = p.groups;
  q.kernel = {ah.kernel, aw.kernel};
  q.pad_begin = {ah.pad_begin, aw.pad_begin};
  q.pad_end = {ah.pad_end, aw.pad_end};
  const int icg = p.in_channels / p.groups;
  split.weights.shape = q.weight_shape(ConvKind::kConv2d);
  split.weights.values.assign(static_cast<std::size_t>(split.weights.shape.elements()), 0.0f);
  for (int o = 0; o < p.out_channels; ++o)
    for (int il = 0; il < icg; ++il)
      for (int th = 0; th < p.kernel.h; ++th) {
        const std::int64_t offh = std::int64_t{th} * p.dilation.h - p.pad_begin.h;
        const std::int64_t rh = floor_mod(offh, p.stride.h);
        const std::int64_t kh = floor_div(offh, p.stride.h) - ah.first;
        for (int tw = 0; tw < p.kernel.w; ++tw) {
          const std::int64_t offw = std::int64_t{tw} * p.dilation.w - p.pad_begin.w;
          const std::int64_t rw = floor_mod(offw, p.stride.w);
          const std::int64_t kw = floor_div(offw, p.stride.w) - aw.first;
          const std::int64_t channel = std::int64_t{il} * phases + rh * p.stride.w + rw;
          const std::int64_t to = ((std::int64_t{o} * icg * phases + channel) * ah.kernel + kh) * aw.kernel + kw;
          const std::int64_t from = ((std::int64_t{o} * icg + il) * p.kernel.h + th) * p.kernel.w + tw;
          split.weights.values[static_cast<std::size_t>(to)] = weights.values[static_cast<std::size_t>(from)];
        }
      }
  return split;
}

void split_input_phases(const PhaseSplitConv& split, ConstBatchView src, float* dst) noexcept {
  const int sh = split.stride.h, sw = split.stride.w;
  const Shape3 in = src.item;
  const Shape3 out = split.split_item;
  for (std::int64_t n = 0; n < src.count; ++n)
    for (int c = 0; c < in.c; ++c)
      for (int rh = 0; rh < sh; ++rh)
        for (int rw = 0; rw < sw; ++rw) {
          const float* plane = src.data + (n * in.c + c) * std::int64_t{in.h} * in.w;
          float* to = dst + (n * out.c + (std::int64_t{c} * sh + rh) * sw + rw) * std::int64_t{out.h} * out.w;
          for (int j = 0; j < out.h; ++j) {
            const int y = j * sh + rh;
            for (int m = 0; m < out.w; ++m) {
              const int x = m * sw + rw;
              to[std::int64_t{j} * out.w + m] = y < in.h && x < in.w ? plane[std::int64_t{y} * in.w + x] : 0.0f;
            }
          }
        }
}

}  // namespace tconv::detail

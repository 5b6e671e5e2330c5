// Border modes for image upsampling (see tconv/border.hpp).
#include "tconv/border.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "axis_table.hpp"
#include "index_math.hpp"
#include "plan.hpp"
#include "tconv/error.hpp"

namespace tconv {

std::string_view to_string(Border border) noexcept {
  switch (border) {
    case Border::kZero: return "zero";
    case Border::kReplicate: return "replicate";
    case Border::kReflect: return "reflect";
    case Border::kNormalize: return "normalize";
  }
  return "?";
}

std::optional<Border> parse_border(std::string_view name) noexcept {
  for (auto b : {Border::kZero, Border::kReplicate, Border::kReflect, Border::kNormalize})
    if (name == to_string(b)) return b;
  return std::nullopt;
}

namespace {

struct Margins {
  int begin = 0;
  int end = 0;
};

// Input pixels reach output o through o + pad_begin == i * s + t * d with
// t in [0, k), so outputs [0, out) read inputs
//   i in [ceil((pad_begin - d (k - 1)) / s), floor((out - 1 + pad_begin) / s)].
Margins margins(int in, int out, int k, int s, int d, int pad_begin) {
  const std::int64_t lo = -detail::floor_div(-(pad_begin - std::int64_t{d} * (k - 1)), s);
  const std::int64_t hi = detail::floor_div(std::int64_t{out} - 1 + pad_begin, s);
  return {static_cast<int>(std::max<std::int64_t>(0, -lo)),
          static_cast<int>(std::max<std::int64_t>(0, hi - (in - 1)))};
}

void run_extended(const ConvTranspose2d& op, ConstTensorView src, TensorView dst, Border border) {
  const ConvParams r = op.params().resolved(ConvKind::kConvTranspose2d, src.shape);
  const Shape3 out = op.output_shape(src.shape);
  const Margins my =
      margins(src.shape.h, out.h, r.kernel.h, r.stride.h, r.dilation.h, r.pad_begin.h);
  const Margins mx =
      margins(src.shape.w, out.w, r.kernel.w, r.stride.w, r.dilation.w, r.pad_begin.w);
  if (my.begin == 0 && my.end == 0 && mx.begin == 0 && mx.end == 0) return op.run(src, dst);

  Tensor extended(
      Shape3{src.shape.c, src.shape.h + my.begin + my.end, src.shape.w + mx.begin + mx.end});
  for (int c = 0; c < src.shape.c; ++c)
    for (int y = 0; y < extended.shape().h; ++y) {
      const float* from = src.row(c, detail::border_source_index(border, y - my.begin, src.shape.h));
      for (int x = 0; x < extended.shape().w; ++x)
        extended.at(c, y, x) = from[detail::border_source_index(border, x - mx.begin, src.shape.w)];
    }
  // Each extra input row shifts the output by one stride; crop it back.
  ConvParams widened = r;
  widened.pad_begin = {r.pad_begin.h + my.begin * r.stride.h, r.pad_begin.w + mx.begin * r.stride.w};
  widened.pad_end = {r.pad_end.h + my.end * r.stride.h, r.pad_end.w + mx.end * r.stride.w};
  const ConvTranspose2d extended_op = ConvTranspose2d::create(widened, op.weights(), op.options());
  extended_op.run(extended.view(), dst);
}

void run_normalized(const ConvTranspose2d& op, ConstTensorView src, TensorView dst) {
  Weights unbiased{op.weights().shape, op.weights().values, {}};
  const ConvTranspose2d weighted = ConvTranspose2d::create(op.params(), std::move(unbiased), op.options());
  weighted.run(src, dst);
  Tensor ones(src.shape);
  std::fill(ones.span().begin(), ones.span().end(), 1.0f);
  const Tensor response = weighted.run(ones.view());

  const auto resp = response.span();
  const float largest = *std::max_element(resp.begin(), resp.end());
  auto too_small = [&](float v) { return !(v > 0.0f) || v <= 1e-6f * largest; };
  // Outputs no tap reaches (output_padding rows, kernels smaller than the
  // stride) have a zero response by construction: they stay zero (plus bias).
  // Any other non-positive response is an error.
  std::vector<bool> unreached(resp.size(), false);
  if (std::any_of(resp.begin(), resp.end(), too_small)) {
    Weights magnitudes{op.weights().shape, op.weights().values, {}};
    for (float& v : magnitudes.values) v = v != 0.0f ? 1.0f : 0.0f;
    const Tensor reach =
        ConvTranspose2d::create(op.params(), std::move(magnitudes), op.options()).run(ones.view());
    for (std::size_t i = 0; i < resp.size(); ++i) {
      if (!too_small(resp[i])) continue;
      if (reach.span()[i] == 0.0f) {
        unreached[i] = true;
        continue;
      }
      const auto index = static_cast<std::int64_t>(i);
      const Shape3 s = response.shape();
      throw InvalidArgument("border normalize: response " + std::to_string(resp[i]) +
                            " to an all-ones input at (c,y,x) = (" +
                            std::to_string(index / (std::int64_t{s.h} * s.w)) + "," +
                            std::to_string(index / s.w % s.h) + "," +
                            std::to_string(index % s.w) + ") for " + op.params().to_string() +
                            ": normalize needs a positive response everywhere");
    }
  }
  const auto& bias = op.weights().bias;
  const std::int64_t plane = std::int64_t{dst.shape.h} * dst.shape.w;
  const auto values = dst.span();
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = unreached[i] ? 0.0f : values[i] / resp[i];
    if (!bias.empty()) values[i] += bias[static_cast<std::size_t>(static_cast<std::int64_t>(i) / plane)];
  }
}

}  // namespace

void run_with_border(const ConvTranspose2d& op, ConstTensorView src, TensorView dst,
                     Border border) {
  const Shape3 expected = op.output_shape(src.shape);
  if (dst.shape != expected)
    throw ShapeMismatch("conv_transpose2d output " + to_string(dst.shape) + ": expected " +
                        to_string(expected) + " for input " + to_string(src.shape));
  switch (border) {
    case Border::kZero: return op.run(src, dst);
    case Border::kReplicate:
    case Border::kReflect: return run_extended(op, src, dst, border);
    case Border::kNormalize: return run_normalized(op, src, dst);
  }
}

Tensor run_with_border(const ConvTranspose2d& op, ConstTensorView src, Border border) {
  const Shape3 shape = op.output_shape(src.shape);
  detail::check_output_elements(ConvKind::kConvTranspose2d, op.params(), shape, op.options());
  Tensor dst(shape);
  run_with_border(op, src, dst.view(), border);
  return dst;
}

}  // namespace tconv

// Border modes for image upsampling (see tconv/resample/border.hpp).
#include "tconv/resample/border.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/index_math.hpp"
#include "core/padding.hpp"
#include "core/parallel.hpp"
#include "core/plan.hpp"
#include "resample/bordered_op.hpp"
#include "resample/axis_table.hpp"
#include "tconv/core/error.hpp"

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

// Replicate / reflect: the input extended by as many pixels as the kernel
// reaches beyond each edge, and the op widened to crop the extra output.
struct Extension {
  Margins y, x;
  Shape3 shape{};     // the extended input; empty when no margin is needed
  ConvParams widened;
};

Extension extension_of(const ConvTranspose2d& op, const Shape3& src) {
  const ConvParams r = op.params().resolved(ConvKind::kConvTranspose2d, src);
  const EdgeMargins m = edge_margins(r, src);
  Extension e;
  e.y = {m.begin.h, m.end.h};
  e.x = {m.begin.w, m.end.w};
  if (e.y.begin == 0 && e.y.end == 0 && e.x.begin == 0 && e.x.end == 0) return e;
  e.shape = Shape3{src.c, src.h + e.y.begin + e.y.end, src.w + e.x.begin + e.x.end};
  e.widened = widen_for_margins(r, m);
  return e;
}

}  // namespace

EdgeMargins edge_margins(const ConvParams& params, const Shape3& src) {
  const ConvParams r = params.resolved(ConvKind::kConvTranspose2d, src);
  const Shape3 out = r.output_shape(ConvKind::kConvTranspose2d, src);
  const Margins y = margins(src.h, out.h, r.kernel.h, r.stride.h, r.dilation.h, r.pad_begin.h);
  const Margins x = margins(src.w, out.w, r.kernel.w, r.stride.w, r.dilation.w, r.pad_begin.w);
  return {{y.begin, x.begin}, {y.end, x.end}};
}

ConvParams widen_for_margins(const ConvParams& params, const EdgeMargins& m) {
  // Each extra input row shifts the output by one stride; crop it back.
  ConvParams w = params;
  w.pad_begin = {params.pad_begin.h + m.begin.h * params.stride.h,
                 params.pad_begin.w + m.begin.w * params.stride.w};
  w.pad_end = {params.pad_end.h + m.end.h * params.stride.h,
               params.pad_end.w + m.end.w * params.stride.w};
  return w;
}

namespace {

// The border handling of `op` for inputs of one shape, planned once and run
// on any number of items: the margins and the widened op (replicate,
// reflect) and the response to an all-ones input (normalize) depend on the
// shape only, never on the pixels. `threads` is OpOptions::threads for the
// ops it runs.
class BorderRunner {
 public:
  // A batch's extended inputs (replicate / reflect) are held this many bytes
  // at a time, so a batch of large images never holds a second copy of all.
  static constexpr std::int64_t kExtendedBudget = std::int64_t{64} << 20;

  // `threads` (as ConvTranspose2d::run()) runs normalize's planning runs.
  BorderRunner(const ConvTranspose2d& op, const Shape3& src, Border border, int threads)
      : base_(&op), run_op_(&op), border_(border), src_(src) {
    if (border == Border::kReplicate || border == Border::kReflect) {
      const Extension e = extension_of(op, src);
      if (e.shape.elements() > 0) {
        my_ = e.y;
        mx_ = e.x;
        extended_ = e.shape;
        own(ConvTranspose2d::create(e.widened, op.weights(), op.options()));
        return;
      }
    }
    if (border == Border::kNormalize) plan_normalized(op, threads);
  }
  BorderRunner(const BorderRunner&) = delete;
  BorderRunner& operator=(const BorderRunner&) = delete;

  // The shape of the extended input one run() fills (empty when none).
  [[nodiscard]] const Shape3& extended_shape() const noexcept { return extended_; }
  // The op that runs (the widened or unbiased one, or the caller's).
  [[nodiscard]] const ConvTranspose2d& run_op() const noexcept { return *run_op_; }

  // Runs one item; `extended` holds extended_shape() floats (the caller's,
  // so a thread reuses it across items).
  // `threads` as ConvTranspose2d::run().
  void run(ConstTensorView src, TensorView dst, std::span<float> extended, int threads) const {
    run_batch({src.data, 1, src.shape}, {dst.data, 1, dst.shape}, extended, threads);
  }

  // Runs a batch as one call of the op; `extended` holds
  // batch_group(count) * extended_shape() floats: the items are extended
  // that many at a time.
  void run_batch(ConstBatchView src, BatchView dst, std::span<float> extended,
                 int threads) const {
    if (extended_.elements() > 0) {
      const std::int64_t group = batch_group(src.count);
      for (std::int64_t first = 0; first < src.count; first += group) {
        const std::int64_t n = std::min(group, src.count - first);
        const BatchView ext{extended.data(), n, extended_};
        for (std::int64_t b = 0; b < n; ++b)
          detail::pad_planes(src.at(first + b), ext.at(b), {my_.begin, mx_.begin},
                             border_ == Border::kReflect ? detail::PadMode::kReflect
                                                         : detail::PadMode::kReplicate);
        run_op_->run_batch(ext, {dst.at(first).data, n, dst.item}, threads);
      }
      return;
    }
    run_op_->run_batch(src, dst, threads);
    if (border_ == Border::kNormalize)
      for (std::int64_t b = 0; b < dst.count; ++b) normalize(dst.at(b));
  }

  // Items extended at once for a batch of `count`: as many as fit in
  // kExtendedBudget bytes, at least one.
  [[nodiscard]] std::int64_t batch_group(std::int64_t count) const noexcept {
    if (extended_.elements() == 0) return 0;
    return std::clamp<std::int64_t>(kExtendedBudget / (extended_.elements() * 4), 1,
                                     std::max<std::int64_t>(count, 1));
  }

 private:
  void own(ConvTranspose2d op) {
    owned_.emplace(std::move(op));
    run_op_ = &*owned_;
  }

  // Normalize runs the op without its bias, divides by the response to an
  // all-ones input and adds the bias back.
  void plan_normalized(const ConvTranspose2d& op, int threads) {
    const OpOptions& options = op.options();
    Weights unbiased{op.weights().shape, op.weights().values, {}};
    own(ConvTranspose2d::create(op.params(), std::move(unbiased), options));
    Tensor ones(src_);
    std::fill(ones.span().begin(), ones.span().end(), 1.0f);
    response_ = run_op_->run(ones.view(), threads);
    const auto resp = response_.span();
    const float largest = *std::max_element(resp.begin(), resp.end());
    auto too_small = [&](float v) { return !(v > 0.0f) || v <= 1e-6f * largest; };
    // Outputs no tap reaches (output_padding rows, kernels smaller than the
    // stride) have a zero response by construction: they stay zero (plus bias).
    // Any other non-positive response is an error.
    unreached_.assign(resp.size(), false);
    if (std::none_of(resp.begin(), resp.end(), too_small)) return;
    Weights magnitudes{op.weights().shape, op.weights().values, {}};
    for (float& v : magnitudes.values) v = v != 0.0f ? 1.0f : 0.0f;
    const Tensor reach =
        ConvTranspose2d::create(op.params(), std::move(magnitudes), options).run(ones.view(), threads);
    for (std::size_t i = 0; i < resp.size(); ++i) {
      if (!too_small(resp[i])) continue;
      if (reach.span()[i] == 0.0f) {
        unreached_[i] = true;
        continue;
      }
      const auto index = static_cast<std::int64_t>(i);
      const Shape3 s = response_.shape();
      throw InvalidArgument("border normalize: response " + std::to_string(resp[i]) +
                            " to an all-ones input at (c,y,x) = (" +
                            std::to_string(index / (std::int64_t{s.h} * s.w)) + "," +
                            std::to_string(index / s.w % s.h) + "," +
                            std::to_string(index % s.w) + ") for " + op.params().to_string() +
                            ": normalize needs a positive response everywhere");
    }
  }

  void normalize(TensorView dst) const {
    const auto& bias = base_->weights().bias;
    const std::int64_t plane = std::int64_t{dst.shape.h} * dst.shape.w;
    const auto values = dst.span();
    const auto resp = response_.span();
    for (std::size_t i = 0; i < values.size(); ++i) {
      values[i] = unreached_[i] ? 0.0f : values[i] / resp[i];
      if (!bias.empty())
        values[i] += bias[static_cast<std::size_t>(static_cast<std::int64_t>(i) / plane)];
    }
  }

  const ConvTranspose2d* base_;     // the caller's op (its bias for normalize)
  const ConvTranspose2d* run_op_;   // the op that runs: base_ or owned_
  std::optional<ConvTranspose2d> owned_;
  Border border_;
  Shape3 src_;
  Margins my_, mx_;
  Shape3 extended_{};         // replicate / reflect with margins
  Tensor response_;           // normalize
  std::vector<bool> unreached_;  // normalize
};

// Bytes a BorderRunner for `src` holds and one of its batch runs on
// `count` items allocates besides dst, with the op's scratch for `threads`
// threads.
std::int64_t border_scratch(const ConvTranspose2d& op, const Shape3& src, Border border,
                            int threads, std::int64_t count) {
  const Shape3 out = op.output_shape(src);
  const std::int64_t weights = static_cast<std::int64_t>(op.weights().values.size()) * 4;
  std::int64_t per_run = op.batch_scratch_bytes(src, count, threads);
  std::int64_t planned = 0;
  switch (border) {
    case Border::kZero: break;
    case Border::kReplicate:
    case Border::kReflect: {
      const Extension e = extension_of(op, src);
      if (e.shape.elements() == 0) break;
      // The widened op (a copy of the weights) runs on the extended inputs,
      // held BorderRunner::batch_group() items at a time.
      const ConvTranspose2d widened = ConvTranspose2d::create(e.widened, op.weights(), op.options());
      const std::int64_t group = std::clamp<std::int64_t>(
          BorderRunner::kExtendedBudget / (e.shape.elements() * 4), 1, std::max<std::int64_t>(count, 1));
      per_run = group * e.shape.elements() * 4 + widened.batch_scratch_bytes(e.shape, group, threads);
      planned = weights;
      break;
    }
    case Border::kNormalize:
      // The unbiased op's weights, the all-ones input, the response, the
      // reach of a zero response and the mask.
      planned = 2 * weights + src.elements() * 4 + out.elements() * 8 + out.elements() / 8;
      break;
  }
  return planned + per_run;
}

}  // namespace

void run_with_border(const ConvTranspose2d& op, ConstTensorView src, TensorView dst,
                     Border border) {
  const Shape3 expected = op.output_shape(src.shape);
  if (dst.shape != expected)
    throw ShapeMismatch("conv_transpose2d output " + to_string(dst.shape) + ": expected " +
                        to_string(expected) + " for input " + to_string(src.shape));
  const BorderRunner runner(op, src.shape, border, -1);
  std::vector<float> extended(static_cast<std::size_t>(runner.extended_shape().elements()));
  runner.run(src, dst, extended, -1);
}

namespace detail {

namespace {

// Margins that do not depend on the input size: with explicit pads and
// output_padding, output o of an input of n reads inputs up to
// floor((o_max + pad_begin) / s) = n - 1 + floor(X / s) with X independent
// of n (tconv/resample/border.hpp), so one widened op serves every size.
// auto_pad and output_size resolve their pads per input size.
bool size_independent(const ConvParams& params) {
  return params.auto_pad == AutoPad::kNone && !params.output_size;
}

}  // namespace

BorderedOp::BorderedOp(ConvTranspose2d op, Border border)
    : op_(std::move(op)), border_(border) {
  if ((border_ != Border::kReplicate && border_ != Border::kReflect) ||
      !size_independent(op_.params()))
    return;
  // Any input size gives the margins; the smallest the layer takes is 1x1.
  const Shape3 one{op_.params().in_channels, 1, 1};
  margins_ = edge_margins(op_.params(), one);
  const EdgeMargins& m = *margins_;
  if (m.begin.h == 0 && m.begin.w == 0 && m.end.h == 0 && m.end.w == 0) return;
  widened_.emplace(ConvTranspose2d::create(widen_for_margins(op_.params(), m), op_.weights(),
                                           op_.options()));
}

std::string_view BorderedOp::impl_name() const noexcept {
  return widened_ ? widened_->impl_name() : op_.impl_name();
}

std::int64_t BorderedOp::scratch_bytes(const Shape3& src, int threads) const {
  if (!margins_) return border_scratch(op_, src, border_, threads < 0 ? op_.options().threads : threads, 1);
  if (!widened_) return op_.scratch_bytes(src, threads);
  const EdgeMargins& m = *margins_;
  const Shape3 extended{src.c, src.h + m.begin.h + m.end.h, src.w + m.begin.w + m.end.w};
  return extended.elements() * 4 + widened_->scratch_bytes(extended, threads);
}

void BorderedOp::run(ConstTensorView src, TensorView dst, int threads) const {
  const Shape3 expected = op_.output_shape(src.shape);
  if (dst.shape != expected)
    throw ShapeMismatch("conv_transpose2d output " + to_string(dst.shape) + ": expected " +
                        to_string(expected) + " for input " + to_string(src.shape));
  if (!margins_) {
    if (border_ == Border::kZero) return op_.run(src, dst, threads);
    // Normalize (its response depends on the size), auto_pad, output_size:
    // planned for this input's shape.
    const BorderRunner runner(op_, src.shape, border_, threads);
    std::vector<float> extended(static_cast<std::size_t>(runner.extended_shape().elements()));
    return runner.run(src, dst, extended, threads);
  }
  if (!widened_) return op_.run(src, dst, threads);
  const EdgeMargins& m = *margins_;
  if (src.shape.c != op_.params().in_channels)
    return op_.run(src, dst, threads);  // throws the op's own channel message
  Tensor extended(
      Shape3{src.shape.c, src.shape.h + m.begin.h + m.end.h, src.shape.w + m.begin.w + m.end.w});
  pad_planes(src, extended.view(), m.begin,
             border_ == Border::kReflect ? PadMode::kReflect : PadMode::kReplicate);
  widened_->run(extended.view(), dst, threads);
}

}  // namespace detail

std::int64_t run_with_border_scratch_bytes(const ConvTranspose2d& op, const Shape3& src,
                                           Border border) {
  return border_scratch(op, src, border, op.options().threads, 1);
}

void run_batch_with_border(const ConvTranspose2d& op, std::span<const float> src,
                           const Shape3& item, std::span<float> dst, Border border) {
  const Shape3 out = op.output_shape(item);
  const auto in_size = static_cast<std::size_t>(item.elements());
  const auto out_size = static_cast<std::size_t>(out.elements());
  const std::size_t count = in_size == 0 ? 0 : src.size() / in_size;
  if (in_size == 0 || src.size() != count * in_size || dst.size() != count * out_size)
    throw ShapeMismatch("conv_transpose2d batch of " + std::to_string(src.size()) + " -> " +
                        std::to_string(dst.size()) + " values: needs whole items of " +
                        to_string(item) + " -> " + to_string(out));
  if (count == 0) return;
  detail::check_output_elements(ConvKind::kConvTranspose2d, op.params(), out, op.options());
  const BorderRunner runner(op, item, border, op.options().threads);
  const auto items = static_cast<std::int64_t>(count);
  std::vector<float> extended(
      static_cast<std::size_t>(runner.batch_group(items) * runner.extended_shape().elements()));
  runner.run_batch({src.data(), items, item}, {dst.data(), items, out}, extended,
                   op.options().threads);
}

std::int64_t run_batch_with_border_scratch_bytes(const ConvTranspose2d& op, const Shape3& item,
                                                 std::int64_t count, Border border) {
  return border_scratch(op, item, border, op.options().threads, count);
}

Tensor run_with_border(const ConvTranspose2d& op, ConstTensorView src, Border border) {
  const Shape3 shape = op.output_shape(src.shape);
  detail::check_output_elements(ConvKind::kConvTranspose2d, op.params(), shape, op.options());
  Tensor dst(shape);
  run_with_border(op, src, dst.view(), border);
  return dst;
}

}  // namespace tconv

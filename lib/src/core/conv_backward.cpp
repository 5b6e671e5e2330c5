// The backward pass of conv2d / conv_transpose2d: the input gradient is the
// adjoint op (planned once, run by the forward registry's impls), the weight
// gradient a correlation (impl/conv_weight_grad*: the impls and their registry).
#include "tconv/core/conv_backward.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "core/conv2d_phase_split.hpp"
#include "core/parallel.hpp"
#include "impl/conv_weight_grad.hpp"
#include "tconv/core/conv2d.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/error.hpp"

namespace tconv {

struct ConvBackward::State {
  ConvKind kind{};
  ConvParams params;  // resolved for `input`
  Shape3 input{}, output{};
  OpOptions options;
  std::optional<ConvTranspose2d> adjoint_tconv;  // the input gradient of a conv2d
  std::optional<Conv2d> adjoint_conv;            // the input gradient of a conv_transpose2d
  Shape3 adjoint_output{};  // >= input; larger only when the adjoint conv2d runs past x's last row or column
  // A strided adjoint conv2d runs as a stride-1 conv2d over dy split into
  // stride phases (core/conv2d_phase_split.hpp); empty split_item otherwise.
  detail::PhaseSplitConv phase_split;
  detail::WeightGradProblem weight_grad;
  const detail::WeightGradImpl* weight_grad_impl = nullptr;
};

namespace {

std::string name_of(ConvKind kind) {
  return kind == ConvKind::kConv2d ? "conv2d backward" : "conv_transpose2d backward";
}

int checked_threads(const ConvBackward::State& st, int threads) {
  if (threads < 0) return st.options.threads;
  if (threads > 256)
    throw InvalidArgument(name_of(st.kind) + " threads " + std::to_string(threads) +
                          ": must be in [0, 256] (0: all cores)");
  return threads;
}

void check_item(const ConvBackward::State& st, const char* what, const Shape3& got,
                const Shape3& expected) {
  if (got != expected)
    throw ShapeMismatch(name_of(st.kind) + " " + what + " item " + to_string(got) + ": expected " +
                        to_string(expected));
}

// Two batches one call takes together: their item shapes and equal counts.
void check_batches(const ConvBackward::State& st, const char* first, ConstBatchView a, const Shape3& a_item,
                   const char* second, ConstBatchView b, const Shape3& b_item) {
  check_item(st, first, a.item, a_item);
  check_item(st, second, b.item, b_item);
  if (a.count != b.count)
    throw ShapeMismatch(name_of(st.kind) + ": " + first + " has " + std::to_string(a.count) + " items, " +
                        second + " " + std::to_string(b.count));
}

bool overlaps(const float* a, std::int64_t an, const float* b, std::int64_t bn) {
  return an > 0 && bn > 0 && a < b + bn && b < a + an;
}


const detail::WeightGradImpl* find_weight_grad_impl(std::string_view name) noexcept {
  for (const detail::WeightGradImpl& impl : detail::weight_grad_impl_list())
    if (impl.name == name) return &impl;
  return nullptr;
}

}  // namespace

std::vector<std::string> conv_weight_grad_impl_names() {
  std::vector<std::string> names;
  for (const detail::WeightGradImpl& impl : detail::weight_grad_impl_list()) names.emplace_back(impl.name);
  return names;
}

bool conv_weight_grad_impl_applicable(std::string_view name) {
  const detail::WeightGradImpl* impl = find_weight_grad_impl(name);
  return impl != nullptr && impl->applicable(detail::WeightGradProblem{});
}

ConvBackward ConvBackward::create(ConvKind kind, const ConvParams& params, const Weights& weights,
                                  const Shape3& input, const OpOptions& options) {
  params.validate(kind);
  auto st = std::make_unique<State>();
  st->kind = kind;
  st->options = options;
  // force_impl picks either part; the other is chosen as usual.
  const detail::WeightGradImpl* forced_weight_grad = find_weight_grad_impl(options.force_impl);
  OpOptions adjoint_options = options;
  if (forced_weight_grad) adjoint_options.force_impl.clear();
  st->input = input;
  if (weights.shape != params.weight_shape(kind))
    throw ShapeMismatch(name_of(kind) + " weight shape " + to_string(weights.shape) + ": expected " +
                        to_string(params.weight_shape(kind)));
  if (!weights.bias.empty() && std::ssize(weights.bias) != params.out_channels)
    throw ShapeMismatch(name_of(kind) + " bias of " + std::to_string(weights.bias.size()) +
                        " values: expected " + std::to_string(params.out_channels));
  st->params = params.resolved(kind, input);
  st->output = st->params.output_shape(kind, input);
  const ConvParams& p = st->params;

  // The adjoint has the channel counts swapped and the same geometry; both
  // weight layouts are [this op's out or in][the other / groups][kh][kw],
  // so the values are reused as they are.
  ConvParams adjoint;
  adjoint.in_channels = p.out_channels;
  adjoint.out_channels = p.in_channels;
  adjoint.groups = p.groups;
  adjoint.kernel = p.kernel;
  adjoint.stride = p.stride;
  adjoint.dilation = p.dilation;
  adjoint.pad_begin = p.pad_begin;
  adjoint.pad_end = p.pad_end;
  const Weights adjoint_weights{weights.shape, weights.values, {}};
  if (kind == ConvKind::kConv2d) {
    // out = floor(span / s) + 1 with span = in + pb + pe - d (k - 1) - 1; the
    // transposed op gives (out - 1) s - pb - pe + d (k - 1) + 1 + op, which is
    // `in` for op = span mod s (< s, so always valid).
    auto span_mod = [](int in, int pb, int pe, int d, int k, int s) {
      return static_cast<int>((std::int64_t{in} + pb + pe - std::int64_t{d} * (k - 1) - 1) % s);
    };
    adjoint.output_padding = {
        span_mod(input.h, p.pad_begin.h, p.pad_end.h, p.dilation.h, p.kernel.h, p.stride.h),
        span_mod(input.w, p.pad_begin.w, p.pad_end.w, p.dilation.w, p.kernel.w, p.stride.w)};
    st->adjoint_tconv.emplace(ConvTranspose2d::create(adjoint, adjoint_weights, adjoint_options));
    st->adjoint_output = st->adjoint_tconv->output_shape(st->output);
  } else {
    // conv2d of dy gives in + floor(output_padding / s) rows per axis: the
    // extra ones (output_padding >= stride needs dilation > stride) are
    // cropped.
    // Strided: split into phases unless a conv2d impl was asked for by name.
    const bool strided = adjoint.stride != Size2{1, 1};
    if (strided && adjoint_options.force_impl.empty()) {
      adjoint.validate(ConvKind::kConv2d);
      st->phase_split = detail::phase_split_conv2d(adjoint, adjoint_weights, st->output, input);
      st->adjoint_conv.emplace(
          Conv2d::create(st->phase_split.params, st->phase_split.weights, adjoint_options));
      st->adjoint_output = st->adjoint_conv->output_shape(st->phase_split.split_item);
    } else {
      st->adjoint_conv.emplace(Conv2d::create(adjoint, adjoint_weights, adjoint_options));
      st->adjoint_output = st->adjoint_conv->output_shape(st->output);
    }
  }

  detail::WeightGradProblem& wg = st->weight_grad;
  const bool conv = kind == ConvKind::kConv2d;
  wg.a = conv ? st->output : input;
  wg.b = conv ? input : st->output;
  wg.groups = p.groups;
  wg.b_per_group = wg.b.c / p.groups;
  wg.kernel = p.kernel;
  wg.stride = p.stride;
  wg.dilation = p.dilation;
  wg.pad_begin = p.pad_begin;
  if (forced_weight_grad) {
    if (!forced_weight_grad->applicable(wg))
      throw InvalidArgument(name_of(kind) + " impl " + options.force_impl + ": not applicable on this CPU");
    st->weight_grad_impl = forced_weight_grad;
  } else {
    for (const detail::WeightGradImpl& impl : detail::weight_grad_impl_list())
      if (impl.applicable(wg)) {
        st->weight_grad_impl = &impl;
        break;
      }
  }
  return ConvBackward(std::move(st));
}

ConvBackward::ConvBackward(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
ConvBackward::ConvBackward(ConvBackward&&) noexcept = default;
ConvBackward& ConvBackward::operator=(ConvBackward&&) noexcept = default;
ConvBackward::~ConvBackward() = default;

ConvKind ConvBackward::kind() const noexcept { return state_->kind; }
Shape3 ConvBackward::input_shape() const noexcept { return state_->input; }
Shape3 ConvBackward::output_shape() const noexcept { return state_->output; }
std::string_view ConvBackward::weight_grad_impl() const noexcept { return state_->weight_grad_impl->name; }
std::string_view ConvBackward::input_grad_impl() const noexcept {
  return state_->adjoint_tconv ? state_->adjoint_tconv->impl_name() : state_->adjoint_conv->impl_name();
}

void ConvBackward::input_grad(ConstBatchView dy, BatchView dx, int threads) const {
  const State& st = *state_;
  const int thread_option = checked_threads(st, threads);
  check_batches(st, "dy", dy, st.output, "dx", dx, st.input);
  if (overlaps(dy.data, dy.elements(), dx.data, dx.elements()))
    throw InvalidArgument(name_of(st.kind) + " dx: must not overlap dy");
  if (dy.count == 0) return;
  if (st.adjoint_tconv) {
    st.adjoint_tconv->run_batch(dy, dx, thread_option);
    return;
  }
  std::vector<float> split;
  ConstBatchView source = dy;
  if (st.phase_split.split_item.c > 0) {
    source = {nullptr, dy.count, st.phase_split.split_item};
    split.resize(static_cast<std::size_t>(source.elements()));
    detail::split_input_phases(st.phase_split, dy, split.data());
    source.data = split.data();
  }
  if (st.adjoint_output == st.input) {
    st.adjoint_conv->run_batch(source, dx, thread_option);
    return;
  }
  // Rows and columns past the input's are dropped, one item at a time.
  Tensor full(st.adjoint_output);
  for (std::int64_t n = 0; n < dy.count; ++n) {
    st.adjoint_conv->run(source.at(n), full.view(), thread_option);
    const TensorView out = dx.at(n);
    for (int c = 0; c < st.input.c; ++c)
      for (int y = 0; y < st.input.h; ++y)
        std::memcpy(out.data + (std::int64_t{c} * st.input.h + y) * st.input.w,
                    full.data() + (std::int64_t{c} * st.adjoint_output.h + y) * st.adjoint_output.w,
                    sizeof(float) * static_cast<std::size_t>(st.input.w));
  }
}

void ConvBackward::weight_grad(ConstBatchView x, ConstBatchView dy, std::span<float> dweight,
                               std::span<float> dbias, int threads) const {
  const State& st = *state_;
  const int thread_option = checked_threads(st, threads);
  check_batches(st, "x", x, st.input, "dy", dy, st.output);
  const std::int64_t weight_elements = st.params.weight_shape(st.kind).elements();
  if (std::ssize(dweight) != weight_elements)
    throw ShapeMismatch(name_of(st.kind) + " dweight of " + std::to_string(dweight.size()) +
                        " values: expected " + std::to_string(weight_elements));
  if (!dbias.empty() && std::ssize(dbias) != st.params.out_channels)
    throw ShapeMismatch(name_of(st.kind) + " dbias of " + std::to_string(dbias.size()) +
                        " values: expected " + std::to_string(st.params.out_channels));

  detail::WeightGradProblem wg = st.weight_grad;
  wg.count = x.count;
  const bool conv = st.kind == ConvKind::kConv2d;
  const float* a = conv ? dy.data : x.data;
  const float* b = conv ? x.data : dy.data;
  // Weight rows and bias channels, each split in contiguous ranges over the
  // threads: each value is computed whole by one thread.
  const detail::WeightGradImpl& impl = *st.weight_grad_impl;
  const std::int64_t rows = std::int64_t{wg.a.c} * wg.b_per_group;
  const std::int64_t bias_rows = dbias.empty() ? 0 : st.params.out_channels;
  const int parts = detail::thread_count(thread_option, rows);
  // The vectorised impls read copies of A and B (impl/conv_weight_grad.hpp),
  // made here once per call, planes split over the threads.
  std::unique_ptr<float[]> a_copy, b_copy;
  if (impl.layout == detail::WeightGradLayout::kColumnPhases) {
    b_copy = std::make_unique_for_overwrite<float[]>(static_cast<std::size_t>(detail::phased_b_elements(wg)));
    detail::split_b_phases(wg, b, b_copy.get());
    b = b_copy.get();
  } else if (impl.layout == detail::WeightGradLayout::kFlat) {
    const detail::FlatLayout layout = detail::flat_layout(wg);
    const std::int64_t a_planes = layout.a_in_place ? 0 : wg.count * wg.a.c;
    const std::int64_t b_planes = layout.b_in_place ? 0 : wg.count * wg.b.c;
    if (a_planes > 0)
      a_copy = std::make_unique_for_overwrite<float[]>(static_cast<std::size_t>(detail::flat_a_elements(wg, layout)));
    if (b_planes > 0)
      b_copy = std::make_unique_for_overwrite<float[]>(static_cast<std::size_t>(detail::flat_b_elements(wg, layout)));
    const int copy_parts = detail::thread_count(thread_option, std::max<std::int64_t>(1, a_planes + b_planes));
    detail::parallel_for(copy_parts, [&](int part) {
      detail::flatten_a(wg, layout, a, a_copy.get(), a_planes * part / copy_parts, a_planes * (part + 1) / copy_parts);
      detail::split_b_flat(wg, layout, b, b_copy.get(), b_planes * part / copy_parts,
                           b_planes * (part + 1) / copy_parts);
    });
    if (a_copy) a = a_copy.get();
    if (b_copy) b = b_copy.get();
  }
  const std::int64_t plane = std::int64_t{st.output.h} * st.output.w;
  const std::int64_t dy_item = st.output.elements();
  detail::parallel_for(parts, [&](int part) {
    const std::int64_t begin = rows * part / parts;
    const std::int64_t end = rows * (part + 1) / parts;
    if (begin < end) impl.run(wg, a, b, dweight.data(), begin, end);
    for (std::int64_t o = bias_rows * part / parts; o < bias_rows * (part + 1) / parts; ++o) {
      // Position i of each item's plane goes to sums[i mod kBiasLanes], the
      // lanes then added in order: independent chains, a fixed order.
      constexpr int kBiasLanes = 8;
      double sums[kBiasLanes] = {};
      for (std::int64_t n = 0; n < dy.count; ++n) {
        const float* p = dy.data + n * dy_item + o * plane;
        std::int64_t i = 0;
        for (; i + kBiasLanes <= plane; i += kBiasLanes)
          for (int l = 0; l < kBiasLanes; ++l) sums[l] += p[i + l];
        for (int l = 0; l < kBiasLanes; ++l)
          if (i + l < plane) sums[l] += p[i + l];
      }
      double sum = 0;
      for (const double s : sums) sum += s;
      dbias[static_cast<std::size_t>(o)] = static_cast<float>(sum);
    }
  });
}

}  // namespace tconv

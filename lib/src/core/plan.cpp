// Planning: validate once, pick the impl; running: check the input, allocate, run.
#include "core/plan.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <utility>
#include <vector>

#include "core/index_math.hpp"
#include "core/parallel.hpp"
#include "tconv/core/error.hpp"

namespace tconv::detail {

namespace {

// Every make_plan() call, for tests of planning once (plans_made()).
std::atomic<std::int64_t> g_plans_made{0};

std::string op_name(ConvKind kind) { return std::string(to_string(kind)); }

void validate_weights(ConvKind kind, const ConvParams& p, const Weights& w) {
  const Shape4 expected = p.weight_shape(kind);
  const char* layout = kind == ConvKind::kConvTranspose2d
                           ? "(in_channels, out_channels/groups, kh, kw)"
                           : "(out_channels, in_channels/groups, kh, kw)";
  if (w.shape != expected)
    throw ShapeMismatch(op_name(kind) + " weight " + to_string(w.shape) + ": expected " +
                        to_string(expected) + " " + layout + " for " + p.to_string());
  if (w.values.size() != static_cast<std::size_t>(expected.elements()))
    throw ShapeMismatch(op_name(kind) + " weight " + to_string(w.shape) + ": holds " +
                        std::to_string(w.values.size()) + " values, expected " +
                        std::to_string(expected.elements()));
  if (!w.bias.empty() && w.bias.size() != static_cast<std::size_t>(p.out_channels))
    throw ShapeMismatch(op_name(kind) + " bias " + std::to_string(w.bias.size()) +
                        ": expected out_channels = " + std::to_string(p.out_channels) +
                        " values");
  for (std::size_t i = 0; i < w.values.size(); ++i)
    if (!std::isfinite(w.values[i]))
      throw InvalidArgument(op_name(kind) + " weight value at flat index " + std::to_string(i) +
                            ": weights must be finite");
  for (std::size_t i = 0; i < w.bias.size(); ++i)
    if (!std::isfinite(w.bias[i]))
      throw InvalidArgument(op_name(kind) + " bias value at index " + std::to_string(i) +
                            ": bias must be finite");
}

const Impl& select_impl(ConvKind kind, const ConvParams& p, const std::string& forced) {
  for (const Impl& impl : impl_list(kind)) {
    if (!forced.empty() && impl.name != forced) continue;
    if (impl.applicable(p)) return impl;
    if (!forced.empty())
      throw InvalidArgument(op_name(kind) + " impl " + forced + ": not applicable to " +
                            p.to_string());
  }
  if (!forced.empty())
    throw InvalidArgument(op_name(kind) + " impl " + forced + ": no such impl");
  throw Error(ErrorCode::kInternal, op_name(kind) + ": no impl accepts " + p.to_string());
}

// The scratch layout of one run of `count` items: the impl's shared buffer
// (one slot per item of a group when prepare() reads the input, else one
// for all) and one workspace per thread, each rounded up to 64 bytes.
struct Scratch {
  std::int64_t items = 0;  // work items of one batch item
  std::int64_t group = 1;  // batch items prepared and run together
  std::int64_t slots = 1;  // shared buffers
  int threads = 1;
  std::size_t shared_size = 0;  // one slot
  std::size_t per_thread = 0;
  [[nodiscard]] std::size_t total() const {
    return shared_size * static_cast<std::size_t>(slots) +
           per_thread * static_cast<std::size_t>(threads) + 64;
  }
};

// When every item needs its own shared buffer (an input packed by
// prepare()), a batch runs in groups whose buffers fit in this many bytes
// (at least one item each): a batch of small patches runs as one group, a
// batch of large images item after item, each on every thread.
constexpr std::size_t kBatchSharedBudget = std::size_t{64} << 20;

Scratch scratch_of(const Plan& plan, const Problem& pb, std::int64_t count,
                   int requested_threads) {
  const Impl& impl = *plan.impl;
  auto round64 = [](std::size_t n) { return (n + 63) / 64 * 64; };
  Scratch s;
  s.items = impl.work_items ? impl.work_items(pb) : std::int64_t{pb.dst.c} * pb.dst.h;
  s.shared_size = impl.shared_bytes ? round64(impl.shared_bytes(pb)) : 0;
  s.per_thread = impl.workspace_bytes ? round64(impl.workspace_bytes(pb)) : 0;
  s.group = std::max<std::int64_t>(count, 1);
  if (impl.prepare_reads_src && s.shared_size > 0)
    s.group = std::clamp<std::int64_t>(
        static_cast<std::int64_t>(kBatchSharedBudget / s.shared_size), 1, s.group);
  s.slots = impl.prepare_reads_src ? s.group : 1;
  s.threads = thread_count(requested_threads, s.items * s.group);
  return s;
}

// Runs the items of a batch in groups (Scratch::group); a group's work
// items, item b's work item k at index b * items + k, are split into
// contiguous static bands, one per thread, each with its own 64-byte
// aligned workspace. Every work item is computed whole by one thread, so
// the result depends neither on the split nor on the batch around an item.
// The scratch comes from `reused` when given (grown when too small), else
// from one allocation for this run.
void execute(const Plan& plan, const Problem& pb, ConstBatchView src, BatchView dst,
             int thread_option, ScratchBuffer* reused = nullptr) {
  const Impl& impl = *plan.impl;
  const Scratch scratch = scratch_of(plan, pb, src.count, thread_option);
  const std::int64_t items = scratch.items;
  const int threads = scratch.threads;
  const std::size_t shared_size = scratch.shared_size;
  const std::size_t per_thread = scratch.per_thread;
  // Not zeroed: prepare() and the impls write every byte they read (a
  // zeroing vector cost as much as a fast impl's whole run on large inputs).
  ScratchBuffer own;
  ScratchBuffer& buffer = reused ? *reused : own;
  if (buffer.size < scratch.total()) {
    buffer.storage.reset();
    buffer.storage = std::make_unique_for_overwrite<std::byte[]>(scratch.total());
    buffer.size = scratch.total();
  }
  const auto base = reinterpret_cast<std::uintptr_t>(buffer.storage.get());
  std::byte* aligned = buffer.storage.get() + ((64 - base % 64) % 64);
  std::byte* workspaces = aligned + shared_size * static_cast<std::size_t>(scratch.slots);
  auto shared_of = [&](std::int64_t b) {
    return std::span<std::byte>{aligned + (impl.prepare_reads_src ? shared_size * b : 0),
                                shared_size};
  };
  for (std::int64_t first = 0; first < src.count; first += scratch.group) {
    const std::int64_t n = std::min(scratch.group, src.count - first);
    // Packing (prepare) finishes on every thread before any band runs. A
    // weights-only buffer is packed once (one group holds the whole batch)
    // on this thread: it is small, and a hand-off to the pool costs more.
    if (impl.prepare && impl.prepare_reads_src)
      parallel_for(threads, [&](int t) {
        for (std::int64_t b = 0; b < n; ++b)
          impl.prepare(pb, plan.weights, src.at(first + b), shared_of(b), t, threads);
      });
    else if (impl.prepare)
      for (int t = 0; t < threads; ++t) impl.prepare(pb, plan.weights, src.at(0), shared_of(0), t, threads);
    const std::int64_t total = items * n;
    parallel_for(threads, [&](int t) {
      const std::span<std::byte> workspace{
          workspaces + per_thread * static_cast<std::size_t>(t), per_thread};
      const std::int64_t end = total * (t + 1) / threads;
      for (std::int64_t k = total * t / threads; k < end;) {
        const std::int64_t b = k / items;
        const std::int64_t stop = std::min(end, (b + 1) * items);
        impl.run(pb, plan.weights, src.at(first + b), dst.at(first + b), shared_of(b), workspace,
                 k - b * items, stop - b * items);
        k = stop;
      }
    });
  }
}

}  // namespace

Problem resolve_problem(const Plan& plan, const Shape3& src) {
  Problem pb;
  pb.params = plan.params.resolved(plan.kind, src);
  pb.src = src;
  pb.dst = plan.params.output_shape(plan.kind, src);
  return pb;
}

Problem make_problem(const Plan& plan, const Shape3& src) {
  Problem pb = resolve_problem(plan, src);
  check_output_elements(plan.kind, plan.params, pb.dst, plan.options);
  return pb;
}

void check_output_elements(ConvKind kind, const ConvParams& params, const Shape3& dst,
                           const OpOptions& options) {
  if (dst.elements() > options.max_output_elements)
    throw LimitExceeded(op_name(kind) + " output " + to_string(dst) + " (" +
                        std::to_string(dst.elements()) + " elements) for " + params.to_string() +
                        ": exceeds the limit of " + std::to_string(options.max_output_elements) +
                        " elements");
}

Plan make_plan(ConvKind kind, const ConvParams& params, Weights weights, const OpOptions& options) {
  params.validate(kind);
  validate_weights(kind, params, weights);
  if (options.max_output_elements < 1 || options.max_output_elements > Tensor::kMaxElements)
    throw InvalidArgument(op_name(kind) + " max_output_elements " +
                          std::to_string(options.max_output_elements) +
                          ": must be in [1, 2^31]");
  if (options.threads < 0 || options.threads > 256)
    throw InvalidArgument(op_name(kind) + " threads " + std::to_string(options.threads) +
                          ": must be in [0, 256] (0: all cores)");
  Plan plan;
  g_plans_made.fetch_add(1, std::memory_order_relaxed);
  plan.kind = kind;
  plan.params = params;
  plan.impl = &select_impl(kind, params, options.force_impl);
  plan.weights = std::move(weights);
  plan.options = options;
  return plan;
}

std::int64_t scratch_bytes(const Plan& plan, const Shape3& src, int threads) {
  return static_cast<std::int64_t>(
      scratch_of(plan, make_problem(plan, src), 1, threads < 0 ? plan.options.threads : threads)
          .total());
}

namespace {

// The threads of one run: OpOptions::threads' rule, negative for the plan's.
int run_threads(const Plan& plan, int threads) {
  if (threads < 0) return plan.options.threads;
  if (threads > 256)
    throw InvalidArgument(op_name(plan.kind) + " threads " + std::to_string(threads) +
                          ": must be in [0, 256] (0: all cores)");
  return threads;
}

}  // namespace

Tensor run_plan(const Plan& plan, ConstTensorView src, int threads) {
  const int thread_option = run_threads(plan, threads);
  const Problem pb = make_problem(plan, src.shape);
  Tensor dst(pb.dst);
  execute(plan, pb, {src.data, 1, src.shape}, {dst.data(), 1, pb.dst}, thread_option);
  return dst;
}

void run_plan(const Plan& plan, ConstTensorView src, TensorView dst, int threads) {
  const int thread_option = run_threads(plan, threads);
  const Problem pb = make_problem(plan, src.shape);
  if (dst.shape != pb.dst)
    throw ShapeMismatch(op_name(plan.kind) + " output " + to_string(dst.shape) + ": expected " +
                        to_string(pb.dst) + " for input " + to_string(src.shape));
  const float* s_begin = src.data;
  const float* s_end = src.data + src.shape.elements();
  const float* d_begin = dst.data;
  const float* d_end = dst.data + dst.shape.elements();
  if (s_begin < d_end && d_begin < s_end)
    throw InvalidArgument(op_name(plan.kind) + " output: must not overlap the input");
  execute(plan, pb, {src.data, 1, src.shape}, {dst.data, 1, dst.shape}, thread_option);
}

namespace {

// Throws unless `count` items of `item` stay below 2^62 values.
void check_batch_count(ConvKind kind, std::int64_t count, const Shape3& item) {
  constexpr std::int64_t kMaxValues = std::int64_t{1} << 62;
  if (count < 0 || (item.elements() > 0 && count > kMaxValues / item.elements()))
    throw InvalidArgument(op_name(kind) + " batch of " + std::to_string(count) + " items of " +
                          to_string(item) + ": the count must be in [0, 2^62 / item size]");
}

}  // namespace

std::int64_t batch_scratch_bytes(const Plan& plan, const Shape3& item, std::int64_t count,
                                 int threads) {
  check_batch_count(plan.kind, count, item);
  if (count == 0) return 0;
  return static_cast<std::int64_t>(
      scratch_of(plan, make_problem(plan, item), count,
                 threads < 0 ? plan.options.threads : threads)
          .total());
}

void run_plan_batch(const Plan& plan, ConstBatchView src, BatchView dst, int threads) {
  const int thread_option = run_threads(plan, threads);
  check_batch_count(plan.kind, src.count, src.item);
  const Problem pb = make_problem(plan, src.item);
  if (dst.count != src.count || dst.item != pb.dst)
    throw ShapeMismatch(op_name(plan.kind) + " batch output " + std::to_string(dst.count) +
                        " x " + to_string(dst.item) + ": expected " + std::to_string(src.count) +
                        " x " + to_string(pb.dst) + " for input " + std::to_string(src.count) +
                        " x " + to_string(src.item));
  if (src.count == 0) return;
  const float* s_begin = src.data;
  const float* s_end = src.data + src.elements();
  const float* d_begin = dst.data;
  const float* d_end = dst.data + dst.elements();
  if (s_begin < d_end && d_begin < s_end)
    throw InvalidArgument(op_name(plan.kind) + " batch output: must not overlap the input");
  execute(plan, pb, src, dst, thread_option);
}

RowRange band_input_rows(ConvKind kind, const Problem& full, RowRange out) noexcept {
  const ConvParams& p = full.params;
  const std::int64_t s = p.stride.h;
  const std::int64_t pt = p.pad_begin.h;
  const std::int64_t extent = std::int64_t{p.dilation.h} * (p.kernel.h - 1);
  const std::int64_t ih = full.src.h;
  if (kind == ConvKind::kConv2d) {
    const std::int64_t lo = std::max<std::int64_t>(0, out.begin * s - pt);
    const std::int64_t hi = std::min<std::int64_t>(ih, (out.end - 1) * s - pt + extent + 1);
    if (lo >= hi) return {0, 0};
    return {static_cast<int>(lo), static_cast<int>(hi)};
  }
  // The first receiving row, but never past floor((a + pt) / s) (pt' >= 0)
  // and at most the last input row.
  const std::int64_t first = -floor_div(extent - out.begin - pt, s);  // ceil
  std::int64_t lo = std::min(first, floor_div(out.begin + pt, s));
  lo = std::clamp<std::int64_t>(lo, 0, ih - 1);
  const std::int64_t hi =
      std::max(lo + 1, std::min(ih, floor_div(std::int64_t{out.end} - 1 + pt, s) + 1));
  return {static_cast<int>(lo), static_cast<int>(hi)};
}

Problem band_problem(ConvKind kind, const Problem& full, RowRange in, RowRange out) noexcept {
  const ConvParams& p = full.params;
  const int s = p.stride.h;
  const int extent = p.dilation.h * (p.kernel.h - 1);
  Problem band = full;
  band.src.h = in.size();
  band.dst.h = out.size();
  if (kind == ConvKind::kConv2d) {
    band.params.pad_begin.h = p.pad_begin.h + in.begin - out.begin * s;
    band.params.pad_end.h = (out.end - 1) * s - p.pad_begin.h + extent + 1 - in.end;
    return band;
  }
  band.params.pad_begin.h = p.pad_begin.h + out.begin - in.begin * s;
  // (ih' - 1) s - pt' - pb' + extent + op' + 1 = out.size()
  const int bottom = (in.size() - 1) * s - band.params.pad_begin.h + extent + 1 - out.size();
  band.params.pad_end.h = std::max(bottom, 0);
  band.params.output_padding.h = std::max(-bottom, 0);
  return band;
}

std::int64_t band_scratch_bytes(const Plan& plan, const Problem& full, RowRange out,
                                int threads) {
  const RowRange in = band_input_rows(plan.kind, full, out);
  if (in.empty()) return 0;
  return static_cast<std::int64_t>(
      scratch_of(plan, band_problem(plan.kind, full, in, out), 1,
                 threads < 0 ? plan.options.threads : threads)
          .total());
}

void run_rows(const Plan& plan, const Problem& full, RowRange out, ConstTensorView src,
              TensorView dst, int threads, ScratchBuffer& scratch) {
  const RowRange in = band_input_rows(plan.kind, full, out);
  if (in.empty()) {
    // conv2d rows that read padding alone: the bias, as every impl gives.
    const std::size_t plane = static_cast<std::size_t>(dst.shape.h) * dst.shape.w;
    for (int c = 0; c < dst.shape.c; ++c) {
      const float b = plan.weights.bias.empty() ? 0.0f : plan.weights.bias[c];
      std::fill_n(dst.data + c * plane, plane, b);
    }
    return;
  }
  execute(plan, band_problem(plan.kind, full, in, out), {src.data, 1, src.shape},
          {dst.data, 1, dst.shape},
          threads < 0 ? plan.options.threads : threads, &scratch);
}

std::int64_t plans_made() noexcept { return g_plans_made.load(std::memory_order_relaxed); }

}  // namespace tconv::detail

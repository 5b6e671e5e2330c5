// Internal: the planned form shared by ConvTranspose2d and Conv2d, and the
// impl registry interface (oneDNN's implementation list idea).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "tconv/core/conv2d.hpp"
#include "tconv/core/conv_params.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/tensor.hpp"

namespace tconv::detail {

/// A problem with every size known: what an impl receives. `params` is
/// resolved (explicit pads and output_padding, no auto_pad, no output_size).
struct Problem {
  ConvParams params;
  Shape3 src;
  Shape3 dst;
};

/// Computes the work items [begin, end) of dst from src. An impl defines
/// its items (work_items(); by default the output rows (oc, oy) in order,
/// item = oc * oh + oy) so the caller can split them over threads; an item
/// is always computed whole by one call, in a fixed order, which keeps
/// results independent of the split. Impls never validate, never allocate
/// and never throw: every rule was checked when the op was planned and the
/// input resolved. Scratch memory comes in `workspace` (workspace_bytes()
/// bytes per thread) and `shared` (shared_bytes() bytes, filled by
/// prepare() before any thread runs), both 64-byte aligned. prepare() runs
/// on every thread with its index `part` of `parts`, each filling its share,
/// and all of them finish before the first run() starts.
using RunFn = void (*)(const Problem& problem, const Weights& weights, ConstTensorView src,
                       TensorView dst, std::span<const std::byte> shared,
                       std::span<std::byte> workspace, std::int64_t begin,
                       std::int64_t end) noexcept;
using PrepareFn = void (*)(const Problem& problem, const Weights& weights, ConstTensorView src,
                           std::span<std::byte> shared, int part, int parts) noexcept;
using SizeFn = std::size_t (*)(const Problem& problem) noexcept;
using ItemsFn = std::int64_t (*)(const Problem& problem) noexcept;

/// One registered implementation.
struct Impl {
  std::string_view name;                                  ///< tconv2d_<dtype>_<algo>[_<isa>]
  bool (*applicable)(const ConvParams& params) noexcept;  ///< Accepts the problem (and CPU).
  RunFn run;
  SizeFn workspace_bytes = nullptr;  ///< Per thread; null: none.
  SizeFn shared_bytes = nullptr;     ///< Shared by all threads; null: none.
  PrepareFn prepare = nullptr;       ///< Fills the shared buffer; null: nothing to do.
  ItemsFn work_items = nullptr;      ///< Null: out_channels * oh.
  /// prepare() copies from src (the input packed or padded), so each item
  /// of a batch needs its own shared buffer; otherwise (weights only) one
  /// shared buffer serves the whole batch.
  bool prepare_reads_src = false;
};

/// The impls for `kind`, best first; the reference is last and always applicable.
[[nodiscard]] std::span<const Impl> impl_list(ConvKind kind) noexcept;

/// A validated op: what ConvTranspose2d and Conv2d hold.
struct Plan {
  ConvKind kind{};
  ConvParams params;
  Weights weights;
  OpOptions options;
  const Impl* impl = nullptr;
};

/// Throws LimitExceeded when an output of `dst` exceeds options.max_output_elements.
void check_output_elements(ConvKind kind, const ConvParams& params, const Shape3& dst,
                           const OpOptions& options);

/// Validates params, weights and options (throws), then selects the impl.
[[nodiscard]] Plan make_plan(ConvKind kind, const ConvParams& params, Weights weights,
                             const OpOptions& options);
/// Bytes of scratch a run on `src` allocates besides its output (the impl's
/// shared buffer and per-thread workspaces) on `threads` threads (as
/// OpOptions::threads; negative: the plan's); throws as run_plan().
[[nodiscard]] std::int64_t scratch_bytes(const Plan& plan, const Shape3& src, int threads);
/// Checks src against the plan and the output limit (throws), then
/// allocates and runs on `threads` threads (as OpOptions::threads, checked
/// here; negative: the plan's).
[[nodiscard]] Tensor run_plan(const Plan& plan, ConstTensorView src, int threads = -1);
/// Checks src and dst (throws), then runs into dst.
void run_plan(const Plan& plan, ConstTensorView src, TensorView dst, int threads = -1);
/// Checks a batch and its output (throws), then runs every item as one
/// parallel call (ConvTranspose2d::run_batch()).
void run_plan_batch(const Plan& plan, ConstBatchView src, BatchView dst, int threads = -1);
/// Bytes of scratch run_plan_batch() allocates for `count` items of `item`.
[[nodiscard]] std::int64_t batch_scratch_bytes(const Plan& plan, const Shape3& item,
                                               std::int64_t count, int threads);

/// Resolves the params for an input of `src` (throws as
/// ConvParams::resolved()), without the output limit: for runs that never
/// hold the whole output (row bands).
[[nodiscard]] Problem resolve_problem(const Plan& plan, const Shape3& src);
/// resolve_problem(), then the output checked against
/// options.max_output_elements: the problem run_plan() runs (throws as it).
[[nodiscard]] Problem make_problem(const Plan& plan, const Shape3& src);

// --- Row bands ---------------------------------------------------------------
//
// A band is a window of output rows [begin, end) of a resolved problem,
// computed from a window of its input rows by the plan's impl, without
// re-planning: the band's problem is the whole problem with the row pads
// (and, for conv_transpose2d, the row output padding) of the window, so
// every impl sees an ordinary problem and every output row is computed
// from the same terms in the same order as in the whole run (bit-identical).
//   conv2d, output row oy reads input rows oy sh - pt + ky dh: the window of
//     out = [a, b) is [a sh - pt, (b - 1) sh - pt + dh (kh - 1) + 1) clipped to
//     the input; pt' = pt + i0 - a sh >= 0 and pb' = that end - i1 >= 0. The
//     window is empty when the rows read only padding: they are the bias.
//   conv_transpose2d, output row oy receives input row iy iff
//     oy + pt = iy sh + ky dh: out = [a, b) receives
//     [ceil((a + pt - dh (kh - 1)) / sh), floor((b - 1 + pt) / sh)] clipped;
//     the window starts at most at floor((a + pt) / sh) (one row that adds
//     nothing when sh > dh (kh - 1) + 1) so that pt' = pt + a - i0 sh >= 0,
//     and ends at least one row after its start; the bottom is pb' or, where
//     that would be negative, output padding op' = -pb' (< max(sh, dh)).
// Impls that group rows (tconv2d_f32_phase's merged rows) keep their
// grouping when a conv_transpose2d band starts at a multiple of sh; every
// band of Model's banded run does.

/// Rows [begin, end) of an image axis.
struct RowRange {
  int begin = 0;
  int end = 0;
  [[nodiscard]] int size() const noexcept { return end - begin; }
  [[nodiscard]] bool empty() const noexcept { return end <= begin; }
  friend bool operator==(const RowRange&, const RowRange&) = default;
};

/// The input rows output rows `out` (non-empty, within full.dst) of the
/// resolved problem `full` read (see above); empty only for conv2d rows
/// that read padding alone.
[[nodiscard]] RowRange band_input_rows(ConvKind kind, const Problem& full, RowRange out) noexcept;

/// The problem of output rows `out` from input rows
/// `in` = band_input_rows(kind, full, out), non-empty.
[[nodiscard]] Problem band_problem(ConvKind kind, const Problem& full, RowRange in,
                                   RowRange out) noexcept;

/// Scratch reused by run_rows() calls: grows to the largest asked for.
struct ScratchBuffer {
  std::unique_ptr<std::byte[]> storage;
  std::size_t size = 0;
};

/// Bytes of scratch run_rows() needs for output rows `out` of `full` on
/// `threads` threads (as OpOptions::threads; negative: the plan's).
[[nodiscard]] std::int64_t band_scratch_bytes(const Plan& plan, const Problem& full, RowRange out,
                                              int threads);

/// Computes output rows `out` of `full` (= make_problem(plan, ...)) into dst
/// ({oc, out.size(), ow}) from src, which holds the input rows
/// band_input_rows(plan.kind, full, out) ({ic, rows, iw}; no rows when that
/// is empty). Bit-identical to the same rows of run_plan() on the whole
/// input for any thread count (`threads` as run_plan(), not checked). Only
/// allocates (scratch, when `scratch` is too small).
void run_rows(const Plan& plan, const Problem& full, RowRange out, ConstTensorView src,
              TensorView dst, int threads, ScratchBuffer& scratch);

/// The plan inside a public op, for the library's own callers (row bands).
struct PlanAccess {
  [[nodiscard]] static const Plan& of(const ConvTranspose2d& op) noexcept { return *op.plan_; }
  [[nodiscard]] static const Plan& of(const Conv2d& op) noexcept { return *op.plan_; }
};

/// How many plans make_plan() has made in this process (every op creation,
/// whatever thread): tests check that a batch plans once, not per image.
[[nodiscard]] std::int64_t plans_made() noexcept;

}  // namespace tconv::detail

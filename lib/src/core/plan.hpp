// Internal: the planned form shared by ConvTranspose2d and Conv2d, and the
// impl registry interface (oneDNN's implementation list idea).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "tconv/core/conv_params.hpp"
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

/// How many plans make_plan() has made in this process (every op creation,
/// whatever thread): tests check that a batch plans once, not per image.
[[nodiscard]] std::int64_t plans_made() noexcept;

}  // namespace tconv::detail

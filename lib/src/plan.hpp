// Internal: the planned form shared by ConvTranspose2d and Conv2d, and the
// impl registry interface (oneDNN's implementation list idea).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "tconv/conv_params.hpp"
#include "tconv/tensor.hpp"

namespace tconv::detail {

/// A problem with every size known: what an impl receives. `params` is
/// resolved (explicit pads and output_padding, no auto_pad, no output_size).
struct Problem {
  ConvParams params;
  Shape3 src;
  Shape3 dst;
};

/// Computes the work items [begin, end) of dst from src. Every impl's items
/// are the output rows (oc, oy) in order, item = oc * oh + oy, so the
/// caller can split them over threads; an item is always computed whole by
/// one call, which keeps results independent of the split. Impls never
/// validate, never allocate and never throw: every rule was checked when the
/// op was planned and the input resolved; scratch memory comes in
/// `workspace` (workspace_bytes(problem) bytes, 64-byte aligned, per thread).
using RunFn = void (*)(const Problem& problem, const Weights& weights, ConstTensorView src,
                       TensorView dst, std::span<std::byte> workspace, std::int64_t begin,
                       std::int64_t end) noexcept;

/// One registered implementation.
struct Impl {
  std::string_view name;                                  ///< tconv2d_<dtype>_<algo>[_<isa>]
  bool (*applicable)(const ConvParams& params) noexcept;  ///< Accepts the problem (and CPU).
  std::size_t (*workspace_bytes)(const Problem& problem) noexcept;  ///< Per thread; may be null.
  RunFn run;
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

/// Validates params, weights and options (throws), then selects the impl.
[[nodiscard]] Plan make_plan(ConvKind kind, const ConvParams& params, Weights weights,
                             const OpOptions& options);
/// Checks src against the plan and the output limit (throws), then allocates and runs.
[[nodiscard]] Tensor run_plan(const Plan& plan, ConstTensorView src);
/// Checks src and dst (throws), then runs into dst.
void run_plan(const Plan& plan, ConstTensorView src, TensorView dst);

}  // namespace tconv::detail

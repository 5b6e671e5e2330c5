// tconv2d_f32_phase: the phase-decomposition kernel (tconv2d_f32_phase.inl)
// for any x86-64 (SSE2) or other CPU, and its workspace size.
#include "impl/impls.hpp"

#define TCONV_PHASE_FN tconv2d_f32_phase
#define TCONV_TARGET
#include "impl/tconv2d_f32_phase.inl"

namespace tconv::detail {

// Terms (one per row tap, column tap and input channel of a group) and one
// accumulator row of ceil(ow / sw) floats.
std::size_t tconv2d_f32_phase_workspace(const Problem& pb) noexcept {
  const ConvParams& p = pb.params;
  const std::size_t terms = static_cast<std::size_t>(p.kernel.h) * p.kernel.w *
                            static_cast<std::size_t>(p.in_channels / p.groups);
  const std::size_t terms_bytes = (terms * 32 + 63) / 64 * 64;
  const std::size_t columns = static_cast<std::size_t>((pb.dst.w + p.stride.w - 1) / p.stride.w);
  return terms_bytes + columns * sizeof(float);
}

}  // namespace tconv::detail

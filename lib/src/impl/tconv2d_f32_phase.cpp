// tconv2d_f32_phase: the phase-decomposition kernel (tconv2d_f32_phase.inl)
// for any x86-64 (SSE2) or other CPU, and its workspace size.
#include <algorithm>

#include "impl/impls.hpp"
#include "index_math.hpp"
#include "impl/tconv2d_f32_phase.hpp"

#define TCONV_PHASE_FN tconv2d_f32_phase
#define TCONV_TARGET
#include "impl/tconv2d_f32_phase.inl"

namespace tconv::detail {

// Column phase ox0 in [0, sw), tap kx reads ix = q + j with
// q = floor((ox0 + pad_left - kx * dw) / sw) and j < n(ox0) = ceil((ow - ox0) / sw).
PhasePadding phase_padding(const Problem& pb) noexcept {
  const ConvParams& p = pb.params;
  const int sw = p.stride.w;
  std::int64_t left = 0;
  std::int64_t right = 0;
  for (int ox0 = 0; ox0 < sw && ox0 < pb.dst.w; ++ox0) {
    const std::int64_t n = (pb.dst.w - ox0 + sw - 1) / sw;
    const std::int64_t q_min =
        floor_div(std::int64_t{ox0} + p.pad_begin.w - std::int64_t{p.kernel.w - 1} * p.dilation.w, sw);
    const std::int64_t q_max = floor_div(std::int64_t{ox0} + p.pad_begin.w, sw);
    left = std::max(left, -q_min);
    right = std::max(right, q_max + n - pb.src.w);
  }
  PhasePadding pad;
  pad.left = static_cast<int>(left);
  pad.right = static_cast<int>(right);
  pad.row_length = pad.left + pb.src.w + pad.right;
  const bool many_channels = p.in_channels / p.groups > 1;
  pad.copied = pad.left > 0 || pad.right > 0 || many_channels;
  const std::ptrdiff_t rows = static_cast<std::ptrdiff_t>(pb.src.h) * pad.row_length;
  // Copied planes start 64 bytes apart modulo 4 KiB.
  pad.plane = pad.copied ? (rows + 1023) / 1024 * 1024 + 16 : rows;
  return pad;
}

std::size_t tconv2d_f32_phase_shared(const Problem& pb) noexcept {
  const PhasePadding pad = phase_padding(pb);
  if (!pad.copied) return 0;
  return static_cast<std::size_t>(pb.src.c) * static_cast<std::size_t>(pad.plane) * sizeof(float);
}

// Part `part` of `parts` copies its share of the input rows with zero columns around.
void tconv2d_f32_phase_prepare(const Problem& pb, const Weights& /*weights*/, ConstTensorView src,
                               std::span<std::byte> shared, int part, int parts) noexcept {
  const PhasePadding pad = phase_padding(pb);
  if (!pad.copied) return;
  auto* out = reinterpret_cast<float*>(shared.data());
  const std::int64_t rows = std::int64_t{pb.src.c} * pb.src.h;
  for (std::int64_t r = rows * part / parts; r < rows * (part + 1) / parts; ++r) {
    float* row = out + (r / pb.src.h) * pad.plane + (r % pb.src.h) * pad.row_length;
    std::fill(row, row + pad.left, 0.0f);
    std::copy(src.data + r * pb.src.w, src.data + (r + 1) * pb.src.w, row + pad.left);
    std::fill(row + pad.left + pb.src.w, row + pad.row_length, 0.0f);
  }
}

// Terms (one per row tap, column tap and input channel of a group), one
// accumulator row of ceil(ow / sw) floats per column phase and output
// channel of a block of three, and two ints per column tap.
std::size_t tconv2d_f32_phase_workspace(const Problem& pb) noexcept {
  const ConvParams& p = pb.params;
  const std::size_t terms = static_cast<std::size_t>(p.kernel.h) * p.kernel.w *
                            static_cast<std::size_t>(p.in_channels / p.groups);
  const std::size_t terms_bytes = (terms * 32 + 63) / 64 * 64;
  const std::size_t columns = static_cast<std::size_t>((pb.dst.w + p.stride.w - 1) / p.stride.w);
  const std::size_t phases = static_cast<std::size_t>(std::min(p.stride.w, pb.dst.w));
  const std::size_t acc_bytes = (columns * phases * 3 * sizeof(float) + 63) / 64 * 64;  // 3: kChannelBlock
  return terms_bytes + acc_bytes + 2 * static_cast<std::size_t>(p.kernel.w) * sizeof(int);
}

// Work items: rows of blocks of up to three output channels of a group.
std::int64_t tconv2d_f32_phase_items(const Problem& pb) noexcept {
  const ConvParams& p = pb.params;
  const int ocg = p.out_channels / p.groups;
  return std::int64_t{p.groups} * ((ocg + 2) / 3) * pb.dst.h;
}

}  // namespace tconv::detail

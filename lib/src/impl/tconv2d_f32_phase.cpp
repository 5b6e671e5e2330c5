// tconv2d_f32_phase: the phase-decomposition kernel (tconv2d_f32_phase.inl)
// for any x86-64 (SSE2) or other CPU, and its workspace size.
#include <algorithm>

#include "core/index_math.hpp"
#include "impl/impls.hpp"
#include "impl/tconv2d_f32_phase.hpp"

#define TCONV_PHASE_FN tconv2d_f32_phase
#define TCONV_TARGET
#if !defined(__AVX__)
#define TCONV_PHASE_SSE 1
#endif
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
  if (phase_merged(p)) {
    // Every column phase reads q + j for j < n(0), with q up to q_max(sw - 1).
    const std::int64_t n_max = (pb.dst.w + sw - 1) / sw;
    const std::int64_t q_max = floor_div(std::int64_t{sw - 1} + p.pad_begin.w, sw);
    right = std::max(right, q_max + n_max - pb.src.w);
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

namespace {
// Distinct input offsets floor((r + pad - k) / s) over phases r in [0, s) and
// taps k in [0, kernel) with (r + pad - k) divisible by s (dilation 1).
int union_offsets(int kernel, int stride, int pad) noexcept {
  const std::int64_t lo = -floor_div(std::int64_t{kernel - 1} - pad, stride);  // ceil
  const std::int64_t hi = floor_div(std::int64_t{stride - 1} + pad, stride);
  return static_cast<int>(hi - lo + 1);
}
}  // namespace

bool phase_merged(const ConvParams& p) noexcept {
  const int phases = p.stride.h * p.stride.w;
  if (p.out_channels != p.groups || phases < 2 || phases > 4) return false;
  if (p.dilation.h != 1 || p.dilation.w != 1) return false;
  // Useful multiply-adds kh * kw out of phases * rows * columns of the union.
  const std::int64_t slots = std::int64_t{phases} * union_offsets(p.kernel.h, p.stride.h, p.pad_begin.h) *
                             union_offsets(p.kernel.w, p.stride.w, p.pad_begin.w);
  return 4 * std::int64_t{p.kernel.h} * p.kernel.w >= 3 * slots;
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
  // 3: kChannelBlock; merged: sh * sw <= 4 targets of `columns` floats.
  const std::size_t acc_floats = std::max(columns * phases * 3, columns * 4);
  const std::size_t acc_bytes = (acc_floats * sizeof(float) + 63) / 64 * 64;
  return terms_bytes + acc_bytes + 2 * static_cast<std::size_t>(p.kernel.w) * sizeof(int);
}

// Work items: rows of blocks of up to three output channels of a group, or
// (merged) groups of sh rows of a single-channel group.
std::int64_t tconv2d_f32_phase_items(const Problem& pb) noexcept {
  const ConvParams& p = pb.params;
  const int ocg = p.out_channels / p.groups;
  if (phase_merged(p)) return std::int64_t{p.groups} * ((pb.dst.h + p.stride.h - 1) / p.stride.h);
  return std::int64_t{p.groups} * ((ocg + 2) / 3) * pb.dst.h;
}

}  // namespace tconv::detail

// conv_weight_grad_f32_rows: the weight gradient as dot products of
// contiguous row segments, vectorised along the row. Included by one file
// per ISA, which defines TCONV_WGRAD_FN (the impl name) and TCONV_TARGET (a
// GCC target attribute, or nothing for the portable build).
//
// B comes split by column phase and zero-padded (split_b_phases): A column
// px meets B column
//   px * sw - pl + tx * dw = sw * (px + base) + q,
//   off = tx * dw - pl, q = off mod sw, base = floor(off / sw),
// which is element lead + base + px of B's phase-q sub-row (zero where the
// column is outside B), so every tap is a dot product of whole A rows.
// Rows as the reference: B row py * sh - pt + ty * dh, rows outside B skipped.
// Each dW value is one sum over items, rows, 16 fixed lanes along the row
// (lane = (px - first) mod 16) and the rows' tails, reduced in a fixed
// order: independent of the thread split.
#include <algorithm>

#include "core/index_math.hpp"
#include "impl/conv_weight_grad.hpp"

namespace tconv::detail {

namespace {

constexpr int kLanes = 16;

// lanes[j] += sum over full chunks of a[i + j] * b[i + j]; the last n mod 16
// products go to `tail` in order (a fixed-index vector the compiler keeps in
// registers, which a variable lane index would spill).
struct Sums {
  float lanes[kLanes] = {};
  float tail = 0;
};
TCONV_TARGET inline void add_dot(Sums& sums, const float* __restrict a, const float* __restrict b,
                                 std::int64_t n) noexcept {
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) sums.lanes[j] += a[i + j] * b[i + j];
  for (; i < n; ++i) sums.tail += a[i] * b[i];
}

}  // namespace

TCONV_TARGET void TCONV_WGRAD_FN(const WeightGradProblem& pb, const float* a, const float* b,
                                 float* dweight, std::int64_t begin, std::int64_t end) noexcept {
  const std::int64_t sw = pb.stride.w;
  const std::int64_t pitch = b_pitch(pb);
  const std::int64_t lead = b_lead(pb);
  const std::int64_t a_plane = std::int64_t{pb.a.h} * pb.a.w;
  const std::int64_t a_item = pb.a.c * a_plane;
  const std::int64_t b_row = sw * pitch;  // one B row: its sw phase sub-rows
  const std::int64_t b_plane = pb.b.h * b_row;
  const std::int64_t b_item = pb.b.c * b_plane;
  const int a_per_group = pb.a.c / pb.groups;
  const int kh = pb.kernel.h, kw = pb.kernel.w;
  for (std::int64_t row = begin; row < end; ++row) {
    const std::int64_t ac = row / pb.b_per_group;
    const std::int64_t bc = (ac / a_per_group) * pb.b_per_group + row % pb.b_per_group;
    float* out = dweight + row * kh * kw;
    for (int ty = 0; ty < kh; ++ty) {
      const std::int64_t oy = std::int64_t{ty} * pb.dilation.h - pb.pad_begin.h;
      // py with 0 <= py * sh + oy < bh.
      const std::int64_t py_begin = std::max<std::int64_t>(0, -floor_div(oy, pb.stride.h));
      const std::int64_t py_end = std::min<std::int64_t>(pb.a.h, floor_div(pb.b.h - 1 - oy, pb.stride.h) + 1);
      for (int tx = 0; tx < kw; ++tx) {
        const std::int64_t off = std::int64_t{tx} * pb.dilation.w - pb.pad_begin.w;
        const std::int64_t q = floor_mod(off, sw);
        const std::int64_t column = lead + floor_div(off, sw);
        Sums sums;
        for (std::int64_t n = 0; n < pb.count; ++n) {
          const float* ap = a + n * a_item + ac * a_plane;
          const float* bp = b + n * b_item + bc * b_plane + q * pitch + column;
          for (std::int64_t py = py_begin; py < py_end; ++py)
            add_dot(sums, ap + py * pb.a.w, bp + (py * pb.stride.h + oy) * b_row, pb.a.w);
        }
        // Pairwise, in a fixed order.
        for (int width = kLanes / 2; width >= 1; width /= 2)
          for (int j = 0; j < width; ++j) sums.lanes[j] += sums.lanes[j + width];
        out[ty * kw + tx] = sums.lanes[0] + sums.tail;
      }
    }
  }
}

}  // namespace tconv::detail

// The copies of A and B the vectorised weight-gradient impls read (see
// conv_weight_grad.hpp): B split by column phase for the rows impls, A with
// padded rows and B split by row and column phase for the flat impls. Each
// is one pass over its tensor, so that every tap reads contiguous memory
// whatever the stride and padding.
#include <algorithm>
#include <cstring>

#include "impl/conv_weight_grad.hpp"

namespace tconv::detail {

namespace {

std::int64_t round_up(std::int64_t n, std::int64_t to) noexcept { return (n + to - 1) / to * to; }

}  // namespace

void split_b_phases(const WeightGradProblem& pb, const float* b, float* phased) noexcept {
  const std::int64_t sw = pb.stride.w;
  const std::int64_t pitch = b_pitch(pb);
  const std::int64_t lead = b_lead(pb);
  const std::int64_t rows = pb.count * pb.b.c * pb.b.h;
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* in = b + r * pb.b.w;
    float* out = phased + r * sw * pitch;
    for (std::int64_t q = 0; q < sw; ++q)
      for (std::int64_t j = 0; j < pitch; ++j) {
        const std::int64_t x = (j - lead) * sw + q;
        out[q * pitch + j] = x >= 0 && x < pb.b.w ? in[x] : 0.0f;
      }
  }
}

FlatLayout flat_layout(const WeightGradProblem& pb) noexcept {
  const std::int64_t sh = pb.stride.h, sw = pb.stride.w;
  FlatLayout l;
  l.lead_rows = -floor_div(-std::int64_t{pb.pad_begin.h}, sh);
  l.lead_cols = -floor_div(-std::int64_t{pb.pad_begin.w}, sw);
  // The last tap's bases; the first's are >= -lead, so every offset is >= 0.
  const std::int64_t max_base_y = floor_div(std::int64_t{pb.kernel.h - 1} * pb.dilation.h - pb.pad_begin.h, sh);
  const std::int64_t max_base_x = floor_div(std::int64_t{pb.kernel.w - 1} * pb.dilation.w - pb.pad_begin.w, sw);
  const std::int64_t phase_rows = (pb.b.h + sh - 1) / sh;  // of phase 0, the longest
  const std::int64_t phase_cols = (pb.b.w + sw - 1) / sw;
  l.pitch = l.lead_cols + std::max<std::int64_t>(phase_cols, pb.a.w + std::max<std::int64_t>(0, max_base_x));
  const std::int64_t a_plane = std::int64_t{pb.a.h} * pb.a.w;
  l.a_in_place = true;
  if (pb.a.w % kFlatAlign == 0 && l.pitch != pb.a.w) {
    l.runs = pb.a.h;
    l.run_length = l.a_pitch = pb.a.w;
    l.a_plane = a_plane;
  } else {
    l.runs = 1;
    l.run_length = l.a_pitch = l.a_plane = round_up(std::int64_t{pb.a.h} * l.pitch, kFlatAlign);
    l.a_in_place = l.pitch == pb.a.w && l.a_plane == a_plane;
  }
  const std::int64_t max_offset = (max_base_y + l.lead_rows) * l.pitch + max_base_x + l.lead_cols;
  l.b_plane = round_up(std::max((l.lead_rows + phase_rows) * l.pitch, max_offset + (l.runs - 1) * l.pitch + l.run_length),
                       kFlatAlign);
  l.b_in_place = sh == 1 && sw == 1 && l.lead_rows == 0 && l.lead_cols == 0 && l.pitch == pb.b.w &&
                 l.b_plane == std::int64_t{pb.b.h} * pb.b.w;
  return l;
}

std::int64_t flat_tap_offset(const WeightGradProblem& pb, const FlatLayout& l, int ty, int tx) noexcept {
  const std::int64_t sh = pb.stride.h, sw = pb.stride.w;
  const std::int64_t oy = std::int64_t{ty} * pb.dilation.h - pb.pad_begin.h;
  const std::int64_t ox = std::int64_t{tx} * pb.dilation.w - pb.pad_begin.w;
  const std::int64_t phase = floor_mod(oy, sh) * sw + floor_mod(ox, sw);
  return phase * l.b_plane + (floor_div(oy, sh) + l.lead_rows) * l.pitch + floor_div(ox, sw) + l.lead_cols;
}

void flatten_a(const WeightGradProblem& pb, const FlatLayout& l, const float* a, float* flat,
               std::int64_t begin, std::int64_t end) noexcept {
  const std::int64_t w = pb.a.w, plane = std::int64_t{pb.a.h} * w;
  for (std::int64_t i = begin; i < end; ++i) {
    const float* in = a + i * plane;
    float* out = flat + i * l.a_plane;
    for (std::int64_t y = 0; y < pb.a.h; ++y) {
      std::memcpy(out + y * l.pitch, in + y * w, static_cast<std::size_t>(w) * sizeof(float));
      std::fill(out + y * l.pitch + w, out + (y + 1) * l.pitch, 0.0f);
    }
    std::fill(out + pb.a.h * l.pitch, out + l.a_plane, 0.0f);
  }
}

void split_b_flat(const WeightGradProblem& pb, const FlatLayout& l, const float* b, float* flat,
                  std::int64_t begin, std::int64_t end) noexcept {
  const std::int64_t sh = pb.stride.h, sw = pb.stride.w;
  const std::int64_t bh = pb.b.h, bw = pb.b.w;
  for (std::int64_t i = begin; i < end; ++i) {
    const float* in = b + i * bh * bw;
    float* out = flat + i * sh * sw * l.b_plane;
    std::fill(out, out + sh * sw * l.b_plane, 0.0f);
    for (std::int64_t qy = 0; qy < sh; ++qy)
      for (std::int64_t qx = 0; qx < sw; ++qx) {
        float* plane = out + (qy * sw + qx) * l.b_plane;
        // B row r sh + qy, column j sw + qx.
        for (std::int64_t r = 0; r * sh + qy < bh; ++r) {
          const float* row = in + (r * sh + qy) * bw + qx;
          float* dst = plane + (r + l.lead_rows) * l.pitch + l.lead_cols;
          if (sw == 1)
            std::memcpy(dst, row, static_cast<std::size_t>(bw) * sizeof(float));
          else
            for (std::int64_t j = 0; j * sw + qx < bw; ++j) dst[j] = row[j * sw];
        }
      }
  }
}

}  // namespace tconv::detail

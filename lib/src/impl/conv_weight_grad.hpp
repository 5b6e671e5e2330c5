// Internal: the weight gradient of conv2d and conv_transpose2d as one
// correlation (see tconv/core/conv_backward.hpp for the formula).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/index_math.hpp"
#include "tconv/core/conv_params.hpp"
#include "tconv/core/tensor.hpp"

namespace tconv::detail {

/// One weight-gradient problem: A is the tensor on the unskipped grid (dy of
/// a conv2d, x of a conv_transpose2d), B the other one; dW has
/// a.c x b_per_group x kh x kw elements.
struct WeightGradProblem {
  Shape3 a{};                  ///< one item of A
  Shape3 b{};                  ///< one item of B
  std::int64_t count = 0;      ///< items in the batch
  int groups = 1;
  int b_per_group = 0;         ///< B channels per group (the weight's second dimension)
  Size2 kernel{}, stride{}, dilation{}, pad_begin{};
};

/// How an impl reads A and B; ConvBackward::weight_grad() prepares the
/// copies once per call.
enum class WeightGradLayout {
  kPlain,         ///< A and B as given
  kColumnPhases,  ///< A as given, B split by column phase (split_b_phases)
  kFlat,          ///< A' and B' of flat_layout() (flatten_a, split_b_flat)
};

/// The columns of B split by phase of the stride and zero-padded, so that
/// every tap reads one contiguous segment of a.w values: row y of channel c
/// of item n becomes sw sub-rows of b_pitch() values, sub-row q holding
/// b_lead() zeros, then columns q, q + sw, ... of the row, then zeros;
/// layout [n][c][y][q][b_pitch].
[[nodiscard]] inline std::int64_t b_lead(const WeightGradProblem& pb) noexcept {
  return -floor_div(-std::int64_t{pb.pad_begin.w}, pb.stride.w);
}
[[nodiscard]] inline std::int64_t b_pitch(const WeightGradProblem& pb) noexcept {
  const std::int64_t sw = pb.stride.w;
  const std::int64_t max_base = floor_div(std::int64_t{pb.kernel.w - 1} * pb.dilation.w - pb.pad_begin.w, sw);
  return b_lead(pb) + std::max<std::int64_t>((pb.b.w + sw - 1) / sw, pb.a.w + std::max<std::int64_t>(0, max_base));
}
[[nodiscard]] inline std::int64_t phased_b_elements(const WeightGradProblem& pb) noexcept {
  return pb.count * pb.b.c * pb.b.h * pb.stride.w * b_pitch(pb);
}
void split_b_phases(const WeightGradProblem& pb, const float* b, float* phased) noexcept;

/// The flat layout, in which every dW value is a few long dot products per
/// item. B' holds each plane of B split into sh x sw phase planes of
/// `b_plane` values with rows of `pitch` (P) values,
///   B'[n][c][qy][qx][(r + lead_rows) P + j + lead_cols] = B[n][c][r sh + qy][j sw + qx],
/// zero where that is outside B. A pixel (py, px) meets, for tap (ty, tx),
/// B row py sh - pt + ty dh = sh (py + base_y) + qy and column
/// px sw - pl + tx dw = sw (px + base_x) + qx (base = floor, q = mod of the
/// tap offset), which is B'[n][c][qy][qx][o + py P + px] with
///   o = (base_y + lead_rows) P + base_x + lead_cols   (flat_tap_offset)
/// for every (py, px), since P >= lead_cols + a.w + base_x keeps the columns
/// of a row of A within one row of B'. A is read as A'': `runs` runs of
/// `run_length` floats per plane, run r at r a_pitch, matched with B' at
/// o + r P, so
///   dW[a][b][ty][tx] = sum_n sum_r dot(A''[n][a] + r a_pitch, B'[n][b][qy][qx] + o + r P)
/// over run_length floats, and a run is whole vectors:
///  - a.w a multiple of kFlatAlign: A itself, runs = its rows (a_pitch = a.w);
///  - else P == a.w and a.h a.w a multiple of kFlatAlign: A itself, one run;
///  - else a copy (flatten_a): one run of a.h P rounded up to kFlatAlign,
///    A'[py P + px] = A[py][px] for px < a.w, zero for the other columns and
///    the rounding; the zero columns cancel the terms that run into the next
///    row of B'.
/// b_plane >= o + (runs - 1) P + run_length for every tap, so each read stays
/// in its phase plane. B is its own B' at stride 1 with no lead and
/// b_plane == b.h b.w.
inline constexpr std::int64_t kFlatAlign = 16;  ///< floats; the widest vector
struct FlatLayout {
  std::int64_t pitch = 0;       ///< P, the row length of B's phase planes (and of A')
  std::int64_t lead_rows = 0;   ///< ceil(pt / sh): zero rows above B's in a phase plane
  std::int64_t lead_cols = 0;   ///< ceil(pl / sw): zero columns left of B's
  std::int64_t runs = 0;        ///< contiguous runs per plane of A''
  std::int64_t run_length = 0;  ///< floats per run, a multiple of kFlatAlign
  std::int64_t a_pitch = 0;     ///< from one run of A'' to the next
  std::int64_t a_plane = 0;     ///< one plane of A''
  std::int64_t b_plane = 0;     ///< one phase plane of B'
  bool a_in_place = false;      ///< A'' is A (no copy)
  bool b_in_place = false;      ///< B' is B (no copy)
};
[[nodiscard]] FlatLayout flat_layout(const WeightGradProblem& pb) noexcept;
/// o + (qy sw + qx) b_plane: where tap (ty, tx) starts in one channel of B'.
[[nodiscard]] std::int64_t flat_tap_offset(const WeightGradProblem& pb, const FlatLayout& layout, int ty,
                                           int tx) noexcept;
/// Elements of A' and B' for pb.count items.
[[nodiscard]] inline std::int64_t flat_a_elements(const WeightGradProblem& pb, const FlatLayout& l) noexcept {
  return pb.count * pb.a.c * l.a_plane;
}
[[nodiscard]] inline std::int64_t flat_b_elements(const WeightGradProblem& pb, const FlatLayout& l) noexcept {
  return pb.count * pb.b.c * pb.stride.h * pb.stride.w * l.b_plane;
}
/// Writes planes [begin, end) (item n, channel c: n * c_count + c) of the
/// copied A'' / B'.
void flatten_a(const WeightGradProblem& pb, const FlatLayout& layout, const float* a, float* flat,
               std::int64_t begin, std::int64_t end) noexcept;
void split_b_flat(const WeightGradProblem& pb, const FlatLayout& layout, const float* b, float* flat,
                  std::int64_t begin, std::int64_t end) noexcept;

/// A weight-gradient impl: `a` and `b` as `layout` has them; work items as
/// conv_weight_grad_f32_ref.
struct WeightGradImpl {
  std::string_view name;  ///< conv_weight_grad_<dtype>_<algo>[_<isa>]
  bool (*applicable)(const WeightGradProblem& problem) noexcept;
  void (*run)(const WeightGradProblem& problem, const float* a, const float* b, float* dweight,
              std::int64_t begin, std::int64_t end) noexcept;
  WeightGradLayout layout = WeightGradLayout::kPlain;
};

/// Best first; the reference is last and always applicable.
[[nodiscard]] std::span<const WeightGradImpl> weight_grad_impl_list() noexcept;

#define TCONV_DECLARE_WEIGHT_GRAD(name)                                                         \
  void name(const WeightGradProblem& problem, const float* a, const float* b, float* dweight, \
            std::int64_t begin, std::int64_t end) noexcept
TCONV_DECLARE_WEIGHT_GRAD(conv_weight_grad_f32_flat);
TCONV_DECLARE_WEIGHT_GRAD(conv_weight_grad_f32_flat_avx2);
TCONV_DECLARE_WEIGHT_GRAD(conv_weight_grad_f32_flat_avx512);
TCONV_DECLARE_WEIGHT_GRAD(conv_weight_grad_f32_rows);
TCONV_DECLARE_WEIGHT_GRAD(conv_weight_grad_f32_rows_avx2);
TCONV_DECLARE_WEIGHT_GRAD(conv_weight_grad_f32_rows_avx512);
#undef TCONV_DECLARE_WEIGHT_GRAD

/// Work items: the weight rows (a, b), a * b_per_group + b, in [begin, end).
/// Each dW value is one double sum over items, rows and columns in that order.
void conv_weight_grad_f32_ref(const WeightGradProblem& problem, const float* a, const float* b,
                              float* dweight, std::int64_t begin, std::int64_t end) noexcept;

}  // namespace tconv::detail

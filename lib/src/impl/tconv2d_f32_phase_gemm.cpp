// tconv2d_f32_phase_gemm: the implicit-GEMM phase kernel (tconv2d_f32_phase_gemm.inl)
// for any CPU, plus what every ISA variant shares: the packing of inputs and
// weights (prepare), buffer sizes and work items.
#include "impl/tconv2d_f32_phase_gemm.hpp"

#define TCONV_GEMM_FN tconv2d_f32_phase_gemm
#define TCONV_TARGET
#define TCONV_GEMM_LANES 8
#define TCONV_GEMM_PIXELS 6
#include "impl/tconv2d_f32_phase_gemm.inl"

namespace tconv::detail {

namespace {
constexpr std::size_t round16(std::size_t n) { return (n + 15) / 16 * 16; }
static_assert(kGemmChannelPad == 16, "ocp uses round16");
}  // namespace

// Columns: with ox = ox0 + j * sw, tap kx reads ix = q + j with
// q = (ox0 + pad_left - kx * dw) / sw, over ox0 in [0, sw) and j up to the
// last tile's end, < n + kGemmMaxTilePixels (the tile may read past n;
// those results are dropped).
GemmLayout gemm_layout(const Problem& pb) noexcept {
  const ConvParams& p = pb.params;
  const int sw = p.stride.w;
  const std::int64_t q_min = floor_div(p.pad_begin.w - std::int64_t{p.kernel.w - 1} * p.dilation.w, sw);
  const std::int64_t q_max = floor_div(std::int64_t{sw - 1} + p.pad_begin.w, sw);
  const std::int64_t n_max = (pb.dst.w + sw - 1) / sw;
  const std::int64_t j_max = n_max + kGemmMaxTilePixels - 1;
  GemmLayout l;
  l.pad_left = static_cast<int>(q_min < 0 ? -q_min : 0);
  const std::int64_t pad_right = q_max + j_max - pb.src.w > 0 ? q_max + j_max - pb.src.w : 0;
  l.iwp = static_cast<int>(l.pad_left + pb.src.w + pad_right);
  l.ocp = static_cast<int>(round16(static_cast<std::size_t>(p.out_channels)));  // kGemmChannelPad
  const std::size_t input = static_cast<std::size_t>(pb.src.h) * l.iwp * p.in_channels;
  l.weights_offset = round16(input);
  l.bias_offset = l.weights_offset + round16(static_cast<std::size_t>(p.kernel.h) * p.kernel.w *
                                             p.in_channels * l.ocp);
  l.total_floats = l.bias_offset + static_cast<std::size_t>(l.ocp);
  return l;
}

std::size_t tconv2d_f32_phase_gemm_shared(const Problem& pb) noexcept {
  return gemm_layout(pb).total_floats * sizeof(float);
}

GemmWorkspace gemm_workspace(const Problem& pb) noexcept {
  const std::size_t taps = static_cast<std::size_t>(pb.params.kernel.h) * pb.params.kernel.w;
  const std::size_t owp = (static_cast<std::size_t>(pb.dst.w) + kGemmRowPad - 1) / kGemmRowPad * kGemmRowPad;
  GemmWorkspace ws;
  ws.row_offset = (taps * sizeof(GemmTap) + 63) / 64 * 64;
  ws.total_bytes = ws.row_offset + owp * static_cast<std::size_t>(gemm_layout(pb).ocp) * sizeof(float);
  return ws;
}

std::size_t tconv2d_f32_phase_gemm_workspace(const Problem& pb) noexcept {
  return gemm_workspace(pb).total_bytes;
}

std::int64_t tconv2d_f32_phase_gemm_items(const Problem& pb) noexcept { return pb.dst.h; }

// Part `part` of `parts` packs its share of the input rows; part 0 also
// packs the weights and bias. Only padding is zeroed: every other float is
// written.
void tconv2d_f32_phase_gemm_prepare(const Problem& pb, const Weights& wei, ConstTensorView src,
                                    std::span<std::byte> shared, int part, int parts) noexcept {
  const ConvParams& p = pb.params;
  const GemmLayout l = gemm_layout(pb);
  auto* packed = reinterpret_cast<float*>(shared.data());
  const int ic_count = p.in_channels;
  // Input: planar [ic][iy][ix] -> [iy][pad_left + ix][ic], zero columns around.
  const int row_begin = static_cast<int>(std::int64_t{pb.src.h} * part / parts);
  const int row_end = static_cast<int>(std::int64_t{pb.src.h} * (part + 1) / parts);
  const std::size_t right = static_cast<std::size_t>(l.iwp - l.pad_left - pb.src.w) * ic_count;
  for (int iy = row_begin; iy < row_end; ++iy) {
    float* row = packed + static_cast<std::size_t>(iy) * l.iwp * ic_count;
    std::memset(row, 0, static_cast<std::size_t>(l.pad_left) * ic_count * sizeof(float));
    std::memset(row + static_cast<std::size_t>(l.pad_left + pb.src.w) * ic_count, 0,
                right * sizeof(float));
    row += static_cast<std::size_t>(l.pad_left) * ic_count;
    for (int ic = 0; ic < ic_count; ++ic) {
      const float* in = src.row(ic, iy);
      for (int ix = 0; ix < pb.src.w; ++ix) row[static_cast<std::size_t>(ix) * ic_count + ic] = in[ix];
    }
  }
  if (part != 0) return;
  // Weights: [ic][oc][ky][kx] (groups == 1) -> [ky][kx][ic][ocp].
  const int kh = p.kernel.h;
  const int kw = p.kernel.w;
  float* w_out = packed + l.weights_offset;
  std::memset(w_out, 0, (l.total_floats - l.weights_offset) * sizeof(float));
  for (int ic = 0; ic < ic_count; ++ic)
    for (int oc = 0; oc < p.out_channels; ++oc)
      for (int ky = 0; ky < kh; ++ky)
        for (int kx = 0; kx < kw; ++kx)
          w_out[((static_cast<std::size_t>(ky) * kw + kx) * ic_count + ic) * l.ocp + oc] =
              wei.values[((static_cast<std::size_t>(ic) * p.out_channels + oc) * kh + ky) * kw + kx];
  float* bias = packed + l.bias_offset;
  for (std::size_t oc = 0; oc < wei.bias.size(); ++oc) bias[oc] = wei.bias[oc];
}

}  // namespace tconv::detail

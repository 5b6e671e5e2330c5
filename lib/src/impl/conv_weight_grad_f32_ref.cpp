// The weight gradient of conv2d / conv_transpose2d, portable, double
// accumulation: the oracle for faster weight-gradient kernels.
#include <algorithm>

#include "core/index_math.hpp"
#include "impl/conv_weight_grad.hpp"

namespace tconv::detail {

namespace {

// Positions p of A (in [0, extent)) whose partner p * s - pad + t * d lies
// in [0, b_extent): p in [ceil((pad - t d) / s), floor((b_extent - 1 + pad - t d) / s)].
struct Range {
  std::int64_t begin, end;
};
Range partner_range(std::int64_t extent, std::int64_t b_extent, std::int64_t s, std::int64_t pad,
                    std::int64_t offset) noexcept {
  const std::int64_t lo = -floor_div(offset - pad, s);  // ceil((pad - offset) / s)
  const std::int64_t hi = floor_div(b_extent - 1 + pad - offset, s) + 1;
  return {std::max<std::int64_t>(lo, 0), std::min(hi, extent)};
}

}  // namespace

void conv_weight_grad_f32_ref(const WeightGradProblem& pb, const float* a, const float* b,
                              float* dweight, std::int64_t begin, std::int64_t end) noexcept {
  const std::int64_t a_plane = std::int64_t{pb.a.h} * pb.a.w;
  const std::int64_t b_plane = std::int64_t{pb.b.h} * pb.b.w;
  const std::int64_t a_item = pb.a.c * a_plane;
  const std::int64_t b_item = pb.b.c * b_plane;
  const int a_per_group = pb.a.c / pb.groups;
  const int kh = pb.kernel.h, kw = pb.kernel.w;
  for (std::int64_t row = begin; row < end; ++row) {
    const std::int64_t ac = row / pb.b_per_group;
    const std::int64_t bc = (ac / a_per_group) * pb.b_per_group + row % pb.b_per_group;
    float* out = dweight + row * kh * kw;
    for (int ty = 0; ty < kh; ++ty) {
      const std::int64_t oy = std::int64_t{ty} * pb.dilation.h;
      const Range ry = partner_range(pb.a.h, pb.b.h, pb.stride.h, pb.pad_begin.h, oy);
      for (int tx = 0; tx < kw; ++tx) {
        const std::int64_t ox = std::int64_t{tx} * pb.dilation.w;
        const Range rx = partner_range(pb.a.w, pb.b.w, pb.stride.w, pb.pad_begin.w, ox);
        double sum = 0;
        for (std::int64_t n = 0; n < pb.count; ++n) {
          const float* ap = a + n * a_item + ac * a_plane;
          const float* bp = b + n * b_item + bc * b_plane;
          for (std::int64_t py = ry.begin; py < ry.end; ++py) {
            const float* arow = ap + py * pb.a.w;
            // Partner row py * s - pt + ty * d, column px * s - pl + tx * d.
            const float* brow = bp + (py * pb.stride.h - pb.pad_begin.h + oy) * pb.b.w - pb.pad_begin.w + ox;
            for (std::int64_t px = rx.begin; px < rx.end; ++px)
              sum += double(arow[px]) * double(brow[px * pb.stride.w]);
          }
        }
        out[ty * kw + tx] = static_cast<float>(sum);
      }
    }
  }
}

}  // namespace tconv::detail

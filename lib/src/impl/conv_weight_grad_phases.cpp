// B split by column phase and zero-padded for the row-vectorised weight
// gradient (see conv_weight_grad.hpp): one pass over B, so that every tap
// reads whole contiguous rows whatever the stride and padding.
#include <algorithm>

#include "impl/conv_weight_grad.hpp"

namespace tconv::detail {

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

}  // namespace tconv::detail

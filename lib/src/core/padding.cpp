// Edge extension of planes (see padding.hpp): per output row one source
// row (or the constant), the interior columns copied as one block and the
// margins column by column.
#include "core/padding.hpp"

#include <algorithm>

#include "resample/axis_table.hpp"

namespace tconv::detail {

int pad_source_index(PadMode mode, std::int64_t i, int n) noexcept {
  switch (mode) {
    case PadMode::kConstant: return border_source_index(Border::kZero, i, n);
    case PadMode::kReplicate: return border_source_index(Border::kReplicate, i, n);
    case PadMode::kReflect: return border_source_index(Border::kReflect, i, n);
    case PadMode::kCircular:
      return static_cast<int>(i < 0 ? i + n : i >= n ? i - n : i);  // |pad| <= n: one wrap
  }
  return -1;
}

void pad_planes(ConstTensorView src, TensorView dst, Size2 begin, PadMode mode,
                float value) noexcept {
  const int h = src.shape.h;
  const int w = src.shape.w;
  const int ow = dst.shape.w;
  // Columns [x0, x1) of dst are src's columns [0, w).
  const int x0 = std::min(begin.w, ow);
  const int x1 = std::min(begin.w + w, ow);
  for (int c = 0; c < src.shape.c; ++c)
    for (int y = 0; y < dst.shape.h; ++y) {
      float* to = dst.row(c, y);
      const int sy = pad_source_index(mode, std::int64_t{y} - begin.h, h);
      if (sy < 0) {
        std::fill(to, to + ow, value);
        continue;
      }
      const float* from = src.row(c, sy);
      for (int x = 0; x < x0; ++x) {
        const int sx = pad_source_index(mode, std::int64_t{x} - begin.w, w);
        to[x] = sx < 0 ? value : from[sx];
      }
      std::copy(from, from + (x1 - x0), to + x0);
      for (int x = x1; x < ow; ++x) {
        const int sx = pad_source_index(mode, std::int64_t{x} - begin.w, w);
        to[x] = sx < 0 ? value : from[sx];
      }
    }
}

}  // namespace tconv::detail

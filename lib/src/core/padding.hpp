// Internal: copying planes into a larger buffer with their edges extended,
// the one implementation behind the image borders (border.cpp), the
// models' pad layer (model.cpp) and the replicated margin of the 3x3
// analysis convolution (analysis.cpp).
#pragma once

#include <cstdint>

#include "tconv/core/tensor.hpp"

namespace tconv::detail {

/// How positions beyond an edge are filled (torch.nn.functional.pad's modes).
enum class PadMode {
  kConstant,   ///< a constant value
  kReflect,    ///< mirrored without repeating the edge (reflect-101)
  kReplicate,  ///< the edge pixel repeated
  kCircular,   ///< wrapped around; at most one period beyond each edge
};

/// Index in [0, n) of the pixel that stands at position i of an axis of n
/// pixels, or -1 for kConstant outside [0, n). kCircular takes
/// -n <= i < 2n (one wrap).
[[nodiscard]] int pad_source_index(PadMode mode, std::int64_t i, int n) noexcept;

/// dst(c, y, x) = src(c, y - begin.h, x - begin.w) with the positions
/// outside src mapped through `mode` (kConstant: `value`). dst has src's
/// channels and at least begin + src's size on each axis (begin >= 0); the
/// rest is the end margin. Values are copied, never computed.
void pad_planes(ConstTensorView src, TensorView dst, Size2 begin, PadMode mode,
                float value = 0.0f) noexcept;

}  // namespace tconv::detail

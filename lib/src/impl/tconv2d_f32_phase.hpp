// Internal: the input padding of the tconv2d_f32_phase impls.
#pragma once

#include "core/plan.hpp"

namespace tconv::detail {

/// How the phase kernel reads input rows: with zero columns around each row
/// so that every tap's columns q + j (j in [0, ceil((ow - ox0) / sw))) are
/// readable, and channel planes skewed so that the same column of many
/// channels does not fall into one L1 set (plane strides that are multiples
/// of 4 KiB made the many-channel case several times slower).
struct PhasePadding {
  int left = 0;                  ///< zero columns before column 0
  int right = 0;                 ///< zero columns after column iw - 1
  int row_length = 0;            ///< left + iw + right
  std::ptrdiff_t plane = 0;      ///< floats from one channel's rows to the next
  bool copied = false;           ///< prepare() writes a padded, skewed copy
};

[[nodiscard]] PhasePadding phase_padding(const Problem& problem) noexcept;

/// Whether the phase kernel computes all sh x sw phases of sh output rows at
/// once (one work item per row group), sharing each loaded input vector
/// between the phases whose taps read it: single-channel groups, sh * sw <= 4,
/// no dilation, and at least 3/4 of the merged multiply-adds useful.
[[nodiscard]] bool phase_merged(const ConvParams& params) noexcept;

}  // namespace tconv::detail

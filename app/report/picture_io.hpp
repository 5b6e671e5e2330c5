// Pictures for people: labelled panels, colour maps with a legend. Drawing
// uses OpenCV (text, colour maps); this header does not expose it. Results
// are RawImage (8-bit, B, G, R) for image_io's encoder.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "image/image_io.hpp"
#include "tconv/core/tensor.hpp"

namespace tconv::app {

/// One panel: a label drawn above it and pixels on the 0-255 scale (1
/// channel: grey; 3 or more: the first three are R, G, B). Values outside
/// [0, 255] are clamped.
struct Panel {
  std::string label;
  ConstTensorView pixels;
  /// A rectangle {x, y, w, h} in pixels of `pixels` outlined in red (w = 0: none).
  std::array<int, 4> box{0, 0, 0, 0};
};

/// One row of panels, each enlarged by the integer factor `zoom` (>= 1,
/// nearest neighbour, so single pixels stay visible).
struct PanelRow {
  std::vector<Panel> panels;
  int zoom = 1;
};

/// Rows of labelled panels side by side under a title line. Panels of
/// unequal size are top-aligned.
[[nodiscard]] RawImage side_by_side(const std::vector<PanelRow>& rows, const std::string& title);

/// A heat map of `map` (1 x th x tw values, e.g. local phase-mean spread
/// of windows of `window` pixels of `backdrop`, the last row and column of
/// windows reaching the edge) drawn over a faint grey copy of `backdrop`
/// scaled by `zoom` (> 0; nearest neighbour up, area average down), so the user sees which part of the image each value
/// belongs to. Colours: the viridis map scaled to [0, vmax] (values above
/// vmax saturate). A legend bar on the right shows the colours with
/// numbered ticks and `unit`; `title` goes above.
[[nodiscard]] RawImage heat_map(ConstTensorView map, Size2 window, double zoom, double vmax,
                                ConstTensorView backdrop, const std::string& title,
                                const std::string& unit);

}  // namespace tconv::app

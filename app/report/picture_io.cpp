// Labelled panels and heat maps drawn with OpenCV (cv::putText,
// cv::applyColorMap); encoding stays in image_io.
#include "report/picture_io.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace tconv::app {

namespace {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr double kFontScale = 0.55;  // about 12 px capitals: legible at 1:1
constexpr int kLineHeight = 24;
constexpr int kMargin = 10;
const cv::Scalar kInk(20, 20, 20);
const cv::Scalar kPaper(255, 255, 255);

std::uint8_t to_u8(float v) {
  return static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0f, 255.0f)));
}

// 8-bit BGR copy of a 0-255 planar view (grey when it has fewer than 3 channels).
cv::Mat to_bgr(ConstTensorView t) {
  cv::Mat m(t.shape.h, t.shape.w, CV_8UC3);
  const bool colour = t.shape.c >= 3;
  for (int y = 0; y < t.shape.h; ++y) {
    auto* out = m.ptr<cv::Vec3b>(y);
    for (int x = 0; x < t.shape.w; ++x) {
      if (colour)
        out[x] = {to_u8(t.row(2, y)[x]), to_u8(t.row(1, y)[x]), to_u8(t.row(0, y)[x])};
      else
        out[x] = cv::Vec3b::all(to_u8(t.row(0, y)[x]));
    }
  }
  return m;
}

cv::Mat zoomed(const cv::Mat& m, int zoom) {
  if (zoom == 1) return m;
  cv::Mat out;
  cv::resize(m, out, cv::Size(), zoom, zoom, cv::INTER_NEAREST);
  return out;
}

void text(cv::Mat& canvas, const std::string& s, cv::Point at, double scale = kFontScale) {
  cv::putText(canvas, s, at, kFont, scale, kInk, 1, cv::LINE_AA);
}

int text_width(const std::string& s, double scale = kFontScale) {
  int baseline = 0;
  return cv::getTextSize(s, kFont, scale, 1, &baseline).width;
}

RawImage to_raw(const cv::Mat& m) {
  RawImage raw{m.rows, m.cols, 3, SampleType::kU8, {}};
  raw.bytes.resize(static_cast<std::size_t>(m.rows) * m.cols * 3);
  for (int y = 0; y < m.rows; ++y)
    std::memcpy(raw.bytes.data() + static_cast<std::size_t>(y) * m.cols * 3, m.ptr(y),
                static_cast<std::size_t>(m.cols) * 3);
  return raw;
}

// A number for a legend tick: 3 significant digits.
std::string tick(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

}  // namespace

RawImage side_by_side(const std::vector<PanelRow>& rows, const std::string& title) {
  // Layout first: every panel's place, then one canvas.
  struct Placed {
    cv::Mat image;
    const Panel* panel;
    int x, y, zoom;
  };
  std::vector<Placed> placed;
  int width = text_width(title) + 2 * kMargin;
  int y = kMargin + kLineHeight;  // below the title line
  for (const PanelRow& row : rows) {
    const int zoom = std::max(row.zoom, 1);
    int x = kMargin;
    int height = 0;
    for (const Panel& p : row.panels) {
      placed.push_back({zoomed(to_bgr(p.pixels), zoom), &p, x, y + kLineHeight, zoom});
      x += std::max(placed.back().image.cols, text_width(p.label)) + kMargin;
      height = std::max(height, placed.back().image.rows);
    }
    width = std::max(width, x);
    y += kLineHeight + height + kMargin;
  }
  cv::Mat canvas(y, width, CV_8UC3, kPaper);
  text(canvas, title, {kMargin, kMargin + 16});
  for (const Placed& p : placed) {
    text(canvas, p.panel->label, {p.x, p.y - 8});
    p.image.copyTo(canvas(cv::Rect(p.x, p.y, p.image.cols, p.image.rows)));
    const auto& b = p.panel->box;
    if (b[2] > 0 && b[3] > 0)
      cv::rectangle(canvas, cv::Rect(p.x + b[0] * p.zoom, p.y + b[1] * p.zoom, b[2] * p.zoom, b[3] * p.zoom),
                    cv::Scalar(0, 0, 230), 2);
  }
  return to_raw(canvas);
}

RawImage heat_map(ConstTensorView map, Size2 window, double zoom, double vmax,
                  ConstTensorView backdrop, const std::string& title, const std::string& unit) {
  if (!(zoom > 0.0)) zoom = 1.0;
  if (!(vmax > 0.0)) vmax = 1.0;
  // Faint grey backdrop: the image at 30 % contrast, lightened.
  cv::Mat grey;
  cv::cvtColor(to_bgr(backdrop), grey, cv::COLOR_BGR2GRAY);
  const int th = map.shape.h;
  const int tw = map.shape.w;
  // Colour index of each pixel's tile: tile (ty, tx) covers rows
  // [ty * wh, (ty + 1) * wh), the last one up to the edge.
  cv::Mat index(grey.rows, grey.cols, CV_8U);
  for (int y = 0; y < grey.rows; ++y) {
    const int ty = std::min(y / window.h, th - 1);
    for (int x = 0; x < grey.cols; ++x) {
      const int tx = std::min(x / window.w, tw - 1);
      index.at<std::uint8_t>(y, x) = to_u8(static_cast<float>(255.0 * map.row(0, ty)[tx] / vmax));
    }
  }
  cv::Mat colour;
  cv::applyColorMap(index, colour, cv::COLORMAP_VIRIDIS);
  cv::Mat grey3;
  cv::cvtColor(grey, grey3, cv::COLOR_GRAY2BGR);
  cv::Mat blended;
  cv::addWeighted(colour, 0.75, grey3, 0.25, 0.0, blended);
  if (zoom != 1.0)
    cv::resize(blended, blended,
               cv::Size(std::max(1, static_cast<int>(std::lround(blended.cols * zoom))),
                        std::max(1, static_cast<int>(std::lround(blended.rows * zoom)))),
               0, 0, zoom > 1.0 ? cv::INTER_NEAREST : cv::INTER_AREA);
  // Tile grid, thin and dark, so tiles read as cells (only when cells are big enough).
  const cv::Scalar grid(60, 60, 60);
  if (window.h * zoom >= 24 && window.w * zoom >= 24) {
    for (int ty = 1; ty < th; ++ty) {
      const int y = static_cast<int>(std::lround(ty * window.h * zoom));
      cv::line(blended, {0, y}, {blended.cols - 1, y}, grid, 1);
    }
    for (int tx = 1; tx < tw; ++tx) {
      const int x = static_cast<int>(std::lround(tx * window.w * zoom));
      cv::line(blended, {x, 0}, {x, blended.rows - 1}, grid, 1);
    }
  }

  // Legend: a vertical bar from vmax (top) to 0 (bottom), ticks every quarter.
  const int bar_h = std::max(blended.rows, 200);
  const int bar_w = 22;
  cv::Mat ramp(bar_h, 1, CV_8U);
  for (int y = 0; y < bar_h; ++y)
    ramp.at<std::uint8_t>(y) = static_cast<std::uint8_t>(255 - (255 * y) / (bar_h - 1));
  cv::Mat ramp_colour;
  cv::applyColorMap(ramp, ramp_colour, cv::COLORMAP_VIRIDIS);
  cv::resize(ramp_colour, ramp_colour, cv::Size(bar_w, bar_h), 0, 0, cv::INTER_NEAREST);

  const int legend_text = std::max(text_width(tick(vmax) + "+"), text_width(unit));
  const int top = kMargin + 2 * kLineHeight;
  const int width = std::max(kMargin + blended.cols + 2 * kMargin + bar_w + 8 + legend_text + kMargin,
                             text_width(title) + 2 * kMargin);
  cv::Mat canvas(top + std::max(blended.rows, bar_h) + kMargin, width, CV_8UC3, kPaper);
  text(canvas, title, {kMargin, kMargin + 16});
  blended.copyTo(canvas(cv::Rect(kMargin, top, blended.cols, blended.rows)));
  const int bar_x = kMargin + blended.cols + 2 * kMargin;
  ramp_colour.copyTo(canvas(cv::Rect(bar_x, top, bar_w, bar_h)));
  cv::rectangle(canvas, cv::Rect(bar_x, top, bar_w, bar_h), kInk, 1);
  text(canvas, unit, {bar_x, top - 8});
  for (int i = 0; i <= 4; ++i) {
    const int y = top + (bar_h - 1) * (4 - i) / 4;
    cv::line(canvas, {bar_x + bar_w, y}, {bar_x + bar_w + 5, y}, kInk, 1);
    const std::string label = tick(vmax * i / 4) + (i == 4 ? "+" : "");
    text(canvas, label, {bar_x + bar_w + 8, std::clamp(y + 5, top + 12, top + bar_h)});
  }
  return to_raw(canvas);
}

}  // namespace tconv::app

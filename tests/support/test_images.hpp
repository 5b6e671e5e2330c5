// Images the CLI tests build: a smooth gradient of any OpenCV type.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>

namespace tconv::test {

/// A rows x cols image of `type` (8U, 16U or 32F, any channel count): a
/// smooth ramp over x, y and the channel, from 10 % to 90 % of the range
/// (1.0 for float).
inline cv::Mat gradient(int rows, int cols, int type) {
  cv::Mat m(rows, cols, type);
  const double max = CV_MAT_DEPTH(type) == CV_8U ? 255.0 : CV_MAT_DEPTH(type) == CV_16U ? 65535.0 : 1.0;
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < cols; ++x)
      for (int c = 0; c < m.channels(); ++c) {
        const double v = max * (0.1 + 0.8 * (x + 2 * y + 5 * c) / (cols + 2 * rows + 20.0));
        switch (CV_MAT_DEPTH(type)) {
          case CV_8U: m.ptr<std::uint8_t>(y)[x * m.channels() + c] = cv::saturate_cast<std::uint8_t>(v); break;
          case CV_16U: m.ptr<std::uint16_t>(y)[x * m.channels() + c] = cv::saturate_cast<std::uint16_t>(v); break;
          default: m.ptr<float>(y)[x * m.channels() + c] = static_cast<float>(v); break;
        }
      }
  return m;
}

}  // namespace tconv::test

// Alpha and light of planar images (see image_colour.hpp).
#include "resample/image_colour.hpp"

#include <algorithm>
#include <cmath>
#include <span>

namespace tconv::detail {

void premultiply_alpha(Tensor& pixels) {
  const Shape3 s = pixels.shape();
  const std::size_t plane = static_cast<std::size_t>(s.h) * static_cast<std::size_t>(s.w);
  float* alpha = pixels.data() + plane * static_cast<std::size_t>(s.c - 1);
  for (std::size_t i = 0; i < plane; ++i) alpha[i] = std::clamp(alpha[i], 0.0f, 1.0f);
  for (int c = 0; c + 1 < s.c; ++c) {
    float* color = pixels.data() + plane * static_cast<std::size_t>(c);
    for (std::size_t i = 0; i < plane; ++i) color[i] *= alpha[i];
  }
}

void unpremultiply_alpha(Tensor& pixels) {
  const Shape3 s = pixels.shape();
  const std::size_t plane = static_cast<std::size_t>(s.h) * static_cast<std::size_t>(s.w);
  const float* alpha = pixels.data() + plane * static_cast<std::size_t>(s.c - 1);
  for (int c = 0; c + 1 < s.c; ++c) {
    float* color = pixels.data() + plane * static_cast<std::size_t>(c);
    for (std::size_t i = 0; i < plane; ++i) color[i] = alpha[i] > 0.0f ? color[i] / alpha[i] : 0.0f;
  }
}

namespace {

// The colour planes of a c-channel image: all but the last of 4 (alpha).
std::span<float> colour_planes(Tensor& pixels) {
  const Shape3 s = pixels.shape();
  const int colour = s.c == 4 ? 3 : s.c;
  return pixels.span().first(static_cast<std::size_t>(colour) * static_cast<std::size_t>(s.h) *
                             static_cast<std::size_t>(s.w));
}

}  // namespace

void srgb_to_linear(Tensor& pixels) {
  for (float& v : colour_planes(pixels)) {
    const float a = std::abs(v);
    const float linear = a <= 0.04045f ? a / 12.92f : std::pow((a + 0.055f) / 1.055f, 2.4f);
    v = std::copysign(linear, v);
  }
}

void linear_to_srgb(Tensor& pixels) {
  for (float& v : colour_planes(pixels)) {
    const float a = std::abs(v);
    const float encoded = a <= 0.0031308f ? a * 12.92f : 1.055f * std::pow(a, 1.0f / 2.4f) - 0.055f;
    v = std::copysign(encoded, v);
  }
}

}  // namespace tconv::detail

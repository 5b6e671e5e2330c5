// The application's image: a planar float tensor plus what is needed to
// write it back as the input was (sample type, alpha).
#pragma once

#include <string>

#include "tconv/core/tensor.hpp"
#include "tconv/resample/image_upsampler.hpp"

namespace tconv::app {

/// Sample type of an image file: the library's (tconv/resample/image_upsampler.hpp).
using tconv::SampleType;

/// "8-bit", "16-bit" or "float".
[[nodiscard]] const char* to_string(SampleType type) noexcept;

/// A decoded image. Channels are in R, G, B, A order (1 gray, 3 RGB, 4 RGBA);
/// integer samples are scaled to [0, 1] (value / 255 or / 65535), float
/// samples are kept as they are.
struct Image {
  Tensor pixels;
  SampleType type = SampleType::kU8;
  [[nodiscard]] bool has_alpha() const noexcept { return pixels.shape().c == 4; }
};

/// "WxH 512x384": an image size for people, width first as image tools
/// print it and labelled, because -s FH,FW, --output-size H,W and tensor
/// shapes (CxHxW) put the height first. Every message about an image's
/// size uses this form.
[[nodiscard]] std::string wxh_text(Size2 size);

/// "WxH 512x384, RGB 8-bit" for a c x h x w image, for logs.
[[nodiscard]] std::string describe(const Shape3& shape, SampleType type);
[[nodiscard]] inline std::string describe(const Image& image) {
  return describe(image.pixels.shape(), image.type);
}

/// Checks that every value is finite, so NaN/Inf never turn silently into
/// black pixels. Throws InputError naming the count and the first position.
void require_finite(const Tensor& pixels, const std::string& what);

/// Integer sample for a value scaled to [0, 1]: clamped in float first, then
/// rounded to nearest with ties to even, so the conversion is defined for
/// every finite value. `max_value` is 255 or 65535.
[[nodiscard]] inline float quantize(float value, float max_value) noexcept {
  float scaled = value * max_value;
  scaled = scaled < 0.0f ? 0.0f : (scaled > max_value ? max_value : scaled);
  // For 0 <= x < 2^23, (x + 2^23) - 2^23 is x rounded to nearest, ties to
  // even, in the default rounding mode; without -ffast-math the compiler
  // keeps both operations, and the pixel loop needs no libm call.
  constexpr float kRound = 8388608.0f;
  return (scaled + kRound) - kRound;
}

}  // namespace tconv::app

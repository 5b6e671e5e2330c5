// Pixel-level helpers of the application image (no codec code here).
#include "image/image.hpp"

#include <algorithm>
#include <cmath>

#include "cli/exit_codes.hpp"

namespace tconv::app {

const char* to_string(SampleType type) noexcept {
  switch (type) {
    case SampleType::kU8: return "8-bit";
    case SampleType::kU16: return "16-bit";
    case SampleType::kF32: return "float";
  }
  return "?";
}

std::string wxh_text(Size2 size) {
  return "WxH " + std::to_string(size.w) + "x" + std::to_string(size.h);
}

std::string describe(const Shape3& s, SampleType type) {
  static const char* const kLayouts[] = {"", "gray", "gray+alpha", "RGB", "RGBA"};
  const char* layout = s.c >= 1 && s.c <= 4 ? kLayouts[s.c] : "?";
  return wxh_text({s.h, s.w}) + ", " + layout + " " + to_string(type);
}

void require_finite(const Tensor& pixels, const std::string& what) {
  const auto values = pixels.span();
  std::size_t bad = 0;
  std::size_t first = values.size();
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i])) {
      if (bad++ == 0) first = i;
    }
  if (bad == 0) return;
  const Shape3 s = pixels.shape();
  const std::size_t plane = static_cast<std::size_t>(s.h) * static_cast<std::size_t>(s.w);
  throw InputError(what + ": result has " + std::to_string(bad) +
                   " non-finite values (first at channel " + std::to_string(first / plane) +
                   ", row " + std::to_string(first % plane / static_cast<std::size_t>(s.w)) +
                   ", column " + std::to_string(first % static_cast<std::size_t>(s.w)) +
                   "); refusing to write them as black pixels");
}

}  // namespace tconv::app

// The flags that say how image files are read and written: which formats a
// decoder may see, size limits checked from headers, linear-light
// processing and metadata. Shared by every command that reads images.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "batch/memory_budget.hpp"
#include "image/image_io.hpp"

namespace CLI {
class App;
}

namespace tconv::app {

/// Largest output accepted by default, in pixels (2^28 = 268 Mpx, e.g.
/// 16384 x 16384: 4 GiB as planar float RGBA).
inline constexpr std::int64_t kDefaultMaxOutputPixels = std::int64_t{1} << 28;

/// Raw flag values as typed.
struct ImageFlags {
  bool linear = false;                     ///< --linear: upsample in linear light.
  bool strip = false;                      ///< --strip: write no ICC profile or EXIF.
  std::vector<std::string> allow_formats;  ///< --allow-format NAME (repeatable).
  std::int64_t max_pixels = kDefaultMaxPixels;              ///< --max-pixels, >= 1.
  std::int64_t max_output_pixels = kDefaultMaxOutputPixels; ///< --max-output-pixels, >= 1.
  bool accept_damaged = false;  ///< --accept-damaged: read damaged JPEGs with a warning.
  /// --max-memory: the bytes one item's run may hold at its peak (images,
  /// .npy arrays and --model alike); default default_max_memory().
  std::int64_t max_memory = default_max_memory();
};

/// Largest value --max-pixels and --max-output-pixels accept: 2^40.
inline constexpr std::int64_t kMaxPixelsLimit = std::int64_t{1} << 40;

/// Adds --linear, --strip, --allow-format, --max-pixels, --max-output-pixels,
/// --max-memory and --accept-damaged to `cmd`.
void add_image_flags(CLI::App& cmd, ImageFlags& flags);

/// The decode limits the flags describe (default formats plus the allowed
/// ones, --accept-damaged). Throws UsageError for an unknown format name.
[[nodiscard]] DecodeLimits decode_limits(const ImageFlags& flags);

/// Throws InputError naming `what` when an output of `size` ({h, w}) has
/// more than flags.max_output_pixels pixels.
void check_output_pixels(const std::string& what, Size2 size, const ImageFlags& flags);

}  // namespace tconv::app

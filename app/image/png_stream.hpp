// An image stream on stdin: PNG files one after another, as
// `ffmpeg -f image2pipe -c:v png -` writes them. This file only frames the
// bytes (it never decodes): it walks each PNG's chunk structure (8-byte
// signature, then length / type / data / CRC chunks up to IEND), checks
// every size against the decode limits before buffering, and every chunk's
// CRC, so a frame it returns is a whole, undamaged PNG file. Each frame is
// then read by the one image reader (image_reader.hpp) and run by the
// per-file runner like any other input (commands/upsample.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "batch/file_io.hpp"

namespace tconv::app {

/// The 8 bytes every PNG file starts with.
inline constexpr unsigned char kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

/// True when `bytes` starts with the whole PNG signature.
[[nodiscard]] bool has_png_signature(std::span<const unsigned char> bytes) noexcept;

/// What one frame may be, checked before its bytes are buffered.
struct PngStreamLimits {
  std::uint64_t max_bytes = std::uint64_t{1} << 30;  ///< Largest frame (--max-input-bytes), >= 1.
  std::int64_t max_pixels = std::int64_t{1} << 28;   ///< Largest width * height (--max-pixels), >= 1.
};

/// Splits a stream of PNG files into frames, one at a time, in order.
/// Frame numbers start at 1; messages name them ("stdin: frame 3: ..."),
/// except the first frame's ("stdin: ..."), which may be the only image.
class PngStream {
 public:
  /// Reads from `source`; `first` holds the bytes already taken from it
  /// (the sniffed start of the stream, usually the 8-byte signature).
  PngStream(StdinReader& source, std::vector<unsigned char> first, const PngStreamLimits& limits);

  /// The next frame: one whole PNG file (signature to IEND), or nullopt
  /// when the stream ends cleanly between frames. Throws InputError
  /// ("stdin: frame N: <reason>", "stdin: <reason>" for the first) when
  /// the frame is not a PNG, is damaged (a chunk type that is not four
  /// letters, a CRC mismatch, IHDR not first or not 13 bytes, IEND with
  /// data), ends before its IEND (truncated), declares more than
  /// limits.max_pixels pixels, or would exceed limits.max_bytes; the bytes
  /// after the damage are not read.
  [[nodiscard]] std::optional<std::vector<unsigned char>> next();

  /// Frames returned so far.
  [[nodiscard]] int frames() const noexcept { return frames_; }

  /// True when no byte follows the last frame returned (blocks until one
  /// arrives or the writer closes its end).
  [[nodiscard]] bool at_end();

 private:
  StdinReader& source_;
  std::vector<unsigned char> pending_;  // taken from source_ but not yet framed
  PngStreamLimits limits_;
  int frames_ = 0;
};

}  // namespace tconv::app

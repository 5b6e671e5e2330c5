// ICC profile and EXIF carried from an input image to its output (libexiv2),
// working on encoded bytes in memory so the crash-safe write stays the only
// write.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "image/image_io.hpp"

namespace tconv::app {

/// Metadata read from an input, ready to be written into an output.
struct Metadata {
  std::vector<unsigned char> icc;   ///< ICC profile bytes; empty: none.
  /// EXIF as a TIFF-structured blob (Exif.Image tags that describe the
  /// input's pixel layout, the thumbnail and other IFDs removed; the
  /// orientation set to 1); empty: none.
  std::vector<unsigned char> exif;
  int orientation = 1;  ///< The input's EXIF orientation, 1-8 (1 when absent or invalid).
  /// What could not be read, one line each ("<what>: ICC profile unreadable,
  /// not carried: ..."), for the caller to log once the image itself has
  /// decoded (a file that fails gets its one error line, not these too).
  std::vector<std::string> warnings;
  [[nodiscard]] bool empty() const noexcept { return icc.empty() && exif.empty(); }
};

/// Reads the ICC profile, EXIF and orientation of PNG, JPEG, TIFF or WebP
/// bytes (other formats: none). Each of the three that cannot be read is
/// left out with its own line in Metadata::warnings (an invalid ICC profile
/// does not cost the orientation); it never fails the image. `what` names
/// the source in those lines.
[[nodiscard]] Metadata read_metadata(std::span<const unsigned char> bytes, ImageFormat format,
                                     const std::string& what);

/// Returns `encoded` (an image encoded as `format`) with `metadata` written
/// into it, EXIF PixelXDimension/PixelYDimension set to `size` ({h, w})
/// when present. Formats that cannot hold it (BMP, OpenEXR) and write
/// failures get the bytes back unchanged, with a debug (format) or warning
/// (failure) log line naming `what`.
[[nodiscard]] std::vector<unsigned char> embed_metadata(std::vector<unsigned char> encoded,
                                                        ImageFormat format, const Metadata& metadata,
                                                        Size2 size, const std::string& what);

}  // namespace tconv::app

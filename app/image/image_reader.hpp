// The one safe way to read an image file: the size cap on the bytes, the
// header check (format, size, pixel cap) before any decoder runs, the
// metadata's orientation applied to the decoded pixels. Two steps, so a
// caller can add its own checks (planned output size, memory budget)
// between the header and the decoder. A stream of PNG files on stdin is
// framed by png_stream.hpp (bytes only, no decoding); each of its frames is
// then read here like any other file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "image/image_io.hpp"
#include "image/metadata.hpp"

namespace tconv::app {

/// What an image's header and metadata say, read without decoding.
struct InspectedImage {
  ImageHeader header;  ///< Format and the size as stored.
  /// ICC profile, EXIF and orientation; its warnings are logged by
  /// decode_image() once the pixels have decoded.
  Metadata metadata;
  /// The size as displayed: the stored size, height and width swapped for
  /// the orientations 5-8 (which turn the image by 90 degrees).
  [[nodiscard]] Size2 shown() const noexcept {
    return metadata.orientation >= 5 ? Size2{header.size.w, header.size.h} : header.size;
  }
};

/// Step one: inspect_header() with `limits` (a format it allows, a header
/// whose size can be read, at most limits.max_pixels pixels), then
/// read_metadata(). `what` names the source in messages. Throws InputError.
[[nodiscard]] InspectedImage inspect_image(std::span<const unsigned char> bytes,
                                           const std::string& what, const DecodeLimits& limits);

/// Step two: decode_raw() with `limits`, then the metadata's warnings
/// logged and its orientation applied, so the pixels are as displayed.
/// Throws InputError as decode_raw() does.
[[nodiscard]] RawImage decode_image(std::span<const unsigned char> bytes, const std::string& what,
                                    const DecodeLimits& limits, const InspectedImage& inspected);

/// A whole image file, decoded.
struct ImageFile {
  RawImage raw;             ///< The pixels as displayed (orientation applied).
  InspectedImage inspected; ///< Its header and metadata.
};

/// read_file() with `max_bytes`, then inspect_image() and decode_image();
/// messages name the path. Throws InputError.
[[nodiscard]] ImageFile read_image_file(const std::filesystem::path& path, std::uint64_t max_bytes,
                                        const DecodeLimits& limits = {});

}  // namespace tconv::app

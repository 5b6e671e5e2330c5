// Image codecs: the only file that touches OpenCV.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "image.hpp"

namespace tconv::app {

/// Container formats the tool reads and writes.
enum class ImageFormat { kPng, kJpeg, kTiff, kWebp, kBmp };

/// Format from the first bytes of a file (magic numbers), or nullopt. Only
/// these formats are ever handed to a decoder.
[[nodiscard]] std::optional<ImageFormat> sniff_format(std::span<const unsigned char> bytes) noexcept;

/// Format from a file extension ("png", ".JPG", "tiff", ...), or nullopt.
[[nodiscard]] std::optional<ImageFormat> format_from_extension(std::string_view ext) noexcept;

/// Width and height declared in the header of PNG, JPEG, WebP or BMP bytes,
/// read without decoding (nullopt for TIFF, truncated or unrecognised
/// headers). Lets the caller refuse oversized images before any decoder
/// allocates from the header's word.
[[nodiscard]] std::optional<Size2> peek_dimensions(std::span<const unsigned char> bytes) noexcept;

/// "png", "jpeg", ...
[[nodiscard]] const char* to_string(ImageFormat format) noexcept;

/// A decoded image as the codec gives it: interleaved samples, colour in
/// B, G, R[, A] order, rows without padding. Gray+alpha is expanded to 4
/// channels and float64 narrowed to float32.
struct RawImage {
  int height = 0;
  int width = 0;
  int channels = 0;
  SampleType type = SampleType::kU8;
  std::vector<unsigned char> bytes;  ///< height * width * channels samples
  [[nodiscard]] Shape3 shape() const noexcept { return {channels, height, width}; }
};

/// Decodes PNG, JPEG, TIFF, WebP or BMP bytes (8/16-bit or float; gray,
/// gray+alpha, RGB, RGBA; palettes expanded), keeping the samples interleaved
/// and in their own type. `what` names the source in messages. Throws
/// InputError for an unknown format or undecodable data.
[[nodiscard]] RawImage decode_raw(std::span<const unsigned char> bytes, const std::string& what);

/// The planar float image of `raw` (RGB order, integers scaled to [0, 1]).
[[nodiscard]] Image to_planar(const RawImage& raw);

/// Whether `format` stores `type` samples as they are.
[[nodiscard]] bool can_store(ImageFormat format, SampleType type) noexcept;

/// Encoder settings.
struct EncodeOptions {
  int jpeg_quality = 95;  ///< 0..100 (also WebP quality when lossy).
  /// zlib level 0..9, with zlib's run-length strategy (Z_RLE) and libpng's
  /// adaptive row filters. Measured on a 3840x2160 upsampled photo (encode
  /// only): default strategy level 1 436 ms 2.95 MB, level 3 557 ms 2.53 MB,
  /// level 6 1022 ms 2.06 MB; Z_RLE 320-400 ms and 2.04 MB at any level:
  /// filtered upsampled images are mostly runs, so RLE is both the smallest
  /// and the fastest here.
  int png_compression = 3;
};

/// Encodes interleaved samples as they are; requires can_store(format, raw.type).
/// Throws InputError on a codec failure.
[[nodiscard]] std::vector<unsigned char> encode_raw(const RawImage& raw, ImageFormat format,
                                                    const EncodeOptions& options);

/// Encodes in `format`, converting the sample type when the format cannot
/// hold it (16-bit or float to 8-bit for JPEG/WebP/BMP, float to 16-bit for
/// PNG); `converted` is set to the type written. Integer conversion clamps
/// and rounds; throws InputError on non-finite values or a codec failure.
[[nodiscard]] std::vector<unsigned char> encode_image(const Image& image, ImageFormat format,
                                                      const EncodeOptions& options,
                                                      SampleType* converted = nullptr);

}  // namespace tconv::app

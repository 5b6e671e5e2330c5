// Image codecs: with image_codecs.cpp, the only files that touch OpenCV or a
// codec library.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "image/image.hpp"

namespace tconv::app {

/// Container formats the tool knows. PNG, JPEG, TIFF, WebP and BMP are read
/// by default; the others only when allowed (DecodeLimits::allowed), because
/// their OpenCV decoders are rarely used and little fuzzed. The tool writes
/// PNG, JPEG, TIFF, WebP, BMP and OpenEXR.
enum class ImageFormat { kPng, kJpeg, kTiff, kWebp, kBmp, kExr, kPnm, kPfm, kHdr };

/// Format from the first bytes of a file (magic numbers), or nullopt. Only
/// these formats are ever handed to a decoder.
[[nodiscard]] std::optional<ImageFormat> sniff_format(std::span<const unsigned char> bytes) noexcept;

/// Format from a file extension ("png", ".JPG", "tiff", "exr"), or nullopt;
/// only the formats the tool writes.
[[nodiscard]] std::optional<ImageFormat> format_from_extension(std::string_view ext) noexcept;

/// Format from a name as --allow-format takes it ("png", "jpeg"/"jpg",
/// "tiff"/"tif", "webp", "bmp", "exr", "pnm", "pfm", "hdr"), or nullopt.
[[nodiscard]] std::optional<ImageFormat> format_from_name(std::string_view name) noexcept;

/// Width and height declared in the header of any format sniff_format()
/// knows, read without decoding (TIFF and BigTIFF: the first IFD; OpenEXR:
/// the dataWindow; JPEG: the first start-of-frame), or nullopt for a
/// truncated or malformed header. Lets the caller refuse oversized images
/// before any decoder allocates from the header's word.
[[nodiscard]] std::optional<Size2> peek_dimensions(std::span<const unsigned char> bytes) noexcept;

/// "png", "jpeg", ...
[[nodiscard]] const char* to_string(ImageFormat format) noexcept;

/// The bit of `format` in DecodeLimits::allowed.
[[nodiscard]] constexpr std::uint32_t format_bit(ImageFormat format) noexcept {
  return std::uint32_t{1} << static_cast<unsigned>(format);
}

/// Formats read without --allow-format: PNG, JPEG, TIFF, WebP, BMP.
inline constexpr std::uint32_t kDefaultFormats =
    format_bit(ImageFormat::kPng) | format_bit(ImageFormat::kJpeg) |
    format_bit(ImageFormat::kTiff) | format_bit(ImageFormat::kWebp) |
    format_bit(ImageFormat::kBmp);

/// Largest input accepted by default, in pixels (2^28: 268 Mpx, e.g.
/// 16384 x 16384, far above any camera).
inline constexpr std::int64_t kDefaultMaxPixels = std::int64_t{1} << 28;

/// Most scans a JPEG may have. Each progressive scan is one more pass over
/// the whole image, so decoding time grows with area x scans; a normal
/// progressive JPEG has about 10 (libjpeg's default script 10, mozjpeg's up
/// to about 60), and libjpeg-turbo's own djpeg offers -maxscans against
/// files that repeat scans to make decoding slow.
inline constexpr int kMaxJpegScans = 100;

/// What decode_raw() accepts, checked from the header before any decoder runs.
struct DecodeLimits {
  std::uint32_t allowed = kDefaultFormats;     ///< Bit mask of format_bit() values.
  std::int64_t max_pixels = kDefaultMaxPixels;  ///< Largest width * height, >= 1.
  /// A damaged JPEG (no end-of-image marker after the last scan, or any
  /// decoder warning: truncated or corrupt entropy-coded data) fails when
  /// false; when true it is decoded with a warning (missing rows gray).
  bool accept_damaged = false;
};

/// The marker structure of a JPEG, walked segment by segment (segment
/// lengths; inside entropy-coded data 0xFF is followed by 0x00, a restart
/// marker RST0-7 or fill bytes, anything else ends the scan).
struct JpegLayout {
  int scans = 0;          ///< Start-of-scan (SOS) segments before the end.
  bool complete = false;  ///< An end-of-image marker (EOI) follows the last scan.
};

/// Walks the markers of JPEG bytes (after the SOI marker) up to EOI or the
/// end of the data. An EOI inside an APPn segment (an EXIF thumbnail's own)
/// does not count. Never reads outside `bytes`.
[[nodiscard]] JpegLayout read_jpeg_layout(std::span<const unsigned char> bytes) noexcept;

/// Largest width or height `format` can store: JPEG 65500 (libjpeg's
/// JPEG_MAX_DIMENSION), WebP 16383 (14-bit sizes), the others 2^31 - 1.
[[nodiscard]] int largest_side(ImageFormat format) noexcept;

/// Format and size read from an image's header.
struct ImageHeader {
  ImageFormat format = ImageFormat::kPng;
  Size2 size{};  ///< {height, width} as declared.
};

/// Sniffs the format and reads the size from the header, without decoding.
/// Throws InputError (messages start with `what`) for an unknown or
/// disallowed format, a header whose size cannot be read, or more than
/// limits.max_pixels pixels.
[[nodiscard]] ImageHeader inspect_header(std::span<const unsigned char> bytes,
                                         const std::string& what, const DecodeLimits& limits);

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

/// Decodes image bytes (8/16-bit or float; gray, gray+alpha, RGB, RGBA;
/// palettes expanded, PNG transparency keys turned into alpha), keeping the
/// samples interleaved and in their own type, after inspect_header() has
/// accepted them. `what` names the source in messages. Throws InputError
/// for a refused header, undecodable data, a damaged JPEG (see
/// DecodeLimits::accept_damaged), a JPEG with more than kMaxJpegScans scans,
/// or a decoder that runs out of memory. Multi-page TIFF and animated WebP
/// give their first page or frame, with a warning naming the count. Codec
/// libraries' own messages go to the debug log, never straight to stderr.
[[nodiscard]] RawImage decode_raw(std::span<const unsigned char> bytes, const std::string& what,
                                  const DecodeLimits& limits = {});

/// Turns the pixels as stored into the pixels as displayed for an EXIF
/// orientation (1-8, TIFF tag 274): 2 mirror, 3 rotate 180, 4 flip, 5
/// transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90
/// counter-clockwise. 1 and values outside 1-8 leave the image as it is.
void apply_orientation(RawImage& raw, int orientation);

/// The planar float image of `raw` (RGB order, integers scaled to [0, 1]).
[[nodiscard]] Image to_planar(const RawImage& raw);

/// Whether `format` stores `type` samples as they are.
[[nodiscard]] bool can_store(ImageFormat format, SampleType type) noexcept;

/// Encoder settings.
struct EncodeOptions {
  int jpeg_quality = 95;  ///< 0..100 (also WebP quality when lossy).
  /// zlib level 0..9 (0 stores), with zlib's run-length strategy (Z_RLE)
  /// and the Paeth filter on every row (encode_png() in image_codecs.hpp).
  /// Filtered upsampled images are mostly runs, so RLE is both the smallest
  /// and the fastest strategy here, and its output does not depend on the
  /// level; docs/performance.md ("End to end") has the measurements.
  int png_compression = 3;
  /// Threads for the PNG encoder (>= 1; 0 is taken as 1); the bytes do not
  /// depend on it. The other formats' encoders run on one thread.
  int threads = 1;
};

/// Interleaved samples held elsewhere, laid out as RawImage::bytes.
struct RawView {
  const unsigned char* samples = nullptr;  ///< height * width * channels samples
  int height = 0;
  int width = 0;
  int channels = 0;
  SampleType type = SampleType::kU8;
};

/// Encodes interleaved samples as they are; requires can_store(format, raw.type).
/// Throws InputError on a codec failure.
[[nodiscard]] std::vector<unsigned char> encode_raw(const RawView& raw, ImageFormat format,
                                                    const EncodeOptions& options);
/// The same for a RawImage.
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

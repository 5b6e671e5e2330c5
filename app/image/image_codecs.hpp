// Decoders that call the codec libraries directly (libjpeg-turbo, libpng,
// libtiff) where OpenCV's own decoders hide what went wrong: libjpeg's
// warnings for damaged data, libpng's warnings on stderr, and TIFF gray +
// alpha, which OpenCV reads as gray without its alpha; and the PNG encoder
// (zlib), which is several times faster than libpng's adaptive filtering. Used by image_io.cpp
// only; together they are the codec files (no other file calls a codec).
#pragma once

#include <opencv2/core.hpp>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace tconv::app {

/// How decode_jpeg() treats damage.
struct JpegDecodeOptions {
  int max_scans = 100;          ///< Refuse more scans than this (the decoder's progress monitor).
  bool accept_damaged = false;  ///< Decoder warnings: false fails at the first, true counts them.
};

/// What decode_jpeg() saw besides the pixels.
struct JpegWarnings {
  int count = 0;      ///< Warnings the decoder emitted (each one is damage in the data).
  std::string first;  ///< The first one's text, lower-case; empty when count is 0.
};

/// Decodes a JPEG as OpenCV's decoder does with IMREAD_UNCHANGED: one
/// component gives 8-bit gray, three give B, G, R, four (CMYK / YCCK) are
/// converted to B, G, R by OpenCV's formula. Throws InputError ("<what>:
/// <reason>") on a decoder error, on more than options.max_scans scans, and
/// on the first decoder warning unless options.accept_damaged (then the
/// warnings are counted into `warnings`). Library messages go to the debug log.
[[nodiscard]] cv::Mat decode_jpeg(std::span<const unsigned char> bytes, const std::string& what,
                                  const JpegDecodeOptions& options, JpegWarnings& warnings);

/// Decodes a PNG as OpenCV's decoder does with IMREAD_UNCHANGED (8/16-bit;
/// palettes expanded to B, G, R[, A]; colour in B, G, R order; gray + alpha
/// as 2 channels) and also turns a gray image's tRNS key into alpha (gray +
/// alpha). libpng's warnings go to the debug log, never to stderr. Throws
/// InputError on a libpng error (truncated or corrupt data).
[[nodiscard]] cv::Mat decode_png(std::span<const unsigned char> bytes, const std::string& what);

/// Interleaved samples for encode_png(): `height` rows of `width` pixels of
/// `channels` samples each, rows `row_bytes` apart; colour in B, G, R[, A]
/// order (3 and 4 channels; 1 is gray, 2 gray + alpha), 16-bit samples in
/// native byte order.
struct PngPixels {
  const unsigned char* samples = nullptr;
  int height = 0;              ///< >= 1.
  int width = 0;               ///< >= 1.
  int channels = 0;            ///< 1..4.
  bool sixteen_bit = false;    ///< 16-bit samples; else 8-bit.
  std::ptrdiff_t row_bytes = 0;  ///< >= width * channels * sample bytes.
};

/// How encode_png() compresses.
struct PngEncodeOptions {
  int level = 3;    ///< zlib level 0..9 (0 stores; 1..9 the run-length strategy, Z_RLE).
  int threads = 1;  ///< Threads that filter and deflate row bands, >= 1; the bytes do not depend on it.
};

/// Encodes a PNG (IHDR, IDAT chunks, IEND; no interlacing) without libpng:
/// every row takes the Paeth filter, and the image is cut into bands of
/// about 1 MiB of rows, each deflated on its own (zlib, run-length
/// strategy) and ended with a sync flush, so the bands join into one zlib
/// stream (pigz's method; the Adler-32s are combined). The band size does
/// not depend on `options.threads`, so the output is the same for any
/// thread count. Throws InputError ("encode png: <reason>") for a shape
/// outside the ranges above or when zlib fails (out of memory).
[[nodiscard]] std::vector<unsigned char> encode_png(const PngPixels& pixels,
                                                    const PngEncodeOptions& options);

/// What decode_raw() needs to know about a TIFF before choosing a decoder.
struct TiffLayout {
  int pages = 1;              ///< Image directories (IFDs) in the chain.
  int samples_per_pixel = 1;  ///< Of the first page.
};

/// Reads the page count and the first page's samples per pixel. Throws
/// InputError when libtiff cannot open the data.
[[nodiscard]] TiffLayout read_tiff_layout(std::span<const unsigned char> bytes, const std::string& what);

/// Decodes the first page of a gray + alpha TIFF (2 samples per pixel,
/// min-is-black; 8 or 16-bit unsigned or 32-bit float; strips or tiles,
/// either planar configuration) to 2 interleaved channels (gray, alpha) of
/// the same sample type. Throws InputError for any other layout or a
/// libtiff error. libtiff's messages go to the debug log.
[[nodiscard]] cv::Mat decode_tiff_gray_alpha(std::span<const unsigned char> bytes, const std::string& what);

/// Silences OpenCV's own logging (it would write to stderr directly; the
/// tool reports decoder failures itself). Idempotent and thread-safe.
void quiet_opencv_logging();

}  // namespace tconv::app

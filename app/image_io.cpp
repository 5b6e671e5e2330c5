// OpenCV-backed decode and encode. Every OpenCV call is wrapped: OpenCV
// throws cv::Exception (oversized headers, unknown writers) as well as
// returning empty results, and both must become one per-file error.
#include "image_io.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "exit_codes.hpp"

namespace tconv::app {

namespace {

bool starts_with(std::span<const unsigned char> bytes, std::size_t offset, std::string_view magic) {
  return bytes.size() >= offset + magic.size() &&
         std::memcmp(bytes.data() + offset, magic.data(), magic.size()) == 0;
}

// OpenCV interleaves B, G, R, A; our planes are R, G, B, A.
int opencv_channel(int plane, int channels) {
  return channels >= 3 && plane < 3 ? 2 - plane : plane;
}

RawImage to_raw(const cv::Mat& decoded, const std::string& what) {
  cv::Mat mat = decoded;
  SampleType type{};
  switch (mat.depth()) {
    case CV_8U: type = SampleType::kU8; break;
    case CV_16U: type = SampleType::kU16; break;
    case CV_32F: type = SampleType::kF32; break;
    case CV_64F:
      mat.convertTo(mat, CV_32F);
      type = SampleType::kF32;
      break;
    default:
      throw InputError(what + ": unsupported sample type (OpenCV depth " +
                       std::to_string(mat.depth()) + "); supported: 8-bit, 16-bit, float");
  }
  if (mat.channels() == 2) {  // gray + alpha: expand to BGRA so OpenCV can write it back
    cv::Mat planes[2];
    cv::split(mat, planes);
    const cv::Mat bgra[] = {planes[0], planes[0], planes[0], planes[1]};
    cv::merge(bgra, 4, mat);
  }
  const int channels = mat.channels();
  if (channels != 1 && channels != 3 && channels != 4)
    throw InputError(what + ": unsupported channel count " + std::to_string(channels));
  RawImage raw{mat.rows, mat.cols, channels, type, {}};
  const std::size_t row_bytes = static_cast<std::size_t>(mat.cols) * mat.elemSize();
  raw.bytes.resize(row_bytes * static_cast<std::size_t>(mat.rows));
  for (int y = 0; y < mat.rows; ++y)
    std::memcpy(raw.bytes.data() + row_bytes * static_cast<std::size_t>(y), mat.ptr(y), row_bytes);
  return raw;
}

cv::Mat mat_of(const RawImage& raw) {
  const int depth = raw.type == SampleType::kU8 ? CV_8U : raw.type == SampleType::kU16 ? CV_16U : CV_32F;
  return cv::Mat(raw.height, raw.width, CV_MAKETYPE(depth, raw.channels),
                 const_cast<unsigned char*>(raw.bytes.data()));
}

template <typename T>
void deinterleave(const RawImage& raw, Tensor& pixels, float inv) {
  const auto* samples = reinterpret_cast<const T*>(raw.bytes.data());
  const int c = raw.channels;
  for (int y = 0; y < raw.height; ++y)
    for (int plane = 0; plane < c; ++plane) {
      const T* in = samples + static_cast<std::size_t>(y) * raw.width * c + opencv_channel(plane, c);
      float* out = pixels.view().row(plane, y);
      for (int x = 0; x < raw.width; ++x) out[x] = static_cast<float>(in[static_cast<std::size_t>(x) * c]) * inv;
    }
}

template <typename T>
void fill_interleaved(const Tensor& pixels, cv::Mat& mat, float max_value) {
  const Shape3 s = pixels.shape();
  const ConstTensorView view = pixels.view();
  for (int y = 0; y < s.h; ++y) {
    T* row = mat.ptr<T>(y);
    for (int plane = 0; plane < s.c; ++plane) {
      const int to = opencv_channel(plane, s.c);
      const float* in = view.row(plane, y);
      T* out = row + to;
      if constexpr (std::is_same_v<T, float>) {
        for (int x = 0; x < s.w; ++x) out[static_cast<std::ptrdiff_t>(x) * s.c] = in[x];
      } else {
        for (int x = 0; x < s.w; ++x)
          out[static_cast<std::ptrdiff_t>(x) * s.c] = static_cast<T>(quantize(in[x], max_value));
      }
    }
  }
}

SampleType storable_type(ImageFormat format, SampleType type) noexcept {
  switch (format) {
    case ImageFormat::kTiff: return type;
    case ImageFormat::kPng: return type == SampleType::kF32 ? SampleType::kU16 : type;
    default: return SampleType::kU8;
  }
}

}  // namespace

std::optional<ImageFormat> sniff_format(std::span<const unsigned char> bytes) noexcept {
  if (starts_with(bytes, 0, "\x89PNG\r\n\x1a\n")) return ImageFormat::kPng;
  if (starts_with(bytes, 0, "\xFF\xD8\xFF")) return ImageFormat::kJpeg;
  if (starts_with(bytes, 0, std::string_view("II*\0", 4)) ||
      starts_with(bytes, 0, std::string_view("MM\0*", 4)))
    return ImageFormat::kTiff;
  if (starts_with(bytes, 0, "RIFF") && starts_with(bytes, 8, "WEBP")) return ImageFormat::kWebp;
  if (starts_with(bytes, 0, "BM")) return ImageFormat::kBmp;
  return std::nullopt;
}

std::optional<ImageFormat> format_from_extension(std::string_view ext) noexcept {
  if (!ext.empty() && ext.front() == '.') ext.remove_prefix(1);
  std::string lower(ext);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "png") return ImageFormat::kPng;
  if (lower == "jpg" || lower == "jpeg") return ImageFormat::kJpeg;
  if (lower == "tif" || lower == "tiff") return ImageFormat::kTiff;
  if (lower == "webp") return ImageFormat::kWebp;
  if (lower == "bmp") return ImageFormat::kBmp;
  return std::nullopt;
}

namespace {

std::uint32_t be16(std::span<const unsigned char> b, std::size_t at) {
  return (std::uint32_t{b[at]} << 8) | b[at + 1];
}
std::uint32_t be32(std::span<const unsigned char> b, std::size_t at) {
  return (be16(b, at) << 16) | be16(b, at + 2);
}
std::uint32_t le16(std::span<const unsigned char> b, std::size_t at) {
  return b[at] | (std::uint32_t{b[at + 1]} << 8);
}
std::uint32_t le24(std::span<const unsigned char> b, std::size_t at) {
  return le16(b, at) | (std::uint32_t{b[at + 2]} << 16);
}
std::uint32_t le32(std::span<const unsigned char> b, std::size_t at) {
  return le16(b, at) | (le16(b, at + 2) << 16);
}

std::optional<Size2> size_of(std::int64_t w, std::int64_t h) {
  if (w < 1 || h < 1 || w > INT32_MAX || h > INT32_MAX) return std::nullopt;
  return Size2{static_cast<int>(h), static_cast<int>(w)};
}

// JPEG: the first start-of-frame marker (SOF0-SOF15 but DHT C4, JPG C8, DAC CC)
// holds precision, height and width.
std::optional<Size2> jpeg_dimensions(std::span<const unsigned char> b) {
  std::size_t at = 2;
  while (at + 9 < b.size()) {
    if (b[at] != 0xFF) return std::nullopt;
    const unsigned marker = b[at + 1];
    if (marker == 0xFF) {
      ++at;
      continue;
    }
    const std::uint32_t length = be16(b, at + 2);
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC)
      return size_of(be16(b, at + 7), be16(b, at + 5));
    if (length < 2) return std::nullopt;
    at += 2 + length;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Size2> peek_dimensions(std::span<const unsigned char> b) noexcept {
  const auto format = sniff_format(b);
  if (!format) return std::nullopt;
  switch (*format) {
    case ImageFormat::kPng:
      if (b.size() < 24 || std::memcmp(b.data() + 12, "IHDR", 4) != 0) return std::nullopt;
      return size_of(be32(b, 16), be32(b, 20));
    case ImageFormat::kBmp: {
      if (b.size() < 26) return std::nullopt;
      const auto height = static_cast<std::int32_t>(le32(b, 22));
      return size_of(static_cast<std::int32_t>(le32(b, 18)),
                     height < 0 ? -std::int64_t{height} : height);
    }
    case ImageFormat::kJpeg: return jpeg_dimensions(b);
    case ImageFormat::kWebp:
      if (b.size() < 30) return std::nullopt;
      if (std::memcmp(b.data() + 12, "VP8X", 4) == 0)
        return size_of(std::int64_t{le24(b, 24)} + 1, std::int64_t{le24(b, 27)} + 1);
      if (std::memcmp(b.data() + 12, "VP8L", 4) == 0) {
        const std::uint32_t bits = le32(b, 21);  // 14-bit width-1, 14-bit height-1
        return size_of((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
      }
      if (std::memcmp(b.data() + 12, "VP8 ", 4) == 0)
        return size_of(le16(b, 26) & 0x3FFF, le16(b, 28) & 0x3FFF);
      return std::nullopt;
    case ImageFormat::kTiff: return std::nullopt;
  }
  return std::nullopt;
}

const char* to_string(ImageFormat format) noexcept {
  switch (format) {
    case ImageFormat::kPng: return "png";
    case ImageFormat::kJpeg: return "jpeg";
    case ImageFormat::kTiff: return "tiff";
    case ImageFormat::kWebp: return "webp";
    case ImageFormat::kBmp: return "bmp";
  }
  return "?";
}

bool can_store(ImageFormat format, SampleType type) noexcept {
  return storable_type(format, type) == type;
}

Image to_planar(const RawImage& raw) {
  Image image{Tensor(raw.shape()), raw.type};
  switch (raw.type) {
    case SampleType::kU8: deinterleave<std::uint8_t>(raw, image.pixels, 1.0f / 255.0f); break;
    case SampleType::kU16: deinterleave<std::uint16_t>(raw, image.pixels, 1.0f / 65535.0f); break;
    case SampleType::kF32: deinterleave<float>(raw, image.pixels, 1.0f); break;
  }
  return image;
}

RawImage decode_raw(std::span<const unsigned char> bytes, const std::string& what) {
  if (!sniff_format(bytes))
    throw InputError(what + ": not a PNG, JPEG, TIFF, WebP or BMP file");
  cv::Mat decoded;
  try {
    const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8U,
                         const_cast<unsigned char*>(bytes.data()));
    decoded = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw InputError(what + ": cannot decode: " + e.err);
  }
  if (decoded.empty()) throw InputError(what + ": cannot decode (corrupt or truncated file)");
  return to_raw(decoded, what);
}

std::vector<int> encoder_params(ImageFormat format, const EncodeOptions& options) {
  std::vector<int> params;
  if (format == ImageFormat::kJpeg) params = {cv::IMWRITE_JPEG_QUALITY, options.jpeg_quality};
  if (format == ImageFormat::kWebp) params = {cv::IMWRITE_WEBP_QUALITY, options.jpeg_quality};
  // OpenCV 4.6 writes 3-channel float TIFF with lossy SGILOG compression
  // by default; LZW is lossless for every sample type.
  if (format == ImageFormat::kTiff) params = {cv::IMWRITE_TIFF_COMPRESSION, 5};
  if (format == ImageFormat::kPng)
    params = {cv::IMWRITE_PNG_COMPRESSION, options.png_compression, cv::IMWRITE_PNG_STRATEGY,
              cv::IMWRITE_PNG_STRATEGY_RLE};
  return params;
}

std::vector<unsigned char> encode_mat(const cv::Mat& mat, ImageFormat format,
                                      const EncodeOptions& options) {
  std::vector<unsigned char> bytes;
  try {
    if (!cv::imencode(std::string(".") + to_string(format), mat, bytes, encoder_params(format, options)))
      throw InputError(std::string("encode ") + to_string(format) + ": the encoder failed");
  } catch (const cv::Exception& e) {
    throw InputError(std::string("encode ") + to_string(format) + ": " + e.err);
  }
  return bytes;
}

std::vector<unsigned char> encode_raw(const RawImage& raw, ImageFormat format,
                                      const EncodeOptions& options) {
  return encode_mat(mat_of(raw), format, options);
}

std::vector<unsigned char> encode_image(const Image& image, ImageFormat format,
                                        const EncodeOptions& options, SampleType* converted) {
  const SampleType type = storable_type(format, image.type);
  if (converted) *converted = type;
  if (type != SampleType::kF32) require_finite(image.pixels, "encode");
  const Shape3 s = image.pixels.shape();
  cv::Mat mat;
  switch (type) {
    case SampleType::kU8:
      mat.create(s.h, s.w, CV_8UC(s.c));
      fill_interleaved<std::uint8_t>(image.pixels, mat, 255.0f);
      break;
    case SampleType::kU16:
      mat.create(s.h, s.w, CV_16UC(s.c));
      fill_interleaved<std::uint16_t>(image.pixels, mat, 65535.0f);
      break;
    case SampleType::kF32:
      mat.create(s.h, s.w, CV_32FC(s.c));
      fill_interleaved<float>(image.pixels, mat, 1.0f);
      break;
  }
  return encode_mat(mat, format, options);
}

}  // namespace tconv::app

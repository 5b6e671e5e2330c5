// Decode and encode: OpenCV, and for JPEG, PNG and gray+alpha TIFF the codec
// libraries directly (image_codecs.cpp). Every OpenCV call is wrapped:
// OpenCV throws cv::Exception (oversized headers, unknown writers) as well
// as returning empty results, and both must become one per-file error.
//
// OpenCV's imgcodecs library is loaded on first use (dlopen), not linked:
// Debian's build of it pulls in about 120 more shared libraries (GDAL,
// GDCM, poppler, ...), which cost 0.13 s and 40 MiB of resident memory at
// every start, while PNG and JPEG input and PNG output never need it.
#include "image/image_io.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <cstdint>
#include <cstring>
#include <dlfcn.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "cli/exit_codes.hpp"
#include "image/image_codecs.hpp"

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

// cv::imdecode and cv::imencode from libopencv_imgcodecs, looked up by
// their mangled names (Itanium C++ ABI; the declarations in
// opencv2/imgcodecs.hpp the app is built against).
struct OpenCvCodecs {
  cv::Mat (*imdecode)(cv::InputArray, int) = nullptr;
  bool (*imencode)(const cv::String&, cv::InputArray, std::vector<uchar>&, const std::vector<int>&) =
      nullptr;
  std::string failure;  ///< Why loading failed; empty when both are set.
};

const OpenCvCodecs& opencv_codecs() {
  static const OpenCvCodecs codecs = [] {
    OpenCvCodecs c;
    // By soname first (the installed library), then the file the build found.
    void* lib = ::dlopen(TCONV_OPENCV_IMGCODECS_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) lib = ::dlopen(TCONV_OPENCV_IMGCODECS_FILE, RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      const char* why = ::dlerror();
      c.failure = why != nullptr ? why : "dlopen failed";
      return c;
    }
    c.imdecode = reinterpret_cast<decltype(c.imdecode)>(
        ::dlsym(lib, "_ZN2cv8imdecodeERKNS_11_InputArrayEi"));
    c.imencode = reinterpret_cast<decltype(c.imencode)>(::dlsym(
        lib,
        "_ZN2cv8imencodeERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEERKNS_11_InputArray"
        "ERSt6vectorIhSaIhEERKSB_IiSaIiEE"));
    if (c.imdecode == nullptr || c.imencode == nullptr) c.failure = "cv::imdecode or cv::imencode not found";
    return c;
  }();
  if (!codecs.failure.empty())
    throw InputError(std::string("cannot load OpenCV's image codecs (") + TCONV_OPENCV_IMGCODECS_SONAME +
                     "): " + codecs.failure);
  return codecs;
}

cv::Mat mat_of(const RawView& raw) {
  const int depth = raw.type == SampleType::kU8 ? CV_8U : raw.type == SampleType::kU16 ? CV_16U : CV_32F;
  return cv::Mat(raw.height, raw.width, CV_MAKETYPE(depth, raw.channels),
                 const_cast<unsigned char*>(raw.samples));
}

RawView view_of(const RawImage& raw) {
  return {raw.bytes.data(), raw.height, raw.width, raw.channels, raw.type};
}

cv::Mat mat_of(const RawImage& raw) { return mat_of(view_of(raw)); }

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
    case ImageFormat::kExr: return SampleType::kF32;
    default: return SampleType::kU8;
  }
}

}  // namespace

std::optional<ImageFormat> sniff_format(std::span<const unsigned char> bytes) noexcept {
  if (starts_with(bytes, 0, "\x89PNG\r\n\x1a\n")) return ImageFormat::kPng;
  if (starts_with(bytes, 0, "\xFF\xD8\xFF")) return ImageFormat::kJpeg;
  if (starts_with(bytes, 0, std::string_view("II*\0", 4)) ||
      starts_with(bytes, 0, std::string_view("MM\0*", 4)) ||
      starts_with(bytes, 0, std::string_view("II+\0", 4)) ||  // BigTIFF
      starts_with(bytes, 0, std::string_view("MM\0+", 4)))
    return ImageFormat::kTiff;
  if (starts_with(bytes, 0, "RIFF") && starts_with(bytes, 8, "WEBP")) return ImageFormat::kWebp;
  if (starts_with(bytes, 0, "BM")) return ImageFormat::kBmp;
  if (starts_with(bytes, 0, "\x76\x2f\x31\x01")) return ImageFormat::kExr;
  // Netpbm P1-P6 and PFM ("PF" colour, "Pf" gray), each followed by whitespace.
  if (bytes.size() >= 3 && bytes[0] == 'P' && std::isspace(bytes[2])) {
    if (bytes[1] >= '1' && bytes[1] <= '6') return ImageFormat::kPnm;
    if (bytes[1] == 'F' || bytes[1] == 'f') return ImageFormat::kPfm;
  }
  if (starts_with(bytes, 0, "#?RADIANCE\n") || starts_with(bytes, 0, "#?RGBE\n"))
    return ImageFormat::kHdr;
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
  if (lower == "exr") return ImageFormat::kExr;
  return std::nullopt;
}

std::optional<ImageFormat> format_from_name(std::string_view name) noexcept {
  if (const auto format = format_from_extension(name)) return format;
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "pnm" || lower == "ppm" || lower == "pgm" || lower == "pbm") return ImageFormat::kPnm;
  if (lower == "pfm") return ImageFormat::kPfm;
  if (lower == "hdr") return ImageFormat::kHdr;
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

// TIFF and BigTIFF: ImageWidth (256) and ImageLength (257) of the first IFD,
// the page OpenCV decodes. Classic: header "II*\0"/"MM\0*" + u32 IFD offset;
// IFD = u16 count + 12-byte entries {u16 tag, u16 type, u32 count, 4-byte
// value}. BigTIFF (version 43): u64 offset at byte 8; IFD = u64 count +
// 20-byte entries {u16 tag, u16 type, u64 count, 8-byte value}. A SHORT (3)
// value sits in the first 2 bytes of the value field, LONG (4) in 4, LONG8
// (16) in 8, in the file's byte order.
std::optional<Size2> tiff_dimensions(std::span<const unsigned char> b) {
  const bool little = b[0] == 'I';
  auto u16 = [&](std::size_t at) { return little ? le16(b, at) : be16(b, at); };
  auto u32 = [&](std::size_t at) { return little ? le32(b, at) : be32(b, at); };
  auto u64 = [&](std::size_t at) {
    const std::uint64_t lo = u32(at), hi = u32(at + 4);
    return little ? (hi << 32 | lo) : (lo << 32 | hi);
  };
  if (b.size() < 16) return std::nullopt;
  const bool big = u16(2) == 43;
  if (big && (u16(4) != 8 || u16(6) != 0)) return std::nullopt;
  const std::uint64_t ifd = big ? u64(8) : u32(4);
  const std::size_t count_size = big ? 8 : 2;
  const std::size_t entry_size = big ? 20 : 12;
  if (ifd < 8 || ifd > b.size() || b.size() - ifd < count_size) return std::nullopt;
  const std::uint64_t count = big ? u64(ifd) : u16(ifd);
  std::int64_t width = -1;
  std::int64_t height = -1;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t at = ifd + count_size + i * entry_size;
    if (at > b.size() || b.size() - at < entry_size) return std::nullopt;
    const std::uint32_t tag = u16(at);
    if (tag != 256 && tag != 257) continue;
    const std::uint32_t type = u16(at + 2);
    const std::size_t value = at + (big ? 12 : 8);
    std::int64_t v = -1;
    if (type == 3) v = u16(value);
    else if (type == 4) v = u32(value);
    else if (type == 16 && big) v = static_cast<std::int64_t>(std::min<std::uint64_t>(u64(value), INT64_MAX));
    (tag == 256 ? width : height) = v;
  }
  return size_of(width, height);
}

// OpenEXR: magic, 4-byte version, then attributes {name\0, type\0, i32 size,
// value} up to an empty name; dataWindow is a box2i {xMin, yMin, xMax, yMax}
// (i32 each) and the image is (xMax - xMin + 1) x (yMax - yMin + 1).
std::optional<Size2> exr_dimensions(std::span<const unsigned char> b) {
  std::size_t at = 8;
  auto cstring = [&](std::string& out) {
    const std::size_t start = at;
    while (at < b.size() && b[at] != 0 && at - start < 256) ++at;
    if (at >= b.size() || b[at] != 0) return false;
    out.assign(reinterpret_cast<const char*>(b.data()) + start, at - start);
    ++at;
    return true;
  };
  std::string name;
  std::string type;
  while (cstring(name) && !name.empty()) {
    if (!cstring(type) || b.size() - at < 4) return std::nullopt;
    const std::uint32_t size = le32(b, at);
    at += 4;
    if (size > b.size() - at) return std::nullopt;
    if (name == "dataWindow" && type == "box2i" && size == 16) {
      auto i32 = [&](std::size_t k) { return std::int64_t{static_cast<std::int32_t>(le32(b, at + 4 * k))}; };
      return size_of(i32(2) - i32(0) + 1, i32(3) - i32(1) + 1);
    }
    at += size;
  }
  return std::nullopt;
}

// Netpbm (P1-P6) and PFM: magic, then width and height as decimal numbers
// separated by whitespace; Netpbm allows "#" comments up to the end of a line.
std::optional<Size2> pnm_dimensions(std::span<const unsigned char> b) {
  std::size_t at = 2;
  auto number = [&]() -> std::int64_t {
    for (;;) {
      while (at < b.size() && std::isspace(b[at])) ++at;
      if (at < b.size() && b[at] == '#') {
        while (at < b.size() && b[at] != '\n') ++at;
        continue;
      }
      break;
    }
    std::int64_t v = 0;
    int digits = 0;
    while (at < b.size() && std::isdigit(b[at]) && digits < 12) {
      v = v * 10 + (b[at++] - '0');
      ++digits;
    }
    // A number cut by the end of the buffer may be the start of a longer one.
    if (digits == 0 || digits == 12 || at >= b.size() || !std::isspace(b[at])) return -1;
    return v;
  };
  const std::int64_t w = number();
  const std::int64_t h = number();
  return size_of(w, h);
}

// Radiance HDR: header lines up to an empty line, then the resolution line
// "-Y H +X W" (the first axis is the slow one; signs give the orientation).
std::optional<Size2> hdr_dimensions(std::span<const unsigned char> b) {
  const std::string_view text(reinterpret_cast<const char*>(b.data()), std::min<std::size_t>(b.size(), 65536));
  const std::size_t blank = text.find("\n\n");
  if (blank == std::string_view::npos) return std::nullopt;
  const std::size_t start = blank + 2;
  const std::size_t end = text.find('\n', start);
  if (end == std::string_view::npos) return std::nullopt;
  const std::string line(text.substr(start, end - start));
  char s1 = 0, a1 = 0, s2 = 0, a2 = 0;
  long long n1 = 0, n2 = 0;
  if (std::sscanf(line.c_str(), "%c%c %lld %c%c %lld", &s1, &a1, &n1, &s2, &a2, &n2) != 6)
    return std::nullopt;
  if ((s1 != '+' && s1 != '-') || (s2 != '+' && s2 != '-') || a1 == a2 ||
      (a1 != 'X' && a1 != 'Y') || (a2 != 'X' && a2 != 'Y'))
    return std::nullopt;
  return a1 == 'Y' ? size_of(n2, n1) : size_of(n1, n2);
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
      // OS/2 1.x BITMAPCOREHEADER (12 bytes): u16 width, u16 height, bottom-up.
      if (le32(b, 14) == 12) return size_of(le16(b, 18), le16(b, 20));
      const auto height = static_cast<std::int32_t>(le32(b, 22));
      return size_of(static_cast<std::int32_t>(le32(b, 18)),
                     height < 0 ? -std::int64_t{height} : height);
    }
    case ImageFormat::kJpeg: return jpeg_dimensions(b);
    case ImageFormat::kWebp:
      if (b.size() < 25) return std::nullopt;
      if (std::memcmp(b.data() + 12, "VP8L", 4) == 0) {
        const std::uint32_t bits = le32(b, 21);  // 14-bit width-1, 14-bit height-1
        return size_of((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
      }
      if (b.size() < 30) return std::nullopt;
      if (std::memcmp(b.data() + 12, "VP8X", 4) == 0)
        return size_of(std::int64_t{le24(b, 24)} + 1, std::int64_t{le24(b, 27)} + 1);
      if (std::memcmp(b.data() + 12, "VP8 ", 4) == 0)
        return size_of(le16(b, 26) & 0x3FFF, le16(b, 28) & 0x3FFF);
      return std::nullopt;
    case ImageFormat::kTiff: return tiff_dimensions(b);
    case ImageFormat::kExr: return exr_dimensions(b);
    case ImageFormat::kPnm:
    case ImageFormat::kPfm: return pnm_dimensions(b);
    case ImageFormat::kHdr: return hdr_dimensions(b);
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
    case ImageFormat::kExr: return "exr";
    case ImageFormat::kPnm: return "pnm";
    case ImageFormat::kPfm: return "pfm";
    case ImageFormat::kHdr: return "hdr";
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

ImageHeader inspect_header(std::span<const unsigned char> bytes, const std::string& what,
                           const DecodeLimits& limits) {
  const auto format = sniff_format(bytes);
  if (!format) {
    std::string allowed;
    for (int f = 0; f <= static_cast<int>(ImageFormat::kHdr); ++f)
      if (limits.allowed & format_bit(static_cast<ImageFormat>(f)) &&
          static_cast<ImageFormat>(f) > ImageFormat::kBmp)
        allowed += std::string(", ") + to_string(static_cast<ImageFormat>(f));
    throw InputError(what + ": not a PNG, JPEG, TIFF, WebP or BMP file" +
                     (allowed.empty() ? std::string() : " (nor" + allowed.substr(1) + ")"));
  }
  if (!(limits.allowed & format_bit(*format)))
    throw InputError(what + ": " + to_string(*format) +
                     " input is not allowed (rarely used decoder; --allow-format " +
                     to_string(*format) + " reads it)");
  const auto size = peek_dimensions(bytes);
  if (!size)
    throw InputError(what + ": cannot read the image size from the " + to_string(*format) +
                     " header (truncated or malformed)");
  if (std::int64_t{size->h} * size->w > limits.max_pixels)
    throw InputError(what + ": header declares " + wxh_text(*size) + ", more than the limit of " +
                     std::to_string(limits.max_pixels) + " pixels (--max-pixels)");
  return {*format, *size};
}

namespace {

// Animation frames (ANMF chunks) of a WebP; 0 for a still image. Chunks:
// 4-byte id, u32 little-endian size, data padded to an even size.
int webp_frames(std::span<const unsigned char> b) {
  int frames = 0;
  for (std::size_t at = 12; b.size() - at >= 8;) {
    const std::size_t size = le32(b, at + 4);
    if (std::memcmp(b.data() + at, "ANMF", 4) == 0) ++frames;
    const std::size_t padded = size + (size & 1);
    if (padded > b.size() - at - 8) break;
    at += 8 + padded;
  }
  return frames;
}

cv::Mat decode_checked_jpeg(std::span<const unsigned char> bytes, const std::string& what,
                            const DecodeLimits& limits) {
  const JpegLayout layout = read_jpeg_layout(bytes);
  if (layout.scans > kMaxJpegScans)
    throw InputError(what + ": jpeg with " + std::to_string(layout.scans) +
                     " scans, more than the limit of " + std::to_string(kMaxJpegScans) +
                     " (repeated progressive scans make decoding slow)");
  if (!layout.complete) {
    if (!limits.accept_damaged)
      throw InputError(what + ": truncated JPEG (no end-of-image marker)");
    spdlog::warn("{}: truncated JPEG read anyway (--accept-damaged): missing rows are gray", what);
  }
  JpegWarnings warnings;
  cv::Mat decoded = decode_jpeg(bytes, what, {kMaxJpegScans, limits.accept_damaged}, warnings);
  if (warnings.count > 0)
    spdlog::warn("{}: damaged JPEG read anyway (--accept-damaged): {} ({} decoder warning{})", what,
                 warnings.first, warnings.count, warnings.count == 1 ? "" : "s");
  return decoded;
}

// OpenCV reads an OS/2 1.x BMP (12-byte BITMAPCOREHEADER: u16 width, u16
// height, u16 planes, u16 bits; 3-byte palette entries) as gray, never
// marking it colour. The same rows behind a Windows BITMAPINFOHEADER (40
// bytes: i32 width, i32 height, u16 planes, u16 bits, u32 compression 0,
// u32 image size, 2 x i32 resolution, u32 colours used, u32 important; 4-byte
// palette entries) decode as they should. Empty when the file is not an
// uncompressed 1/4/8/24-bit OS/2 BMP that holds its palette.
std::vector<unsigned char> os2_bmp_as_windows(std::span<const unsigned char> b) {
  constexpr std::size_t kCoreEnd = 14 + 12;
  if (b.size() < kCoreEnd || le32(b, 14) != 12) return {};
  const std::uint32_t bits = le16(b, 24);
  if (bits != 1 && bits != 4 && bits != 8 && bits != 24) return {};
  const std::size_t colours = bits <= 8 ? std::size_t{1} << bits : 0;
  const std::size_t pixels = le32(b, 10);
  if (pixels < kCoreEnd + 3 * colours || pixels > b.size()) return {};
  std::vector<unsigned char> out = {'B', 'M'};
  auto put = [&out](std::uint32_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
  };
  const std::size_t offset = 14 + 40 + 4 * colours;
  put(static_cast<std::uint32_t>(offset + b.size() - pixels), 4);
  put(0, 4);
  put(static_cast<std::uint32_t>(offset), 4);
  put(40, 4);
  put(le16(b, 18), 4);
  put(le16(b, 20), 4);
  put(1, 2);
  put(bits, 2);
  for (const std::uint32_t v : {0u, 0u, 2835u, 2835u, static_cast<std::uint32_t>(colours), 0u}) put(v, 4);
  for (std::size_t i = 0; i < colours; ++i) {
    out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(kCoreEnd + 3 * i),
               b.begin() + static_cast<std::ptrdiff_t>(kCoreEnd + 3 * i + 3));
    out.push_back(0);
  }
  out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(pixels), b.end());
  return out;
}

cv::Mat decode_with_opencv(std::span<const unsigned char> bytes, const std::string& what) {
  try {
    const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8U,
                         const_cast<unsigned char*>(bytes.data()));
    return opencv_codecs().imdecode(buffer, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw InputError(what + ": cannot decode: " + e.err);
  }
}

// The decoded pixels as OpenCV lays them out (B, G, R[, A]; gray + alpha as
// 2 channels), from the decoder that reports damage for each format.
cv::Mat decode_mat(std::span<const unsigned char> bytes, const std::string& what, ImageFormat format,
                   const DecodeLimits& limits) {
  switch (format) {
    case ImageFormat::kJpeg: return decode_checked_jpeg(bytes, what, limits);
    case ImageFormat::kPng: return decode_png(bytes, what);
    case ImageFormat::kTiff: {
      const TiffLayout layout = read_tiff_layout(bytes, what);
      if (layout.pages > 1)
        spdlog::warn("{}: tiff with {} pages; only the first is read", what, layout.pages);
      // OpenCV reads 2-sample TIFF as gray and drops the alpha.
      if (layout.samples_per_pixel == 2) return decode_tiff_gray_alpha(bytes, what);
      break;
    }
    case ImageFormat::kWebp:
      if (const int frames = webp_frames(bytes); frames > 0)
        throw InputError(what + ": animated webp (" + std::to_string(frames) +
                         " frames) is not supported; only still images are read");
      break;
    case ImageFormat::kBmp:
      if (const auto windows = os2_bmp_as_windows(bytes); !windows.empty())
        return decode_with_opencv(windows, what);
      break;
    default: break;
  }
  return decode_with_opencv(bytes, what);
}

}  // namespace

JpegLayout read_jpeg_layout(std::span<const unsigned char> b) noexcept {
  JpegLayout layout;
  if (b.size() < 2 || b[0] != 0xFF || b[1] != 0xD8) return layout;
  std::size_t at = 2;
  while (at < b.size()) {
    // Between segments only markers belong; other bytes (libjpeg's
    // "extraneous bytes before marker") are skipped to the next 0xFF.
    if (b[at] != 0xFF) {
      ++at;
      continue;
    }
    while (at < b.size() && b[at] == 0xFF) ++at;  // fill bytes
    if (at >= b.size()) return layout;
    const unsigned marker = b[at++];
    if (marker == 0xD9) {
      layout.complete = true;
      return layout;
    }
    // Markers without a length: TEM, RST0-7, SOI (and a stray stuffed zero).
    if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;
    if (b.size() - at < 2) return layout;
    const std::size_t length = be16(b, at);  // counts its own two bytes
    if (length < 2 || length > b.size() - at) return layout;
    at += length;
    if (marker != 0xDA) continue;
    ++layout.scans;
    // Entropy-coded data: 0xFF 0x00 is a stuffed 0xFF, 0xFF RSTn a restart,
    // 0xFF 0xFF fill; any other 0xFF xx is the next marker.
    while (at + 1 < b.size()) {
      if (b[at] != 0xFF) {
        ++at;
        continue;
      }
      const unsigned next = b[at + 1];
      if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) at += 2;
      else if (next == 0xFF) ++at;
      else break;
    }
    if (at + 1 >= b.size()) return layout;
  }
  return layout;
}

int largest_side(ImageFormat format) noexcept {
  switch (format) {
    case ImageFormat::kJpeg: return 65500;
    case ImageFormat::kWebp: return 16383;
    default: return INT32_MAX;
  }
}

RawImage decode_raw(std::span<const unsigned char> bytes, const std::string& what,
                    const DecodeLimits& limits) {
  const ImageHeader header = inspect_header(bytes, what, limits);
  if (header.format == ImageFormat::kExr) {
    // OpenCV builds that bundle OpenEXR decode it only with this set; it is
    // read once, on the first EXR call.
    static const bool exr_enabled = ::setenv("OPENCV_IO_ENABLE_OPENEXR", "1", 0) == 0;
    (void)exr_enabled;
  }
  quiet_opencv_logging();
  try {
    const cv::Mat decoded = decode_mat(bytes, what, header.format, limits);
    if (decoded.empty()) throw InputError(what + ": cannot decode (corrupt or truncated file)");
    if (decoded.rows != header.size.h || decoded.cols != header.size.w)
      throw InputError(what + ": decoded " + wxh_text({decoded.rows, decoded.cols}) +
                       " but the header declares " + wxh_text(header.size));
    return to_raw(decoded, what);
  } catch (const cv::Exception& e) {
    throw InputError(what + ": cannot decode: " + e.err);
  } catch (const std::bad_alloc&) {
    throw InputError(what + ": out of memory while decoding " + wxh_text(header.size));
  }
}

void apply_orientation(RawImage& raw, int orientation) {
  if (orientation < 2 || orientation > 8) return;
  cv::Mat mat = mat_of(raw);
  cv::Mat out;
  // The same table as OpenCV's own ApplyExifOrientation (loadsave.cpp).
  switch (orientation) {
    case 2: cv::flip(mat, out, 1); break;
    case 3: cv::flip(mat, out, -1); break;
    case 4: cv::flip(mat, out, 0); break;
    case 5: cv::transpose(mat, out); break;
    case 6: cv::transpose(mat, out); cv::flip(out, out, 1); break;
    case 7: cv::transpose(mat, out); cv::flip(out, out, -1); break;
    case 8: cv::transpose(mat, out); cv::flip(out, out, 0); break;
    default: return;
  }
  raw.height = out.rows;
  raw.width = out.cols;
  const std::size_t row_bytes = static_cast<std::size_t>(out.cols) * out.elemSize();
  for (int y = 0; y < out.rows; ++y)
    std::memcpy(raw.bytes.data() + row_bytes * static_cast<std::size_t>(y), out.ptr(y), row_bytes);
}

std::vector<int> encoder_params(ImageFormat format, const EncodeOptions& options) {
  std::vector<int> params;
  if (format == ImageFormat::kJpeg) params = {cv::IMWRITE_JPEG_QUALITY, options.jpeg_quality};
  if (format == ImageFormat::kWebp) params = {cv::IMWRITE_WEBP_QUALITY, options.jpeg_quality};
  // OpenCV 4.6 writes 3-channel float TIFF with lossy SGILOG compression
  // by default; LZW is lossless for every sample type.
  if (format == ImageFormat::kTiff) params = {cv::IMWRITE_TIFF_COMPRESSION, 5};
  if (format == ImageFormat::kExr) params = {cv::IMWRITE_EXR_TYPE, cv::IMWRITE_EXR_TYPE_FLOAT};
  return params;
}

std::vector<unsigned char> encode_mat(const cv::Mat& mat, ImageFormat format,
                                      const EncodeOptions& options) {
  if (format == ImageFormat::kPng && (mat.depth() == CV_8U || mat.depth() == CV_16U)) {
    try {
      return encode_png({mat.data, mat.rows, mat.cols, mat.channels(), mat.depth() == CV_16U,
                         static_cast<std::ptrdiff_t>(mat.step[0])},
                        {options.png_compression, std::max(1, options.threads)});
    } catch (const std::bad_alloc&) {
      throw InputError("encode png: out of memory");
    }
  }
  std::vector<unsigned char> bytes;
  try {
    if (!opencv_codecs().imencode(std::string(".") + to_string(format), mat, bytes,
                                  encoder_params(format, options)))
      throw InputError(std::string("encode ") + to_string(format) + ": the encoder failed");
  } catch (const cv::Exception& e) {
    throw InputError(std::string("encode ") + to_string(format) + ": " + e.err);
  } catch (const std::bad_alloc&) {
    throw InputError(std::string("encode ") + to_string(format) + ": out of memory");
  }
  return bytes;
}

std::vector<unsigned char> encode_raw(const RawView& raw, ImageFormat format,
                                      const EncodeOptions& options) {
  return encode_mat(mat_of(raw), format, options);
}

std::vector<unsigned char> encode_raw(const RawImage& raw, ImageFormat format,
                                      const EncodeOptions& options) {
  return encode_raw(view_of(raw), format, options);
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

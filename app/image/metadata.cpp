// Metadata through libexiv2 0.27, on memory buffers only
// (ImageFactory::open(data, size) gives a MemIo; after writeMetadata() the
// new file is read back from io()). exiv2 reads every format and writes
// JPEG and TIFF; PNG and WebP chunks are written here (see below why).
#include "image/metadata.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <exiv2/exiv2.hpp>
#include <stdexcept>
#include <zlib.h>

namespace tconv::app {

namespace {

// Once per process: XMP toolkit initialisation is not thread-safe when left
// to the first parse, and exiv2's own messages go to the debug log.
void init_exiv2() {
  static const bool done = [] {
    Exiv2::XmpParser::initialize();
    Exiv2::LogMsg::setHandler([](int, const char* message) {
      std::string text(message);
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
      spdlog::debug("exiv2: {}", text);
    });
    return true;
  }();
  (void)done;
}

bool exiv2_handles(ImageFormat format) {
  return format == ImageFormat::kPng || format == ImageFormat::kJpeg ||
         format == ImageFormat::kTiff || format == ImageFormat::kWebp;
}

// Exif.Image (IFD0) tags that describe how the input file stores its pixels
// (TIFF inputs carry them in the same IFD as Make, Model, ...); copied into
// another file they would contradict its pixels. The ICC profile tag is
// carried separately.
constexpr std::array<std::uint16_t, 28> kLayoutTags = {
    0x00fe, 0x00ff, 0x0100, 0x0101, 0x0102, 0x0103, 0x0106, 0x0107, 0x010a, 0x0111,
    0x0115, 0x0116, 0x0117, 0x011c, 0x013d, 0x0140, 0x0142, 0x0143, 0x0144, 0x0145,
    0x014a, 0x0152, 0x0153, 0x0154, 0x0155, 0x015b, 0x0212, 0x8773};

bool carried(const Exiv2::Exifdatum& datum) {
  const std::string group = datum.groupName();
  if (group == "Image")
    return std::find(kLayoutTags.begin(), kLayoutTags.end(), datum.tag()) == kLayoutTags.end() &&
           datum.tag() != 0x02bc && datum.tag() != 0x83bb && datum.tag() != 0x8649;  // XMP, IPTC, Photoshop
  return group == "Photo" || group == "GPSInfo" || group == "Iop" ||
         Exiv2::ExifTags::isMakerGroup(group);
}

void put_be32(std::vector<unsigned char>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<unsigned char>(v >> shift));
}
void put_le32(std::vector<unsigned char>& out, std::uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<unsigned char>(v >> shift));
}
std::uint32_t get_le32(const std::vector<unsigned char>& b, std::size_t at) {
  return b[at] | std::uint32_t{b[at + 1]} << 8 | std::uint32_t{b[at + 2]} << 16 | std::uint32_t{b[at + 3]} << 24;
}

// A PNG chunk: u32 length, type, data, CRC-32 over type and data.
void png_chunk(std::vector<unsigned char>& out, const char* type,
               std::span<const unsigned char> data) {
  put_be32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  put_be32(out, static_cast<std::uint32_t>(
                    ::crc32(0, out.data() + start, static_cast<uInt>(out.size() - start))));
}

// PNG: iCCP ("ICC Profile", zlib method 0) and eXIf (the TIFF blob) right
// after IHDR, as the PNG specification orders them (before PLTE and IDAT).
// exiv2 0.27 writes iCCP with an empty profile name, which libpng rejects
// ("iCCP: bad keyword"), and EXIF as a legacy text chunk; hence by hand.
std::vector<unsigned char> png_with_metadata(const std::vector<unsigned char>& png,
                                             const std::vector<unsigned char>& icc,
                                             const std::vector<unsigned char>& exif) {
  constexpr std::size_t kAfterIhdr = 8 + 12 + 13;
  if (png.size() < kAfterIhdr || std::memcmp(png.data() + 12, "IHDR", 4) != 0)
    throw std::runtime_error("not a PNG with IHDR first");
  std::vector<unsigned char> out(png.begin(), png.begin() + kAfterIhdr);
  if (!icc.empty()) {
    std::vector<unsigned char> data = {'I', 'C', 'C', ' ', 'P', 'r', 'o', 'f', 'i', 'l', 'e', 0, 0};
    uLongf size = ::compressBound(static_cast<uLong>(icc.size()));
    std::vector<unsigned char> z(size);
    if (::compress2(z.data(), &size, icc.data(), static_cast<uLong>(icc.size()), 9) != Z_OK)
      throw std::runtime_error("zlib failed on the ICC profile");
    data.insert(data.end(), z.begin(), z.begin() + static_cast<std::ptrdiff_t>(size));
    png_chunk(out, "iCCP", data);
  }
  if (!exif.empty()) png_chunk(out, "eXIf", exif);
  out.insert(out.end(), png.begin() + kAfterIhdr, png.end());
  return out;
}

// WebP (RIFF): the extended layout VP8X, ICCP, image chunks (ALPH, VP8 /
// VP8L), EXIF, each chunk padded to an even size. VP8X holds the flags
// (0x20 ICC, 0x10 alpha, 0x08 EXIF) and the canvas size minus one (24 bits
// each). exiv2 0.27 writes the ICC chunk under the id "VP8X", so by hand.
std::vector<unsigned char> webp_with_metadata(const std::vector<unsigned char>& webp,
                                              const std::vector<unsigned char>& icc,
                                              const std::vector<unsigned char>& exif) {
  const auto size = peek_dimensions(webp);
  if (!size || webp.size() < 20) throw std::runtime_error("not a WebP file");
  bool alpha = false;
  std::vector<unsigned char> image;
  for (std::size_t at = 12; webp.size() - at >= 8;) {
    const std::uint32_t length = get_le32(webp, at + 4);
    const std::size_t padded = length + (length & 1);
    if (padded > webp.size() - at - 8) throw std::runtime_error("truncated WebP chunk");
    const std::string id(reinterpret_cast<const char*>(webp.data() + at), 4);
    if (id == "VP8X") alpha = alpha || (webp[at + 8] & 0x10);
    if (id == "VP8L" && length >= 5) alpha = alpha || (get_le32(webp, at + 9) >> 28 & 1);
    if (id == "ALPH" || id == "VP8 " || id == "VP8L")
      image.insert(image.end(), webp.begin() + static_cast<std::ptrdiff_t>(at),
                   webp.begin() + static_cast<std::ptrdiff_t>(at + 8 + padded));
    at += 8 + padded;
  }
  auto chunk = [](std::vector<unsigned char>& out, const char* id, std::span<const unsigned char> data) {
    out.insert(out.end(), id, id + 4);
    put_le32(out, static_cast<std::uint32_t>(data.size()));
    out.insert(out.end(), data.begin(), data.end());
    if (data.size() & 1) out.push_back(0);
  };
  std::vector<unsigned char> vp8x(10, 0);
  vp8x[0] = static_cast<unsigned char>((icc.empty() ? 0 : 0x20) | (alpha ? 0x10 : 0) |
                                       (exif.empty() ? 0 : 0x08));
  for (int i = 0; i < 3; ++i) {
    vp8x[static_cast<std::size_t>(4 + i)] = static_cast<unsigned char>((size->w - 1) >> (8 * i));
    vp8x[static_cast<std::size_t>(7 + i)] = static_cast<unsigned char>((size->h - 1) >> (8 * i));
  }
  std::vector<unsigned char> body = {'W', 'E', 'B', 'P'};
  chunk(body, "VP8X", vp8x);
  if (!icc.empty()) chunk(body, "ICCP", icc);
  body.insert(body.end(), image.begin(), image.end());
  if (!exif.empty()) chunk(body, "EXIF", exif);
  std::vector<unsigned char> out = {'R', 'I', 'F', 'F'};
  put_le32(out, static_cast<std::uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::uint32_t get_be16(std::span<const unsigned char> b, std::size_t at) {
  return std::uint32_t{b[at]} << 8 | b[at + 1];
}

// JPEG bytes without their APP2 "ICC_PROFILE" segments. Segments before the
// first scan are FF, marker, u16 length (counting itself), data; from the
// first scan (SOS, DA) on everything is copied as it is.
std::vector<unsigned char> jpeg_without_icc(std::span<const unsigned char> b) {
  std::vector<unsigned char> out(b.begin(), b.begin() + 2);
  std::size_t at = 2;
  while (b.size() - at >= 4 && b[at] == 0xFF && b[at + 1] != 0xDA && b[at + 1] != 0xD9) {
    const std::size_t length = get_be16(b, at + 2);
    if (length < 2 || length > b.size() - at - 2) break;
    const bool icc = b[at + 1] == 0xE2 && length >= 2 + 12 &&
                     std::memcmp(b.data() + at + 4, "ICC_PROFILE", 12) == 0;
    if (!icc) out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(at),
                         b.begin() + static_cast<std::ptrdiff_t>(at + 2 + length));
    at += 2 + length;
  }
  out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(at), b.end());
  return out;
}

// PNG bytes without their iCCP chunk (u32 length, type, data, u32 CRC).
std::vector<unsigned char> png_without_icc(std::span<const unsigned char> b) {
  std::vector<unsigned char> out(b.begin(), b.begin() + 8);
  std::size_t at = 8;
  while (b.size() - at >= 12) {
    const std::size_t length = get_be16(b, at) << 16 | get_be16(b, at + 2);
    if (length > b.size() - at - 12) break;
    if (std::memcmp(b.data() + at + 4, "iCCP", 4) != 0)
      out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(at),
                 b.begin() + static_cast<std::ptrdiff_t>(at + 12 + length));
    at += 12 + length;
  }
  out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(at), b.end());
  return out;
}

Exiv2::Image::AutoPtr read_exiv2(std::span<const unsigned char> bytes) {
  auto image = Exiv2::ImageFactory::open(bytes.data(), static_cast<long>(bytes.size()));
  image->readMetadata();
  return image;
}

}  // namespace

// exiv2 stops reading at the first part it cannot parse, and an invalid ICC
// profile is the usual one; the file is then read again without the profile
// so the EXIF (and its orientation) still count. After that the profile,
// the orientation and the carried EXIF are taken one by one, each with its
// own warning when it fails.
Metadata read_metadata(std::span<const unsigned char> bytes, ImageFormat format,
                       const std::string& what) {
  Metadata md;
  if (!exiv2_handles(format)) return md;
  init_exiv2();
  std::vector<unsigned char> without_icc;  // outlives `image`, which reads it in place
  Exiv2::Image::AutoPtr image;
  try {
    image = read_exiv2(bytes);
  } catch (const std::exception& e) {
    if (format == ImageFormat::kJpeg) without_icc = jpeg_without_icc(bytes);
    if (format == ImageFormat::kPng) without_icc = png_without_icc(bytes);
    try {
      if (without_icc.empty() || without_icc.size() == bytes.size()) throw;
      image = read_exiv2(without_icc);
      md.warnings.push_back(what + ": ICC profile unreadable, not carried: " + e.what());
    } catch (const std::exception& again) {
      md.warnings.push_back(what + ": metadata unreadable, not carried: " + again.what());
      return md;
    }
  }
  try {
    if (image->iccProfileDefined()) {
      const Exiv2::DataBuf* icc = image->iccProfile();
      md.icc.assign(icc->pData_, icc->pData_ + icc->size_);
    }
  } catch (const std::exception& e) {
    md.icc.clear();
    md.warnings.push_back(what + ": ICC profile unreadable, not carried: " + e.what());
  }
  const Exiv2::ExifData& in = image->exifData();
  const Exiv2::ExifKey orientation_key("Exif.Image.Orientation");
  try {
    const auto orientation = in.findKey(orientation_key);
    if (orientation != in.end() && orientation->count() > 0) {
      const long value = orientation->toLong();
      md.orientation = value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
    }
  } catch (const std::exception& e) {
    md.orientation = 1;
    md.warnings.push_back(what + ": EXIF orientation unreadable, not applied: " + e.what());
  }
  try {
    Exiv2::ExifData exif;
    for (const Exiv2::Exifdatum& datum : in) {
      if (datum.key() == orientation_key.key()) exif[orientation_key.key()] = static_cast<std::uint16_t>(1);
      else if (carried(datum)) exif.add(datum);
    }
    if (!exif.empty()) {
      Exiv2::Blob blob;
      Exiv2::ExifParser::encode(blob, Exiv2::littleEndian, exif);
      md.exif.assign(blob.begin(), blob.end());
    }
  } catch (const std::exception& e) {
    md.exif.clear();
    md.warnings.push_back(what + ": EXIF unreadable, not carried: " + e.what());
  }
  return md;
}

std::vector<unsigned char> embed_metadata(std::vector<unsigned char> encoded, ImageFormat format,
                                          const Metadata& metadata, Size2 size,
                                          const std::string& what) {
  if (metadata.empty()) return encoded;
  if (!exiv2_handles(format)) {
    spdlog::debug("{}: {} holds no ICC profile or EXIF; metadata not carried", what,
                  to_string(format));
    return encoded;
  }
  init_exiv2();
  try {
    std::vector<unsigned char> exif_blob;
    if (!metadata.exif.empty()) {
      Exiv2::ExifData exif;
      Exiv2::ExifParser::decode(exif, metadata.exif.data(),
                                static_cast<std::uint32_t>(metadata.exif.size()));
      for (const auto& [key, value] : {std::pair{"Exif.Photo.PixelXDimension", size.w},
                                       std::pair{"Exif.Photo.PixelYDimension", size.h}})
        if (exif.findKey(Exiv2::ExifKey(key)) != exif.end())
          exif[key] = static_cast<std::uint32_t>(value);
      Exiv2::Blob blob;
      Exiv2::ExifParser::encode(blob, Exiv2::littleEndian, exif);
      exif_blob.assign(blob.begin(), blob.end());
    }
    if (format == ImageFormat::kPng) return png_with_metadata(encoded, metadata.icc, exif_blob);
    if (format == ImageFormat::kWebp) return webp_with_metadata(encoded, metadata.icc, exif_blob);
    auto image = Exiv2::ImageFactory::open(encoded.data(), static_cast<long>(encoded.size()));
    image->readMetadata();
    if (!metadata.icc.empty()) {
      Exiv2::DataBuf icc(metadata.icc.data(), static_cast<long>(metadata.icc.size()));
      image->setIccProfile(icc, false);  // carried as it is, even if its header looks odd
    }
    if (!exif_blob.empty()) {
      Exiv2::ExifData exif;
      Exiv2::ExifParser::decode(exif, exif_blob.data(), static_cast<std::uint32_t>(exif_blob.size()));
      image->setExifData(exif);
    }
    image->writeMetadata();
    Exiv2::BasicIo& io = image->io();
    if (io.open() != 0) throw Exiv2::Error(Exiv2::kerDataSourceOpenFailed, "memory");
    const long length = io.size();
    const Exiv2::DataBuf out = io.read(length);
    io.close();
    if (out.size_ != length) throw Exiv2::Error(Exiv2::kerFailedToReadImageData);
    return {out.pData_, out.pData_ + out.size_};
  } catch (const std::exception& e) {
    spdlog::warn("{}: cannot write metadata, written without it: {}", what, e.what());
    return encoded;
  }
}

}  // namespace tconv::app

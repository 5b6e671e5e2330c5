// CLI tests for what the decoders see in damaged, hostile or unusual files:
// truncated and corrupt JPEGs, progressive scan bombs, gray+alpha and
// multi-page TIFF, animated WebP, OS/2 BMP, codec messages kept off stderr
// and output sizes a format cannot store. Files are built here (OpenCV,
// libtiff, bytes written by hand); the real binary runs on them.
#include <tiffio.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "cli/exit_codes.hpp"
#include "cli_support.hpp"
#include "image/image_codecs.hpp"
#include "image/image_io.hpp"
#include "test_images.hpp"

namespace fs = std::filesystem;
using Bytes = std::vector<unsigned char>;

namespace {

using tconv::test::write_bytes;

using Result = tconv::test::CliResult;

Result run(const std::string& args) { return tconv::test::run_cli(TCONV_CLI, args); }

struct TempDir : tconv::test::TempDir {
  TempDir() : tconv::test::TempDir("tconv_codecs_") {}
};


int lines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

// Lines that are errors (a refused file may also get a metadata warning first).
int error_lines(const std::string& text) {
  int n = 0;
  for (std::size_t at = text.find(": error: "); at != std::string::npos; at = text.find(": error: ", at + 1)) ++n;
  return n;
}

// Random 8-bit colour: JPEG cannot compress it much, so the entropy-coded
// data is most of the file and a cut at 60 % lands inside it.
cv::Mat noise(int rows, int cols, int type) {
  cv::Mat m(rows, cols, type);
  cv::theRNG().state = 12345;
  cv::randu(m, 0, 256);
  return m;
}

Bytes encode(const char* ext, const cv::Mat& image, const std::vector<int>& params = {}) {
  Bytes bytes;
  REQUIRE(cv::imencode(ext, image, bytes, params));
  return bytes;
}

// A camera-like JPEG: an APP1 Exif segment right after SOI that holds a
// thumbnail with its own SOI ... EOI, then the main image.
Bytes jpeg_with_thumbnail(const cv::Mat& image) {
  const Bytes main = encode(".jpg", image);
  const Bytes thumbnail = encode(".jpg", noise(8, 8, CV_8UC3));
  const std::size_t length = 2 + 6 + thumbnail.size();  // the length counts its own 2 bytes
  Bytes out;
  out.reserve(4 + length + main.size());
  for (const unsigned v : {0xFFu, 0xD8u, 0xFFu, 0xE1u, unsigned(length >> 8), unsigned(length & 0xFF),
                           unsigned('E'), unsigned('x'), unsigned('i'), unsigned('f'), 0u, 0u})
    out.push_back(static_cast<unsigned char>(v));
  out.insert(out.end(), thumbnail.begin(), thumbnail.end());
  out.insert(out.end(), main.begin() + 2, main.end());
  return out;
}

// Offset of the last 0xFF 0xDA (start of scan) in an OpenCV-written JPEG.
std::size_t last_sos(const Bytes& jpeg) {
  std::size_t last = 0;
  for (std::size_t i = 2; i + 1 < jpeg.size(); ++i)
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA) last = i;
  return last;
}

// The PNG chunk of `type` with `data`: length, type, data, CRC over type and data.
void png_chunk(Bytes& png, const char* type, const Bytes& data) {
  for (int s = 24; s >= 0; s -= 8) png.push_back(static_cast<unsigned char>(data.size() >> s));
  Bytes body(type, type + 4);
  body.insert(body.end(), data.begin(), data.end());
  png.insert(png.end(), body.begin(), body.end());
  const auto crc = static_cast<std::uint32_t>(::crc32(0, body.data(), static_cast<uInt>(body.size())));
  for (int s = 24; s >= 0; s -= 8) png.push_back(static_cast<unsigned char>(crc >> s));
}

Bytes forged_png(std::uint32_t w, std::uint32_t h) {
  Bytes ihdr;
  for (std::uint32_t v : {w, h})
    for (int s = 24; s >= 0; s -= 8) ihdr.push_back(static_cast<unsigned char>(v >> s));
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  png_chunk(png, "IHDR", ihdr);
  return png;
}

}  // namespace

// ---------------------------------------------------------------- damaged JPEG

TEST_CASE("the JPEG marker walk finds the end after the last scan and counts scans", "[cli][jpeg]") {
  const Bytes plain = encode(".jpg", noise(24, 32, CV_8UC3));
  auto layout = tconv::app::read_jpeg_layout(plain);
  CHECK(layout.complete);
  CHECK(layout.scans == 1);
  const Bytes progressive = encode(".jpg", noise(24, 32, CV_8UC3), {cv::IMWRITE_JPEG_PROGRESSIVE, 1});
  layout = tconv::app::read_jpeg_layout(progressive);
  CHECK(layout.complete);
  CHECK(layout.scans == 10);  // libjpeg's default progressive script for colour
  const Bytes camera = jpeg_with_thumbnail(noise(24, 32, CV_8UC3));
  CHECK(tconv::app::read_jpeg_layout(camera).complete);
  // Cut anywhere after the thumbnail: its own end marker must not count.
  for (std::size_t cut = 200; cut + 2 < camera.size(); cut += 97) {
    INFO("cut at " << cut << " of " << camera.size());
    CHECK_FALSE(tconv::app::read_jpeg_layout(std::span(camera).first(cut)).complete);
  }
}

TEST_CASE("a camera JPEG cut at 60 % fails although its thumbnail has an end marker", "[cli][jpeg]") {
  TempDir dir;
  const Bytes camera = jpeg_with_thumbnail(noise(96, 128, CV_8UC3));
  write_bytes(dir / "cut.jpg", Bytes(camera.begin(), camera.begin() + static_cast<std::ptrdiff_t>(camera.size() * 6 / 10)));
  const Result r = run(dir / "cut.jpg -s 2 -o " + dir / "out.png");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("cut.jpg: truncated JPEG (no end-of-image marker)"));
  CHECK(error_lines(r.output) == 1);
  CHECK_FALSE(fs::exists(dir / "out.png"));

  // Every command that reads images decodes through the same check.
  REQUIRE(cv::imwrite(dir / "good.png", noise(96, 128, CV_8UC3)));
  const Result compared = run("compare " + dir / "cut.jpg " + dir / "good.png");
  INFO(compared.output);
  CHECK(compared.exit_code == 1);
  CHECK_THAT(compared.output, Catch::Contains("cut.jpg: truncated JPEG"));

  const Result accepted = run(dir / "cut.jpg -s 2 --accept-damaged -o " + dir / "out.png");
  INFO(accepted.output);
  CHECK(accepted.exit_code == 0);
  CHECK_THAT(accepted.output, Catch::Contains("cut.jpg: truncated JPEG read anyway (--accept-damaged)"));
  CHECK(cv::imread(dir / "out.png").rows == 192);
}

TEST_CASE("a JPEG whose frame claims 16000x16000 over a tiny scan fails quickly", "[cli][jpeg]") {
  TempDir dir;
  Bytes jpeg = encode(".jpg", noise(16, 16, CV_8UC1));
  std::size_t sof = 0;
  for (std::size_t i = 2; i + 1 < jpeg.size() && sof == 0; ++i)
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) sof = i;
  REQUIRE(sof > 0);
  for (const std::size_t at : {sof + 5, sof + 7}) {  // height, then width, big-endian
    jpeg[at] = 16000 >> 8;
    jpeg[at + 1] = 16000 & 0xFF;
  }
  write_bytes(dir / "claims.jpg", jpeg);
  const Result r = run(dir / "claims.jpg -s 1 -o " + dir / "out.png");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("claims.jpg: corrupt jpeg data: premature end of data segment"));
  CHECK(lines(r.output) == 1);
  CHECK(r.seconds < 10.0);
  CHECK_FALSE(fs::exists(dir / "out.png"));
}

TEST_CASE("decoder warnings fail a JPEG; --accept-damaged reads it with a warning, silent under -qq", "[cli][jpeg]") {
  TempDir dir;
  Bytes jpeg = encode(".jpg", noise(32, 48, CV_8UC3));
  // Three bytes before the start-of-scan marker (DA): libjpeg warns
  // "Corrupt JPEG data: 3 extraneous bytes before marker 0xda" and carries on.
  const std::size_t sos = last_sos(jpeg);
  REQUIRE(sos > 0);
  jpeg.insert(jpeg.begin() + static_cast<std::ptrdiff_t>(sos), {0x12, 0x34, 0x56});
  write_bytes(dir / "extra.jpg", jpeg);
  const Result r = run(dir / "extra.jpg -s 2 -o " + dir / "out.png");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("extra.jpg: corrupt jpeg data: 3 extraneous bytes before marker 0xda"));
  CHECK(lines(r.output) == 1);

  const Result accepted = run(dir / "extra.jpg -s 2 --accept-damaged -o " + dir / "out.png");
  INFO(accepted.output);
  CHECK(accepted.exit_code == 0);
  CHECK_THAT(accepted.output, Catch::Contains("extra.jpg: damaged JPEG read anyway (--accept-damaged): corrupt jpeg data"));

  const Result quiet = run(dir / "extra.jpg -s 2 --accept-damaged -qq --overwrite -o " + dir / "out.png");
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.output.empty());
}

TEST_CASE("a progressive JPEG with repeated scans is refused before decoding", "[cli][jpeg]") {
  TempDir dir;
  const Bytes progressive = encode(".jpg", noise(64, 64, CV_8UC3), {cv::IMWRITE_JPEG_PROGRESSIVE, 1});
  write_bytes(dir / "normal.jpg", progressive);
  const Result normal = run(dir / "normal.jpg -s 2 -o " + dir / "normal.png");
  INFO(normal.output);
  CHECK(normal.exit_code == 0);

  // The last scan (SOS header and its data, up to EOI) repeated 300 times.
  const std::size_t sos = last_sos(progressive);
  REQUIRE(sos > 0);
  const Bytes scan(progressive.begin() + static_cast<std::ptrdiff_t>(sos), progressive.end() - 2);
  Bytes bomb(progressive.begin(), progressive.end() - 2);
  for (int i = 0; i < 300; ++i) bomb.insert(bomb.end(), scan.begin(), scan.end());
  bomb.insert(bomb.end(), {0xFF, 0xD9});
  REQUIRE(tconv::app::read_jpeg_layout(bomb).scans == 310);
  write_bytes(dir / "bomb.jpg", bomb);
  const Result r = run(dir / "bomb.jpg -s 2 -o " + dir / "out.png");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("bomb.jpg: jpeg with 310 scans, more than the limit of 100"));
  CHECK(lines(r.output) == 1);
  CHECK(r.seconds < 10.0);

  // The decoder's progress monitor enforces the same limit on its own
  // (accepting damage, so the repeated scans' warnings do not stop it first).
  tconv::app::JpegWarnings warnings;
  CHECK_THROWS_WITH(tconv::app::decode_jpeg(bomb, "bomb.jpg", {100, true}, warnings),
                    Catch::Contains("bomb.jpg: more than 100 scans"));
  CHECK_NOTHROW(tconv::app::decode_jpeg(progressive, "normal.jpg", {100, false}, warnings));
}

TEST_CASE("JPEG and PNG decode to the pixels OpenCV's decoders give", "[cli][kinds]") {
  struct Case {
    const char* ext;
    cv::Mat image;
    std::vector<int> params;
  };
  const std::vector<Case> cases = {
      {".jpg", noise(19, 23, CV_8UC1), {}},
      {".jpg", noise(19, 23, CV_8UC3), {}},
      {".jpg", noise(19, 23, CV_8UC3), {cv::IMWRITE_JPEG_PROGRESSIVE, 1}},
      // Different luma and chroma quality: OpenCV writes 4:4:4 then.
      {".jpg", noise(19, 23, CV_8UC3), {cv::IMWRITE_JPEG_LUMA_QUALITY, 90, cv::IMWRITE_JPEG_CHROMA_QUALITY, 80}},
      {".jpg", noise(19, 23, CV_8UC3), {cv::IMWRITE_JPEG_RST_INTERVAL, 1}},
      {".png", noise(19, 23, CV_8UC1), {}},
      {".png", noise(19, 23, CV_8UC3), {}},
      {".png", noise(19, 23, CV_8UC4), {}},
      {".png", tconv::test::gradient(19, 23, CV_16UC1), {}},
      {".png", tconv::test::gradient(19, 23, CV_16UC3), {}},
      {".png", tconv::test::gradient(19, 23, CV_16UC4), {}},
  };
  for (const Case& c : cases) {
    INFO(c.ext << " " << cv::typeToString(c.image.type()) << " params " << c.params.size());
    const Bytes bytes = encode(c.ext, c.image, c.params);
    const cv::Mat expected = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
    const tconv::app::RawImage raw = tconv::app::decode_raw(bytes, "case");
    REQUIRE(raw.channels == expected.channels());
    REQUIRE(raw.height == expected.rows);
    REQUIRE(raw.width == expected.cols);
    const cv::Mat got(raw.height, raw.width, expected.type(), const_cast<unsigned char*>(raw.bytes.data()));
    CHECK(cv::norm(got, expected, cv::NORM_INF) == 0.0);
  }
}

// ---------------------------------------------------------------- TIFF

namespace {

// A gray+alpha TIFF (2 samples, min-is-black, alpha unassociated) written
// with libtiff: OpenCV cannot write one. `samples` holds gray, alpha pairs.
template <typename T>
void write_gray_alpha_tiff(const std::string& path, int width, int height, const std::vector<T>& samples,
                           bool tiled, bool separate_planes) {
  TIFF* tif = TIFFOpen(path.c_str(), "w");
  REQUIRE(tif != nullptr);
  const std::uint16_t extra[] = {EXTRASAMPLE_UNASSALPHA};
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, width);
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, height);
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 2);
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, static_cast<int>(8 * sizeof(T)));
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
  TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, 1, extra);
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, separate_planes ? PLANARCONFIG_SEPARATE : PLANARCONFIG_CONTIG);
  TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
  const int planes = separate_planes ? 1 : 2;
  // Sample of pixel (x, y) in plane p (p = 0 gray, 1 alpha; both when contiguous).
  auto sample = [&](int x, int y, int p) { return samples[static_cast<std::size_t>((y * width + x) * 2 + p)]; };
  if (tiled) {
    constexpr int kTile = 16;  // TIFF tiles are multiples of 16
    TIFFSetField(tif, TIFFTAG_TILEWIDTH, kTile);
    TIFFSetField(tif, TIFFTAG_TILELENGTH, kTile);
    for (int plane = 0; plane < (separate_planes ? 2 : 1); ++plane)
      for (int ty = 0; ty < height; ty += kTile)
        for (int tx = 0; tx < width; tx += kTile) {
          std::vector<T> tile(static_cast<std::size_t>(kTile * kTile * planes), T{0});
          for (int y = ty; y < std::min(height, ty + kTile); ++y)
            for (int x = tx; x < std::min(width, tx + kTile); ++x)
              for (int p = 0; p < planes; ++p)
                tile[static_cast<std::size_t>(((y - ty) * kTile + (x - tx)) * planes + p)] =
                    sample(x, y, separate_planes ? plane : p);
          REQUIRE(TIFFWriteTile(tif, tile.data(), static_cast<std::uint32_t>(tx), static_cast<std::uint32_t>(ty), 0,
                                static_cast<std::uint16_t>(plane)) >= 0);
        }
  } else {
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 3);
    for (int plane = 0; plane < (separate_planes ? 2 : 1); ++plane)
      for (int y = 0; y < height; ++y) {
        std::vector<T> row(static_cast<std::size_t>(width * planes));
        for (int x = 0; x < width; ++x)
          for (int p = 0; p < planes; ++p)
            row[static_cast<std::size_t>(x * planes + p)] = sample(x, y, separate_planes ? plane : p);
        REQUIRE(TIFFWriteScanline(tif, row.data(), static_cast<std::uint32_t>(y), static_cast<std::uint16_t>(plane)) >= 0);
      }
  }
  TIFFClose(tif);
}

template <typename T>
void check_gray_alpha_round_trip(bool tiled, bool separate_planes) {
  TempDir dir;
  constexpr int kW = 21;
  constexpr int kH = 18;
  constexpr double kMax = sizeof(T) == 1 ? 255.0 : 65535.0;
  std::vector<T> samples(static_cast<std::size_t>(kW * kH * 2));
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) {
      const auto i = static_cast<std::size_t>((y * kW + x) * 2);
      samples[i] = static_cast<T>(kMax * (x + 3 * y) / (kW + 3 * kH));
      samples[i + 1] = static_cast<T>(x < 7 ? kMax : x < 14 ? kMax / 2 : 0);  // opaque, half, clear bands
    }
  write_gray_alpha_tiff(dir / "in.tif", kW, kH, samples, tiled, separate_planes);
  const Result r = run(dir / "in.tif -s 2 -k nearest -o " + dir / "out.png");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("warning") == std::string::npos);
  const cv::Mat out = cv::imread(dir / "out.png", cv::IMREAD_UNCHANGED);
  REQUIRE(out.rows == 2 * kH);
  REQUIRE(out.cols == 2 * kW);
  REQUIRE(out.type() == CV_MAKETYPE(cv::DataType<T>::depth, 4));
  for (int y = 0; y < out.rows; ++y)
    for (int x = 0; x < out.cols; ++x) {
      const auto i = static_cast<std::size_t>((y / 2 * kW + x / 2) * 2);
      const T* bgra = out.ptr<T>(y) + 4 * x;
      INFO("pixel " << y << "," << x);
      REQUIRE(bgra[3] == samples[i + 1]);
      // Nearest copies pixels; fully transparent ones carry no colour.
      const T gray = samples[i + 1] == 0 ? T{0} : samples[i];
      REQUIRE((bgra[0] == gray && bgra[1] == gray && bgra[2] == gray));
    }
}

}  // namespace

TEST_CASE("gray+alpha TIFF (8 and 16-bit) keeps its alpha and depth", "[cli][kinds]") {
  SECTION("8-bit strips") { check_gray_alpha_round_trip<std::uint8_t>(false, false); }
  SECTION("16-bit strips") { check_gray_alpha_round_trip<std::uint16_t>(false, false); }
  SECTION("8-bit tiles") { check_gray_alpha_round_trip<std::uint8_t>(true, false); }
  SECTION("16-bit separate planes") { check_gray_alpha_round_trip<std::uint16_t>(false, true); }
  SECTION("16-bit tiles, separate planes") { check_gray_alpha_round_trip<std::uint16_t>(true, true); }
}

TEST_CASE("a multi-page TIFF gives its first page with a warning naming the page count", "[cli][kinds]") {
  TempDir dir;
  const std::vector<cv::Mat> pages = {noise(6, 5, CV_8UC3), noise(4, 4, CV_8UC3), noise(3, 3, CV_8UC3)};
  REQUIRE(cv::imwritemulti(dir / "pages.tif", pages));
  const Result r = run(dir / "pages.tif -s 2 -k nearest -o " + dir / "out.png");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("pages.tif: tiff with 3 pages; only the first is read"));
  const cv::Mat out = cv::imread(dir / "out.png", cv::IMREAD_UNCHANGED);
  CHECK(out.rows == 12);
  CHECK(out.cols == 10);
}

// ---------------------------------------------------------------- WebP, BMP

TEST_CASE("an animated WebP is refused with its frame count", "[cli][kinds]") {
  TempDir dir;
  // RIFF "WEBP": VP8X (animation flag 0x02, canvas 8x8), ANIM, two ANMF
  // frames, each {x/2, y/2, w-1, h-1, duration: 24 bits each; flags byte}
  // followed by a lossless VP8L frame taken from an OpenCV still.
  const Bytes still = encode(".webp", noise(8, 8, CV_8UC3), {cv::IMWRITE_WEBP_QUALITY, 101});
  REQUIRE(std::memcmp(still.data() + 12, "VP8L", 4) == 0);
  const Bytes vp8l(still.begin() + 12, still.end());
  auto le = [](Bytes& b, std::uint32_t v, int n) {
    for (int i = 0; i < n; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i)));
  };
  auto chunk = [&](Bytes& b, const char* id, const Bytes& data) {
    b.insert(b.end(), id, id + 4);
    le(b, static_cast<std::uint32_t>(data.size()), 4);
    b.insert(b.end(), data.begin(), data.end());
    if (data.size() & 1) b.push_back(0);
  };
  Bytes body = {'W', 'E', 'B', 'P'};
  Bytes vp8x = {0x02, 0, 0, 0};
  le(vp8x, 7, 3);
  le(vp8x, 7, 3);
  chunk(body, "VP8X", vp8x);
  Bytes anim;
  le(anim, 0, 4);  // background colour
  le(anim, 0, 2);  // loop forever
  chunk(body, "ANIM", anim);
  for (int frame = 0; frame < 2; ++frame) {
    Bytes anmf;
    le(anmf, 0, 3);
    le(anmf, 0, 3);
    le(anmf, 7, 3);
    le(anmf, 7, 3);
    le(anmf, 100, 3);
    anmf.push_back(0);
    anmf.insert(anmf.end(), vp8l.begin(), vp8l.end());
    chunk(body, "ANMF", anmf);
  }
  Bytes webp = {'R', 'I', 'F', 'F'};
  le(webp, static_cast<std::uint32_t>(body.size()), 4);
  webp.insert(webp.end(), body.begin(), body.end());
  write_bytes(dir / "anim.webp", webp);
  const Result r = run(dir / "anim.webp -s 2 -o " + dir / "out.png");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("anim.webp: animated webp (2 frames) is not supported"));
  CHECK(lines(r.output) == 1);
}

TEST_CASE("an OS/2 BMP (12-byte core header) is read with its 16-bit size", "[cli][kinds]") {
  TempDir dir;
  // 14-byte file header, BITMAPCOREHEADER {u32 12, u16 width, u16 height,
  // u16 planes, u16 bits}, then 24-bit B, G, R rows bottom-up, each padded
  // to 4 bytes.
  constexpr int kW = 3;
  constexpr int kH = 2;
  const cv::Mat pixels = noise(kH, kW, CV_8UC3);
  constexpr int kRow = (kW * 3 + 3) / 4 * 4;
  constexpr int kOffset = 14 + 12;
  Bytes bmp = {'B', 'M'};
  auto le = [&](std::uint32_t v, int n) {
    for (int i = 0; i < n; ++i) bmp.push_back(static_cast<unsigned char>(v >> (8 * i)));
  };
  le(kOffset + kRow * kH, 4);
  le(0, 4);
  le(kOffset, 4);
  le(12, 4);
  le(kW, 2);
  le(kH, 2);
  le(1, 2);
  le(24, 2);
  for (int y = kH - 1; y >= 0; --y) {
    bmp.insert(bmp.end(), pixels.ptr(y), pixels.ptr(y) + kW * 3);
    for (int pad = kW * 3; pad < kRow; ++pad) bmp.push_back(0);
  }
  const auto dims = tconv::app::peek_dimensions(bmp);
  REQUIRE(dims.has_value());
  CHECK(dims->w == kW);
  CHECK(dims->h == kH);
  write_bytes(dir / "os2.bmp", bmp);
  const Result r = run(dir / "os2.bmp -s 2 -k nearest -o " + dir / "out.png");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const cv::Mat out = cv::imread(dir / "out.png", cv::IMREAD_UNCHANGED);
  REQUIRE(out.rows == 2 * kH);
  REQUIRE(out.cols == 2 * kW);
  for (int y = 0; y < out.rows; ++y)
    for (int x = 0; x < out.cols; ++x) {
      INFO("pixel " << y << "," << x);
      CHECK(out.at<cv::Vec3b>(y, x) == pixels.at<cv::Vec3b>(y / 2, x / 2));
    }
}

// ---------------------------------------------------------------- stderr, output sizes

TEST_CASE("libpng's warnings stay off stderr under -qq", "[cli][kinds]") {
  TempDir dir;
  Bytes png = encode(".png", noise(5, 6, CV_8UC3));
  // A tEXt chunk with a wrong CRC after IHDR: libpng warns "tEXt: CRC error"
  // and skips the chunk (it is ancillary), the image is fine.
  Bytes text;
  png_chunk(text, "tEXt", {'k', 0, 'v'});
  text.back() ^= 0xFF;
  png.insert(png.begin() + 33, text.begin(), text.end());
  write_bytes(dir / "crc.png", png);
  const Result r = run(dir / "crc.png -s 2 -qq -o " + dir / "out.png");
  CHECK(r.exit_code == 0);
  CHECK(r.output.empty());
  const Result debug = run(dir / "crc.png -s 2 -vv --overwrite -o " + dir / "out.png");
  CHECK(debug.exit_code == 0);
  CHECK_THAT(debug.output, Catch::Contains("crc.png: libpng: tEXt: CRC error"));
}

TEST_CASE("outputs larger than JPEG or WebP can store are refused before decoding", "[cli][limits]") {
  TempDir dir;
  // Header-only PNGs: the refusal must come before any decoder runs.
  write_bytes(dir / "wide.png", forged_png(40000, 10));
  const Result jpeg = run(dir / "wide.png -s 2 -o " + dir / "out.jpg");
  INFO(jpeg.output);
  CHECK(jpeg.exit_code == 1);
  CHECK_THAT(jpeg.output, Catch::Contains("wide.png: output 80000x20 is larger than jpeg can store (at most 65500 pixels per side)"));
  CHECK(error_lines(jpeg.output) == 1);
  write_bytes(dir / "tall.png", forged_png(10, 9000));
  const Result webp = run(dir / "tall.png -s 2 -o " + dir / "out.webp");
  INFO(webp.output);
  CHECK(webp.exit_code == 1);
  CHECK_THAT(webp.output, Catch::Contains("tall.png: output 20x18000 is larger than webp can store (at most 16383 pixels per side)"));
  CHECK_FALSE(fs::exists(dir / "out.jpg"));
  CHECK_FALSE(fs::exists(dir / "out.webp"));
  CHECK(tconv::app::largest_side(tconv::app::ImageFormat::kPng) == INT32_MAX);
}

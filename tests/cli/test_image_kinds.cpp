// CLI tests for image kinds, linear light, metadata and the guard rails for
// untrusted input: the real tconv-upsample binary on files built here, with
// oracles computed here (OpenCV, exiv2 and hand-written PNG chunks).
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exiv2/exiv2.hpp>
#include <filesystem>
#include <functional>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>

#include "cli_support.hpp"
#include "image/image_io.hpp"
#include "test_images.hpp"

namespace fs = std::filesystem;
using Bytes = std::vector<unsigned char>;

namespace {

using tconv::test::write_bytes;

using Result = tconv::test::CliResult;

// Runs the binary with `args`; `prefix` goes before it (e.g. "prlimit --as=N").
Result run(const std::string& args, const std::string& prefix = "") {
  return tconv::test::run_cli(prefix.empty() ? TCONV_CLI : prefix + " " + TCONV_CLI, args);
}

// A fresh, empty folder per test, removed afterwards.
struct TempDir : tconv::test::TempDir {
  TempDir() : tconv::test::TempDir("tconv_kinds_") {}
};


void put_be32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>(v >> s));
}
void put_le32(Bytes& b, std::uint32_t v) {
  for (int s = 0; s < 32; s += 8) b.push_back(static_cast<unsigned char>(v >> s));
}
void put_le16(Bytes& b, std::uint32_t v) {
  b.push_back(static_cast<unsigned char>(v));
  b.push_back(static_cast<unsigned char>(v >> 8));
}

// A PNG chunk: length, type, data, CRC over type and data.
void png_chunk(Bytes& png, const char* type, const Bytes& data) {
  put_be32(png, static_cast<std::uint32_t>(data.size()));
  Bytes body(type, type + 4);
  body.insert(body.end(), data.begin(), data.end());
  png.insert(png.end(), body.begin(), body.end());
  put_be32(png, static_cast<std::uint32_t>(::crc32(0, body.data(), static_cast<uInt>(body.size()))));
}

// A PNG written by hand, for the kinds OpenCV cannot write (gray+alpha,
// palettes, transparency keys). `rows` are the packed scanlines (without
// the filter byte); `extra` chunks go between IHDR and IDAT.
Bytes make_png(int w, int h, int depth, int color_type, const std::vector<Bytes>& rows,
               const std::vector<std::pair<const char*, Bytes>>& extra) {
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  Bytes ihdr;
  put_be32(ihdr, static_cast<std::uint32_t>(w));
  put_be32(ihdr, static_cast<std::uint32_t>(h));
  ihdr.insert(ihdr.end(), {static_cast<unsigned char>(depth), static_cast<unsigned char>(color_type), 0, 0, 0});
  png_chunk(png, "IHDR", ihdr);
  for (const auto& [type, data] : extra) png_chunk(png, type, data);
  Bytes raw;
  for (const Bytes& row : rows) {
    raw.push_back(0);  // filter: none
    raw.insert(raw.end(), row.begin(), row.end());
  }
  uLongf size = ::compressBound(static_cast<uLong>(raw.size()));
  Bytes z(size);
  REQUIRE(::compress(z.data(), &size, raw.data(), static_cast<uLong>(raw.size())) == Z_OK);
  z.resize(size);
  png_chunk(png, "IDAT", z);
  png_chunk(png, "IEND", {});
  return png;
}

// Output of `-s 2 -k nearest`: every input pixel becomes a 2x2 block.
cv::Mat nearest2(const cv::Mat& in) {
  cv::Mat out(in.rows * 2, in.cols * 2, in.type());
  for (int y = 0; y < out.rows; ++y)
    for (int x = 0; x < out.cols; ++x)
      std::memcpy(out.ptr(y, x), in.ptr(y / 2, x / 2), in.elemSize());
  return out;
}

// Worst deviation of a x2 bilinear output from the source interpolated at
// ((y + 0.5) / 2 - 0.5, (x + 0.5) / 2 - 0.5) on interior pixels; colour is
// compared premultiplied when there are 4 channels (alpha in [0, alpha_max]).
double bilinear_x2_error(const cv::Mat& in, const cv::Mat& out, double alpha_max) {
  cv::Mat a;
  cv::Mat b;
  in.convertTo(a, CV_64F);
  out.convertTo(b, CV_64F);
  const int c = in.channels();
  if (c == 4)
    for (cv::Mat* m : {&a, &b})
      for (int y = 0; y < m->rows; ++y)
        for (int x = 0; x < m->cols; ++x)
          for (int k = 0; k < 3; ++k) m->ptr<double>(y)[x * 4 + k] *= m->ptr<double>(y)[x * 4 + 3] / alpha_max;
  double worst = 0;
  for (int y = 2; y < b.rows - 2; ++y)
    for (int x = 2; x < b.cols - 2; ++x)
      for (int k = 0; k < c; ++k) {
        const double sy = (y + 0.5) / 2 - 0.5;
        const double sx = (x + 0.5) / 2 - 0.5;
        const int y0 = static_cast<int>(std::floor(sy));
        const int x0 = static_cast<int>(std::floor(sx));
        const double fy = sy - y0;
        const double fx = sx - x0;
        auto at = [&](int yy, int xx) { return a.ptr<double>(yy)[xx * c + k]; };
        const double expected = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
                                fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
        worst = std::max(worst, std::abs(b.ptr<double>(y)[x * c + k] - expected));
      }
  return worst;
}

cv::Mat random_image(int rows, int cols, int type, unsigned seed) {
  cv::Mat m(rows, cols, type);
  cv::theRNG().state = seed;
  if (CV_MAT_DEPTH(type) == CV_32F) cv::randu(m, 0.0, 1.0);
  else cv::randu(m, 0, CV_MAT_DEPTH(type) == CV_8U ? 256 : 65536);
  return m;
}

using tconv::test::gradient;

}  // namespace

// ---------------------------------------------------------------- kinds

TEST_CASE("gray+alpha, palette and transparency-key PNGs decode to the right pixels", "[cli][kinds]") {
  // Palette: red, green, blue, (10, 20, 30); tRNS gives the first three
  // entries alpha 255, 128, 0 and the fourth 255 (missing entries are opaque).
  const Bytes plte = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30};
  const Bytes trns = {255, 128, 0};
  const std::array<std::array<int, 4>, 4> palette_rgba = {
      {{255, 0, 0, 255}, {0, 255, 0, 128}, {0, 0, 255, 0}, {10, 20, 30, 255}}};
  const std::vector<int> indices = {0, 1, 2, 3, 3, 2, 1, 0};  // 4x2
  struct Case {
    std::string name;
    Bytes png;
    // Expected decoded pixel i as RGBA (alpha 255 where the image has none).
    std::function<std::array<int, 4>(int)> pixel;
    int channels;  // of the tool's output: 3 or 4 (gray+alpha is written as RGBA)
    int max;
  };
  std::vector<Case> cases;
  cases.push_back({"palette 8-bit",
                   make_png(4, 2, 8, 3, {{0, 1, 2, 3}, {3, 2, 1, 0}}, {{"PLTE", plte}}),
                   [&](int i) { auto p = palette_rgba[indices[i]]; p[3] = 255; return p; }, 3, 255});
  cases.push_back({"palette 8-bit + tRNS",
                   make_png(4, 2, 8, 3, {{0, 1, 2, 3}, {3, 2, 1, 0}}, {{"PLTE", plte}, {"tRNS", trns}}),
                   [&](int i) { return palette_rgba[indices[i]]; }, 4, 255});
  cases.push_back({"palette 2-bit + tRNS",
                   make_png(4, 2, 2, 3, {{0b00011011}, {0b11100100}}, {{"PLTE", plte}, {"tRNS", trns}}),
                   [&](int i) { return palette_rgba[indices[i]]; }, 4, 255});
  const std::vector<int> grays = {0, 50, 100, 200, 200, 100, 50, 0};
  cases.push_back({"gray 8-bit + tRNS key 100",
                   make_png(4, 2, 8, 0, {{0, 50, 100, 200}, {200, 100, 50, 0}}, {{"tRNS", {0, 100}}}),
                   [&](int i) { const int g = grays[i]; return std::array<int, 4>{g, g, g, g == 100 ? 0 : 255}; }, 4, 255});
  cases.push_back({"gray 4-bit + tRNS key 3",
                   make_png(4, 2, 4, 0, {{0x03, 0x5F}, {0xF5, 0x30}}, {{"tRNS", {0, 3}}}),
                   [&](int i) {
                     const std::array<int, 8> v = {0, 3, 5, 15, 15, 5, 3, 0};
                     const int g = v[static_cast<std::size_t>(i)] * 17;
                     return std::array<int, 4>{g, g, g, v[static_cast<std::size_t>(i)] == 3 ? 0 : 255};
                   }, 4, 255});
  cases.push_back({"gray 16-bit + tRNS key 1000",
                   make_png(2, 2, 16, 0, {{0x03, 0xE8, 0xFF, 0xFF}, {0x00, 0x01, 0x03, 0xE8}}, {{"tRNS", {0x03, 0xE8}}}),
                   [&](int i) {
                     const std::array<int, 4> v = {1000, 65535, 1, 1000};
                     const int g = v[static_cast<std::size_t>(i)];
                     return std::array<int, 4>{g, g, g, g == 1000 ? 0 : 65535};
                   }, 4, 65535});
  cases.push_back({"gray+alpha 8-bit",
                   make_png(2, 2, 8, 4, {{100, 50, 200, 255}, {0, 0, 255, 128}}, {}),
                   [&](int i) {
                     const std::array<std::array<int, 2>, 4> v = {{{100, 50}, {200, 255}, {0, 0}, {255, 128}}};
                     const auto [g, a] = v[static_cast<std::size_t>(i)];
                     return std::array<int, 4>{g, g, g, a};
                   }, 4, 255});
  cases.push_back({"gray+alpha 16-bit",
                   make_png(2, 1, 16, 4, {{0x03, 0xE8, 0xC3, 0x50, 0xEA, 0x60, 0xFF, 0xFF}}, {}),
                   [&](int i) {
                     const std::array<std::array<int, 2>, 2> v = {{{1000, 50000}, {60000, 65535}}};
                     const auto [g, a] = v[static_cast<std::size_t>(i)];
                     return std::array<int, 4>{g, g, g, a};
                   }, 4, 65535});

  for (const Case& c : cases) {
    TempDir dir;
    INFO(c.name);
    write_bytes(dir / "in.png", c.png);
    // Nearest x2: every output pixel is a copy of one decoded input pixel.
    const Result r = run(dir / "in.png -s 2 -k nearest -o " + dir / "out.png");
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const cv::Mat out = cv::imread(dir / "out.png", cv::IMREAD_UNCHANGED);
    REQUIRE(out.channels() == c.channels);
    REQUIRE(out.depth() == (c.max == 255 ? CV_8U : CV_16U));
    const int w = out.cols / 2;
    for (int y = 0; y < out.rows; ++y)
      for (int x = 0; x < out.cols; ++x) {
        const std::array<int, 4> e = c.pixel(y / 2 * w + x / 2);
        for (int k = 0; k < c.channels; ++k) {
          // OpenCV order B, G, R, A; fully transparent pixels carry no colour.
          const int expected = k == 3 ? e[3] : e[3] == 0 ? 0 : e[static_cast<std::size_t>(2 - k)];
          const int got = c.max == 255 ? out.ptr<std::uint8_t>(y)[x * c.channels + k]
                                       : out.ptr<std::uint16_t>(y)[x * c.channels + k];
          INFO("pixel " << y << "," << x << " channel " << k);
          REQUIRE(got == expected);
        }
      }
  }
}

TEST_CASE("float OpenEXR, 16-bit TIFF RGBA and WebP RGBA round-trip", "[cli][kinds]") {
  struct Kind {
    const char* ext;
    int type;
    double tolerance;
    const char* flags;
  };
  const std::vector<Kind> kinds = {
      {"exr", CV_32FC1, 1e-6, "--allow-format exr"}, {"exr", CV_32FC3, 1e-6, "--allow-format exr"},
      {"exr", CV_32FC4, 1e-6, "--allow-format exr"}, {"tif", CV_16UC4, 1.0, ""},
      {"tif", CV_8UC4, 1.0, ""},                      {"webp", CV_8UC4, 12.0, ""},  // written lossy (--quality 95)
  };
  for (const Kind& k : kinds) {
    TempDir dir;
    const std::string in = dir / (std::string("img.") + k.ext);
    cv::Mat src = gradient(12, 10, k.type);
    std::vector<int> params;
    if (std::string(k.ext) == "webp") params = {cv::IMWRITE_WEBP_QUALITY, 101};
    REQUIRE(cv::imwrite(in, src, params));
    const cv::Mat decoded_in = cv::imread(in, cv::IMREAD_UNCHANGED);
    const Result r = run(in + " -s 2 " + k.flags);
    INFO(k.ext << " " << cv::typeToString(k.type) << "\n" << r.output);
    REQUIRE(r.exit_code == 0);
    const cv::Mat out = cv::imread(dir / (std::string("img_x2.") + k.ext), cv::IMREAD_UNCHANGED);
    REQUIRE(out.rows == 24);
    REQUIRE(out.cols == 20);
    REQUIRE(out.type() == decoded_in.type());
    const double alpha_max = CV_MAT_DEPTH(k.type) == CV_8U ? 255 : CV_MAT_DEPTH(k.type) == CV_16U ? 65535 : 1;
    CHECK(bilinear_x2_error(decoded_in, out, alpha_max) <= k.tolerance);
  }
}

TEST_CASE("float OpenEXR keeps values above 1 and below 0 exactly with nearest", "[cli][kinds]") {
  TempDir dir;
  cv::Mat src = random_image(5, 7, CV_32FC3, 7);
  src = src * 40.0 - 10.0;  // HDR range [-10, 30]
  REQUIRE(cv::imwrite(dir / "hdr.exr", src));
  const Result r = run(dir / "hdr.exr -s 2 -k nearest --allow-format exr");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const cv::Mat out = cv::imread(dir / "hdr_x2.exr", cv::IMREAD_UNCHANGED);
  REQUIRE(out.type() == CV_32FC3);
  CHECK(cv::norm(out, nearest2(src), cv::NORM_INF) == 0.0);
}

// ---------------------------------------------------------------- linear light

namespace {
double srgb_to_linear(double v) { return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); }
double linear_to_srgb(double v) { return v <= 0.0031308 ? v * 12.92 : 1.055 * std::pow(v, 1 / 2.4) - 0.055; }
}  // namespace

TEST_CASE("linear light (--linear) upsamples in linear light and keeps the edge's brightness", "[cli][linear]") {
  TempDir dir;
  // Alternating black and white columns: every output pixel lies on an edge.
  cv::Mat src(6, 16, CV_8UC1);
  for (int y = 0; y < src.rows; ++y)
    for (int x = 0; x < src.cols; ++x) src.at<std::uint8_t>(y, x) = x % 2 ? 255 : 0;
  REQUIRE(cv::imwrite(dir / "edge.png", src));
  const Result lin = run(dir / "edge.png -s 2 --linear -o " + dir / "lin.png");
  const Result plain = run(dir / "edge.png -s 2 -o " + dir / "plain.png");
  INFO(lin.output << plain.output);
  REQUIRE(lin.exit_code == 0);
  REQUIRE(plain.exit_code == 0);
  const cv::Mat a = cv::imread(dir / "lin.png", cv::IMREAD_UNCHANGED);
  const cv::Mat b = cv::imread(dir / "plain.png", cv::IMREAD_UNCHANGED);
  REQUIRE(a.type() == CV_8UC1);
  // Oracle: decode, bilinear x2 in linear light, encode, round.
  cv::Mat linear_in(src.size(), CV_64F);
  for (int y = 0; y < src.rows; ++y)
    for (int x = 0; x < src.cols; ++x) linear_in.at<double>(y, x) = srgb_to_linear(src.at<std::uint8_t>(y, x) / 255.0);
  double mean_in = 0;
  double mean_lin = 0;
  double mean_plain = 0;
  int n = 0;
  int worst = 0;
  for (int y = 2; y < a.rows - 2; ++y)
    for (int x = 2; x < a.cols - 2; ++x) {
      const double sx = (x + 0.5) / 2 - 0.5;
      const int x0 = static_cast<int>(std::floor(sx));
      const double fx = sx - x0;
      const double l = (1 - fx) * linear_in.at<double>(y / 2, x0) + fx * linear_in.at<double>(y / 2, x0 + 1);
      const int expected = static_cast<int>(std::lround(linear_to_srgb(l) * 255));
      worst = std::max(worst, std::abs(a.at<std::uint8_t>(y, x) - expected));
      mean_in += l;
      mean_lin += srgb_to_linear(a.at<std::uint8_t>(y, x) / 255.0);
      mean_plain += srgb_to_linear(b.at<std::uint8_t>(y, x) / 255.0);
      ++n;
    }
  mean_in /= n;
  mean_lin /= n;
  mean_plain /= n;
  INFO("mean linear luminance: input " << mean_in << ", --linear " << mean_lin << ", without " << mean_plain);
  CHECK(worst <= 1);
  CHECK(std::abs(mean_in - 0.5) < 1e-12);
  CHECK(std::abs(mean_lin - mean_in) < 2e-3);  // quantisation only
  CHECK(mean_plain < mean_in - 0.15);          // gamma-space interpolation darkens the edge
}

TEST_CASE("linear light (--linear) leaves alpha linear and float images unchanged", "[cli][linear]") {
  TempDir dir;
  const cv::Mat rgba = gradient(8, 8, CV_16UC4);
  REQUIRE(cv::imwrite(dir / "a.png", rgba));
  REQUIRE(run(dir / "a.png -s 2 --linear -o " + dir / "lin.png").exit_code == 0);
  REQUIRE(run(dir / "a.png -s 2 -o " + dir / "plain.png").exit_code == 0);
  const cv::Mat lin = cv::imread(dir / "lin.png", cv::IMREAD_UNCHANGED);
  const cv::Mat plain = cv::imread(dir / "plain.png", cv::IMREAD_UNCHANGED);
  cv::Mat alpha_lin;
  cv::Mat alpha_plain;
  cv::extractChannel(lin, alpha_lin, 3);
  cv::extractChannel(plain, alpha_plain, 3);
  CHECK(cv::norm(alpha_lin, alpha_plain, cv::NORM_INF) == 0.0);
  CHECK(cv::norm(lin, plain, cv::NORM_INF) > 0.0);  // colour did change

  const cv::Mat f = gradient(8, 8, CV_32FC3);
  REQUIRE(cv::imwrite(dir / "f.tif", f, {cv::IMWRITE_TIFF_COMPRESSION, 5}));
  const Result r = run(dir / "f.tif -s 2 --linear -o " + dir / "flin.tif");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("taken as linear light already"));
  REQUIRE(run(dir / "f.tif -s 2 -o " + dir / "fplain.tif").exit_code == 0);
  CHECK(cv::norm(cv::imread(dir / "flin.tif", cv::IMREAD_UNCHANGED),
                 cv::imread(dir / "fplain.tif", cv::IMREAD_UNCHANGED), cv::NORM_INF) < 1e-6);
}

// ---------------------------------------------------------------- metadata

namespace {

// A small but well-formed ICC profile: 128-byte header (size, 'acsp'
// signature at 36) and an empty tag table, padded with a recognisable tail.
Bytes fake_icc() {
  Bytes icc(132 + 64, 0);
  const auto size = static_cast<std::uint32_t>(icc.size());
  for (int i = 0; i < 4; ++i) icc[static_cast<std::size_t>(i)] = static_cast<unsigned char>(size >> (24 - 8 * i));
  std::memcpy(icc.data() + 4, "tcnv", 4);
  icc[8] = 4;  // version 4.0
  std::memcpy(icc.data() + 12, "mntrRGB XYZ ", 12);
  std::memcpy(icc.data() + 36, "acsp", 4);
  // PCS illuminant D50 as s15Fixed16 X, Y, Z (libpng checks it).
  for (const auto& [at, v] : {std::pair{68, 0x0000F6D6u}, std::pair{72, 0x00010000u}, std::pair{76, 0x0000D32Du}})
    for (int i = 0; i < 4; ++i) icc[static_cast<std::size_t>(at + i)] = static_cast<unsigned char>(v >> (24 - 8 * i));
  for (std::size_t i = 132; i < icc.size(); ++i) icc[i] = static_cast<unsigned char>(i * 7);
  return icc;
}

void add_metadata(const std::string& path, int orientation, const Bytes& icc) {
  auto image = Exiv2::ImageFactory::open(path);
  image->readMetadata();
  Exiv2::ExifData exif;
  exif["Exif.Image.Make"] = "tconv test camera";
  exif["Exif.Image.Orientation"] = static_cast<std::uint16_t>(orientation);
  exif["Exif.Photo.UserComment"] = "charset=Ascii kept";
  image->setExifData(exif);
  const bool png = fs::path(path).extension() == ".png";
  if (!icc.empty() && !png) {
    Exiv2::DataBuf buf(icc.data(), static_cast<long>(icc.size()));
    image->setIccProfile(buf);
  }
  image->writeMetadata();
  if (icc.empty() || !png) return;
  // exiv2 0.27 writes iCCP with an empty name, which libpng rejects: by hand.
  Bytes bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  Bytes data = {'t', 'e', 's', 't', 0, 0};
  uLongf size = ::compressBound(static_cast<uLong>(icc.size()));
  Bytes z(size);
  REQUIRE(::compress(z.data(), &size, icc.data(), static_cast<uLong>(icc.size())) == Z_OK);
  data.insert(data.end(), z.begin(), z.begin() + static_cast<std::ptrdiff_t>(size));
  Bytes out(bytes.begin(), bytes.begin() + 33);  // signature + IHDR
  png_chunk(out, "iCCP", data);
  out.insert(out.end(), bytes.begin() + 33, bytes.end());
  write_bytes(path, out);
}

struct ReadBack {
  Bytes icc;
  bool has_exif = false;
  long orientation = -1;  // -1: tag absent
  std::string make;
};

ReadBack read_back(const std::string& path) {
  auto image = Exiv2::ImageFactory::open(path);
  image->readMetadata();
  ReadBack r;
  if (image->iccProfileDefined())
    r.icc.assign(image->iccProfile()->pData_, image->iccProfile()->pData_ + image->iccProfile()->size_);
  const Exiv2::ExifData& exif = image->exifData();
  r.has_exif = !exif.empty();
  const auto o = exif.findKey(Exiv2::ExifKey("Exif.Image.Orientation"));
  if (o != exif.end()) r.orientation = o->toLong();
  const auto m = exif.findKey(Exiv2::ExifKey("Exif.Image.Make"));
  if (m != exif.end()) r.make = m->toString();
  return r;
}

// The displayed image for EXIF orientation `o` of the stored image `s`.
cv::Mat oriented(const cv::Mat& s, int o) {
  const int h = s.rows;
  const int w = s.cols;
  const bool swap = o >= 5;
  cv::Mat d(swap ? w : h, swap ? h : w, s.type());
  for (int y = 0; y < d.rows; ++y)
    for (int x = 0; x < d.cols; ++x) {
      int sy = y;
      int sx = x;
      switch (o) {
        case 2: sx = w - 1 - x; break;
        case 3: sy = h - 1 - y; sx = w - 1 - x; break;
        case 4: sy = h - 1 - y; break;
        case 5: sy = x; sx = y; break;
        case 6: sy = h - 1 - x; sx = y; break;
        case 7: sy = h - 1 - x; sx = w - 1 - y; break;
        case 8: sy = x; sx = w - 1 - y; break;
        default: break;
      }
      std::memcpy(d.ptr(y, x), s.ptr(sy, sx), s.elemSize());
    }
  return d;
}

}  // namespace

TEST_CASE("ICC profile and EXIF are carried, the orientation applied and reset", "[cli][metadata]") {
  const Bytes icc = fake_icc();
  struct Case {
    std::string in_ext;
    std::string out_ext;
    int type;
  };
  for (const Case& c : std::vector<Case>{{"png", "png", CV_8UC3}, {"jpg", "jpg", CV_8UC3},
                                          {"jpg", "png", CV_8UC3}, {"png", "tif", CV_8UC3},
                                          {"png", "tif", CV_16UC4}, {"png", "webp", CV_8UC3},
                                          {"png", "webp", CV_8UC4}, {"png", "png", CV_16UC4},
                                          {"tif", "jpg", CV_8UC3}}) {
    TempDir dir;
    INFO(c.in_ext << " -> " << c.out_ext << " " << cv::typeToString(c.type));
    const std::string in = dir / ("in." + c.in_ext);
    REQUIRE(cv::imwrite(in, gradient(8, 6, c.type)));
    add_metadata(in, 1, icc);
    REQUIRE(read_back(in).icc == icc);  // the fixture itself is right
    const std::string out = dir / ("out." + c.out_ext);
    const Result r = run(in + " -s 2 -o " + out);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.output, !Catch::Contains("warning"));
    const ReadBack back = read_back(out);
    CHECK(back.icc == icc);
    CHECK(back.make == "tconv test camera");
    CHECK(back.orientation == 1);
    // Writing the metadata leaves the pixels as the encoder wrote them.
    const cv::Mat pixels = cv::imread(out, cv::IMREAD_UNCHANGED);
    const std::string bare = dir / ("bare." + c.out_ext);
    REQUIRE(run(in + " -s 2 --strip -o " + bare).exit_code == 0);
    CHECK(read_back(bare).icc.empty());
    const cv::Mat expected = cv::imread(bare, cv::IMREAD_UNCHANGED);
    REQUIRE(pixels.rows == 16);
    REQUIRE(pixels.cols == 12);
    REQUIRE(pixels.type() == expected.type());
    CHECK(cv::norm(pixels, expected, cv::NORM_INF) == 0.0);
  }
}

TEST_CASE("every EXIF orientation is applied to the pixels", "[cli][metadata]") {
  const cv::Mat stored = random_image(3, 5, CV_8UC3, 11);
  for (int o = 1; o <= 8; ++o) {
    TempDir dir;
    INFO("orientation " << o);
    REQUIRE(cv::imwrite(dir / "in.png", stored));
    add_metadata(dir / "in.png", o, {});
    const Result r = run(dir / "in.png -s 2 -k nearest -o " + dir / "out.png");
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const cv::Mat out = cv::imread(dir / "out.png", cv::IMREAD_UNCHANGED);
    const cv::Mat expected = nearest2(oriented(stored, o));
    REQUIRE(out.size() == expected.size());
    CHECK(cv::norm(out, expected, cv::NORM_INF) == 0.0);
    CHECK(read_back(dir / "out.png").orientation == 1);
  }
}

TEST_CASE("a JPEG with orientation 6 comes out rotated with orientation 1", "[cli][metadata]") {
  TempDir dir;
  // 8x8 blocks of flat colour survive JPEG well: compare block centres.
  cv::Mat stored(16, 32, CV_8UC3);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 32; ++x)
      stored.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(40 * (x / 8)), static_cast<uchar>(120 * (y / 8)), 200);
  REQUIRE(cv::imwrite(dir / "in.jpg", stored, {cv::IMWRITE_JPEG_QUALITY, 100}));
  add_metadata(dir / "in.jpg", 6, fake_icc());
  const Result r = run(dir / "in.jpg -s 2 -k nearest --quality 100 -o " + dir / "out.png");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const cv::Mat out = cv::imread(dir / "out.png", cv::IMREAD_UNCHANGED);
  REQUIRE(out.rows == 64);
  REQUIRE(out.cols == 32);
  const cv::Mat expected = nearest2(oriented(stored, 6));
  for (int y = 8; y < 64; y += 16)
    for (int x = 8; x < 32; x += 16) {
      INFO("pixel " << y << "," << x);
      CHECK(cv::norm(out.at<cv::Vec3b>(y, x), expected.at<cv::Vec3b>(y, x), cv::NORM_INF) <= 4);
    }
  CHECK(read_back(dir / "out.png").orientation == 1);
}

TEST_CASE("a JPEG with orientation 6 and a malformed ICC profile still comes out rotated", "[cli][metadata]") {
  TempDir dir;
  const cv::Mat stored = random_image(16, 24, CV_8UC3, 5);
  REQUIRE(cv::imwrite(dir / "in.jpg", stored, {cv::IMWRITE_JPEG_QUALITY, 100}));
  add_metadata(dir / "in.jpg", 6, fake_icc());
  // APP2 "ICC_PROFILE\0", sequence number, count, then the profile, whose
  // first 4 bytes give its size: claim far more than the segment holds.
  Bytes bytes;
  {
    std::ifstream in(dir / "in.jpg", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string tag("ICC_PROFILE\0", 12);
  const auto at = std::search(bytes.begin(), bytes.end(), tag.begin(), tag.end());
  REQUIRE(at != bytes.end());
  const auto profile = at + 14;
  for (int i = 0; i < 4; ++i) profile[i] = 0x7F;
  write_bytes(dir / "in.jpg", bytes);
  const Result r = run(dir / "in.jpg -s 2 -k nearest -o " + dir / "out.png");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("in.jpg: ICC profile unreadable, not carried"));
  const cv::Mat out = cv::imread(dir / "out.png", cv::IMREAD_UNCHANGED);
  REQUIRE(out.rows == 48);
  REQUIRE(out.cols == 32);
  // The decoded input (JPEG is lossy), turned by the orientation, then x2.
  const cv::Mat decoded = cv::imread(dir / "in.jpg", cv::IMREAD_UNCHANGED | cv::IMREAD_IGNORE_ORIENTATION);
  CHECK(cv::norm(out, nearest2(oriented(decoded, 6)), cv::NORM_INF) == 0.0);
  const ReadBack back = read_back(dir / "out.png");
  CHECK(back.make == "tconv test camera");
  CHECK(back.orientation == 1);
  CHECK(back.icc.empty());
}

TEST_CASE("metadata stripping (--strip) writes no ICC profile and no EXIF but still applies the orientation", "[cli][metadata]") {
  TempDir dir;
  const cv::Mat stored = random_image(3, 5, CV_8UC3, 3);
  REQUIRE(cv::imwrite(dir / "in.png", stored));
  add_metadata(dir / "in.png", 8, fake_icc());
  for (const std::string ext : {"png", "jpg", "tif", "webp"}) {
    INFO(ext);
    const Result r = run(dir / "in.png -s 2 -k nearest --strip -o " + dir / ("out." + ext));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const ReadBack back = read_back(dir / ("out." + ext));
    CHECK(back.icc.empty());
    CHECK(back.make.empty());
    CHECK(back.orientation != 8);
    const cv::Mat out = cv::imread(dir / ("out." + ext), cv::IMREAD_UNCHANGED);
    CHECK(out.rows == 10);
    CHECK(out.cols == 6);
  }
}

TEST_CASE("formats without metadata support lose it without an error", "[cli][metadata]") {
  TempDir dir;
  REQUIRE(cv::imwrite(dir / "in.png", gradient(6, 6, CV_8UC3)));
  add_metadata(dir / "in.png", 1, fake_icc());
  const Result r = run(dir / "in.png -s 2 -vv -o " + dir / "out.bmp");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("bmp holds no ICC profile or EXIF"));
  CHECK(cv::imread(dir / "out.bmp").rows == 12);
}

// ---------------------------------------------------------------- guard rails

TEST_CASE("headers of every format are read without decoding", "[cli][limits]") {
  struct Case {
    const char* ext;
    int type;
  };
  for (const Case& c : std::vector<Case>{{".png", CV_8UC3}, {".jpg", CV_8UC3}, {".bmp", CV_8UC3},
                                         {".webp", CV_8UC3}, {".tif", CV_8UC3}, {".tif", CV_16UC1},
                                         {".tif", CV_32FC4}, {".exr", CV_32FC3}, {".ppm", CV_8UC3},
                                         {".pgm", CV_16UC1}, {".pfm", CV_32FC3}, {".hdr", CV_32FC3}}) {
    const cv::Mat img = gradient(23, 37, c.type);
    Bytes bytes;
    REQUIRE(cv::imencode(c.ext, img, bytes));
    INFO(c.ext << " " << cv::typeToString(c.type));
    const auto dims = tconv::app::peek_dimensions(bytes);
    REQUIRE(dims.has_value());
    CHECK(dims->w == 37);
    CHECK(dims->h == 23);
    // Cut anywhere inside the header: no size, no crash.
    for (std::size_t cut = 0; cut < std::min<std::size_t>(bytes.size(), 40); ++cut) {
      const auto partial = tconv::app::peek_dimensions(std::span(bytes).first(cut));
      if (partial) CHECK((partial->w == 37 && partial->h == 23));
    }
  }
}

TEST_CASE("header parsing survives mutated and truncated headers", "[cli][limits]") {
  // Under the asan preset this checks every read stays in bounds.
  std::mt19937 rng(2024);
  for (const char* ext : {".png", ".jpg", ".bmp", ".webp", ".tif", ".exr", ".ppm", ".pfm", ".hdr"}) {
    const int type = std::string(ext) == ".exr" || std::string(ext) == ".pfm" || std::string(ext) == ".hdr" ? CV_32FC3 : CV_8UC3;
    Bytes valid;
    REQUIRE(cv::imencode(ext, gradient(9, 11, type), valid));
    INFO(ext << " seed 2024");
    int sized = 0;
    for (int i = 0; i < 3000; ++i) {
      Bytes b(valid.begin(), valid.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(valid.size(), 256)));
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) b[rng() % b.size()] = static_cast<unsigned char>(rng());
      b.resize(rng() % (b.size() + 1));
      const auto dims = tconv::app::peek_dimensions(b);
      if (dims) {
        ++sized;
        CHECK((dims->w >= 1 && dims->h >= 1));
      }
    }
    CHECK(sized > 0);
  }
}

namespace {

// Forged headers declaring `w` x `h` with (almost) no pixel data.
Bytes forged_png(std::uint32_t w, std::uint32_t h) {
  Bytes ihdr;
  put_be32(ihdr, w);
  put_be32(ihdr, h);
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  png_chunk(png, "IHDR", ihdr);
  return png;
}

Bytes forged_jpeg(std::uint32_t w, std::uint32_t h) {
  return {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
          0xFF, 0xC0, 0x00, 0x11, 8, static_cast<unsigned char>(h >> 8), static_cast<unsigned char>(h),
          static_cast<unsigned char>(w >> 8), static_cast<unsigned char>(w), 3,
          1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0};
}

Bytes forged_bmp(std::uint32_t w, std::uint32_t h) {
  Bytes b = {'B', 'M'};
  put_le32(b, 54);
  put_le32(b, 0);
  put_le32(b, 54);
  put_le32(b, 40);
  put_le32(b, w);
  put_le32(b, h);
  put_le16(b, 1);
  put_le16(b, 24);
  for (int i = 0; i < 6; ++i) put_le32(b, 0);
  return b;
}

Bytes forged_webp_vp8x(std::uint32_t w, std::uint32_t h) {
  Bytes b = {'R', 'I', 'F', 'F'};
  put_le32(b, 22);
  b.insert(b.end(), {'W', 'E', 'B', 'P', 'V', 'P', '8', 'X'});
  put_le32(b, 10);
  b.insert(b.end(), {0, 0, 0, 0});
  for (std::uint32_t v : {w - 1, h - 1})
    b.insert(b.end(), {static_cast<unsigned char>(v), static_cast<unsigned char>(v >> 8),
                       static_cast<unsigned char>(v >> 16)});
  return b;
}

Bytes forged_webp_vp8l(std::uint32_t w, std::uint32_t h) {
  Bytes b = {'R', 'I', 'F', 'F'};
  put_le32(b, 20);
  b.insert(b.end(), {'W', 'E', 'B', 'P', 'V', 'P', '8', 'L'});
  put_le32(b, 5);
  b.push_back(0x2f);
  put_le32(b, (w - 1) | ((h - 1) << 14));
  b.insert(b.end(), {0, 0, 0});
  return b;
}

Bytes forged_tiff(std::uint32_t w, std::uint32_t h) {
  Bytes b = {'I', 'I', 42, 0};
  put_le32(b, 8);
  put_le16(b, 4);  // entries
  const std::array<std::array<std::uint32_t, 3>, 4> entries = {{{256, 4, w}, {257, 4, h}, {258, 3, 8}, {277, 3, 3}}};
  for (const auto& [tag, type, value] : entries) {
    put_le16(b, tag);
    put_le16(b, type);
    put_le32(b, 1);
    put_le32(b, value);
  }
  put_le32(b, 0);
  return b;
}

Bytes forged_bigtiff(std::uint32_t w, std::uint32_t h) {
  Bytes b = {'I', 'I', 43, 0, 8, 0, 0, 0};
  put_le32(b, 16);
  put_le32(b, 0);
  put_le32(b, 2);  // u64 entry count
  put_le32(b, 0);
  for (const auto& [tag, value] : {std::pair{256u, w}, std::pair{257u, h}}) {
    put_le16(b, tag);
    put_le16(b, 16);  // LONG8
    put_le32(b, 1);
    put_le32(b, 0);
    put_le32(b, value);
    put_le32(b, 0);
  }
  return b;
}

Bytes forged_exr(std::uint32_t w, std::uint32_t h) {
  Bytes b = {0x76, 0x2f, 0x31, 0x01, 2, 0, 0, 0};
  auto text = [&](const char* s) { b.insert(b.end(), s, s + std::strlen(s) + 1); };
  text("dataWindow");
  text("box2i");
  put_le32(b, 16);
  for (std::uint32_t v : {0u, 0u, w - 1, h - 1}) put_le32(b, v);
  b.push_back(0);
  return b;
}

Bytes text_bytes(const std::string& s) { return {s.begin(), s.end()}; }

}  // namespace

TEST_CASE("forged headers declaring huge images are refused quickly and without allocating", "[cli][limits]") {
  TempDir dir;
  constexpr std::uint32_t kW = 60000;
  constexpr std::uint32_t kH = 50000;  // 3 Gpx: 9 GB as 8-bit RGB
  struct Case {
    std::string name;
    Bytes bytes;
    std::string flags;
  };
  const std::vector<Case> cases = {
      {"bomb.png", forged_png(kW, kH), ""},
      {"bomb.jpg", forged_jpeg(kW, kH), ""},
      {"bomb.bmp", forged_bmp(kW, kH), ""},
      {"bomb_vp8x.webp", forged_webp_vp8x(kW, kH), ""},
      {"bomb_vp8l.webp", forged_webp_vp8l(16384, 16384), " --max-pixels 100000000"},
      {"bomb.tif", forged_tiff(kW, kH), ""},
      {"bomb_big.tif", forged_bigtiff(kW, kH), ""},
      {"bomb.exr", forged_exr(kW, kH), " --allow-format exr"},
      {"bomb.ppm", text_bytes("P6\n# c\n60000 50000\n255\n"), " --allow-format pnm"},
      {"bomb.pfm", text_bytes("PF\n60000 50000\n-1.0\n"), " --allow-format pfm"},
      {"bomb.hdr", text_bytes("#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 50000 +X 60000\n"), " --allow-format hdr"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    write_bytes(dir / c.name, c.bytes);
    const auto dims = tconv::app::peek_dimensions(c.bytes);
    REQUIRE(dims.has_value());
    // 600 MB of address space: a decoder that allocated from the header would fail.
    const Result r = run(dir / c.name + " -s 2 -o " + dir / "out.png" + c.flags, "prlimit --as=600000000");
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.output, Catch::Contains("header declares WxH " + std::to_string(dims->w) + "x" +
                                         std::to_string(dims->h) + ", more than the limit of"));
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
    CHECK(r.seconds < 30.0);  // process start-up dominates; generous for loaded CI machines
    CHECK_FALSE(fs::exists(dir / "out.png"));
  }
}

TEST_CASE("a decoder that runs out of memory is a per-file error, not a crash", "[cli][limits]") {
  TempDir dir;
  // 20000 x 20000 RGB declared (1.2 GB): under --max-pixels, so OpenCV's PNM
  // decoder allocates from the header, which fails under 600 MB.
  write_bytes(dir / "big.ppm", text_bytes("P6\n20000 20000\n255\n0123456789abcdef"));
  const Result r = run(dir / "big.ppm -s 1 --allow-format pnm --max-pixels 500000000 --max-output-pixels 500000000 -o " +
                           dir / "out.png",
                       "prlimit --as=600000000");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("big.ppm: "));
  CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  CHECK_FALSE(fs::exists(dir / "out.png"));
}

TEST_CASE("the output size is checked against --max-output-pixels before decoding", "[cli][limits]") {
  TempDir dir;
  // A header-only PNG: the refusal must come before the decoder sees it.
  write_bytes(dir / "in.png", forged_png(5000, 4000));
  const Result r = run(dir / "in.png -s 4 -o " + dir / "out.png");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("output WxH 20000x16000 has more than the limit of 268435456 pixels (--max-output-pixels)"));
  const Result lowered = run(dir / "in.png -s 2 --max-output-pixels 1000 -o " + dir / "out.png");
  CHECK(lowered.exit_code == 1);
  CHECK_THAT(lowered.output, Catch::Contains("output WxH 10000x8000 has more than the limit of 1000 pixels"));
  // A real image within the limits passes; one pixel fewer fails.
  REQUIRE(cv::imwrite(dir / "small.png", gradient(5, 7, CV_8UC3)));
  CHECK(run(dir / "small.png -s 2 --max-output-pixels 140 -o " + dir / "ok.png").exit_code == 0);
  CHECK(run(dir / "small.png -s 2 --max-output-pixels 139 -o " + dir / "no.png").exit_code == 1);
  CHECK(run(dir / "small.png -s 2 --max-pixels 35 -o " + dir / "ok2.png").exit_code == 0);
  const Result tight = run(dir / "small.png -s 2 --max-pixels 34 -o " + dir / "no2.png");
  CHECK(tight.exit_code == 1);
  CHECK_THAT(tight.output, Catch::Contains("header declares WxH 7x5, more than the limit of 34 pixels (--max-pixels)"));
}

TEST_CASE("formats outside the allow-list are refused unless --allow-format names them", "[cli][limits]") {
  TempDir dir;
  const cv::Mat src = random_image(5, 6, CV_8UC3, 5);
  REQUIRE(cv::imwrite(dir / "in.ppm", src));
  const Result refused = run(dir / "in.ppm -s 2 -o " + dir / "out.png");
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.output, Catch::Contains("in.ppm: pnm input is not allowed"));
  CHECK_THAT(refused.output, Catch::Contains("--allow-format pnm"));
  CHECK_FALSE(fs::exists(dir / "out.png"));
  // The same file under a trusted extension is refused too: the bytes decide.
  fs::copy_file(dir / "in.ppm", dir / "disguised.png");
  CHECK(run(dir / "disguised.png -s 2 -o " + dir / "out.png").exit_code == 1);

  const Result allowed = run(dir / "in.ppm -s 2 -k nearest --allow-format pnm -o " + dir / "out.png");
  INFO(allowed.output);
  REQUIRE(allowed.exit_code == 0);
  CHECK(cv::norm(cv::imread(dir / "out.png", cv::IMREAD_UNCHANGED), nearest2(src), cv::NORM_INF) == 0.0);

  // Float formats behind --allow-format decode to float (HDR's RGBE keeps 8 bits of mantissa).
  const cv::Mat f = random_image(5, 6, CV_32FC3, 9) * 4.0f;
  for (const auto& [ext, tolerance] : {std::pair{"pfm", 0.0}, std::pair{"hdr", 4.0 / 128}}) {
    INFO(ext);
    const std::string in = dir / (std::string("f.") + ext);
    REQUIRE(cv::imwrite(in, f));
    const Result plain = run(in + " -s 2 -k nearest -o " + dir / (std::string(ext) + ".tif"));
    CHECK(plain.exit_code == 1);
    const Result r = run(in + " -s 2 -k nearest --allow-format " + ext + " -o " + dir / (std::string(ext) + ".tif"));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const cv::Mat out = cv::imread(dir / (std::string(ext) + ".tif"), cv::IMREAD_UNCHANGED);
    REQUIRE(out.type() == CV_32FC3);
    CHECK(cv::norm(out, nearest2(f), cv::NORM_INF) <= tolerance);
  }

  // Formats OpenCV decodes but the tool never reads (Sun raster here).
  REQUIRE(cv::imwrite(dir / "in.ras", src));
  const Result sun = run(dir / "in.ras -s 2 --allow-format pnm -o " + dir / "sun.png");
  CHECK(sun.exit_code == 1);
  CHECK_THAT(sun.output, Catch::Contains("not a PNG, JPEG, TIFF, WebP or BMP file (nor pnm)"));
  const Result bad = run(dir / "in.ppm -s 2 --allow-format jp2 -o " + dir / "x.png");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.output, Catch::Contains("unknown format jp2"));
}

TEST_CASE("a header whose size cannot be read is refused before decoding", "[cli][limits]") {
  TempDir dir;
  // TIFF without ImageWidth: nothing for a decoder to trust.
  Bytes tiff = {'I', 'I', 42, 0};
  put_le32(tiff, 8);
  put_le16(tiff, 1);
  put_le16(tiff, 258);
  put_le16(tiff, 3);
  put_le32(tiff, 1);
  put_le32(tiff, 8);
  put_le32(tiff, 0);
  write_bytes(dir / "nosize.tif", tiff);
  const Result r = run(dir / "nosize.tif -s 2");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("cannot read the image size from the tiff header"));
}

TEST_CASE("compare reads through the same reader: the EXIF orientation is applied", "[cli][metadata]") {
  TempDir dir;
  // Stored 20 rows x 12 columns; orientation 6 (rotate 90 clockwise) shows 12 x 20.
  REQUIRE(cv::imwrite(dir / "in.png", random_image(20, 12, CV_8UC3, 5)));
  add_metadata(dir / "in.png", 6, {});
  const Result r = run("compare " + dir / "in.png -s 2 -k nearest");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("-> WxH 40x24 (x2)"));
}

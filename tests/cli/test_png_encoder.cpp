// The PNG encoder (encode_png in app/image/image_codecs.hpp): bit-exact
// round trips through the tool's own decoder and through OpenCV's, for
// every sample depth and channel count it writes, at sizes that hit the
// edges (1x1, odd widths, one-row and one-column images, many row bands);
// the chunk CRCs and the zlib stream's Adler-32 checked by hand; the same
// bytes for any thread count; one test per refused argument. And the CLI
// side: PNG in, PNG out runs without loading OpenCV's imgcodecs.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "cli/exit_codes.hpp"
#include "cli_support.hpp"
#include "image/image_codecs.hpp"
#include "test_images.hpp"

namespace {

using Bytes = std::vector<unsigned char>;
using tconv::app::encode_png;
using tconv::app::PngEncodeOptions;
using tconv::app::PngPixels;

// Random samples over the whole range (runs are rare: every filter and
// literal path of the encoder is used), or a smooth ramp with runs (the
// run-length matches), seeded.
cv::Mat image(int rows, int cols, int depth, int channels, bool smooth, std::uint64_t seed) {
  cv::Mat m(rows, cols, CV_MAKETYPE(depth, channels));
  cv::RNG rng(seed);
  if (!smooth) {
    rng.fill(m, cv::RNG::UNIFORM, 0, depth == CV_8U ? 256 : 65536);
    return m;
  }
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < cols * channels; ++x) {
      const int v = (y / 3 * 7 + x / 5 * 3 + static_cast<int>(seed)) % 256;
      if (depth == CV_8U) m.ptr<std::uint8_t>(y)[x] = static_cast<std::uint8_t>(v);
      else m.ptr<std::uint16_t>(y)[x] = static_cast<std::uint16_t>(v * 257);
    }
  return m;
}

PngPixels pixels_of(const cv::Mat& m) {
  return {m.data, m.rows, m.cols, m.channels(), m.depth() == CV_16U, static_cast<std::ptrdiff_t>(m.step[0])};
}

std::string describe(const cv::Mat& m) {
  return std::to_string(m.cols) + "x" + std::to_string(m.rows) + " " + std::to_string(m.channels()) +
         " channels " + (m.depth() == CV_16U ? "16" : "8") + "-bit";
}

// Count of samples that differ (0 when equal in size, type and every sample).
std::size_t differences(const cv::Mat& a, const cv::Mat& b) {
  if (a.size != b.size || a.type() != b.type()) return a.total() * a.channels() + 1;
  cv::Mat diff;
  cv::compare(a.reshape(1), b.reshape(1), diff, cv::CMP_NE);
  return static_cast<std::size_t>(cv::countNonZero(diff));
}

std::uint32_t be32(const Bytes& b, std::size_t at) {
  return std::uint32_t{b[at]} << 24 | std::uint32_t{b[at + 1]} << 16 | std::uint32_t{b[at + 2]} << 8 | b[at + 3];
}

// Walks the chunks: every CRC must match, IHDR first, IEND last; returns
// the joined IDAT data (the zlib stream).
Bytes checked_idat(const Bytes& png) {
  REQUIRE(png.size() >= 8);
  REQUIRE(std::memcmp(png.data(), "\x89PNG\r\n\x1a\n", 8) == 0);
  Bytes stream;
  std::vector<std::string> types;
  for (std::size_t at = 8; at < png.size();) {
    REQUIRE(png.size() - at >= 12);
    const std::size_t length = be32(png, at);
    REQUIRE(png.size() - at - 12 >= length);
    const std::string type(reinterpret_cast<const char*>(png.data() + at + 4), 4);
    const auto crc = crc32(0, png.data() + at + 4, static_cast<uInt>(4 + length));
    INFO("chunk " << type << " at " << at);
    CHECK(be32(png, at + 8 + length) == crc);
    if (type == "IDAT") stream.insert(stream.end(), png.begin() + static_cast<std::ptrdiff_t>(at + 8),
                                      png.begin() + static_cast<std::ptrdiff_t>(at + 8 + length));
    types.push_back(type);
    at += 12 + length;
  }
  REQUIRE(types.size() >= 3);
  CHECK(types.front() == "IHDR");
  CHECK(types.back() == "IEND");
  return stream;
}

// Inflates a zlib stream (inflate() checks the Adler-32 trailer and
// returns Z_DATA_ERROR on a mismatch); `rc` is its last return code.
Bytes inflated(const Bytes& stream, int& rc) {
  z_stream z{};
  REQUIRE(inflateInit(&z) == Z_OK);
  Bytes out(1 << 16);
  std::size_t used = 0;
  z.next_in = const_cast<unsigned char*>(stream.data());
  z.avail_in = static_cast<uInt>(stream.size());
  do {
    if (used == out.size()) out.resize(out.size() * 2);
    z.next_out = out.data() + used;
    z.avail_out = static_cast<uInt>(out.size() - used);
    rc = inflate(&z, Z_NO_FLUSH);
    used = out.size() - z.avail_out;
  } while (rc == Z_OK);
  inflateEnd(&z);
  out.resize(used);
  return out;
}

struct Case {
  const char* name;
  int rows;
  int cols;
};

// Sizes: the smallest, odd, one row, one column, and one that spans many
// row bands (bands are about 1 MiB of filtered rows).
constexpr Case kSizes[] = {
    {"1x1", 1, 1}, {"odd 7x5", 5, 7}, {"odd 33x17", 17, 33}, {"wide 3001x1", 1, 3001},
    {"tall 1x2999", 2999, 1}, {"many bands 509x1031", 1031, 509},
};

}  // namespace

TEST_CASE("PNG encoder round trips bit-exact through the tool's decoder and OpenCV's", "[png]") {
  const int depth = GENERATE(CV_8U, CV_16U);
  const int channels = GENERATE(1, 2, 3, 4);
  const bool smooth = GENERATE(false, true);
  for (const Case& c : kSizes) {
    const cv::Mat src = image(c.rows, c.cols, depth, channels, smooth, 7 + static_cast<std::uint64_t>(c.rows));
    INFO(c.name << ": " << describe(src) << (smooth ? " smooth" : " random") << ", seed " << 7 + c.rows);
    const Bytes png = encode_png(pixels_of(src), {3, 2});

    const cv::Mat ours = tconv::app::decode_png(png, "test.png");
    CHECK(differences(ours, src) == 0);

    // OpenCV reads gray + alpha as B, G, R, A with gray in B, G and R.
    const cv::Mat theirs = cv::imdecode(png, cv::IMREAD_UNCHANGED);
    if (channels == 2 && theirs.channels() == 4) {
      cv::Mat gray;
      cv::Mat alpha;
      cv::extractChannel(src, gray, 0);
      cv::extractChannel(src, alpha, 1);
      const cv::Mat bgra[] = {gray, gray, gray, alpha};
      cv::Mat expected;
      cv::merge(bgra, 4, expected);
      CHECK(differences(theirs, expected) == 0);
    } else {
      CHECK(differences(theirs, src) == 0);
    }
  }
}

TEST_CASE("PNG encoder writes valid chunks and one zlib stream with the right Adler-32", "[png]") {
  const int channels = GENERATE(1, 3, 4);
  const int level = GENERATE(0, 1, 3, 9);
  const cv::Mat src = image(1031, 509, CV_16U, channels, false, 11);
  INFO(describe(src) << " level " << level);
  const Bytes png = encode_png(pixels_of(src), {level, 2});
  int rc = 0;
  const Bytes filtered = inflated(checked_idat(png), rc);
  CHECK(rc == Z_STREAM_END);
  // One filter byte per row before each row's samples.
  CHECK(filtered.size() == std::size_t{1031} * (1 + 509 * 2 * static_cast<std::size_t>(channels)));
  // IHDR: width, height, bit depth 16, colour type 0 gray / 2 RGB / 6 RGBA.
  CHECK(be32(png, 16) == 509);
  CHECK(be32(png, 20) == 1031);
  CHECK(png[24] == 16);
  CHECK(png[25] == (channels == 1 ? 0 : channels == 3 ? 2 : 6));
}

TEST_CASE("PNG encoder output does not depend on the thread count", "[png]") {
  const cv::Mat src = image(1031, 509, CV_8U, 3, true, 3);
  const Bytes one = encode_png(pixels_of(src), {3, 1});
  CHECK(encode_png(pixels_of(src), {3, 2}) == one);
  CHECK(encode_png(pixels_of(src), {3, 5}) == one);
}

TEST_CASE("PNG encoder reads rows through the row stride", "[png]") {
  // A view into a wider image: row_bytes is the parent's, not width * channels.
  const cv::Mat parent = image(40, 60, CV_8U, 3, false, 5);
  const cv::Mat view = parent(cv::Rect(3, 2, 31, 29));
  REQUIRE(!view.isContinuous());
  const Bytes png = encode_png(pixels_of(view), {3, 2});
  CHECK(differences(tconv::app::decode_png(png, "view.png"), view) == 0);
}

TEST_CASE("PNG encoder refuses what it cannot write", "[png]") {
  const cv::Mat src = image(4, 4, CV_8U, 3, false, 1);
  PngPixels p = pixels_of(src);
  SECTION("no pixels") {
    p.width = 0;
    CHECK_THROWS_WITH(encode_png(p, {}), "encode png: 0x4 with 3 channels: need at least 1x1 and 1 to 4 channels");
  }
  SECTION("five channels") {
    p.channels = 5;
    CHECK_THROWS_AS(encode_png(p, {}), tconv::app::InputError);
  }
  SECTION("rows shorter than width x channels") {
    p.row_bytes = 11;
    CHECK_THROWS_AS(encode_png(p, {}), tconv::app::InputError);
  }
  SECTION("level 10") {
    CHECK_THROWS_WITH(encode_png(p, {10, 1}), "encode png: level 10: must be 0 to 9");
  }
}

TEST_CASE("PNG in, PNG out does not load OpenCV's imgcodecs; other formats still do", "[cli][png]") {
  const tconv::test::TempDir dir("tconv_png_");
  REQUIRE(cv::imwrite((dir.path / "in.png").string(), image(9, 13, CV_8U, 3, false, 2)));
  // The dynamic loader names every library it opens under LD_DEBUG=files.
  const auto png = tconv::test::run_cli("LD_DEBUG=files " + std::string(TCONV_CLI),
                                        (dir.path / "in.png").string() + " -o " +
                                            (dir.path / "out.png").string() + " -q");
  CHECK(png.exit_code == 0);
  CHECK(png.output.find("file=libopencv_core") != std::string::npos);  // the check sees libraries
  CHECK(png.output.find("libopencv_imgcodecs") == std::string::npos);
  const auto jpeg = tconv::test::run_cli("LD_DEBUG=files " + std::string(TCONV_CLI),
                                         (dir.path / "in.png").string() + " -o " +
                                             (dir.path / "out.jpg").string() + " -q");
  CHECK(jpeg.exit_code == 0);
  CHECK(jpeg.output.find("libopencv_imgcodecs") != std::string::npos);
  const cv::Mat out = cv::imread((dir.path / "out.png").string(), cv::IMREAD_UNCHANGED);
  CHECK(out.rows == 18);
  CHECK(out.cols == 26);
}

// PNG stream framing (app/image/png_stream.hpp) on hand-made streams: the
// frames come back whole and in order; every truncation and every flipped
// byte of a frame is an error naming that frame; sizes are refused before
// the data are read.
#include "image/png_stream.hpp"

#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/exit_codes.hpp"

using tconv::app::InputError;
using tconv::app::PngStream;
using tconv::app::PngStreamLimits;
using tconv::app::StdinReader;
using Bytes = std::vector<unsigned char>;

namespace {

void put32(Bytes& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<unsigned char>(v >> s));
}

void chunk(Bytes& out, const char* type, const Bytes& data) {
  put32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t at = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  put32(out, static_cast<std::uint32_t>(::crc32(0L, out.data() + at, static_cast<uInt>(data.size() + 4))));
}

// A PNG's chunk structure (the splitter never decodes, so IDAT holds any bytes).
Bytes png(std::uint32_t w, std::uint32_t h, std::size_t idat_bytes, unsigned char fill) {
  Bytes out(std::begin(tconv::app::kPngSignature), std::end(tconv::app::kPngSignature));
  Bytes ihdr;
  put32(ihdr, w);
  put32(ihdr, h);
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});
  chunk(out, "IHDR", ihdr);
  chunk(out, "tEXt", Bytes{'k', 0, 'v'});
  chunk(out, "IDAT", Bytes(idat_bytes, fill));
  chunk(out, "IEND", {});
  return out;
}

// A stream held in an unnamed temporary file, read through StdinReader.
struct Source {
  std::FILE* file = std::tmpfile();
  StdinReader reader;
  explicit Source(const Bytes& bytes) : reader(::fileno(file)) {
    std::fwrite(bytes.data(), 1, bytes.size(), file);
    std::fflush(file);
    ::lseek(::fileno(file), 0, SEEK_SET);
  }
  ~Source() { std::fclose(file); }
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;
};

// The stream's first 8 bytes are taken by the caller (the sniffing step).
PngStream open_stream(Source& src, const PngStreamLimits& limits = {}) {
  Bytes head;
  (void)src.reader.read(8, head);
  return PngStream(src.reader, std::move(head), limits);
}

std::string error_of(PngStream& stream) {
  try {
    while (stream.next()) {
    }
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("png stream: frames come back whole and in order", "[app][stream]") {
  const Bytes a = png(3, 2, 100, 1);
  const Bytes b = png(5, 7, 70000, 2);  // more than one read block
  const Bytes c = png(1, 1, 1, 3);
  Bytes all = a;
  all.insert(all.end(), b.begin(), b.end());
  all.insert(all.end(), c.begin(), c.end());
  Source src(all);
  PngStream stream = open_stream(src);
  CHECK(stream.next() == a);
  CHECK_FALSE(stream.at_end());
  CHECK(stream.next() == b);
  CHECK(stream.next() == c);
  CHECK(stream.at_end());
  CHECK_FALSE(stream.next().has_value());
  CHECK(stream.frames() == 3);
}

TEST_CASE("png stream: every truncation of frame 2 names frame 2", "[app][stream]") {
  const Bytes a = png(3, 2, 20, 1);
  const Bytes b = png(4, 4, 30, 2);
  for (std::size_t keep = 1; keep < b.size(); ++keep) {
    Bytes all = a;
    all.insert(all.end(), b.begin(), b.begin() + static_cast<std::ptrdiff_t>(keep));
    Source src(all);
    PngStream stream = open_stream(src);
    INFO("frame 2 cut after " << keep << " of " << b.size() << " bytes");
    REQUIRE(stream.next() == a);
    CHECK_THAT(error_of(stream), Catch::StartsWith("stdin: frame 2: truncated"));
  }
}

TEST_CASE("png stream: every flipped byte of frame 2 is an error naming frame 2", "[app][stream]") {
  const Bytes a = png(3, 2, 20, 1);
  const Bytes b = png(4, 4, 30, 2);
  for (std::size_t at = 0; at < b.size(); ++at) {
    for (const unsigned char flip : {0x01, 0x20, 0x80}) {
      Bytes all = a;
      all.insert(all.end(), b.begin(), b.end());
      all.insert(all.end(), a.begin(), a.end());  // a good frame 3 after it
      all[a.size() + at] ^= flip;
      Source src(all);
      PngStream stream = open_stream(src);
      INFO("frame 2 byte " << at << " xor " << int(flip));
      REQUIRE(stream.next() == a);
      CHECK_THAT(error_of(stream), Catch::StartsWith("stdin: frame 2: "));
    }
  }
}

TEST_CASE("png stream: sizes are refused before the data are read", "[app][stream]") {
  SECTION("a header declaring more pixels than --max-pixels, and nothing after it") {
    Bytes forged = png(100000, 100000, 10, 0);
    forged.resize(8 + 25);  // the signature and IHDR only: the rest never comes
    Source src(forged);
    PngStream stream = open_stream(src);
    CHECK_THAT(error_of(stream),
               Catch::StartsWith("stdin: header declares WxH 100000x100000, more than the limit"));
  }
  SECTION("a chunk longer than --max-input-bytes, before its data") {
    Bytes big = png(4, 4, 5000, 0);
    big.resize(8 + 25 + 15 + 8);  // up to IDAT's header
    Source src(big);
    PngStream stream = open_stream(src, {4096, 1 << 20});
    CHECK_THAT(error_of(stream), Catch::StartsWith("stdin: more than the limit of 4096 bytes (see --max-input-bytes)"));
  }
  SECTION("bytes that are no PNG after a frame") {
    Bytes all = png(2, 2, 5, 0);
    const std::string junk = "junk after the end";
    all.insert(all.end(), junk.begin(), junk.end());
    Source src(all);
    PngStream stream = open_stream(src);
    CHECK(stream.next().has_value());
    CHECK_THAT(error_of(stream), Catch::StartsWith("stdin: frame 2: not a PNG"));
  }
}

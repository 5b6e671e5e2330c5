// PNG stream framing (see png_stream.hpp). A PNG file is the signature and
// then chunks, each: 4-byte big-endian data length (<= 2^31 - 1), 4-byte
// type (ASCII letters), the data, and a CRC-32 of type + data; IHDR (13
// bytes: width, height, ...) comes first and IEND (no data) last. A frame
// ends right after IEND's CRC; the next byte starts the next frame.
//
// Before a chunk's data is buffered, its length is checked against what is
// left of the frame's byte budget; the declared size is checked at IHDR, so
// a header that asks for a huge image fails before any of its data is read.
// A truncated frame shows up as an end of stream before IEND, a damaged one
// as a chunk type that is not four letters or a CRC mismatch: the walk
// never takes bytes it has not checked as a frame.
#include "image/png_stream.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "cli/exit_codes.hpp"

namespace tconv::app {

namespace {

std::uint32_t be32(const unsigned char* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

bool is_letter(unsigned char c) noexcept { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// The chunk type for messages: its four letters, or its bytes escaped.
std::string type_text(const unsigned char* p) {
  std::string text;
  for (int i = 0; i < 4; ++i) {
    if (is_letter(p[i])) {
      text += static_cast<char>(p[i]);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", p[i]);
      text += buf;
    }
  }
  return text;
}

constexpr std::uint32_t kMaxChunkLength = 0x7fffffffu;  // PNG spec: lengths are < 2^31

}  // namespace

bool has_png_signature(std::span<const unsigned char> bytes) noexcept {
  return bytes.size() >= sizeof kPngSignature &&
         std::memcmp(bytes.data(), kPngSignature, sizeof kPngSignature) == 0;
}

PngStream::PngStream(StdinReader& source, std::vector<unsigned char> first,
                     const PngStreamLimits& limits)
    : source_(source), pending_(std::move(first)), limits_(limits) {}

bool PngStream::at_end() { return pending_.empty() && source_.at_end(); }

std::optional<std::vector<unsigned char>> PngStream::next() {
  const int number = frames_ + 1;
  // The first frame may be the only one, an image like any other on stdin.
  const std::string what =
      number == 1 ? std::string("stdin") : "stdin: frame " + std::to_string(number);
  const std::uint64_t frame_start = source_.offset() - pending_.size();
  std::vector<unsigned char> frame;
  // Appends up to n bytes of the stream to the frame; fewer only at its end.
  const auto take = [&](std::size_t n) {
    const std::size_t held = std::min(n, pending_.size());
    frame.insert(frame.end(), pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(held));
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(held));
    return held + (held < n ? source_.read(n - held, frame) : 0);
  };
  const auto fail = [&](const std::string& why) -> InputError {
    return InputError(what + ": " + why);
  };

  const std::size_t got = take(sizeof kPngSignature);
  if (got == 0) return std::nullopt;  // a clean end between frames
  if (!has_png_signature(frame)) {
    const bool prefix = std::memcmp(frame.data(), kPngSignature, got) == 0;
    if (prefix) throw fail("truncated: the stream ends inside the PNG signature");
    throw fail(number == 1 ? std::string("not a PNG")
                           : "not a PNG: the bytes after frame " + std::to_string(number - 1) +
                                 " (at byte " + std::to_string(frame_start) +
                                 " of the stream) do not start a PNG file");
  }
  std::string last = "the signature";
  for (bool first_chunk = true;; first_chunk = false) {
    const std::size_t at = frame.size();
    const std::uint64_t stream_at = frame_start + at;
    const std::size_t header = take(8);
    if (header < 8)
      throw fail("truncated: the stream ends after " + last + ", before the IEND chunk");
    const std::uint32_t length = be32(frame.data() + at);
    const unsigned char* type = frame.data() + at + 4;
    const std::string name = type_text(type);
    if (!std::all_of(type, type + 4, is_letter))
      throw fail("damaged: chunk type " + name + " at byte " + std::to_string(stream_at) +
                 " of the stream is not a PNG chunk type");
    if (length > kMaxChunkLength)
      throw fail("damaged: chunk " + name + " at byte " + std::to_string(stream_at) +
                 " declares " + std::to_string(length) + " bytes (at most 2^31 - 1)");
    if (first_chunk && (name != "IHDR" || length != 13))
      throw fail("damaged: the first chunk is " + name + " of " + std::to_string(length) +
                 " bytes, not IHDR of 13");
    if (std::uint64_t{at} + 12 + length > limits_.max_bytes)
      throw fail("more than the limit of " + std::to_string(limits_.max_bytes) +
                 " bytes (see --max-input-bytes)");
    const std::size_t body = std::size_t{length} + 4;  // the data and the CRC
    const std::size_t got_body = take(body);
    if (got_body < body)
      throw fail("truncated: the stream ends inside chunk " + name + " (" +
                 std::to_string(got_body) + " of the " + std::to_string(body) +
                 " bytes of its data and CRC)");
    const unsigned char* data = frame.data() + at + 8;
    const auto crc = static_cast<std::uint32_t>(
        ::crc32(::crc32(0L, Z_NULL, 0), frame.data() + at + 4, static_cast<uInt>(length) + 4));
    if (crc != be32(data + length))
      throw fail("damaged: chunk " + name + " at byte " + std::to_string(stream_at) +
                 " of the stream fails its CRC check");
    if (first_chunk) {
      const std::uint32_t w = be32(data);
      const std::uint32_t h = be32(data + 4);
      if (w == 0 || h == 0 || w > kMaxChunkLength || h > kMaxChunkLength)
        throw fail("damaged: IHDR declares " + std::to_string(w) + "x" + std::to_string(h) +
                   " pixels (each side 1 to 2^31 - 1)");
      if (std::int64_t{w} * std::int64_t{h} > limits_.max_pixels)
        throw fail("header declares WxH " + std::to_string(w) + "x" + std::to_string(h) +
                   ", more than the limit of " + std::to_string(limits_.max_pixels) +
                   " pixels (--max-pixels)");
    }
    if (name == "IEND") {
      if (length != 0) throw fail("damaged: IEND carries " + std::to_string(length) + " bytes");
      ++frames_;
      return frame;
    }
    last = "chunk " + name;
  }
}

}  // namespace tconv::app

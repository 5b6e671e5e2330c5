// The safe image reader (see image_reader.hpp).
#include "image/image_reader.hpp"

#include <spdlog/spdlog.h>

#include "batch/file_io.hpp"

namespace tconv::app {

InspectedImage inspect_image(std::span<const unsigned char> bytes, const std::string& what,
                             const DecodeLimits& limits) {
  InspectedImage out;
  // Decoders allocate from the header's word: it is checked before any runs.
  out.header = inspect_header(bytes, what, limits);
  // Read whatever the caller writes: the orientation is applied to the pixels.
  out.metadata = read_metadata(bytes, out.header.format, what);
  return out;
}

RawImage decode_image(std::span<const unsigned char> bytes, const std::string& what,
                      const DecodeLimits& limits, const InspectedImage& inspected) {
  RawImage raw = decode_raw(bytes, what, limits);
  for (const std::string& line : inspected.metadata.warnings) spdlog::warn("{}", line);
  apply_orientation(raw, inspected.metadata.orientation);
  return raw;
}

ImageFile read_image_file(const std::filesystem::path& path, std::uint64_t max_bytes,
                          const DecodeLimits& limits) {
  const std::string what = path.string();
  const auto bytes = read_file(path, max_bytes);
  ImageFile out;
  out.inspected = inspect_image(bytes, what, limits);
  out.raw = decode_image(bytes, what, limits, out.inspected);
  return out;
}

}  // namespace tconv::app

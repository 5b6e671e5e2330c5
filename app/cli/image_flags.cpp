// Image flags (see image_flags.hpp).
#include "cli/image_flags.hpp"

#include <CLI/CLI.hpp>
#include <charconv>

#include "cli/exit_codes.hpp"

namespace tconv::app {

namespace {

// CLI11's Range and PositiveNumber print their bounds as doubles (the upper
// one as a 309-digit number); these name them as powers of two.
CLI::Validator pixel_count_range() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        std::int64_t value = 0;
        const char* end = text.data() + text.size();
        const auto [at, ec] = std::from_chars(text.data(), end, value);
        if (ec != std::errc() || at != end || value < 1 || value > kMaxPixelsLimit)
          return text + ": must be an integer between 1 and 2^40";
        return {};
      },
      "INT in [1, 2^40]");
}

// Accepts 512M, 4G, ... (parse_byte_size) and hands CLI11 the plain byte count.
CLI::Validator memory_size() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const auto bytes = parse_byte_size(text);
        if (!bytes || *bytes < 1 || *bytes > kMaxMemoryLimit)
          return text + ": must be a byte count between 1 and 2^50 (e.g. 512M, 4G)";
        text = std::to_string(*bytes);
        return {};
      },
      "BYTES in [1, 2^50]");
}

}  // namespace

void add_image_flags(CLI::App& cmd, ImageFlags& flags) {
  cmd.add_flag("--linear", flags.linear,
               "Upsample in linear light (sRGB decoded, upsampled, encoded); keeps bright "
               "edges from darkening. 8/16-bit only: float samples are taken as linear");
  cmd.add_flag("--strip", flags.strip,
               "Write no metadata (ICC profile, EXIF); the EXIF orientation is still applied");
  cmd.add_option("--allow-format", flags.allow_formats,
                 "Also read this format (exr, pnm, pfm, hdr); repeatable. PNG, JPEG, TIFF, "
                 "WebP and BMP are always read")
      ->check([](const std::string& name) -> std::string {
        return format_from_name(name) ? std::string()
                                      : "unknown format " + name + " (exr, pnm, pfm, hdr)";
      });
  cmd.add_option("--max-pixels", flags.max_pixels,
                 "Refuse inputs whose header declares more pixels (checked before decoding)")
      ->capture_default_str()
      ->check(pixel_count_range());
  cmd.add_option("--max-output-pixels", flags.max_output_pixels,
                 "Refuse outputs of more pixels (checked before decoding)")
      ->capture_default_str()
      ->check(pixel_count_range());
  cmd.add_option("--max-memory", flags.max_memory,
                 "Refuse an input whose run would hold more memory at its peak (bytes, or with "
                 "K, M, G, T: 512M, 4G; planned from the sizes before the buffers are "
                 "allocated); default: the smaller of 4 GiB and half the physical memory")
      ->capture_default_str()
      ->transform(memory_size());
  cmd.add_flag("--accept-damaged", flags.accept_damaged,
               "Read a damaged JPEG (truncated, or corrupt data the decoder warns about) with a "
               "warning instead of failing it; missing rows come out gray");
}

DecodeLimits decode_limits(const ImageFlags& flags) {
  DecodeLimits limits;
  limits.max_pixels = flags.max_pixels;
  limits.accept_damaged = flags.accept_damaged;
  for (const std::string& name : flags.allow_formats) {
    const auto format = format_from_name(name);
    if (!format) throw UsageError("--allow-format " + name + ": unknown format (exr, pnm, pfm, hdr)");
    limits.allowed |= format_bit(*format);
  }
  return limits;
}

void check_output_pixels(const std::string& what, Size2 size, const ImageFlags& flags) {
  const std::int64_t pixels = std::int64_t{size.h} * size.w;
  if (pixels > flags.max_output_pixels)
    throw InputError(what + ": output " + wxh_text(size) + " has more than the limit of " + std::to_string(flags.max_output_pixels) +
                     " pixels (--max-output-pixels)");
}

}  // namespace tconv::app

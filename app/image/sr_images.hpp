// Image folders for eval and train: listing and reading HR images on the
// 0..255 scale the super-resolution protocol works on.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tconv/core/tensor.hpp"

namespace tconv::app {

/// The images of `dir`, not recursive: list_directory() with
/// Listing::kImages (png, jpg, jpeg, tif, tiff, webp, bmp; sorted by name,
/// hidden entries left out). Throws UsageError when `dir` is not a
/// directory (`flag` names the option in the message), InputError when it
/// cannot be listed.
[[nodiscard]] std::vector<std::filesystem::path> list_images(const std::filesystem::path& dir,
                                                             const char* flag);

/// The images of every folder of `dirs`, folder by folder in the given
/// order, each listed as list_images() lists one (a repeated `flag`, as
/// train's --images). Throws as list_images().
[[nodiscard]] std::vector<std::filesystem::path> list_images(const std::vector<std::string>& dirs,
                                                             const char* flag);

/// The image's channels as displayed (read_image_file(): EXIF orientation
/// applied; 1 gray or 3 R, G, B; alpha dropped) on the 0..255 scale: 8-bit
/// samples exactly, 16-bit and float samples times 255. Throws InputError
/// when the file cannot be read or decoded, or its header is refused
/// (inspect_header() with the default DecodeLimits: more than 2^28 pixels,
/// a format not read by default).
[[nodiscard]] Tensor read_hr255(const std::filesystem::path& path);

}  // namespace tconv::app

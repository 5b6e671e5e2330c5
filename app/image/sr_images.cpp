// Image folders for eval and train.
#include "image/sr_images.hpp"

#include <cmath>
#include <string>

#include "batch/batch.hpp"
#include "cli/exit_codes.hpp"
#include "image/image_io.hpp"
#include "image/image_reader.hpp"

namespace tconv::app {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxInputBytes = std::uint64_t{1} << 30;

}  // namespace

std::vector<fs::path> list_images(const fs::path& dir, const char* flag) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw UsageError(std::string(flag) + " " + dir.string() + ": not a directory");
  std::vector<fs::path> out;
  for (const ListedFile& f : list_directory(dir, false, Listing::kImages)) {
    if (!f.error.empty()) throw InputError(std::string(flag) + " " + dir.string() + ": " + f.error);
    out.emplace_back(f.path);
  }
  return out;
}

std::vector<fs::path> list_images(const std::vector<std::string>& dirs, const char* flag) {
  std::vector<fs::path> out;
  for (const std::string& dir : dirs) {
    const std::vector<fs::path> listed = list_images(fs::path(dir), flag);
    out.insert(out.end(), listed.begin(), listed.end());
  }
  return out;
}

Tensor read_hr255(const fs::path& path) {
  const Image image = to_planar(read_image_file(path, kMaxInputBytes).raw);
  const Shape3 in = image.pixels.shape();
  // 2 (gray + alpha) is expanded to 4 by the decoder; keep colour only.
  const int c = in.c >= 3 ? 3 : 1;
  Tensor out(Shape3{c, in.h, in.w});
  const bool exact = image.type == SampleType::kU8;
  const float* src = image.pixels.data();
  for (std::size_t i = 0; i < out.span().size(); ++i) {
    const float v = src[i] * 255.0f;
    out.data()[i] = exact ? std::round(v) : v;
  }
  return out;
}

}  // namespace tconv::app

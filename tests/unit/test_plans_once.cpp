// A batch plans once, not per image: run_upsample() over folders of 2 and
// 6 images of one kind makes the same number of ops (detail::plans_made()
// counts every ConvTranspose2d / Conv2d creation). That --weights is read
// once is checked on the real binary (tests/cli/weights_read_once.sh).
#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "commands/upsample.hpp"
#include "core/plan.hpp"
#include "image/image_io.hpp"
#include "tconv/io/npy.hpp"

namespace fs = std::filesystem;
using namespace tconv;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("tconv_plans_" + std::to_string(::getpid()) + "_" +
                                        std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  static inline int counter = 0;
};

void write_bytes(const fs::path& p, const std::vector<unsigned char>& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// `count` RGB 8-bit PNGs (9x7, 11x5, ... : sizes differ, the kind does not),
// plus one RGBA PNG when `with_alpha`, in `dir`.
void write_images(const fs::path& dir, int count, bool with_alpha) {
  for (int i = 0; i < count + (with_alpha ? 1 : 0); ++i) {
    const bool alpha = i == count;
    app::RawImage raw{7 + i, 9 + 2 * i, alpha ? 4 : 3, SampleType::kU8, {}};
    raw.bytes.resize(static_cast<std::size_t>(raw.height) * raw.width * raw.channels);
    for (std::size_t k = 0; k < raw.bytes.size(); ++k)
      raw.bytes[k] = static_cast<unsigned char>((k * 37 + static_cast<std::size_t>(i) * 11) % 251);
    write_bytes(dir / ("in" + std::to_string(i) + ".png"),
                app::encode_raw(raw, app::ImageFormat::kPng, {}));
  }
}

// Plans made by one batch over `count` images (and one RGBA image) with
// the layer flags `set`.
template <typename SetFlags>
std::int64_t plans_for_batch(int count, bool with_alpha, const SetFlags& set) {
  TempDir in, out, aux;
  write_images(in.path, count, with_alpha);
  app::UpsampleOptions opt;
  opt.batch.inputs = {in.path.string()};
  opt.output = out.path.string() + "/";
  opt.batch.jobs = 2;
  opt.batch.progress = "none";
  set(opt, aux.path);
  const std::int64_t before = detail::plans_made();
  app::run_upsample(opt);
  const std::int64_t made = detail::plans_made() - before;
  std::size_t written = 0;
  for (const auto& entry : fs::directory_iterator(out.path)) written += entry.is_regular_file();
  CHECK(written == static_cast<std::size_t>(count + (with_alpha ? 1 : 0)));
  return made;
}

}  // namespace

TEST_CASE("a batch plans each kind of image once, not each image", "[cli][plans]") {
  SECTION("interpolation kernel, planar path (--impl forces the op's impl)") {
    const auto set = [](app::UpsampleOptions& opt, const fs::path&) {
      opt.force_impl = "tconv2d_f32_phase";
      opt.layer.kernel = "bicubic";
    };
    const std::int64_t two = plans_for_batch(2, true, set);
    const std::int64_t six = plans_for_batch(6, true, set);
    INFO("plans for 2 + 1 images: " << two << ", for 6 + 1: " << six);
    CHECK(two == six);
    // The flag check, then RGB and RGBA: each kind's op and its widened op
    // for the replicate border.
    CHECK(two == 5);
  }
  SECTION("--model: loaded and planned once for the batch") {
    const auto set = [](app::UpsampleOptions& opt, const fs::path&) {
      opt.layer.model = std::string(TCONV_MODELS_DIR) + "/linear_y_x2.safetensors";
    };
    const std::int64_t two = plans_for_batch(2, true, set);
    const std::int64_t six = plans_for_batch(6, true, set);
    INFO("plans for 2 + 1 images: " << two << ", for 6 + 1: " << six);
    CHECK(two == six);
    CHECK(two > 0);
  }
  SECTION("--weights: planned once per kind") {
    const auto set = [](app::UpsampleOptions& opt, const fs::path& dir) {
      // A 3 -> 3 channel 4x4 layer: only the RGB images; no alpha image.
      NpyArray w;
      w.shape = {3, 3, 4, 4};
      w.values.assign(3 * 3 * 16, 1.0f / 48.0f);
      const fs::path weights = dir / "w.npy";
      write_bytes(weights, encode_npy(w));
      opt.layer.weights = weights.string();
      opt.layer.scale = "2";
      opt.layer.scale_given = true;
      opt.layer.padding = "1";
    };
    const std::int64_t two = plans_for_batch(2, false, set);
    const std::int64_t six = plans_for_batch(6, false, set);
    INFO("plans for 2 images: " << two << ", for 6: " << six);
    CHECK(two == six);
    CHECK(two == 3);  // the flag check, the op, its widened op
  }
}

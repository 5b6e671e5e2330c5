// tconv-upsample INPUT -s 2: images through the interpolating (or learned)
// transposed convolution, .npy arrays through the exact library op.
#include "commands/upsample.hpp"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>

#include "exit_codes.hpp"
#include "file_io.hpp"
#include "image_flags.hpp"
#include "image_io.hpp"
#include "metadata.hpp"
#include "tconv/border.hpp"
#include "tconv/error.hpp"
#include "tconv/conv_transpose2d.hpp"
#include "tconv/npy.hpp"
#include "tconv/resample.hpp"

namespace tconv::app {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxInputBytes = std::uint64_t{1} << 30;

OpOptions op_options(const UpsampleOptions& opt) {
  OpOptions options;
  options.force_impl = opt.force_impl;
  options.threads = opt.threads;
  return options;
}

// The samples of `raw` as T (std::uint8_t, std::uint16_t or float; const for input).
template <typename T>
InterleavedView<T> view_of(std::conditional_t<std::is_const_v<T>, const RawImage&, RawImage&> raw) {
  return {reinterpret_cast<T*>(raw.bytes.data()), raw.height, raw.width, raw.channels,
          static_cast<std::ptrdiff_t>(raw.width) * raw.channels};
}

bool is_npy(std::span<const unsigned char> bytes) {
  return bytes.size() >= 6 && std::memcmp(bytes.data(), "\x93NUMPY", 6) == 0;
}

fs::path default_output(const fs::path& input, Size2 scale, const std::string& ext) {
  return input.parent_path() / (input.stem().string() + "_x" + scale_text(scale) + ext);
}

// Refuses early what the write would refuse at the end, so no work is wasted.
void check_output(const fs::path& input, const fs::path& output, bool overwrite) {
  if (same_file(input, output))
    throw InputError(output.string() + ": is the input file; refusing to write over it");
  std::error_code ec;
  if (!overwrite && fs::exists(fs::symlink_status(output, ec)))
    throw InputError(output.string() + ": exists (use --overwrite to replace it)");
}

std::string extension_of(const fs::path& p) {
  std::string ext = p.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

void run_numeric(const UpsampleOptions& opt, std::span<const unsigned char> bytes,
                 const fs::path& output) {
  if (extension_of(output) != ".npy")
    throw UsageError("-o " + output.string() + ": a .npy input writes a .npy output");
  NpyArray x = parse_npy(bytes, opt.input);
  const std::size_t rank = x.shape.size();
  if (rank != 3 && rank != 4)
    throw UsageError(opt.input + ": expected shape (C,H,W) or (N,C,H,W), got " +
                     std::to_string(rank) + "-d");
  for (auto d : x.shape)
    if (d < 1 || d > INT32_MAX)
      throw UsageError(opt.input + ": dimension " + std::to_string(d) + " out of range");
  const auto n = rank == 4 ? x.shape[0] : 1;
  const Shape3 item{static_cast<int>(x.shape[rank - 3]), static_cast<int>(x.shape[rank - 2]),
                    static_cast<int>(x.shape[rank - 1])};

  Layer layer = make_layer(opt.layer, item.c);
  const ConvTranspose2d op = ConvTranspose2d::create(layer.params, std::move(layer.weights),
                                                     op_options(opt));
  const Border border = border_of(opt.layer, Border::kZero);
  const Shape3 out_shape = op.output_shape(item);
  check_output(opt.input, output, opt.overwrite);
  spdlog::debug("{}: {} x{} with {} ({}, border {})", opt.input, to_string(item), n,
                op.params().to_string(), op.impl_name(), to_string(border));

  NpyArray y;
  if (rank == 4) y.shape.push_back(n);
  y.shape.insert(y.shape.end(), {out_shape.c, out_shape.h, out_shape.w});
  if (out_shape.elements() * n > op.options().max_output_elements)
    throw LimitExceeded("conv_transpose2d output " + std::to_string(n) + "x" +
                        to_string(out_shape) + ": exceeds the limit of " +
                        std::to_string(op.options().max_output_elements) + " elements");
  y.values.reserve(static_cast<std::size_t>(out_shape.elements() * n));
  for (std::int64_t b = 0; b < n; ++b) {
    const ConstTensorView src{x.values.data() + b * item.elements(), item};
    const Tensor out = run_with_border(op, src, border);
    y.values.insert(y.values.end(), out.span().begin(), out.span().end());
  }
  write_file_atomic(output, encode_npy(y), opt.overwrite);
  spdlog::info("{} -> {} ({})", opt.input, output.string(), to_string(out_shape));
}

void run_image(const UpsampleOptions& opt, std::span<const unsigned char> bytes,
               const fs::path& output) {
  const auto format = format_from_extension(output.extension().string());
  if (!format)
    throw UsageError("-o " + output.string() +
                     ": unknown output extension (png, jpg, tif, webp, bmp, exr; npy for .npy input)");
  // Decoders allocate from the header's word: the format, the input size and
  // the output size are checked from the header before any decoder runs.
  const DecodeLimits limits = decode_limits(opt.image);
  const ImageHeader header = inspect_header(bytes, opt.input, limits);
  // Read even with --strip: the orientation is applied to the pixels either way.
  const Metadata metadata = read_metadata(bytes, header.format, opt.input);
  const Size2 shown = metadata.orientation >= 5 ? Size2{header.size.w, header.size.h} : header.size;
  {
    const Layer geometry = make_layer(opt.layer, 1);
    geometry.params.validate(ConvKind::kConvTranspose2d);
    const Shape3 planned = geometry.params.output_shape(
        ConvKind::kConvTranspose2d, {geometry.params.in_channels, shown.h, shown.w});
    check_output_pixels(opt.input, {planned.h, planned.w}, opt.image);
  }
  const auto started = std::chrono::steady_clock::now();
  auto lap = [last = started](const char* what) mutable {
    const auto now = std::chrono::steady_clock::now();
    spdlog::debug("{}: {:.1f} ms", what, std::chrono::duration<double, std::milli>(now - last).count());
    last = now;
  };
  RawImage raw = decode_raw(bytes, opt.input, limits);
  apply_orientation(raw, metadata.orientation);
  lap("decode");
  const std::string input_description = describe(raw.shape(), raw.type);

  Layer layer = make_layer(opt.layer, raw.channels);
  OpOptions options = op_options(opt);
  options.max_output_elements =
      std::min(std::min(opt.image.max_output_pixels, Tensor::kMaxElements) * layer.params.out_channels,
               Tensor::kMaxElements);
  const ConvTranspose2d op = ConvTranspose2d::create(layer.params, std::move(layer.weights), options);
  const Border border = border_of(opt.layer, Border::kReplicate);
  const Shape3 out_shape = op.output_shape(raw.shape());
  if (out_shape.c != 1 && out_shape.c != 3 && out_shape.c != 4)
    throw UsageError("--weights " + opt.layer.weights + ": " + std::to_string(out_shape.c) +
                     " output channels cannot be stored as an image (1, 3 or 4)");
  if (out_shape.elements() > op.options().max_output_elements)
    throw LimitExceeded("output " + describe(out_shape, raw.type) + ": more than " +
                        std::to_string(op.options().max_output_elements) + " samples");
  check_output(opt.input, output, opt.overwrite);
  EncodeOptions encode;
  encode.jpeg_quality = opt.quality;
  encode.png_compression = opt.png_compression;

  // Fused path: an interpolation kernel on an image without alpha goes from
  // decoded samples to encoded samples, interleaved, with no planar float image.
  const auto kind = interpolation_of(opt.layer);
  const bool fused = kind && opt.force_impl.empty() && raw.channels != 4 && !opt.image.linear &&
                     border != Border::kNormalize && can_store(*format, raw.type);
  std::vector<unsigned char> encoded;
  if (fused) {
    RawImage result{out_shape.h, out_shape.w, raw.channels, raw.type, {}};
    const std::size_t sample = raw.type == SampleType::kU8 ? 1 : raw.type == SampleType::kU16 ? 2 : 4;
    result.bytes.resize(static_cast<std::size_t>(out_shape.elements()) * sample);
    const Size2 factor = scale_of(opt.layer);
    switch (raw.type) {
      case SampleType::kU8:
        upsample_interleaved(*kind, factor, border, view_of<const std::uint8_t>(raw),
                             view_of<std::uint8_t>(result), opt.threads);
        break;
      case SampleType::kU16:
        upsample_interleaved(*kind, factor, border, view_of<const std::uint16_t>(raw),
                             view_of<std::uint16_t>(result), opt.threads);
        break;
      case SampleType::kF32:
        upsample_interleaved(*kind, factor, border, view_of<const float>(raw),
                             view_of<float>(result), opt.threads);
        break;
    }
    raw = RawImage();  // lower peak memory
    lap("upsample (fused path)");
    encoded = encode_raw(result, *format, encode);
  } else {
    Image image = to_planar(raw);
    raw = RawImage();
    // Integer samples are sRGB-encoded; float samples are taken as linear already.
    const bool linear = opt.image.linear && image.type != SampleType::kF32;
    if (opt.image.linear && !linear)
      spdlog::info("{}: float samples are taken as linear light already", opt.input);
    if (linear) srgb_to_linear(image.pixels);
    // Colour is interpolated premultiplied, so transparent pixels add no colour.
    const bool alpha = image.has_alpha() && out_shape.c == 4;
    if (alpha) premultiply_alpha(image.pixels);
    Image result{run_with_border(op, image.pixels.view(), border), image.type};
    image.pixels = Tensor();  // lower peak memory
    if (alpha) unpremultiply_alpha(result.pixels);
    if (linear) linear_to_srgb(result.pixels);
    lap("upsample");
    SampleType written{};
    encoded = encode_image(result, *format, encode, &written);
    if (written != result.type)
      spdlog::warn("{}: {} cannot hold {} samples; wrote {}", output.string(), to_string(*format),
                   to_string(result.type), to_string(written));
  }
  if (!opt.image.strip)
    encoded = embed_metadata(std::move(encoded), *format, metadata, {out_shape.h, out_shape.w},
                             output.string());
  lap("encode");
  write_file_atomic(output, encoded, opt.overwrite);
  lap("write");
  const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                            started)
                      .count();
  spdlog::info("{} ({}) -> {} ({}x{}) in {:.0f} ms", opt.input, input_description, output.string(),
               out_shape.w, out_shape.h, ms);
  spdlog::debug("{} with {}, border {}", op.params().to_string(),
                fused ? std::string_view("the fused interleaved path") : op.impl_name(), to_string(border));
}

}  // namespace

void setup_upsample(CLI::App& app) {
  auto opt = std::make_shared<UpsampleOptions>();
  // Not ->required(): the root app also carries subcommands (compare, eval,
  // ...), and CLI11 would demand the main command's input for them too.
  app.add_option("input", opt->input, "Input image (PNG, JPEG, TIFF, WebP, BMP) or .npy array");
  app.add_option("-o,--output", opt->output,
                 "Output file; default <stem>_x<scale>.<ext> beside the input");
  app.add_flag("--overwrite", opt->overwrite, "Replace an existing output file");
  app.add_option("--impl", opt->force_impl, "Force an implementation (e.g. tconv2d_f32_ref)");
  app.add_option("--quality", opt->quality, "JPEG and WebP quality 0-100")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  app.add_option("--png-compression", opt->png_compression,
                 "PNG zlib level 0-9 (run-length strategy: the level changes little)")
      ->capture_default_str()
      ->check(CLI::Range(0, 9));
  app.add_option("-t,--threads", opt->threads, "Threads (0: all cores); results do not depend on it")
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
  add_layer_flags(app, opt->layer);
  add_image_flags(app, opt->image);
  app.callback([opt, &app] {
    if (!app.get_subcommands().empty()) return;  // a subcommand ran instead
    if (opt->input.empty()) throw UsageError("no input given (see --help)");
    run_upsample(*opt);
  });
}

void run_upsample(const UpsampleOptions& opt) {
  const fs::path input(opt.input);
  const Size2 scale = scale_of(opt.layer);
  const auto bytes = read_file(input, kMaxInputBytes);
  const bool numeric = is_npy(bytes);
  const fs::path output =
      opt.output.empty()
          ? default_output(input, scale, numeric ? ".npy" : input.extension().string())
          : fs::path(opt.output);
  if (numeric)
    run_numeric(opt, bytes, output);
  else
    run_image(opt, bytes, output);
}

}  // namespace tconv::app

// tconv-upsample INPUT... -s 2: images through the interpolating (or learned)
// transposed convolution, .npy arrays through the exact library op. The batch
// is planned in batch.cpp and run by batch_runner.cpp; this file does one
// image (run_image) or one array (run_numeric) per item.
#include "commands/upsample.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include "batch/batch.hpp"
#include "batch/batch_runner.hpp"
#include "batch/file_io.hpp"
#include "batch/memory_budget.hpp"
#include "cli/exit_codes.hpp"
#include "cli/image_flags.hpp"
#include "cli/interrupt.hpp"
#include "cli/logging.hpp"
#include "image/image_io.hpp"
#include "image/image_reader.hpp"
#include "image/metadata.hpp"
#include "image/page_buffer.hpp"
#include "image/png_stream.hpp"
#include "report/run_report.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/error.hpp"
#include "tconv/io/npy.hpp"
#include "tconv/model/model.hpp"
#include "tconv/resample/border.hpp"
#include "tconv/resample/image_upsampler.hpp"
#include "tconv/resample/resample.hpp"

namespace tconv::app {

namespace fs = std::filesystem;

namespace {


OpOptions op_options(const UpsampleOptions& opt) {
  OpOptions options;
  options.force_impl = opt.force_impl;
  options.threads = opt.threads;
  return options;
}

// What a batch plans once and every item reuses: the model (loaded once,
// its threads given per run), the layer (its --weights and --bias read
// once), and one planned op per kind of input, made for the first input of
// that kind. Jobs share it; a plan that fails (an --impl that does not
// apply to this kind) is not kept, so each such input fails with its own line.
class BatchPlans {
 public:
  explicit BatchPlans(const UpsampleOptions& opt)
      : opt_(opt), model_(load_model(opt.layer, op_options(opt))) {
    if (model_ && (!opt.layer.size.empty() || !opt.layer.width.empty() || !opt.layer.height.empty()))
      throw UsageError("--model upsamples by its own factor; --size, --width and --height serve "
                       "the interpolation kernels");
    if (!model_) {
      border_ = border_of(opt.layer, Border::kReplicate);
      layer_.emplace(opt.layer);
      // The flags' rules, checked once before any file is touched so a bad
      // flag is one usage error, not one per input. The channel count only
      // matters for interpolation kernels, whose rules do not depend on it;
      // --impl is left to the images, as whether an impl applies depends on them.
      if (!layer_->resamples()) {
        Layer layer = layer_->layer(3);
        (void)ConvTranspose2d::create(layer.params, std::move(layer.weights), OpOptions{});
      }
    }
  }

  [[nodiscard]] const Model* model() const { return model_ ? &*model_ : nullptr; }
  [[nodiscard]] const LayerSource& layer() const { return *layer_; }

  // The upsampler for images of `kind` and `size`; `interleaved_allowed` as
  // ImageUpsamplerOptions (false when the output format cannot store the
  // input's samples). The size only matters for target sizes, whose ratio
  // depends on it: one plan per ratio.
  const ImageUpsampler& upsampler(const ImageKind& kind, Size2 size, bool interleaved_allowed) {
    std::optional<Ratio2> ratio;
    if (layer_->resamples()) ratio = layer_->ratio_for(size);
    const Ratio2 key_ratio = ratio.value_or(Ratio2{});
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto key = std::tuple{kind.channels, static_cast<int>(kind.sample), interleaved_allowed,
                                std::array{key_ratio.h.num, key_ratio.h.den, key_ratio.w.num,
                                           key_ratio.w.den}};
    auto& slot = upsamplers_[key];
    if (!slot) {
      Layer layer = ratio ? Layer{} : layer_->layer(kind.channels);
      const int out_channels = ratio ? kind.channels : layer.params.out_channels;
      ImageUpsamplerSpec spec{std::move(layer), layer_->interpolation(), border_, opt_.image.linear,
                              ratio};
      ImageUpsamplerOptions options;
      options.force_impl = opt_.force_impl;
      options.interleaved_allowed = interleaved_allowed;
      options.max_output_elements = std::min(
          std::min(opt_.image.max_output_pixels, Tensor::kMaxElements) * out_channels,
          Tensor::kMaxElements);
      try {
        slot = std::make_unique<ImageUpsampler>(ImageUpsampler::create(std::move(spec), kind, options));
      } catch (...) {
        upsamplers_.erase(key);
        throw;
      }
    }
    return *slot;
  }

  // The op for .npy inputs of `channels` channels (border zero unless --border).
  const ConvTranspose2d& numeric_op(int channels, int threads) {
    const std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = numeric_ops_[channels];
    if (!slot) {
      Layer layer = layer_->layer(channels);
      try {
        OpOptions options = op_options(opt_);
        options.threads = threads;  // one share for the whole batch
        slot = std::make_unique<ConvTranspose2d>(
            ConvTranspose2d::create(layer.params, std::move(layer.weights), options));
      } catch (...) {
        numeric_ops_.erase(channels);
        throw;
      }
    }
    return *slot;
  }

 private:
  const UpsampleOptions& opt_;
  std::optional<Model> model_;
  std::optional<LayerSource> layer_;
  Border border_ = Border::kReplicate;
  std::mutex mutex_;
  std::map<std::tuple<int, int, bool, std::array<int, 4>>, std::unique_ptr<ImageUpsampler>> upsamplers_;
  std::map<int, std::unique_ptr<ConvTranspose2d>> numeric_ops_;
};

// The samples of `raw` as T (std::uint8_t, std::uint16_t or float; const for input).
template <typename T>
InterleavedView<T> view_of(std::conditional_t<std::is_const_v<T>, const RawImage&, RawImage&> raw) {
  return {reinterpret_cast<T*>(raw.bytes.data()), raw.height, raw.width, raw.channels,
          static_cast<std::ptrdiff_t>(raw.width) * raw.channels};
}

// The writable samples of `buffer` laid out as `shape` says.
template <typename T>
InterleavedView<T> output_view(const RawView& shape, PageBuffer& buffer) {
  return {reinterpret_cast<T*>(buffer.data()), shape.height, shape.width, shape.channels,
          static_cast<std::ptrdiff_t>(shape.width) * shape.channels};
}

bool is_npy(std::span<const unsigned char> bytes) {
  return bytes.size() >= 6 && std::memcmp(bytes.data(), "\x93NUMPY", 6) == 0;
}

// Where one item's encoded result goes, and in which format.
struct OutputTarget {
  fs::path path;              ///< The file, or "-" for stdout.
  std::string format;         ///< "png", "jpg", "jpeg", "tif", "tiff", "webp", "bmp" or "npy".
  bool make_parents = false;  ///< Create missing directories (the -o DIR tree).
  [[nodiscard]] bool to_stdout() const { return path == kStdio; }
  [[nodiscard]] std::string name() const { return to_stdout() ? "stdout" : path.string(); }
};

void write_output(const OutputTarget& output, std::span<const unsigned char> bytes,
                  bool overwrite) {
  if (output.to_stdout()) return write_stdout(bytes);
  if (output.make_parents) {
    const fs::path dir = output.path.parent_path();
    std::error_code ec;
    if (!dir.empty()) fs::create_directories(dir, ec);
    if (!dir.empty() && !fs::is_directory(dir))
      throw InputError(dir.string() + ": cannot create directory" +
                       (ec ? ": " + ec.message() : std::string()));
  }
  write_file_atomic(output.path, bytes, overwrite);
}

// Refuses early what the write would refuse at the end, so no work is wasted.
void check_output(const fs::path& input, const OutputTarget& target, bool overwrite) {
  if (target.to_stdout()) return;
  const fs::path& output = target.path;
  if (same_file(input, output))
    throw InputError(output.string() + ": is the input file; refusing to write over it");
  std::error_code ec;
  const fs::path parent = output.parent_path();
  if (target.make_parents && !parent.empty() && !fs::is_directory(parent, ec)) return;  // made at the write
  check_output_target(output, overwrite);
}

std::string extension_of(const fs::path& p) {
  std::string ext = p.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

// The .npy output in one buffer sized once: the header, then the float
// data, which each batch item's op writes into its own slice, so the buffer
// is written to the file as it is with no further copy. The header's size is
// a multiple of 64 (encode_npy_header), so the data are float-aligned.
struct NpyOutput {
  std::vector<unsigned char> bytes;
  std::span<float> values;
};

// The .npy shape of n items of `item`: (C,H,W) for a 3-d input, else (N,C,H,W).
std::vector<std::int64_t> npy_shape(std::size_t rank, std::int64_t n, const Shape3& item) {
  std::vector<std::int64_t> shape;
  if (rank == 4) shape.push_back(n);
  shape.insert(shape.end(), {item.c, item.h, item.w});
  return shape;
}

NpyOutput allocate_npy_output(std::vector<unsigned char> header, std::int64_t elements) {
  NpyOutput out;
  out.bytes = std::move(header);
  const std::size_t data_begin = out.bytes.size();
  out.bytes.resize(data_begin + static_cast<std::size_t>(elements) * sizeof(float));
  out.values = {reinterpret_cast<float*>(out.bytes.data() + data_begin),
                static_cast<std::size_t>(elements)};
  return out;
}

// The buffers numeric mode holds at once: the input file and its values,
// the output .npy, and what computing the items needs besides.
MemoryPlan numeric_memory_plan(std::span<const unsigned char> bytes, const NpyArray& x,
                               std::size_t header_bytes, std::int64_t output_elements,
                               const char* compute_name, std::int64_t compute_bytes) {
  MemoryPlan plan;
  plan.phase()
      .add("input file", static_cast<std::int64_t>(bytes.size()))
      .add("input values", static_cast<std::int64_t>(x.values.size() * sizeof(float)))
      .add("output .npy", static_cast<std::int64_t>(header_bytes) + output_elements * 4)
      .add(compute_name, compute_bytes);
  return plan;
}

void check_output_elements(const char* what, std::int64_t n, const Shape3& out_shape,
                           std::int64_t limit) {
  if (out_shape.elements() * n > limit)
    throw LimitExceeded(std::string(what) + " output NxCxHxW " + std::to_string(n) + "x" +
                        to_string(out_shape) + ": exceeds the limit of " + std::to_string(limit) +
                        " elements");
}

// A .npy array through --model's network (no colour handling): (C,H,W) or
// (N,C,H,W) with C the model's channels.
void run_numeric_model(const UpsampleOptions& opt, const Model& model,
                       std::span<const unsigned char> bytes, const NpyArray& x, const Shape3& item,
                       std::int64_t n, const OutputTarget& output) {
  if (item.c != model.channels())
    throw UsageError(opt.input + ": has " + std::to_string(item.c) + " channels, --model " +
                     opt.layer.model + " takes " + std::to_string(model.channels()));
  const Shape3 out_shape{item.c, item.h * model.scale(), item.w * model.scale()};
  check_output_elements("model", n, out_shape, OpOptions().max_output_elements);
  check_output(opt.input, output, opt.overwrite);
  std::vector<unsigned char> header = encode_npy_header(npy_shape(x.shape.size(), n, out_shape));
  // Items run one after another; each one's result is copied into its slice.
  check_memory(opt.input,
               numeric_memory_plan(bytes, x, header.size(), out_shape.elements() * n, "network",
                                   model.network_peak_bytes(item)),
               opt.image.max_memory);
  NpyOutput y = allocate_npy_output(std::move(header), out_shape.elements() * n);
  const auto out_size = static_cast<std::size_t>(out_shape.elements());
  for (std::int64_t b = 0; b < n; ++b) {
    const Tensor out = model.run_network({x.values.data() + b * item.elements(), item}, opt.threads);
    std::copy(out.span().begin(), out.span().end(),
              y.values.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(b) * out_size));
  }
  write_output(output, y.bytes, opt.overwrite);
  spdlog::info("{} -> {} (CxHxW {}, --model)", opt.input, output.name(), to_string(out_shape));
}

void run_numeric(const UpsampleOptions& opt, std::span<const unsigned char> bytes,
                 const OutputTarget& output, BatchPlans& plans) {
  const Model* model = plans.model();
  if (output.format != "npy")
    throw UsageError("-o " + output.name() + ": a .npy input writes a .npy output");
  if (model == nullptr && plans.layer().resamples())
    throw UsageError(opt.input + ": a .npy input runs the layer, which takes an integer -s "
                     "(fractional factors and target sizes serve images)");
  const NpyArray x = parse_npy(bytes, opt.input);
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
  if (model != nullptr) return run_numeric_model(opt, *model, bytes, x, item, n, output);

  const ConvTranspose2d& op = plans.numeric_op(item.c, opt.threads);
  const Border border = border_of(opt.layer, Border::kZero);
  const Shape3 out_shape = op.output_shape(item);
  check_output(opt.input, output, opt.overwrite);
  spdlog::debug("{}: CxHxW {} x{} with {} ({}, border {})", opt.input, to_string(item), n,
                op.params().to_string(), op.impl_name(), to_string(border));
  check_output_elements("conv_transpose2d", n, out_shape, op.options().max_output_elements);
  std::vector<unsigned char> header = encode_npy_header(npy_shape(rank, n, out_shape));
  check_memory(opt.input,
               numeric_memory_plan(bytes, x, header.size(), out_shape.elements() * n, "scratch",
                                   run_batch_with_border_scratch_bytes(op, item, n, border)),
               opt.image.max_memory);
  NpyOutput y = allocate_npy_output(std::move(header), out_shape.elements() * n);
  run_batch_with_border(op, x.values, item, y.values, border);
  write_output(output, y.bytes, opt.overwrite);
  spdlog::info("{} -> {} (CxHxW {})", opt.input, output.name(), to_string(out_shape));
}

// Encodes a planar image; warns when the format had to narrow the samples.
std::vector<unsigned char> encode_planar(const Image& image, ImageFormat format,
                                         const EncodeOptions& encode, const std::string& name) {
  SampleType written{};
  auto encoded = encode_image(image, format, encode, &written);
  if (written != image.type)
    spdlog::warn("{}: {} cannot hold {} samples; wrote {}", name, to_string(format),
                 to_string(image.type), to_string(written));
  return encoded;
}

// The output's pixel count (--max-output-pixels) and each side against what
// the output format can store, from the header, before decoding.
void check_planned_output(const UpsampleOptions& opt, ImageFormat format, Size2 size) {
  check_output_pixels(opt.input, size, opt.image);
  const int side = largest_side(format);
  if (size.h > side || size.w > side)
    throw InputError(opt.input + ": output " + std::to_string(size.w) + "x" + std::to_string(size.h) +
                     " is larger than " + to_string(format) + " can store (at most " +
                     std::to_string(side) + " pixels per side)");
}

std::int64_t sample_bytes(SampleType type) {
  return type == SampleType::kU8 ? 1 : type == SampleType::kU16 ? 2 : 4;
}

// The buffers one image's run holds, phase by phase (see MemoryPlan), for a
// decoded input of shape `in` and sample type `type` and an output of
// `out`. The fused path holds the decoded and the output samples, then the
// output samples and the encoded file; the planar path holds the decoded
// samples and the planar float input, then that input and `upsampling`
// (the planar output and scratch, or the model's peak), then the planar
// output, its interleaved samples and the encoded file. The encoded file is
// taken to be as large as the samples (lossless formats of noisy images).
MemoryPlan image_memory_plan(const Shape3& in, SampleType type, const Shape3& out, bool fused,
                             std::initializer_list<std::pair<const char*, std::int64_t>> upsampling) {
  const std::int64_t decoded = in.elements() * sample_bytes(type);
  const std::int64_t samples = out.elements() * sample_bytes(type);
  MemoryPlan plan;
  if (fused) {
    plan.phase().add("decoded", decoded).add("output samples", samples);
    plan.phase().add("output samples", samples).add("encoded", samples);
    return plan;
  }
  const std::int64_t planar_in = in.elements() * 4;
  plan.phase().add("decoded", decoded).add("planar input", planar_in);
  plan.phase().add("planar input", planar_in);
  for (const auto& [what, size] : upsampling) plan.add(what, size);
  plan.phase()
      .add("planar output", out.elements() * 4)
      .add("interleaved output", samples)
      .add("encoded", samples);
  return plan;
}

// The level of an image's "done" line: a stream's frames are counted in
// the stream's own line instead.
spdlog::level::level_enum done_level(const UpsampleOptions& opt) {
  return opt.stream_frame ? spdlog::level::debug : spdlog::level::info;
}

void run_image(const UpsampleOptions& opt, std::span<const unsigned char> bytes,
               const OutputTarget& output, BatchPlans& plans) {
  const Model* model = plans.model();
  const auto format = format_from_extension(output.format);
  if (!format)
    throw UsageError("-o " + output.name() +
                     ": unknown output extension (png, jpg, tif, webp, bmp, exr; npy for .npy input)");
  // Decoders allocate from the header's word: the format, the input size and
  // the output size are checked from the header before any decoder runs.
  const DecodeLimits limits = decode_limits(opt.image);
  // Metadata is read even with --strip: the orientation is applied to the pixels either way.
  const InspectedImage inspected = inspect_image(bytes, opt.input, limits);
  const Metadata& metadata = inspected.metadata;
  const Size2 shown = inspected.shown();
  if (model != nullptr) {
    const std::int64_t oh = std::int64_t{shown.h} * model->scale();
    const std::int64_t ow = std::int64_t{shown.w} * model->scale();
    if (oh > INT32_MAX || ow > INT32_MAX)
      throw InputError(opt.input + ": the output side would exceed 2^31 - 1");
    check_planned_output(opt, *format, {static_cast<int>(oh), static_cast<int>(ow)});
    // Before decoding, the least the run can need (a gray 8-bit image).
    const Shape3 gray{1, shown.h, shown.w};
    check_memory(opt.input,
                 image_memory_plan(gray, SampleType::kU8,
                                   {1, static_cast<int>(oh), static_cast<int>(ow)}, false,
                                   {{"model", model->planned_peak_bytes(gray)}}),
                 opt.image.max_memory);
  } else {
    Size2 planned;
    try {
      planned = plans.layer().output_size(shown);
    } catch (const InputError& e) {
      throw InputError(opt.input + ": " + e.what());
    }
    check_planned_output(opt, *format, {planned.h, planned.w});
    // Before decoding, the least the run can need (a gray 8-bit image, fused).
    check_memory(opt.input,
                 image_memory_plan({1, shown.h, shown.w}, SampleType::kU8,
                                   {1, planned.h, planned.w}, true, {}),
                 opt.image.max_memory);
  }
  const auto started = std::chrono::steady_clock::now();
  auto lap = [last = started](const char* what) mutable {
    const auto now = std::chrono::steady_clock::now();
    spdlog::debug("{}: {:.1f} ms", what, std::chrono::duration<double, std::milli>(now - last).count());
    last = now;
  };
  RawImage raw = decode_image(bytes, opt.input, limits, inspected);
  lap("decode");
  const std::string input_description = describe(raw.shape(), raw.type);
  EncodeOptions encode;
  encode.jpeg_quality = opt.quality;
  encode.png_compression = opt.png_compression;
  encode.threads = opt.threads;

  if (model != nullptr) {
    // --model: the learned network with its colour handling, planar float.
    const Shape3 out_shape{raw.channels, raw.height * model->scale(), raw.width * model->scale()};
    if (out_shape.elements() > OpOptions().max_output_elements)
      throw LimitExceeded("output " + describe(out_shape, raw.type) + ": more than " +
                          std::to_string(OpOptions().max_output_elements) + " samples");
    check_memory(opt.input,
                 image_memory_plan(raw.shape(), raw.type, out_shape, false,
                                   {{"model", model->planned_peak_bytes(raw.shape())}}),
                 opt.image.max_memory);
    check_output(opt.input, output, opt.overwrite);
    Image image = to_planar(raw);
    raw = RawImage();
    Image result{model->upsample(image.pixels.view(), opt.threads), image.type};
    image.pixels = Tensor();
    lap("upsample (model)");
    auto encoded = encode_planar(result, *format, encode, output.name());
    if (!opt.image.strip)
      encoded = embed_metadata(std::move(encoded), *format, metadata, {out_shape.h, out_shape.w},
                               output.name());
    lap("encode");
    write_output(output, encoded, opt.overwrite);
    spdlog::log(done_level(opt), "{} ({}) -> {} ({}) with {}", opt.input, input_description,
                output.name(), wxh_text({out_shape.h, out_shape.w}), opt.layer.model);
    return;
  }

  // The layer, its border and the path (interleaved samples or planar
  // float) were planned for this kind of image once; the interleaved path
  // needs an output format that stores the input's samples.
  const ImageUpsampler& upsampler =
      plans.upsampler({raw.channels, raw.type}, {raw.height, raw.width}, can_store(*format, raw.type));
  const Shape3 out_shape = upsampler.output_shape({raw.height, raw.width});
  if (out_shape.c != 1 && out_shape.c != 3 && out_shape.c != 4)
    throw UsageError("--weights " + opt.layer.weights + ": " + std::to_string(out_shape.c) +
                     " output channels cannot be stored as an image (1, 3 or 4)");
  const std::int64_t max_samples =
      std::min(std::min(opt.image.max_output_pixels, Tensor::kMaxElements) * out_shape.c,
               Tensor::kMaxElements);
  if (out_shape.elements() > max_samples)
    throw LimitExceeded("output " + describe(out_shape, raw.type) + ": more than " +
                        std::to_string(max_samples) + " samples");
  check_output(opt.input, output, opt.overwrite);

  const bool interleaved = upsampler.interleaved();
  check_memory(opt.input,
               image_memory_plan(raw.shape(), raw.type, out_shape, interleaved,
                                 {{"planar output", out_shape.elements() * 4},
                                  {"scratch", upsampler.scratch_bytes({raw.height, raw.width},
                                                                      opt.threads)}}),
               opt.image.max_memory);
  std::vector<unsigned char> encoded;
  if (interleaved) {
    // Page-fresh memory: the upsampler writes every sample, so no zero-filling
    // pass, and huge pages spare thousands of first-touch page faults.
    PageBuffer samples(static_cast<std::size_t>(out_shape.elements()) * sample_bytes(raw.type));
    const RawView result{samples.data(), out_shape.h, out_shape.w, raw.channels, raw.type};
    switch (raw.type) {
      case SampleType::kU8:
        upsampler.run(view_of<const std::uint8_t>(raw), output_view<std::uint8_t>(result, samples),
                      opt.threads);
        break;
      case SampleType::kU16:
        upsampler.run(view_of<const std::uint16_t>(raw), output_view<std::uint16_t>(result, samples),
                      opt.threads);
        break;
      case SampleType::kF32:
        upsampler.run(view_of<const float>(raw), output_view<float>(result, samples), opt.threads);
        break;
    }
    raw = RawImage();  // lower peak memory
    lap("upsample (interleaved)");
    encoded = encode_raw(result, *format, encode);
  } else {
    Image image = to_planar(raw);
    raw = RawImage();
    if (opt.image.linear && image.type == SampleType::kF32)
      spdlog::info("{}: float samples are taken as linear light already", opt.input);
    // Linear light and premultiplied alpha are the upsampler's (planned).
    Image result{upsampler.run(std::move(image.pixels), opt.threads), image.type};
    lap("upsample (planar)");
    encoded = encode_planar(result, *format, encode, output.name());
  }
  if (!opt.image.strip)
    encoded = embed_metadata(std::move(encoded), *format, metadata, {out_shape.h, out_shape.w},
                             output.name());
  lap("encode");
  write_output(output, encoded, opt.overwrite);
  lap("write");
  const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                            started)
                      .count();
  spdlog::log(done_level(opt), "{} ({}) -> {} ({}) in {:.0f} ms", opt.input, input_description,
              output.name(), wxh_text({out_shape.h, out_shape.w}), ms);
  spdlog::debug("{} with {} ({}), border {}", upsampler.problem(), upsampler.impl_name(),
                interleaved ? "interleaved" : "planar", to_string(upsampler.border()));
}

// The encoding of one item's output: --format, else the output file's
// extension; for stdout, a device or a FIFO without an extension --format,
// else the input's own format.
std::string output_format(const UpsampleOptions& opt, const fs::path& output, bool numeric,
                          std::span<const unsigned char> bytes) {
  const auto wanted = opt.format.empty() ? std::nullopt : canonical_format(opt.format);
  // A device or FIFO (-o /dev/null, a named pipe) is a stream like stdout.
  const auto is_stream = [&] {
    try {
      return resolve_output(output).kind == TargetKind::kStream;
    } catch (const InputError&) {
      return false;
    }
  };
  if (output == kStdio || (extension_of(output).empty() && is_stream())) {
    if (wanted) return *wanted;
    if (numeric) return "npy";
    const auto sniffed = sniff_format(bytes);
    return sniffed ? to_string(*sniffed) : "png";  // an unknown input fails in the decoder
  }
  std::string ext = extension_of(output);
  if (!ext.empty()) ext.erase(0, 1);
  if (!wanted) return ext;
  if (const auto named = canonical_format(ext); named && *named != *wanted)
    throw UsageError("--format " + opt.format + ": contradicts the output name " + output.string());
  return *wanted;
}


// The output extension a file's bytes call for (a PNG named scan.dat
// becomes scan_x2.png), from its first bytes.
std::optional<std::string> extension_from_bytes(const std::string& input) {
  std::ifstream in(input, std::ios::binary);
  std::array<unsigned char, 64> head{};
  in.read(reinterpret_cast<char*>(head.data()), head.size());
  const std::span<const unsigned char> bytes(head.data(), static_cast<std::size_t>(in.gcount()));
  if (is_npy(bytes)) return "npy";
  const auto format = sniff_format(bytes);
  if (!format) return std::nullopt;
  if (*format == ImageFormat::kExr) return "exr";
  const auto written = canonical_format(to_string(*format));
  return written ? written : std::optional<std::string>("png");
}

// One input's bytes, read whole: a .npy array or an image, to `output_path`.
void run_bytes(const UpsampleOptions& opt, std::span<const unsigned char> bytes,
               const std::string& output_path, bool output_dir, BatchPlans& plans) {
  const bool numeric = is_npy(bytes);
  const OutputTarget output{output_path, output_format(opt, output_path, numeric, bytes),
                            output_dir};
  if (numeric)
    run_numeric(opt, bytes, output, plans);
  else
    run_image(opt, bytes, output, plans);
}

// stdin ("-"): one image or array, as any other input, or a stream of PNG
// files (ffmpeg's image2pipe). A PNG on stdin is framed by PngStream; when a
// second PNG follows the first, the frames are run one by one, in order,
// each as an image of its own (the same reader, checks and plans as any
// input), and written to stdout as they finish, so at most two frames'
// bytes are held at once. The first failing frame ends the stream (frames
// before it are written); a stream is written as PNG to stdout only, which
// is checked once the second frame has arrived, before the first is written.
// `max_bytes` (--max-input-bytes) caps one image, or each frame of a stream.
void run_stdin(const UpsampleOptions& opt, const std::string& output_path, bool output_dir,
               std::uint64_t max_bytes, BatchPlans& plans) {
  StdinReader in;
  std::vector<unsigned char> head;
  (void)in.read(sizeof kPngSignature, head);
  if (!has_png_signature(head)) {
    in.read_rest(head, max_bytes);
    if (head.empty()) throw InputError("stdin: empty input");
    if (head.size() > max_bytes)  // the sniffed bytes alone (a cap below 8)
      throw InputError("stdin: more than the limit of " + std::to_string(max_bytes) +
                       " bytes (see --max-input-bytes)");
    return run_bytes(opt, head, output_path, output_dir, plans);
  }
  PngStream stream(in, std::move(head), {max_bytes, decode_limits(opt.image).max_pixels});
  std::optional<std::vector<unsigned char>> frame = stream.next();
  if (stream.at_end()) return run_bytes(opt, *frame, output_path, output_dir, plans);

  std::optional<std::vector<unsigned char>> second = stream.next();
  if (output_path != kStdio)
    throw UsageError("stdin: holds a stream of images (a second PNG follows the first); a "
                     "stream is written to -o - (stdout), one PNG after another");
  const OutputTarget output{output_path, output_format(opt, output_path, false, *frame), false};
  if (output.format != "png")
    throw UsageError("--format " + opt.format + ": a stream of images on stdin is written as "
                     "PNG, one file after another (give --format png or leave it out)");
  const auto started = std::chrono::steady_clock::now();
  int done = 0;
  while (frame) {
    if (interrupt_signal() != 0) break;  // the batch reports the signal
    UpsampleOptions one = opt;
    one.input = "stdin: frame " + std::to_string(done + 1);
    one.stream_frame = true;
    run_image(one, *frame, output, plans);
    ++done;
    frame = std::move(second);
    second.reset();
    if (!frame) frame = stream.next();
  }
  spdlog::info("stdin: {} frames (PNG stream) -> stdout in {:.1f} s", done,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

BatchSpec batch_spec(const UpsampleOptions& opt, const Model* model) {
  const BatchFlags& b = opt.batch;
  BatchSpec spec;
  spec.inputs = b.inputs;
  if (!b.files_from.empty()) {
    if (b.files_from == kStdio &&
        std::find(b.inputs.begin(), b.inputs.end(), std::string(kStdio)) != b.inputs.end())
      throw UsageError("--files-from -: stdin cannot be both the path list and an input");
    std::vector<std::string> listed;
    if (b.files_from == kStdio) {
      listed = read_path_list(std::cin, b.nul);
    } else {
      std::ifstream list(b.files_from, std::ios::binary);
      if (!list) throw UsageError("--files-from " + b.files_from + ": cannot open");
      listed = read_path_list(list, b.nul);
    }
    spec.listed = std::move(listed);
    spec.from_list = true;
  }
  spec.recursive = b.recursive;
  spec.output = opt.output;
  spec.name_template = b.name;
  spec.format = opt.format;
  spec.scale = model ? scale_text(Size2{model->scale(), model->scale()}) : scale_name(opt.layer);
  if (!b.shard.empty()) spec.shard = parse_shard(b.shard);
  spec.skip_existing = b.skip_existing;
  spec.content_extension = extension_from_bytes;
  return spec;
}

// A file that --skip-existing leaves alone: a regular file, or a link to
// one (a device such as /dev/null is written, not skipped).
bool output_exists(const std::string& output) {
  if (output == kStdio) return false;
  try {
    return resolve_output(output).kind == TargetKind::kRegular;
  } catch (const InputError&) {
    std::error_code ec;
    return fs::exists(fs::symlink_status(output, ec));
  }
}


// --dry-run: one line per item on stdout ("IN -> OUT", with "(replace)" or
// "(skip: exists)"), failures that are already certain on stderr.
BatchSummary dry_run(const UpsampleOptions& opt, const std::vector<BatchItem>& items) {
  BatchSummary s;
  std::string listing;
  for (const BatchItem& item : items) {
    std::string reason = item.error;
    std::error_code ec;
    if (reason.empty() && item.input != kStdio && !fs::exists(item.input, ec))
      reason = "cannot read: no such file";
    const bool exists = reason.empty() && output_exists(item.output);
    if (exists && opt.batch.skip_existing) {
      listing += escape_control_bytes(display_name(item.input)) + " -> " +
                 escape_control_bytes(item.output) + " (skip: exists)\n";
      ++s.skipped;
    } else if (exists && !opt.overwrite) {
      reason = item.output + ": exists (use --overwrite to replace it)";
    } else if (reason.empty()) {
      listing += escape_control_bytes(display_name(item.input)) + " -> " +
                 escape_control_bytes(item.output == kStdio ? "stdout" : item.output) +
                 (exists ? " (replace)\n" : "\n");
      ++s.done;
    }
    if (!reason.empty()) {
      spdlog::error("{}", failure_line(item, reason));
      ++s.failed;
    }
  }
  if (std::fwrite(listing.data(), 1, listing.size(), stdout) != listing.size() ||
      std::fflush(stdout) != 0)
    throw InputError("stdout: write failed: " + std::string(std::strerror(errno)));
  return s;
}

}  // namespace

void setup_upsample(CLI::App& app) {
  auto opt = std::make_shared<UpsampleOptions>();
  BatchFlags& b = opt->batch;
  // Not ->required(): the root app also carries subcommands (compare, eval,
  // ...), and CLI11 would demand the main command's input for them too.
  app.add_option("input", b.inputs,
                 "Input images (PNG, JPEG, TIFF, WebP, BMP) or .npy arrays, directories, "
                 "or - for stdin (one image, or a stream of PNGs written to -o - frame by frame)");
  app.add_option("-o,--output", opt->output,
                 "FILE (one input), DIR/ (made if missing; also when several inputs or a "
                 "directory are given), - (stdout) or a device or FIFO (written in place); "
                 "default: beside each input");
  app.add_flag("-r,--recursive", b.recursive,
               "Walk subdirectories; with -o DIR the tree is mirrored under DIR");
  app.add_option("--files-from", b.files_from, "Read more input paths from FILE (- for stdin), one per line (-0: NUL-separated)");
  app.add_flag("-0,--null", b.nul, "--files-from paths are NUL-separated (find -print0)");
  app.add_option("--name", b.name,
                 "Output name template; fields {stem} {ext} {scale} {name}, {{ and }} for braces")
      ->capture_default_str();
  app.add_option("--format", opt->format,
                 "Output encoding png|jpg|webp|tif|bmp|npy (default: the input's; with -o -, "
                 "the input's format)");
  app.add_flag("--overwrite", opt->overwrite, "Replace existing output files (never an input)");
  app.add_flag("--skip-existing", b.skip_existing,
               "Leave existing outputs alone and count them as skipped");
  app.add_flag("--dry-run", b.dry_run, "List what would be written (stdout) and write nothing");
  app.add_option("-j,--jobs", b.jobs, "Images processed in parallel (0: number of cores)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  app.add_flag("--fail-fast", b.fail_fast, "Stop starting new images after the first failure");
  app.add_option("--progress", b.progress,
                 "auto (a bar when stderr is a terminal), bar, json (one line per file on "
                 "stderr) or none")
      ->capture_default_str();
  app.add_option("--report", b.report,
                 "Write per-file results to FILE.json (never an input or output of the batch; "
                 "an existing file only with --overwrite or when it is an earlier report)");
  app.add_option("--shard", b.shard,
                 "Process only shard K of N (K/N, 1-based), chosen by a hash of the output path");
  app.add_option("--max-input-bytes", b.max_input_bytes,
                 "Largest input file or stdin accepted (each frame of a stdin stream)")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  app.add_option("--impl", opt->force_impl, "Force an implementation (e.g. tconv2d_f32_ref)");
  app.add_option("--quality", opt->quality, "JPEG and WebP quality 0-100")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  app.add_option("--png-compression", opt->png_compression,
                 "PNG zlib level 0-9 (run-length strategy: the level changes little)")
      ->capture_default_str()
      ->check(CLI::Range(0, 9));
  app.add_option("-t,--threads", opt->threads,
                 "Threads per image (0: cores / jobs, at least 1); results do not depend on it")
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
  add_layer_flags(app, opt->layer);
  add_target_flags(app, opt->layer);
  add_image_flags(app, opt->image);
  app.callback([opt, &app] {
    if (!app.get_subcommands().empty()) return;  // a subcommand ran instead
    if (opt->batch.inputs.empty() && opt->batch.files_from.empty())
      throw UsageError("no input given (see --help)");
    run_upsample(*opt);
  });
}

void run_upsample(const UpsampleOptions& opt) {
  const BatchFlags& b = opt.batch;
  if (b.skip_existing && opt.overwrite)
    throw UsageError("--skip-existing and --overwrite exclude each other");
  RunnerOptions runner;
  runner.progress = parse_progress(b.progress);
  runner.fail_fast = b.fail_fast;
  BatchPlans plans(opt);
  if (const Model* model = plans.model()) {
    spdlog::debug("--model {}: x{}, colour {}, residual {}, {:.0f} multiply-adds per input pixel",
                  opt.layer.model, model->scale(), to_string(model->color()),
                  to_string(model->residual()), model->macs_per_pixel());
    for (const std::string& line : model->describe()) spdlog::debug("  layer {}", line);
  }
  const BatchPlan plan = plan_batch(batch_spec(opt, plans.model()));
  if (!plan.outputs_not_inputs.empty())
    spdlog::info("{} file(s) such as {} are outputs of other inputs of this batch (by --name), "
                 "not inputs",
                 plan.outputs_not_inputs.size(), plan.outputs_not_inputs.front());
  if (plan.matched == 0)
    throw NothingToDoError(b.recursive ? "no input matched"
                                  : "no input matched (directories are searched with -r)");
  if (plan.items.empty()) {
    spdlog::info("--shard {}: none of the {} inputs falls in this shard", b.shard, plan.matched);
    return;
  }
  if (plan.to_stdout && !b.dry_run && ::isatty(STDOUT_FILENO))
    throw UsageError("-o -: stdout is a terminal; redirect it to a file or a pipe");
  const ReportTarget report = plan_report(b.report, plan.items, opt.overwrite);

  BatchSummary summary;
  std::vector<ItemResult> results;
  if (b.dry_run) {
    summary = dry_run(opt, plan.items);
  } else {
    // Jobs and threads per image compose to about one thread per core.
    const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    runner.jobs = std::min(b.jobs > 0 ? b.jobs : cores, static_cast<int>(plan.items.size()));
    const int threads = opt.threads > 0 ? opt.threads : std::max(1, cores / runner.jobs);
    spdlog::debug("{} inputs, {} jobs x {} threads", plan.items.size(), runner.jobs, threads);
    UpsampleOptions base = opt;
    base.batch = {};
    base.threads = threads;
    const auto work = [&](const BatchItem& item) {
      if (!item.error.empty()) throw InputError(item.error);
      ItemResult result;
      const auto skipped = [&] {
        result.status = ItemStatus::kSkipped;
        result.reason = item.output + ": exists";
        spdlog::debug("{}: skipped, {} exists", item.input, item.output);
        return result;
      };
      if (b.skip_existing && output_exists(item.output)) return skipped();
      UpsampleOptions one = base;
      one.input = display_name(item.input);
      try {
        if (item.input == kStdio) {
          run_stdin(one, item.output, plan.output_dir, b.max_input_bytes, plans);
        } else {
          const auto bytes = read_file(item.input, b.max_input_bytes);
          if (bytes.empty()) throw InputError(one.input + ": empty file");
          run_bytes(one, bytes, item.output, plan.output_dir, plans);
        }
      } catch (const OutputExists&) {
        // Another run on the same folder wrote it meanwhile.
        if (b.skip_existing) return skipped();
        throw;
      }
      result.status = ItemStatus::kDone;
      return result;
    };
    // Temporary files of killed runs go before any output is skipped.
    std::set<fs::path> output_folders;
    for (const BatchItem& item : plan.items) {
      if (item.output.empty() || item.output == kStdio) continue;
      const fs::path folder = fs::path(item.output).parent_path();
      output_folders.insert(folder.empty() ? fs::path(".") : folder);
    }
    for (const fs::path& folder : output_folders)
      if (std::error_code ec; fs::is_directory(folder, ec)) sweep_stale_temp_files(folder);
    summary = run_batch(plan.items, work, runner, results);
    if (summary.interrupted_by != 0) spdlog::warn("{}", interrupted_line(summary));
    if (!report.path.empty()) write_report(report, plan.items, results, summary);
  }
  stop_if_interrupted(summary);
  if (plan.matched > 1 || summary.skipped > 0)
    spdlog::info("{}{} done, {} skipped, {} failed{} in {:.1f} s", b.dry_run ? "dry run: " : "",
                 summary.done, summary.skipped, summary.failed,
                 summary.not_run ? ", " + std::to_string(summary.not_run) + " not run" : "",
                 summary.seconds);
  finish_batch(summary);
}

}  // namespace tconv::app

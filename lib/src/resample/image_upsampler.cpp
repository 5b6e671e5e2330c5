// The image upsampler (see tconv/resample/image_upsampler.hpp): every
// decision (path, impl, border plan) is made in create(); run() checks the
// image against the plan and runs.
#include "tconv/resample/image_upsampler.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "impl/resample_impls.hpp"
#include "resample/bordered_op.hpp"
#include "resample/image_colour.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/error.hpp"

namespace tconv {

struct detail::ImageUpsamplerState {
  ImageKind kind;
  Border border = Border::kReplicate;
  ConvParams params;  // the layer as given (problem string, output shapes)
  std::int64_t max_output_elements = 0;
  // Interleaved path: the problem and the impl's name and run function for
  // the kind's sample type (one of the three is set).
  std::optional<detail::ResampleProblem> resample;
  std::string_view resample_impl;
  detail::ResampleRunFn<std::uint8_t> run_u8 = nullptr;
  detail::ResampleRunFn<std::uint16_t> run_u16 = nullptr;
  detail::ResampleRunFn<float> run_f32 = nullptr;
  // A ratio (spec.ratio), reduced; its planar path runs `planar_resample`
  // on each channel plane.
  std::optional<Ratio2> ratio;
  std::optional<detail::ResampleProblem> planar_resample;
  std::string_view planar_resample_impl;
  detail::ResampleRunFn<float> planar_resample_run = nullptr;
  // Planar path.
  std::optional<detail::BorderedOp> op;
  bool linear_light = false;
  bool premultiplied_alpha = false;
};

namespace {

template <typename T>
constexpr SampleType sample_type_of() {
  if constexpr (std::is_same_v<T, std::uint8_t>)
    return SampleType::kU8;
  else if constexpr (std::is_same_v<T, std::uint16_t>)
    return SampleType::kU16;
  else
    return SampleType::kF32;
}


std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

// Every interleaved impl's name, the three sample types' lists in turn.
std::string impl_list_text() {
  std::vector<std::string> names;
  for (const auto& impl : detail::resample_impl_list<std::uint8_t>()) names.emplace_back(impl.name);
  for (const auto& impl : detail::resample_impl_list<std::uint16_t>()) names.emplace_back(impl.name);
  for (const auto& impl : detail::resample_impl_list<float>()) names.emplace_back(impl.name);
  return join(names);
}

bool is_conv_impl(std::string_view name) {
  const auto names = conv_transpose2d_impl_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Why the interleaved path cannot serve the spec for `kind`, or "" when it can.
std::string interleaved_refusal(const ImageUpsamplerSpec& spec, const ImageKind& kind,
                                const ImageUpsamplerOptions& options) {
  if (!spec.interpolation) return "the layer is not an interpolation kernel";
  if (!options.interleaved_allowed) return "the caller needs a planar result";
  if (kind.channels == 4) return "alpha is interpolated premultiplied (planar)";
  if (spec.linear_light) return "linear light is computed on planar float images";
  if (spec.border == Border::kNormalize) return "the normalize border is planar only";
  return "";
}

// Records the interleaved impl of T for the problem (the registry's choice,
// or the forced one) in `st`.
template <typename T>
void plan_interleaved(detail::ImageUpsamplerState& st, const detail::ResampleProblem& problem,
                      std::string_view force_impl) {
  const detail::ResampleImpl<T>& chosen = detail::choose_resample_impl<T>(problem, force_impl);
  st.resample = problem;
  st.resample_impl = chosen.name;
  if constexpr (std::is_same_v<T, std::uint8_t>) st.run_u8 = chosen.run;
  if constexpr (std::is_same_v<T, std::uint16_t>) st.run_u16 = chosen.run;
  if constexpr (std::is_same_v<T, float>) st.run_f32 = chosen.run;
}

void check_threads(int threads) {
  if (threads < 0 || threads > 256)
    throw InvalidArgument("image upsampler threads " + std::to_string(threads) +
                          ": must be in [0, 256] (0: all cores)");
}

// The upsampler of a ratio (spec.ratio): the interleaved path when it can
// serve the image, otherwise the float impl on each plane.
std::unique_ptr<detail::ImageUpsamplerState> plan_ratio(
    const ImageUpsamplerSpec& spec, const ImageKind& kind, const ImageUpsamplerOptions& options,
    std::unique_ptr<detail::ImageUpsamplerState> st) {
  if (!spec.interpolation)
    throw InvalidArgument("image upsampler ratio: needs an interpolation kernel");
  Ratio2 ratio;
  try {
    ratio = {reduced(spec.ratio->h), reduced(spec.ratio->w)};
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(std::string("image upsampler ") + e.what());
  }
  const std::string& force = options.force_impl;
  if (!force.empty() && is_conv_impl(force))
    throw InvalidArgument("image upsampler impl " + force +
                          ": a ratio runs the interleaved impls (" + impl_list_text() + ")");
  if (options.max_output_elements < 1 || options.max_output_elements > Tensor::kMaxElements)
    throw InvalidArgument("image upsampler max_output_elements " +
                          std::to_string(options.max_output_elements) + ": must be in [1, 2^31]");
  st->ratio = ratio;
  const detail::ResampleProblem problem{*spec.interpolation, {ratio.h.num, ratio.w.num},
                                        spec.border, kind.channels, {ratio.h.den, ratio.w.den}};
  const std::string refusal = interleaved_refusal(spec, kind, options);
  if (refusal.empty()) {
    switch (kind.sample) {
      case SampleType::kU8: plan_interleaved<std::uint8_t>(*st, problem, force); break;
      case SampleType::kU16: plan_interleaved<std::uint16_t>(*st, problem, force); break;
      case SampleType::kF32: plan_interleaved<float>(*st, problem, force); break;
    }
    return st;
  }
  detail::ResampleProblem planar = problem;
  planar.channels = 1;
  // The float planes run the float impls (choose_resample_impl<float> names
  // the rule when a forced impl is not one of them).
  const detail::ResampleImpl<float>& impl = detail::choose_resample_impl<float>(planar, force);
  st->planar_resample = planar;
  st->planar_resample_impl = impl.name;
  st->planar_resample_run = impl.run;
  st->linear_light = spec.linear_light && kind.sample != SampleType::kF32;
  st->premultiplied_alpha = kind.channels == 4;
  return st;
}

}  // namespace

ImageUpsampler ImageUpsampler::create(ImageUpsamplerSpec spec, const ImageKind& kind,
                                      const ImageUpsamplerOptions& options) {
  if (kind.channels < 1)
    throw InvalidArgument("image upsampler channels " + std::to_string(kind.channels) +
                          ": must be >= 1");
  if (spec.ratio) {
    auto st = std::make_unique<detail::ImageUpsamplerState>();
    st->kind = kind;
    st->border = spec.border;
    st->max_output_elements = options.max_output_elements;
    return ImageUpsampler(plan_ratio(spec, kind, options, std::move(st)));
  }
  spec.layer.params.validate(ConvKind::kConvTranspose2d);
  if (spec.interpolation) {
    // The interleaved impls compute the kernel from its taps, not from the
    // layer: the layer must be that kernel.
    const Layer kernel =
        make_upsampler(*spec.interpolation, spec.layer.params.stride, spec.layer.params.in_channels);
    const ConvParams& p = spec.layer.params;
    const ConvParams& k = kernel.params;
    const bool same = p.in_channels == k.in_channels && p.out_channels == k.out_channels &&
                      p.groups == k.groups && p.kernel == k.kernel && p.stride == k.stride &&
                      p.dilation == k.dilation && p.pad_begin == k.pad_begin &&
                      p.pad_end == k.pad_end && p.output_padding == k.output_padding &&
                      p.auto_pad == k.auto_pad && p.output_size == k.output_size &&
                      spec.layer.weights.shape == kernel.weights.shape &&
                      spec.layer.weights.values == kernel.weights.values &&
                      spec.layer.weights.bias.empty();
    if (!same)
      throw InvalidArgument("image upsampler interpolation " +
                            std::string(to_string(*spec.interpolation)) + ": the layer " + p.to_string() +
                            " is not make_upsampler()'s kernel for it (leave interpolation unset)");
  }
  const std::string& force = options.force_impl;
  if (!force.empty() && !detail::is_resample_impl(force) && !is_conv_impl(force))
    throw InvalidArgument("image upsampler impl " + force + ": unknown (interleaved: " +
                          impl_list_text() + "; planar: " + join(conv_transpose2d_impl_names()) +
                          ")");
  auto st = std::make_unique<detail::ImageUpsamplerState>();
  st->kind = kind;
  st->border = spec.border;
  st->params = spec.layer.params;
  st->max_output_elements = options.max_output_elements;
  const std::string refusal = interleaved_refusal(spec, kind, options);
  const bool forced_interleaved = !force.empty() && detail::is_resample_impl(force);
  if (forced_interleaved && !refusal.empty())
    throw InvalidArgument("image upsampler impl " + force + ": " + refusal);
  if (refusal.empty() && (force.empty() || forced_interleaved)) {
    if (options.max_output_elements < 1 || options.max_output_elements > Tensor::kMaxElements)
      throw InvalidArgument("image upsampler max_output_elements " +
                            std::to_string(options.max_output_elements) + ": must be in [1, 2^31]");
    const detail::ResampleProblem problem{*spec.interpolation, spec.layer.params.stride,
                                          spec.border, kind.channels};
    switch (kind.sample) {
      case SampleType::kU8: plan_interleaved<std::uint8_t>(*st, problem, force); break;
      case SampleType::kU16: plan_interleaved<std::uint16_t>(*st, problem, force); break;
      case SampleType::kF32: plan_interleaved<float>(*st, problem, force); break;
    }
    return ImageUpsampler(std::move(st));
  }
  OpOptions op_options;
  op_options.force_impl = force;
  op_options.max_output_elements = options.max_output_elements;
  st->op.emplace(ConvTranspose2d::create(spec.layer.params, std::move(spec.layer.weights), op_options),
                 spec.border);
  st->linear_light = spec.linear_light && kind.sample != SampleType::kF32;
  st->premultiplied_alpha = kind.channels == 4 && spec.layer.params.out_channels == 4;
  return ImageUpsampler(std::move(st));
}

ImageUpsampler::ImageUpsampler(std::unique_ptr<detail::ImageUpsamplerState> state) noexcept : state_(std::move(state)) {}
ImageUpsampler::ImageUpsampler(ImageUpsampler&&) noexcept = default;
ImageUpsampler& ImageUpsampler::operator=(ImageUpsampler&&) noexcept = default;
ImageUpsampler::~ImageUpsampler() = default;

const ImageKind& ImageUpsampler::kind() const noexcept { return state_->kind; }
bool ImageUpsampler::interleaved() const noexcept { return state_->resample.has_value(); }
std::string_view ImageUpsampler::impl_name() const noexcept {
  if (state_->resample) return state_->resample_impl;
  return state_->planar_resample ? state_->planar_resample_impl : state_->op->impl_name();
}
std::string ImageUpsampler::problem() const {
  const detail::ImageUpsamplerState& st = *state_;
  if (!st.ratio) return st.params.to_string();
  const detail::ResampleProblem& p = st.resample ? *st.resample : *st.planar_resample;
  return std::string(to_string(p.kind)) + " x" + to_string(st.ratio->h) + "," + to_string(st.ratio->w);
}
Border ImageUpsampler::border() const noexcept { return state_->border; }

Shape3 ImageUpsampler::output_shape(Size2 size) const {
  const detail::ImageUpsamplerState& st = *state_;
  if (!st.ratio)
    return st.params.output_shape(ConvKind::kConvTranspose2d, {st.kind.channels, size.h, size.w});
  if (size.h < 1 || size.w < 1)
    throw ShapeMismatch("image upsampler input " + to_string(size) + ": must not be empty");
  const std::int64_t h = resampled_length(size.h, st.ratio->h);
  const std::int64_t w = resampled_length(size.w, st.ratio->w);
  if (h > INT32_MAX || w > INT32_MAX)
    throw LimitExceeded("image upsampler output of " + to_string(size) + " by " +
                        to_string(st.ratio->h) + "," + to_string(st.ratio->w) +
                        ": a side would exceed 2^31 - 1");
  return {st.kind.channels, static_cast<int>(h), static_cast<int>(w)};
}

std::int64_t ImageUpsampler::scratch_bytes(Size2 size, int threads) const {
  if (state_->resample || state_->planar_resample) {
    (void)output_shape(size);
    return 0;  // a few rows per thread
  }
  return state_->op->scratch_bytes({state_->kind.channels, size.h, size.w}, threads);
}

namespace {

template <typename T>
void run_interleaved(const detail::ImageUpsamplerState& st, detail::ResampleRunFn<T> run,
                     InterleavedView<const T> src, InterleavedView<T> dst, int threads) {
  if (!st.resample || st.kind.sample != sample_type_of<T>())
    throw InvalidArgument(std::string("image upsampler: planned for ") +
                          (st.resample ? "other samples" : "planar images") +
                          "; this run takes interleaved samples of another kind");
  check_threads(threads);
  if (src.channels != st.kind.channels)
    throw ShapeMismatch("image upsampler input channels " + std::to_string(src.channels) +
                        ": planned for " + std::to_string(st.kind.channels));
  detail::check_resample_views(*st.resample, src, dst);
  if (std::int64_t{dst.height} * dst.width * dst.channels > st.max_output_elements)
    throw LimitExceeded("image upsampler output " + std::to_string(dst.width) + "x" +
                        std::to_string(dst.height) + "x" + std::to_string(dst.channels) +
                        ": exceeds the limit of " + std::to_string(st.max_output_elements) +
                        " samples");
  run(*st.resample, src, dst, threads);
}

}  // namespace

void ImageUpsampler::run(InterleavedView<const std::uint8_t> src,
                         InterleavedView<std::uint8_t> dst, int threads) const {
  run_interleaved(*state_, state_->run_u8, src, dst, threads);
}
void ImageUpsampler::run(InterleavedView<const std::uint16_t> src,
                         InterleavedView<std::uint16_t> dst, int threads) const {
  run_interleaved(*state_, state_->run_u16, src, dst, threads);
}
void ImageUpsampler::run(InterleavedView<const float> src, InterleavedView<float> dst,
                         int threads) const {
  run_interleaved(*state_, state_->run_f32, src, dst, threads);
}

Tensor ImageUpsampler::run(Tensor src, int threads) const {
  const detail::ImageUpsamplerState& st = *state_;
  if (st.resample)
    throw InvalidArgument("image upsampler: planned for interleaved samples; this run takes a "
                          "planar image");
  check_threads(threads);
  if (src.shape().c != st.kind.channels)
    throw ShapeMismatch("image upsampler input " + to_string(src.shape()) + ": needs " +
                        std::to_string(st.kind.channels) + " channels");
  const Shape3 out_shape = st.op ? st.op->output_shape(src.shape())
                                 : output_shape({src.shape().h, src.shape().w});
  if (out_shape.elements() > st.max_output_elements)
    throw LimitExceeded("image upsampler output " + to_string(out_shape) +
                        ": exceeds the limit of " + std::to_string(st.max_output_elements) +
                        " samples");
  if (st.linear_light) detail::srgb_to_linear(src);
  // Colour is interpolated premultiplied, so transparent pixels add no colour.
  if (st.premultiplied_alpha) detail::premultiply_alpha(src);
  Tensor result(out_shape);
  if (st.op) {
    st.op->run(src.view(), result.view(), threads);
  } else {
    // A ratio: each channel plane as a one-channel interleaved image.
    const Shape3 in_shape = src.shape();
    for (int c = 0; c < in_shape.c; ++c) {
      const InterleavedView<const float> plane{
          src.data() + static_cast<std::size_t>(c) * in_shape.h * in_shape.w, in_shape.h,
          in_shape.w, 1, in_shape.w};
      const InterleavedView<float> out_plane{
          result.data() + static_cast<std::size_t>(c) * out_shape.h * out_shape.w, out_shape.h,
          out_shape.w, 1, out_shape.w};
      st.planar_resample_run(*st.planar_resample, plane, out_plane, threads);
    }
  }
  src = Tensor();  // the input goes before the colour work on the output
  if (st.premultiplied_alpha) detail::unpremultiply_alpha(result);
  if (st.linear_light) detail::linear_to_srgb(result);
  return result;
}

}  // namespace tconv

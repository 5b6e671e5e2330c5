// tconv/resample/image_upsampler.hpp - "upsample an image" as one planned op.
//
// An ImageUpsampler is planned once for a layer (an interpolation kernel or
// any conv_transpose2d), a border and a kind of image (channel count and
// sample type), then runs on any number of images of that kind, of any
// size, on as many threads as each run is given. Planning decides once how
// images are computed, and impl_name() names the impl that runs:
//
// - Interleaved: an interpolation kernel on an image without alpha, in the
//   samples' own encoding, runs straight from interleaved samples to
//   interleaved samples (the upsample_* impls of tconv/resample/resample.hpp;
//   no planar float image exists, memory stays near input + output).
// - Planar: everything else (--weights layers, alpha, linear light, the
//   normalize border, a caller that needs a float result) runs the
//   conv_transpose2d impls on a planar float image, with the border planned
//   with the op: for replicate and reflect the widened op is created here,
//   once, for every input size of a layer with explicit pads (auto_pad and
//   output_size layers, and normalize, whose response depends on the size,
//   are planned per input shape when run).
//
// Both paths compute the same operation as make_upsampler() (or the given
// layer) + run_with_border(): bit for bit where the interleaved impls say so
// (tconv/resample/resample.hpp), within 1 in the last bit of a sample
// otherwise.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tconv/core/conv_params.hpp"
#include "tconv/core/tensor.hpp"
#include "tconv/resample/border.hpp"
#include "tconv/resample/factories.hpp"
#include "tconv/resample/resample.hpp"

namespace tconv {

namespace detail {
struct ImageUpsamplerState;
}

/// Sample type of an image.
enum class SampleType { kU8, kU16, kF32 };

/// The images one upsampler serves.
struct ImageKind {
  int channels = 3;                     ///< 1 gray, 3 RGB, 4 RGBA; any count >= 1 for --weights layers.
  SampleType sample = SampleType::kU8;  ///< Integer samples are sRGB-encoded; float samples linear.
  friend bool operator==(const ImageKind&, const ImageKind&) = default;
};

/// What an image upsampler computes.
struct ImageUpsamplerSpec {
  /// The transposed convolution: make_upsampler()'s layer for an
  /// interpolation kernel, or any layer (weights, bias, geometry).
  Layer layer;
  /// Set when `layer` is make_upsampler(*interpolation, stride, channels)
  /// (create() checks it): the interleaved impls may then serve it. Unset:
  /// always planar.
  std::optional<Interpolation> interpolation;
  Border border = Border::kReplicate;
  /// Integer (sRGB-encoded) samples go to linear light before the layer and
  /// back after it (planar path); float samples are linear already.
  bool linear_light = false;
  /// Set, with `interpolation`, to resample by a factor num / den per axis
  /// (Ratio: the stride-num transposed convolution and the stride-den
  /// convolution after it, computed in one pass) instead of running
  /// `layer`, which is then left as a default Layer. Any reduced() ratio,
  /// so target sizes (out / in) and factors above kMaxFactor too; both
  /// paths serve it (the planar one plane by plane with the float impl).
  std::optional<Ratio2> ratio;
};

/// Choices made when an upsampler is planned.
struct ImageUpsamplerOptions {
  /// An impl of either family: an interleaved one (upsample_interleaved_impls())
  /// or a conv_transpose2d one (conv_transpose2d_impl_names()). Empty: the
  /// interleaved path when it can serve the image, then the best impl.
  std::string force_impl;
  /// False when the caller needs the planar float result (for instance to
  /// store it at another sample type): the interleaved path is not used.
  bool interleaved_allowed = true;
  /// Largest output sample count (c * oh * ow) a run accepts
  /// (LimitExceeded above it, before allocating); at most Tensor::kMaxElements.
  std::int64_t max_output_elements = std::int64_t{1} << 30;
};

/// A planned image upsampler; see the file comment.
class ImageUpsampler {
 public:
  /// Validates the layer, border and options for images of `kind` and plans
  /// the run. Throws InvalidArgument / ShapeMismatch as
  /// ConvTranspose2d::create() (naming the rule), InvalidArgument for an
  /// unknown forced impl or one that cannot serve this kind of image. A
  /// layer whose input channels differ from kind.channels is refused by
  /// the first run, with the op's message naming the image's shape.
  static ImageUpsampler create(ImageUpsamplerSpec spec, const ImageKind& kind,
                               const ImageUpsamplerOptions& options = {});

  ImageUpsampler(ImageUpsampler&&) noexcept;
  ImageUpsampler& operator=(ImageUpsampler&&) noexcept;
  ~ImageUpsampler();

  /// The kind of image planned for.
  [[nodiscard]] const ImageKind& kind() const noexcept;
  /// True when run() takes and returns interleaved samples (see the file
  /// comment); false when it takes and returns planar float images.
  [[nodiscard]] bool interleaved() const noexcept;
  /// The impl that runs, e.g. "upsample_u8_fixed_avx2" or
  /// "tconv2d_f32_phase_avx512" (for logs).
  [[nodiscard]] std::string_view impl_name() const noexcept;
  /// The layer's problem string (ConvParams::to_string()), or the kernel
  /// and ratio ("bilinear x3/2,3/2") for a ratio.
  [[nodiscard]] std::string problem() const;
  [[nodiscard]] Border border() const noexcept;
  /// Output shape (channels, height, width) for an input of `size` {h, w};
  /// throws as ConvParams::output_shape().
  [[nodiscard]] Shape3 output_shape(Size2 size) const;
  /// Bytes a run on an image of `size` allocates besides its input and
  /// output (the extended input and the op's scratch on the planar path),
  /// on `threads` threads; nothing runs. Throws as output_shape().
  [[nodiscard]] std::int64_t scratch_bytes(Size2 size, int threads) const;

  /// Interleaved runs (interleaved() and the kind's sample type; otherwise
  /// InvalidArgument): `dst` exactly output_shape() of `src` (ShapeMismatch
  /// otherwise), not overlapping it. `threads`: 0 all cores, at most 256;
  /// the result does not depend on it.
  void run(InterleavedView<const std::uint8_t> src, InterleavedView<std::uint8_t> dst,
           int threads) const;
  void run(InterleavedView<const std::uint16_t> src, InterleavedView<std::uint16_t> dst,
           int threads) const;
  void run(InterleavedView<const float> src, InterleavedView<float> dst, int threads) const;

  /// The planar run (!interleaved(); otherwise InvalidArgument): `src` is a
  /// planar image of kind().channels channels, integer samples scaled to
  /// [0, 1], taken over so its memory goes as soon as the layer has read it.
  /// Linear light and premultiplied alpha (4 channels in and out) are
  /// applied around the layer and undone after it. Returns the planar
  /// result, not clamped. Throws ShapeMismatch for another channel count,
  /// LimitExceeded above max_output_elements.
  [[nodiscard]] Tensor run(Tensor src, int threads) const;

 private:
  explicit ImageUpsampler(std::unique_ptr<detail::ImageUpsamplerState> state) noexcept;
  std::unique_ptr<detail::ImageUpsamplerState> state_;
};

}  // namespace tconv

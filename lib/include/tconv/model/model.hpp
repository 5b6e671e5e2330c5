// tconv/model/model.hpp - learned upsamplers read from safetensors model files.
//
// A model file is a safetensors file whose tensors keep PyTorch's names and
// layouts and whose "__metadata__" describes the network ("tconv.format",
// "tconv.scale", "tconv.color", "tconv.residual" and the layer list
// "tconv.layers"). The schema - every key, every layer kind and its fields,
// the defaults and what load() checks - is stated once, in
// docs/model-format.md.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tconv/core/conv_params.hpp"
#include "tconv/core/tensor.hpp"
#include "tconv/io/safetensors.hpp"

namespace tconv {

/// What the network sees and how an image is mapped to it.
enum class ModelColor {
  /// BT.601 luma as in SRCNN/FSRCNN (MATLAB rgb2ycbcr on [0, 1] values):
  /// Y = 16/255 + (65.481 R + 128.553 G + 24.966 B) / 255. The network
  /// upsamples Y; Cb and Cr are upsampled with bicubic interpolation and the
  /// result converted back to RGB. A gray image v is taken as R = G = B = v
  /// (Y = 16/255 + 219/255 v) and mapped back the same way.
  kY,
  /// The network takes and returns R, G, B. A gray image is given as
  /// R = G = B and the result's BT.601 luma (0.299, 0.587, 0.114) returned.
  kRgb,
  /// The network takes and returns one channel; each channel of an image
  /// goes through it separately.
  kGray,
};

/// What is added to the network's output (VDSR-style global residual).
enum class ModelResidual {
  kNone,      ///< Nothing.
  kBicubic,   ///< The network input upsampled with bicubic interpolation.
  kBilinear,  ///< The network input upsampled with bilinear interpolation.
};

/// "y", "rgb", "gray".
[[nodiscard]] std::string_view to_string(ModelColor color) noexcept;
/// "none", "bicubic", "bilinear".
[[nodiscard]] std::string_view to_string(ModelResidual residual) noexcept;

/// BT.601 Y, Cb, Cr (MATLAB rgb2ycbcr for values in [0, 1]) of a 3-channel
/// R, G, B tensor; ShapeMismatch unless rgb has 3 channels.
[[nodiscard]] Tensor rgb_to_ycbcr(ConstTensorView rgb);
/// The exact inverse of rgb_to_ycbcr() (MATLAB ycbcr2rgb); ShapeMismatch
/// unless ycbcr has 3 channels.
[[nodiscard]] Tensor ycbcr_to_rgb(ConstTensorView ycbcr);

/// One layer of a model file to write: the format's op name and the fields
/// that op takes ([Layer kinds](docs/model-format.md#layer-kinds)); fields
/// of other ops are ignored.
struct ModelFileLayer {
  /// "conv2d", "conv_transpose2d", "relu", "prelu", "leaky_relu", "tanh",
  /// "sigmoid", "pixel_shuffle", "clamp", "pad" or "upsample".
  std::string op;
  std::string weight;  ///< conv2d, conv_transpose2d, prelu: the tensor's name.
  std::string bias;    ///< conv2d, conv_transpose2d: the bias tensor's name; empty: none.
  /// conv2d, conv_transpose2d: stride, dilation, groups, pad_begin / pad_end
  /// (conv2d also auto_pad kSameUpper, written "same") and output_padding
  /// (conv_transpose2d); stride and padding always written, the others
  /// only where they differ from PyTorch's default. Channels and kernel come from the weight tensor.
  ConvParams params;
  Size2 pad_begin{};   ///< pad: {top, left}.
  Size2 pad_end{};     ///< pad: {bottom, right}.
  /// pad: "constant" (empty: the same), "reflect", "replicate", "circular";
  /// upsample: "nearest" (empty: the same) or "bilinear".
  std::string mode;
  std::optional<double> value;  ///< pad (constant): the fill value; leaky_relu: the slope.
  std::optional<double> min;    ///< clamp: lower bound.
  std::optional<double> max;    ///< clamp: upper bound.
  int factor = 0;               ///< pixel_shuffle, upsample: the factor, in [1, 64].
};

/// Everything a model file holds.
struct ModelFileSpec {
  int scale = 1;                                   ///< "tconv.scale", in [1, 64].
  ModelColor color = ModelColor::kY;               ///< "tconv.color".
  ModelResidual residual = ModelResidual::kNone;   ///< "tconv.residual".
  std::vector<ModelFileLayer> layers;              ///< "tconv.layers", in order; at least one.
  std::vector<NamedTensor> tensors;                ///< The tensors the layers name (written F32).
  /// Further "__metadata__" entries, kept and ignored by load() (e.g.
  /// "source", "tconv.train"); not one of the five keys above.
  std::map<std::string, std::string> metadata;
};

/// The bytes of the model file `spec` describes (safetensors; the layer
/// list as compact JSON, keys in alphabetical order). The one writer of
/// the format: Model::from_safetensors() of its parse gives back the same
/// layers and metadata. Throws InvalidArgument for a scale outside
/// [1, 64], no layers, an unknown op, settings the format cannot express
/// (conv2d same_lower, output_size, conv_transpose2d auto_pad) or a
/// metadata key the format reserves.
[[nodiscard]] std::vector<unsigned char> encode_model(const ModelFileSpec& spec);

/// A learned upsampler: validated once when loaded, with every convolution
/// planned (ConvTranspose2d / Conv2d created once), then run on any number
/// of images.
class Model {
 public:
  /// Reads and validates a model file. Throws IoError / LimitExceeded when
  /// it cannot be read, FormatError "model <path>: <rule>" naming the layer
  /// index, op, tensor and the broken rule otherwise (missing metadata, bad
  /// layer list, a tensor missing or of the wrong shape for the channels
  /// flowing in, NaN/Inf weights, a scale the layers do not produce).
  /// `options` go to every convolution (threads, max_output_elements;
  /// force_impl only where that impl exists for the op).
  static Model load(const std::string& path, const OpOptions& options = {});
  /// The same for a parsed file; `what` names it in messages.
  static Model from_safetensors(const SafetensorsFile& file, std::string_view what,
                                const OpOptions& options = {});

  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  /// The upsampling factor ("tconv.scale").
  [[nodiscard]] int scale() const noexcept;
  [[nodiscard]] ModelColor color() const noexcept;
  [[nodiscard]] ModelResidual residual() const noexcept;
  /// Channels the network takes and returns: 3 for kRgb, 1 otherwise.
  [[nodiscard]] int channels() const noexcept;
  /// The whole "__metadata__".
  [[nodiscard]] const std::map<std::string, std::string>& metadata() const noexcept;
  /// One line per layer, e.g. "3 conv2d g1ic56oc12_kh1kw1_sh1sw1 -> 12 ch (conv2d_f32_ref)".
  [[nodiscard]] std::vector<std::string> describe() const;
  /// Multiply-adds per input pixel of the network (for logs).
  [[nodiscard]] double macs_per_pixel() const noexcept;

  /// The network plus the residual on `src` with exactly channels()
  /// channels, values in [0, 1]; returns channels() x (s h) x (s w), not
  /// clamped. Throws ShapeMismatch for another channel count or when the
  /// layers cannot take this size (too small, or not a size they map to s
  /// times itself), LimitExceeded above the options' output limit. Every
  /// convolution runs on `threads` threads (as ConvTranspose2d::run();
  /// negative: the load options' threads), so one loaded model serves
  /// callers with different thread shares; the result does not depend on it.
  /// The layers run in row bands (each computes only the rows the next one
  /// needs, keeping their overlap), so no feature map is held whole and
  /// max_output_elements bounds the network's output only; a network with a
  /// pad layer, or an input whose whole maps need fewer bytes, runs layer
  /// after layer. Both give the same bits.
  [[nodiscard]] Tensor run_network(ConstTensorView src, int threads = -1) const;
  /// The same into caller-owned `dst` of exactly channels() x (s h) x (s w)
  /// (ShapeMismatch otherwise) that does not overlap src (InvalidArgument);
  /// throws as above.
  void run_network(ConstTensorView src, TensorView dst, int threads = -1) const;

  /// An image with 1 (gray), 3 (R, G, B) or 4 (R, G, B, alpha) channels,
  /// values in [0, 1], through the colour handling of color(). With alpha,
  /// the colour goes through premultiplied by alpha (clamped to [0, 1]),
  /// alpha goes through the network as a gray image does, and the colour is
  /// divided by the resulting alpha (0 where it is not positive) before
  /// alpha is clamped to [0, 1]: as the kernel path, colour and alpha are
  /// filtered alike, so transparent pixels add no colour to visible ones and
  /// a flat colour keeps its value. Returns the same channel count at s
  /// times the size, not clamped. Throws as run_network(), ShapeMismatch for
  /// another channel count; `threads` as run_network().
  [[nodiscard]] Tensor upsample(ConstTensorView image, int threads = -1) const;

  /// Bytes run_network() holds at its peak for an input of shape `src`
  /// (besides src): the output, then the rows of each layer's band and the
  /// convolutions' scratch (or, run layer after layer, each layer's output
  /// beside its input), the residual's scratch. Computed from the shapes
  /// planned at load and the band schedule, nothing runs or is allocated.
  /// Throws as run_network() would for that shape (ShapeMismatch,
  /// LimitExceeded).
  [[nodiscard]] std::int64_t network_peak_bytes(const Shape3& src) const;

  /// Bytes upsample() holds at its peak for an image of shape `image`
  /// (besides the image): the output, the colour planes at the input size
  /// (Y, then Cb and Cr; the premultiplied colour) and what run_network()
  /// holds besides its output, which goes straight into the output planes.
  /// Throws as upsample() would for that shape.
  [[nodiscard]] std::int64_t planned_peak_bytes(const Shape3& image) const;

 private:
  // One plane of `size` at src through the gray path of color() into the
  // plane at dst, s times the size.
  void run_gray(const float* src, float* dst, Size2 size, int threads) const;
  // Bytes run_gray() holds at its peak (besides src and dst).
  [[nodiscard]] std::int64_t gray_peak_bytes(Size2 size) const;

  struct State;
  explicit Model(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

}  // namespace tconv

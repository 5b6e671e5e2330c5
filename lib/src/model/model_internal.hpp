// Internal: what the model files share - the layer kinds (Op, NetLayer),
// the shape rule and forward of each kind (model_layers.cpp), the format
// reader (model_format.cpp) and Model's state (model.cpp, model_colour.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resample/bordered_op.hpp"
#include "core/padding.hpp"
#include "core/plan.hpp"
#include "tconv/core/conv2d.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/io/safetensors.hpp"
#include "tconv/model/model.hpp"

namespace tconv::detail {

/// Largest "tconv.scale" (and pixel_shuffle or upsample factor) the format takes.
inline constexpr int kMaxModelScale = 64;

/// The layer kinds of the format (new kinds go at the end: tables are indexed by Op).
enum class Op { kConv2d, kConvTranspose2d, kRelu, kPrelu, kLeakyRelu, kTanh, kSigmoid,
                kPixelShuffle, kClamp, kPad, kUpsample };

/// torch.nn.functional.pad's modes, in PadMode's order.
inline constexpr std::string_view kPadModes[] = {"constant", "reflect", "replicate", "circular"};

/// torch.nn.Upsample's modes the format takes (align_corners=False).
enum class UpsampleMode { kNearest, kBilinear };
/// Their "mode" strings, in UpsampleMode's order.
inline constexpr std::string_view kUpsampleModes[] = {"nearest", "bilinear"};

struct OpName {
  std::string_view name;
  Op op;
};
/// Each kind's "op" string.
inline constexpr OpName kOps[] = {
    {"conv2d", Op::kConv2d},   {"conv_transpose2d", Op::kConvTranspose2d},
    {"relu", Op::kRelu},       {"prelu", Op::kPrelu},
    {"leaky_relu", Op::kLeakyRelu}, {"tanh", Op::kTanh},
    {"sigmoid", Op::kSigmoid}, {"pixel_shuffle", Op::kPixelShuffle},
    {"clamp", Op::kClamp},     {"pad", Op::kPad},
    {"upsample", Op::kUpsample},
};

inline std::string_view name_of(Op op) {
  for (const OpName& o : kOps)
    if (o.op == op) return o.name;
  return "?";
}

/// One planned layer: its kind and what that kind needs.
struct NetLayer {
  Op op = Op::kRelu;
  std::optional<Conv2d> conv;
  std::optional<ConvTranspose2d> tconv;
  std::vector<float> slopes;  // prelu: 1 or C values
  float a = 0.0f;             // leaky_relu slope; clamp min; pad value
  float b = 0.0f;             // clamp max
  int factor = 1;             // pixel_shuffle, upsample
  Size2 pad_begin{}, pad_end{};  // pad: top, left / bottom, right
  PadMode pad_mode = PadMode::kConstant;
  UpsampleMode upsample_mode = UpsampleMode::kNearest;
  int in_channels = 0;
  int out_channels = 0;
  double macs_per_pixel = 0;  // per network-input pixel
};

inline constexpr std::int64_t kFloatBytes = sizeof(float);

/// Output shape of layer l for an input of shape s; throws as running it
/// would (ShapeMismatch / InvalidArgument for a size it cannot take).
Shape3 layer_output(const NetLayer& l, const Shape3& s);
/// Spatial output size of the layers for an input of s, or nullopt when
/// some layer cannot take the size.
std::optional<Size2> spatial_output(const std::vector<NetLayer>& layers, Shape3 s);
/// Runs layer l on x (in place where the kind allows); `threads` as
/// ConvTranspose2d::run().
Tensor forward(const NetLayer& l, Tensor x, int threads);

/// Whether the kind works value by value (relu, prelu, leaky_relu, tanh,
/// sigmoid, clamp): in place, any rows at a time.
[[nodiscard]] bool is_pointwise(Op op) noexcept;
/// Layer l of an element-wise kind on the channel rows [begin, end) of x
/// (row c * h + y is row y of channel c).
void pointwise(const NetLayer& l, TensorView x, std::int64_t begin, std::int64_t end) noexcept;
/// Output rows `rows` of pixel_shuffle layer l into out ({c, rows.size(),
/// w r}) from in, which holds its input rows from in_begin on (at least
/// rows.begin / r to (rows.end - 1) / r).
void pixel_shuffle_rows(const NetLayer& l, ConstTensorView in, int in_begin, TensorView out,
                        RowRange rows) noexcept;
/// Where a position of an upsample axis reads: out = (1 - w) in[i0] + w in[i1].
struct UpsampleTap {
  int i0 = 0;
  int i1 = 0;
  float w = 0.0f;
};
/// The tap of output position o of an axis of n input pixels upsampled f
/// times, as torch.nn.Upsample(align_corners=False): nearest: i0 = i1 = o /
/// f, w = 0; bilinear: s = max(0, (o + 0.5) / f - 0.5), i0 = floor(s), i1 =
/// min(i0 + 1, n - 1), w = s - i0 (the index exact: integer arithmetic on 2 f s).
[[nodiscard]] UpsampleTap upsample_tap(UpsampleMode mode, int o, int f, int n) noexcept;
/// Input rows of upsample layer l that its output rows `out` (non-empty)
/// read, for an input of in_h rows: [oy / f] (nearest) or the two rows
/// around (oy + 0.5) / f - 0.5, clamped to [0, in_h) (bilinear).
[[nodiscard]] RowRange upsample_input_rows(const NetLayer& l, int in_h, RowRange out) noexcept;
/// Output rows `rows` of upsample layer l into out ({c, rows.size(), w f})
/// from in, which holds rows [in_begin, in_begin + in.shape.h) of an input
/// of in_h rows (at least upsample_input_rows(l, in_h, rows)).
void upsample_rows(const NetLayer& l, ConstTensorView in, int in_begin, int in_h, TensorView out,
                   RowRange rows) noexcept;

/// Backward of layer l of any kind but conv2d and conv_transpose2d for one
/// item: dx = dL/dx (x's shape) from the layer's input x, its output y (what
/// forward(l, x) returned) and dy = dL/dy (y's shape), as PyTorch autograd
/// computes it. prelu also adds dL/da to `dslopes` (l.slopes.size() values,
/// added to, not overwritten); the other kinds ignore it. dx must not
/// overlap x, y or dy. Implementations never validate (the trainer plans the
/// shapes).
void layer_input_grad(const NetLayer& l, ConstTensorView x, ConstTensorView y,
                      ConstTensorView dy, TensorView dx, std::span<float> dslopes) noexcept;

/// ShapeMismatch "<what> input <shape>: needs <c> channels" unless t has c.
void require_channels(ConstTensorView t, int c, const char* what);

/// Whether run_banded() takes the layers: every kind but pad (whose rows
/// near an edge depend on rows far away, e.g. circular); upsample is a
/// producer like pixel_shuffle.
[[nodiscard]] bool bandable(const std::vector<NetLayer>& layers) noexcept;
/// Bytes run_banded() holds besides src and dst (every stage's rows, the
/// rows in passing and the convolutions' scratch), from the same schedule.
[[nodiscard]] std::int64_t banded_bytes(const std::vector<NetLayer>& layers, const Shape3& src,
                                        int threads, int band_rows);
/// Runs the layers on src in bands of `band_rows` output rows (0: rows
/// that keep the widest stage of a band within a few MiB) into dst, which
/// must have the layers' output shape for src (ShapeMismatch otherwise); with `add`, dst
/// becomes output + dst. `threads` as ConvTranspose2d::run(). Bit-identical
/// to the layers' forward() one after the other, for any band height and
/// thread count.
void run_banded(const std::vector<NetLayer>& layers, ConstTensorView src, TensorView dst,
                bool add, int threads, int band_rows);

/// What a model file declares, validated and planned.
struct ModelData {
  int scale = 1;
  ModelColor color = ModelColor::kY;
  ModelResidual residual = ModelResidual::kNone;
  std::map<std::string, std::string> metadata;
  std::vector<NetLayer> layers;
  // Interpolations with the replicate border, planned at load.
  std::optional<BorderedOp> residual_op;      // channels() channels
  std::optional<BorderedOp> chroma_op;        // 2 channels (y colour)
  std::optional<BorderedOp> chroma_alpha_op;  // 1 channel: alpha as Cb, Cr see it
  std::string what;
  OpOptions options;  // as load() was given them
};

/// Model::run_network()'s work into dst (src and dst checked by the
/// caller): the residual into dst, then the layers added to it (or written,
/// without a residual), in row bands of `band_rows` output rows (0:
/// automatic) with `bands`, else whole maps one layer after the other.
void run_network_into(const ModelData& st, ConstTensorView src, TensorView dst, int threads,
                      bool bands, int band_rows);
/// Bytes Model::run_network() holds besides src and dst for an input of
/// src with `channels` channels, on the load options' threads, on the path
/// it takes: row bands, unless the network has a pad layer or whole maps
/// need fewer bytes (small images); throws as it would for that shape.
[[nodiscard]] std::int64_t network_run_bytes(const ModelData& st, int channels,
                                             const Shape3& src);

/// Reads the metadata and the layer list of `file` into `data`, validating
/// every tensor and planning every op; FormatError "model <what>: <rule>".
void parse_model(const SafetensorsFile& file, std::string_view what, const OpOptions& options,
                 ModelData& data);

}  // namespace tconv::detail

namespace tconv {

struct Model::State : detail::ModelData {};

}  // namespace tconv

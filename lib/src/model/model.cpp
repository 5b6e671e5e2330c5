// Learned upsamplers (see tconv/model/model.hpp): loading (the reader is
// model_format.cpp), describing, and running the planned layers
// (model_layers.cpp) with the residual; the colour handling of images is in
// model_colour.cpp.
#include "tconv/model/model.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "model/model_internal.hpp"
#include "tconv/core/error.hpp"
#include "tconv/resample/border.hpp"

namespace tconv {

using namespace detail;

std::string_view to_string(ModelColor color) noexcept {
  switch (color) {
    case ModelColor::kY: return "y";
    case ModelColor::kRgb: return "rgb";
    case ModelColor::kGray: return "gray";
  }
  return "?";
}

std::string_view to_string(ModelResidual residual) noexcept {
  switch (residual) {
    case ModelResidual::kNone: return "none";
    case ModelResidual::kBicubic: return "bicubic";
    case ModelResidual::kBilinear: return "bilinear";
  }
  return "?";
}

Model::Model(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

Model Model::load(const std::string& path, const OpOptions& options) {
  const SafetensorsFile file = read_safetensors(path);
  return from_safetensors(file, path, options);
}

Model Model::from_safetensors(const SafetensorsFile& file, std::string_view what,
                              const OpOptions& options) {
  auto st = std::make_unique<State>();
  parse_model(file, what, options, *st);
  return Model(std::move(st));
}

int Model::scale() const noexcept { return state_->scale; }
ModelColor Model::color() const noexcept { return state_->color; }
ModelResidual Model::residual() const noexcept { return state_->residual; }
int Model::channels() const noexcept { return state_->color == ModelColor::kRgb ? 3 : 1; }
const std::map<std::string, std::string>& Model::metadata() const noexcept {
  return state_->metadata;
}

double Model::macs_per_pixel() const noexcept {
  // A layer after an upsampling stage runs on more pixels: weight each by
  // the area ratio of its input to the network input.
  double total = 0;
  double area = 1;
  for (const NetLayer& l : state_->layers) {
    total += l.macs_per_pixel * area;
    if (l.tconv) area *= double(l.tconv->params().stride.h) * l.tconv->params().stride.w;
    if (l.conv) area /= double(l.conv->params().stride.h) * l.conv->params().stride.w;
    if (l.op == Op::kPixelShuffle || l.op == Op::kUpsample) area *= double(l.factor) * l.factor;
  }
  return total;
}

std::vector<std::string> Model::describe() const {
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < state_->layers.size(); ++i) {
    const NetLayer& l = state_->layers[i];
    std::string s = std::to_string(i) + " " + std::string(name_of(l.op));
    if (l.conv) s += " " + l.conv->params().to_string();
    if (l.tconv) s += " " + l.tconv->params().to_string();
    if (l.op == Op::kPixelShuffle) s += " factor " + std::to_string(l.factor);
    if (l.op == Op::kUpsample)
      s += " " + std::string(kUpsampleModes[static_cast<int>(l.upsample_mode)]) + " factor " +
           std::to_string(l.factor);
    if (l.op == Op::kPad)
      s += " " + std::string(kPadModes[static_cast<int>(l.pad_mode)]) + " " +
           std::to_string(l.pad_begin.h) + "," + std::to_string(l.pad_begin.w) + "," +
           std::to_string(l.pad_end.h) + "," + std::to_string(l.pad_end.w);
    if (l.op == Op::kPrelu) s += " " + std::to_string(l.slopes.size()) + " slope(s)";
    s += " -> " + std::to_string(l.out_channels) + " ch";
    if (l.conv) s += " (" + std::string(l.conv->impl_name()) + ")";
    if (l.tconv) s += " (" + std::string(l.tconv->impl_name()) + ")";
    lines.push_back(std::move(s));
  }
  return lines;
}

namespace {

// The output shape of the network for src after checking that the layers
// take it and give s times its size (throws as run_network()).
Shape3 network_output(const ModelData& st, int channels, const Shape3& src) {
  if (src.c != channels)
    throw ShapeMismatch("model " + st.what + " input " + to_string(src) + ": needs " +
                        std::to_string(channels) + " channels");
  Shape3 got = src;
  for (const NetLayer& l : st.layers) got = layer_output(l, got);
  const Shape3 want{channels, src.h * st.scale, src.w * st.scale};
  if (got != want)
    throw ShapeMismatch("model " + st.what + " input " + to_string(src) + ": the layers give " +
                        to_string(got) + ", not " + to_string(want) +
                        " (this input size does not suit the network)");
  if (want.elements() > st.options.max_output_elements)
    throw LimitExceeded("model " + st.what + " output " + to_string(want) + " (" +
                        std::to_string(want.elements()) + " elements): exceeds the limit of " +
                        std::to_string(st.options.max_output_elements) + " elements");
  return want;
}

// The whole-map path: one activation x, a layer that makes a new tensor
// holds x and its output (and a convolution its scratch) at once; nullopt
// when a map would exceed a Tensor or the ops' output limit (the run would
// throw LimitExceeded).
std::optional<std::int64_t> whole_run_bytes(const ModelData& st, const Shape3& src) {
  Shape3 s = src;
  std::int64_t peak = s.elements() * kFloatBytes;
  for (const NetLayer& l : st.layers) {
    const Shape3 o = layer_output(l, s);
    std::int64_t live = s.elements() * kFloatBytes;
    if (!is_pointwise(l.op)) {
      if (o.elements() > Tensor::kMaxElements ||
          ((l.conv || l.tconv || l.op == Op::kUpsample) &&
           o.elements() > st.options.max_output_elements))
        return std::nullopt;
      live += o.elements() * kFloatBytes;
    }
    if (l.conv) live += l.conv->scratch_bytes(s);
    if (l.tconv) live += l.tconv->scratch_bytes(s);
    peak = std::max(peak, live);
    s = o;
  }
  if (st.residual_op) peak = std::max(peak, s.elements() * kFloatBytes +
                                                st.residual_op->scratch_bytes(src, -1));
  return peak;
}

// How a run on src goes: in row bands, unless the network has a pad layer
// or the whole maps need less (small images); the bytes besides src and dst.
struct RunChoice {
  bool bands = false;
  std::int64_t bytes = 0;
};

RunChoice choose_run(const ModelData& st, const Shape3& src) {
  const std::optional<std::int64_t> whole = whole_run_bytes(st, src);
  if (!bandable(st.layers)) {
    if (!whole)
      throw LimitExceeded("model " + st.what + " input " + to_string(src) +
                          ": a layer output is too large");
    return {false, *whole};
  }
  // The residual is written into dst first, then the bands added to it.
  const std::int64_t residual = st.residual_op ? st.residual_op->scratch_bytes(src, -1) : 0;
  const std::int64_t bands = std::max(residual, banded_bytes(st.layers, src, -1, 0));
  if (whole && *whole <= bands) return {false, *whole};
  return {true, bands};
}

}  // namespace

namespace detail {

std::int64_t network_run_bytes(const ModelData& st, int channels, const Shape3& src) {
  (void)network_output(st, channels, src);
  return choose_run(st, src).bytes;
}

void run_network_into(const ModelData& st, ConstTensorView src, TensorView dst, int threads,
                      bool bands, int band_rows) {
  // The residual goes into dst first and the network's output is added to
  // it (x + u, the same sum as adding u to x).
  if (st.residual_op) st.residual_op->run(src, dst, threads);
  if (bands) {
    run_banded(st.layers, src, dst, st.residual_op.has_value(), threads, band_rows);
    return;
  }
  Tensor x(src.shape, std::vector<float>(src.span().begin(), src.span().end()));
  for (const NetLayer& l : st.layers) x = forward(l, std::move(x), threads);
  const auto o = x.span();
  const auto d = dst.span();
  if (st.residual_op) {
    for (std::size_t i = 0; i < o.size(); ++i) d[i] = o[i] + d[i];
  } else {
    std::copy(o.begin(), o.end(), d.begin());
  }
}

}  // namespace detail

std::int64_t Model::network_peak_bytes(const Shape3& src) const {
  const Shape3 want = network_output(*state_, channels(), src);
  return want.elements() * kFloatBytes + network_run_bytes(*state_, channels(), src);
}

Tensor Model::run_network(ConstTensorView src, int threads) const {
  Tensor out(network_output(*state_, channels(), src.shape));
  run_network(src, out.view(), threads);
  return out;
}

void Model::run_network(ConstTensorView src, TensorView dst, int threads) const {
  const State& st = *state_;
  const Shape3 want = network_output(st, channels(), src.shape);
  if (dst.shape != want)
    throw ShapeMismatch("model " + st.what + " output " + to_string(dst.shape) + ": expected " +
                        to_string(want) + " for input " + to_string(src.shape));
  const float* s_end = src.data + src.shape.elements();
  const float* d_end = dst.data + dst.shape.elements();
  if (src.data < d_end && dst.data < s_end)
    throw InvalidArgument("model " + st.what + " output: must not overlap the input");
  run_network_into(st, src, dst, threads, choose_run(st, src.shape).bands, 0);
}

}  // namespace tconv

// TrainableNetwork, mse_loss and Adam (tconv/train/network.hpp).
//
// The layers are the model reader's (parse_model of the encoded spec), so a
// network trains exactly what Model::load() later runs. Each step re-creates
// the convolutions from the current parameter values: creating one copies
// and validates its weights, microseconds beside the step's convolutions.
#include "tconv/train/network.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "core/parallel.hpp"
#include "model/model_internal.hpp"
#include "tconv/core/conv_backward.hpp"
#include "tconv/core/error.hpp"
#include "tconv/io/safetensors.hpp"

namespace tconv {

namespace {

// Where a layer's learnable tensors are in parameters(); -1: none.
struct LayerParams {
  int weight = -1;
  int bias = -1;
};

int find_parameter(const std::vector<TrainParameter>& params, const std::string& name) {
  for (std::size_t i = 0; i < params.size(); ++i)
    if (params[i].name == name) return static_cast<int>(i);
  return -1;
}

Shape4 shape4(const std::vector<std::int64_t>& s) {
  return {static_cast<int>(s[0]), static_cast<int>(s[1]), static_cast<int>(s[2]),
          static_cast<int>(s[3])};
}

// ShapeMismatch "network <what> <count> x <item>, needs <batch> x <shape>"
// unless the batch has that count and item shape.
void require_batch(const char* what, ConstBatchView v, int batch, const Shape3& item) {
  if (v.count != batch || !(v.item == item))
    throw ShapeMismatch(std::string("network ") + what + " " + std::to_string(v.count) + " x " +
                        to_string(v.item) + ", needs " + std::to_string(batch) + " x " +
                        to_string(item));
}

}  // namespace

struct TrainableNetwork::State {
  ModelFileSpec spec;  // tensors are taken from `params` by model_spec()
  OpOptions options;
  int batch = 0;
  std::vector<detail::NetLayer> layers;
  std::vector<LayerParams> layer_params;
  std::vector<Shape3> shapes;  // shapes[i]: layer i's input item; shapes[L]: the output
  std::vector<TrainParameter> params;
  // acts[i]: layer i's input batch; acts[L]: the output batch.
  std::vector<std::vector<float>> acts;
  // dy of the layer in passing and its dx, each sized for the largest
  // activation once: a step re-sizes nothing (growing a vector zero-fills).
  std::vector<float> grad_a, grad_b;
  std::vector<float> slope_parts;     // prelu: per-item dL/da, summed in item order

  [[nodiscard]] int threads_for(int requested) const {
    return requested < 0 ? options.threads : requested;
  }
  [[nodiscard]] Weights weights_of(std::size_t i) const {
    const LayerParams& lp = layer_params[i];
    Weights w;
    w.shape = shape4(params[static_cast<std::size_t>(lp.weight)].shape);
    w.values = params[static_cast<std::size_t>(lp.weight)].value;
    if (lp.bias >= 0) w.bias = params[static_cast<std::size_t>(lp.bias)].value;
    return w;
  }
  [[nodiscard]] ConstBatchView batch_of(std::size_t i) const {
    return {acts[i].data(), batch, shapes[i]};
  }
};

TrainableNetwork::TrainableNetwork(std::unique_ptr<State> state) noexcept
    : state_(std::move(state)) {}
TrainableNetwork::TrainableNetwork(TrainableNetwork&&) noexcept = default;
TrainableNetwork& TrainableNetwork::operator=(TrainableNetwork&&) noexcept = default;
TrainableNetwork::~TrainableNetwork() = default;

TrainableNetwork TrainableNetwork::create(const ModelFileSpec& spec, const Shape3& input,
                                          int batch, const OpOptions& options) {
  if (batch < 1) throw InvalidArgument("trainable network: batch " + std::to_string(batch) +
                                       " must be at least 1");
  auto st = std::make_unique<State>();
  st->spec = spec;
  st->options = options;
  st->options.force_impl.clear();
  st->batch = batch;
  const std::vector<unsigned char> bytes = encode_model(spec);
  const SafetensorsFile file = parse_safetensors(bytes, "network");
  detail::ModelData data;
  detail::parse_model(file, "network", st->options, data);
  st->layers = std::move(data.layers);
  if (st->layers.size() != spec.layers.size())
    throw InvalidArgument("trainable network: the layer list did not parse one to one");

  // Parameters in layer order, each tensor once.
  for (std::size_t i = 0; i < st->layers.size(); ++i) {
    const ModelFileLayer& fl = spec.layers[i];
    LayerParams lp;
    auto take = [&](const std::string& name) {
      if (name.empty()) return -1;
      int index = find_parameter(st->params, name);
      if (index < 0) {
        const NamedTensor* t = file.find(name);
        st->params.push_back({name, t->shape, t->values, std::vector<float>(t->values.size()), 1.0f});
        index = static_cast<int>(st->params.size()) - 1;
      }
      return index;
    };
    const detail::Op op = st->layers[i].op;
    if (op == detail::Op::kConv2d || op == detail::Op::kConvTranspose2d) {
      lp.weight = take(fl.weight);
      lp.bias = take(fl.bias);
    } else if (op == detail::Op::kPrelu) {
      lp.weight = take(fl.weight);
    }
    st->layer_params.push_back(lp);
  }

  Shape3 s = input;
  st->shapes.push_back(s);
  for (const detail::NetLayer& l : st->layers) {
    detail::require_channels(ConstTensorView{nullptr, s}, l.in_channels ? l.in_channels : s.c,
                             "network layer");
    s = detail::layer_output(l, s);
    st->shapes.push_back(s);
  }
  st->acts.resize(st->shapes.size());
  std::size_t largest = 0;
  for (std::size_t i = 0; i < st->shapes.size(); ++i) {
    const auto n = static_cast<std::size_t>(st->shapes[i].elements()) * static_cast<std::size_t>(batch);
    st->acts[i].assign(n, 0.0f);
    largest = std::max(largest, n);
  }
  st->grad_a.assign(largest, 0.0f);
  st->grad_b.assign(largest, 0.0f);
  return TrainableNetwork(std::move(st));
}

Shape3 TrainableNetwork::input_shape() const noexcept { return state_->shapes.front(); }
Shape3 TrainableNetwork::output_shape() const noexcept { return state_->shapes.back(); }
int TrainableNetwork::batch() const noexcept { return state_->batch; }
std::vector<TrainParameter>& TrainableNetwork::parameters() noexcept { return state_->params; }
const std::vector<TrainParameter>& TrainableNetwork::parameters() const noexcept {
  return state_->params;
}

ConstBatchView TrainableNetwork::forward(ConstBatchView x, int threads) {
  State& st = *state_;
  require_batch("forward: input", x, st.batch, st.shapes.front());
  const int t = st.threads_for(threads);
  std::copy(x.data, x.data + x.elements(), st.acts[0].begin());
  for (std::size_t i = 0; i < st.layers.size(); ++i) {
    detail::NetLayer& l = st.layers[i];
    const ConstBatchView in = st.batch_of(i);
    const BatchView out{st.acts[i + 1].data(), st.batch, st.shapes[i + 1]};
    if (l.op == detail::Op::kConv2d) {
      Conv2d::create(l.conv->params(), st.weights_of(i), st.options).run_batch(in, out, t);
      continue;
    }
    if (l.op == detail::Op::kConvTranspose2d) {
      ConvTranspose2d::create(l.tconv->params(), st.weights_of(i), st.options)
          .run_batch(in, out, t);
      continue;
    }
    if (l.op == detail::Op::kPrelu)
      l.slopes = st.params[static_cast<std::size_t>(st.layer_params[i].weight)].value;
    // Items over the threads; each item's output depends on that item only.
    // The element-wise kinds run in place on a copy of the input, the others
    // through their forward.
    const bool in_place = detail::is_pointwise(l.op);
    const int workers = detail::thread_count(t, st.batch);
    detail::parallel_for(workers, [&](int w) {
      for (std::int64_t b = st.batch * w / workers; b < st.batch * (w + 1) / workers; ++b) {
        const ConstTensorView xi = in.at(b);
        if (in_place) {
          std::copy(xi.data, xi.data + xi.shape.elements(), out.at(b).data);
          detail::pointwise(l, out.at(b), 0, std::int64_t{xi.shape.c} * xi.shape.h);
          continue;
        }
        Tensor y = detail::forward(l, Tensor(xi.shape, {xi.data, xi.data + xi.shape.elements()}), 1);
        std::copy(y.data(), y.data() + y.span().size(), out.at(b).data);
      }
    });
  }
  return st.batch_of(st.layers.size());
}

void TrainableNetwork::backward(ConstBatchView dy, int threads) {
  State& st = *state_;
  require_batch("backward: gradient", dy, st.batch, st.shapes.back());
  const int t = st.threads_for(threads);
  std::copy(dy.data, dy.data + dy.elements(), st.grad_a.begin());
  for (std::size_t i = st.layers.size(); i-- > 0;) {
    const detail::NetLayer& l = st.layers[i];
    const LayerParams& lp = st.layer_params[i];
    const ConstBatchView x = st.batch_of(i);
    const ConstBatchView dout{st.grad_a.data(), st.batch, st.shapes[i + 1]};
    const bool need_dx = i > 0;
    // Every backward writes all of dx: no clearing.
    const BatchView dx{st.grad_b.data(), st.batch, st.shapes[i]};
    if (l.op == detail::Op::kConv2d || l.op == detail::Op::kConvTranspose2d) {
      const ConvKind kind =
          l.op == detail::Op::kConv2d ? ConvKind::kConv2d : ConvKind::kConvTranspose2d;
      const ConvParams& p = l.conv ? l.conv->params() : l.tconv->params();
      const ConvBackward bw = ConvBackward::create(kind, p, st.weights_of(i), st.shapes[i], st.options);
      TrainParameter& w = st.params[static_cast<std::size_t>(lp.weight)];
      std::span<float> db;
      if (lp.bias >= 0) db = st.params[static_cast<std::size_t>(lp.bias)].grad;
      bw.weight_grad(x, dout, w.grad, db, t);
      if (need_dx) bw.input_grad(dout, dx, t);
    } else {
      const std::size_t slopes = l.op == detail::Op::kPrelu ? l.slopes.size() : 0;
      st.slope_parts.assign(slopes * static_cast<std::size_t>(st.batch), 0.0f);
      const ConstBatchView y = st.batch_of(i + 1);
      // dx of the first layer is not needed, but a prelu's slopes are: its
      // dx then goes to grad_b and is dropped.
      if (need_dx || slopes > 0) {
        const int workers = detail::thread_count(t, st.batch);
        detail::parallel_for(workers, [&](int wk) {
          for (std::int64_t b = st.batch * wk / workers; b < st.batch * (wk + 1) / workers; ++b)
            detail::layer_input_grad(
                l, x.at(b), y.at(b), dout.at(b), dx.at(b),
                std::span<float>(st.slope_parts).subspan(static_cast<std::size_t>(b) * slopes, slopes));
        });
      }
      if (slopes > 0) {
        // Items summed in order: the same bits for any thread count.
        std::vector<float>& g = st.params[static_cast<std::size_t>(lp.weight)].grad;
        std::fill(g.begin(), g.end(), 0.0f);
        for (std::int64_t b = 0; b < st.batch; ++b)
          for (std::size_t k = 0; k < slopes; ++k)
            g[k] += st.slope_parts[static_cast<std::size_t>(b) * slopes + k];
      }
    }
    std::swap(st.grad_a, st.grad_b);
  }
}

ModelFileSpec TrainableNetwork::model_spec() const {
  ModelFileSpec spec = state_->spec;
  for (NamedTensor& t : spec.tensors) {
    const int i = find_parameter(state_->params, t.name);
    if (i >= 0) t.values = state_->params[static_cast<std::size_t>(i)].value;
  }
  return spec;
}

double mse_loss(ConstBatchView output, ConstBatchView target, BatchView doutput) {
  if (output.count != target.count || !(output.item == target.item) ||
      doutput.count != output.count || !(doutput.item == output.item))
    throw ShapeMismatch("mse loss: output " + std::to_string(output.count) + " x " +
                        to_string(output.item) + ", target " + std::to_string(target.count) +
                        " x " + to_string(target.item) + ", gradient " +
                        std::to_string(doutput.count) + " x " + to_string(doutput.item));
  const std::int64_t n = output.elements();
  const double scale = 2.0 / static_cast<double>(n);
  double sum = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(output.data[i]) - target.data[i];
    sum += d * d;
    doutput.data[i] = static_cast<float>(scale * d);
  }
  return sum / static_cast<double>(n);
}

void Adam::step(std::vector<TrainParameter>& parameters, double lr) {
  if (m_.size() != parameters.size()) {
    m_.clear();
    v_.clear();
    for (const TrainParameter& p : parameters) {
      m_.emplace_back(p.value.size(), 0.0f);
      v_.emplace_back(p.value.size(), 0.0f);
    }
  }
  ++steps_;
  const double b1 = settings_.beta1;
  const double b2 = settings_.beta2;
  const double c1 = 1.0 - std::pow(b1, static_cast<double>(steps_));
  const double c2 = 1.0 - std::pow(b2, static_cast<double>(steps_));
  for (std::size_t k = 0; k < parameters.size(); ++k) {
    TrainParameter& p = parameters[k];
    const double rate = lr * p.lr_scale;
    float* m = m_[k].data();
    float* v = v_[k].data();
    for (std::size_t i = 0; i < p.value.size(); ++i) {
      const double g = p.grad[i];
      m[i] = static_cast<float>(b1 * m[i] + (1.0 - b1) * g);
      v[i] = static_cast<float>(b2 * v[i] + (1.0 - b2) * g * g);
      const double denom = std::sqrt(static_cast<double>(v[i]) / c2) + settings_.eps;
      p.value[i] = static_cast<float>(p.value[i] - rate * (static_cast<double>(m[i]) / c1) / denom);
    }
  }
}

void Adam::restore(std::int64_t steps, std::vector<std::vector<float>> m,
                   std::vector<std::vector<float>> v) {
  if (m.size() != v.size())
    throw InvalidArgument("adam restore: first and second moments of different parameter counts");
  for (std::size_t k = 0; k < m.size(); ++k)
    if (m[k].size() != v[k].size())
      throw InvalidArgument("adam restore: moments of parameter " + std::to_string(k) +
                            " differ in size");
  steps_ = steps;
  m_ = std::move(m);
  v_ = std::move(v);
}

}  // namespace tconv

// tconv/train/network.hpp - a model's layer list as a trainable network:
// batched forward passes that keep every layer's input, backward passes that
// give the gradient of every parameter, and the Adam optimiser.
//
// The network is planned once for an item shape and a batch size (every
// layer validated as Model::load() validates it); a step is forward(),
// the loss gradient, backward(), then Adam::step() on parameters(). The
// convolutions run on the forward registry's impls, their gradients through
// ConvBackward (tconv/core/conv_backward.hpp), the other layer kinds through
// their own backward (as PyTorch autograd defines them). Every pass gives the
// same bits for any thread count, so a training run is reproducible from its
// seed alone.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tconv/core/conv_params.hpp"
#include "tconv/core/tensor.hpp"
#include "tconv/model/model.hpp"

namespace tconv {

/// One learnable tensor of a network: a convolution's weight or bias, or a
/// prelu's slopes, under the name the model file gives it.
struct TrainParameter {
  std::string name;               ///< The model file's tensor name.
  std::vector<std::int64_t> shape;
  std::vector<float> value;       ///< The values, in the model file's layout.
  std::vector<float> grad;        ///< dL/dvalue after backward(), summed over the batch.
  /// Multiplier of the optimiser's learning rate for this tensor (e.g. 0.1
  /// for FSRCNN's deconvolution); set by the caller, 1 by default.
  float lr_scale = 1.0f;
};

/// A model file's network (ModelFileSpec: layers and tensors) planned for
/// batches of `batch` items of shape `input`.
class TrainableNetwork {
 public:
  /// Validates the spec as Model::load() does (FormatError naming the layer
  /// and rule) and `input` against the layers (ShapeMismatch). The colour,
  /// scale and residual of the spec are kept for model_spec() but not
  /// applied: the network maps its input to its output only.
  static TrainableNetwork create(const ModelFileSpec& spec, const Shape3& input, int batch,
                                 const OpOptions& options = {});

  TrainableNetwork(TrainableNetwork&&) noexcept;
  TrainableNetwork& operator=(TrainableNetwork&&) noexcept;
  ~TrainableNetwork();

  [[nodiscard]] Shape3 input_shape() const noexcept;
  [[nodiscard]] Shape3 output_shape() const noexcept;
  [[nodiscard]] int batch() const noexcept;

  /// The learnable tensors, in the order of the layers. Change value (as an
  /// optimiser does) between steps; the next forward() uses the new values.
  [[nodiscard]] std::vector<TrainParameter>& parameters() noexcept;
  [[nodiscard]] const std::vector<TrainParameter>& parameters() const noexcept;

  /// Runs the layers on `x` (batch() items of input_shape(); ShapeMismatch
  /// otherwise), keeping each layer's input for backward(); returns the
  /// output batch, valid until the next forward(). `threads` as
  /// OpOptions::threads (negative: the options' count).
  ConstBatchView forward(ConstBatchView x, int threads = -1);

  /// Given dy = dL/d(output) of the last forward() (output_shape() items),
  /// writes every parameter's grad (overwritten, not accumulated).
  void backward(ConstBatchView dy, int threads = -1);

  /// The spec with the current parameter values: what encode_model() writes.
  [[nodiscard]] ModelFileSpec model_spec() const;

  struct State;  // internal

 private:
  explicit TrainableNetwork(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

/// Mean squared error of `output` against `target` (same count and item
/// shape; ShapeMismatch otherwise) over every value, and its gradient
/// 2 (output - target) / n into `doutput` (same shape). Sums in double.
double mse_loss(ConstBatchView output, ConstBatchView target, BatchView doutput);

/// Adam (Kingma and Ba 2015) with PyTorch's defaults and update order:
///   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,
///   value -= lr lr_scale (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
/// Its state is the moments and the step count, exposed so that a training
/// run can be checkpointed and resumed with the same result.
class Adam {
 public:
  struct Settings {
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
  };
  Adam() = default;
  explicit Adam(Settings settings) : settings_(settings) {}

  /// One update of every parameter with learning rate `lr` (times each
  /// parameter's lr_scale); the moments are created on the first step.
  void step(std::vector<TrainParameter>& parameters, double lr);

  [[nodiscard]] std::int64_t steps() const noexcept { return steps_; }
  /// The first and second moments, one vector per parameter (empty before
  /// the first step).
  [[nodiscard]] const std::vector<std::vector<float>>& first_moments() const noexcept { return m_; }
  [[nodiscard]] const std::vector<std::vector<float>>& second_moments() const noexcept { return v_; }
  /// Restores a state saved from steps(), first_moments() and
  /// second_moments(); InvalidArgument when m and v do not match each other.
  void restore(std::int64_t steps, std::vector<std::vector<float>> m,
               std::vector<std::vector<float>> v);

 private:
  Settings settings_{};
  std::int64_t steps_ = 0;
  std::vector<std::vector<float>> m_, v_;
};

}  // namespace tconv

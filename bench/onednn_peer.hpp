// oneDNN's deconvolution and convolution primitives as benchmark peers
// (built only when libdnnl-dev is installed; TCONV_HAVE_ONEDNN says so).
#pragma once

#include <functional>
#include <memory>

#include "tconv/core/conv_params.hpp"
#include "tconv/core/tensor.hpp"

namespace tconv::bench {

/// A oneDNN f32 deconvolution_forward (kConvTranspose2d) or
/// convolution_forward (kConv2d) for `params` on `src`, which holds `batch`
/// items of shape `item` back to back (N x C x H x W), with the layouts
/// oneDNN prefers (format_tag::any); inputs are reordered once when it is
/// created, so run() times the primitive alone. Its output is reordered back
/// to planar for checking by output().
class OneDnnConv {
 public:
  OneDnnConv(ConvKind kind, const ConvParams& params, const Weights& weights, const Tensor& src,
             int batch, const Shape3& item, int threads);
  ~OneDnnConv();
  void run();
  /// The last result in planar N x C x H x W (as a {N C, H, W} tensor).
  [[nodiscard]] Tensor output();
  /// oneDNN's implementation name (e.g. "jit:avx2").
  [[nodiscard]] const char* impl_name() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tconv::bench

// tconv/core/conv_params.hpp - the parameters shared by conv_transpose2d and conv2d.
//
// One plain aggregate describes both ops, with PyTorch's defaults.
//
// conv_transpose2d (torch.nn.ConvTranspose2d), per axis:
//   out = (in - 1) * stride - pad_begin - pad_end
//         + dilation * (kernel - 1) + output_padding + 1
//   weight layout [in_channels][out_channels / groups][kh][kw]
// conv2d (torch.nn.Conv2d), per axis:
//   out = floor((in + pad_begin + pad_end - dilation * (kernel - 1) - 1) / stride) + 1
//   weight layout [out_channels][in_channels / groups][kh][kw]
//
// With the same params and the same weight buffer the two ops are adjoint:
// <conv2d(x, W), y> == <x, conv_transpose2d(y, W)> when conv2d's in/out
// channels are conv_transpose2d's out/in channels.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tconv/core/tensor.hpp"

namespace tconv {

/// The two operations the parameters can describe.
enum class ConvKind {
  kConvTranspose2d,  ///< Transposed convolution ("deconvolution"), upsamples by stride.
  kConv2d,           ///< Ordinary cross-correlation, downsamples by stride.
};

/// "conv_transpose2d" or "conv2d": the prefix of every message about the op.
[[nodiscard]] std::string_view to_string(ConvKind kind) noexcept;

/// Automatic padding (ONNX auto_pad). With kSameUpper / kSameLower the pad
/// fields are ignored and computed so that
///   conv_transpose2d: out = in * stride
///   conv2d:           out = ceil(in / stride)
/// the total padding split evenly, the odd pixel at the end (upper) or at
/// the beginning (lower). For conv_transpose2d the total is
/// dilation * (kernel - 1) + 1 + output_padding - stride; when that is
/// negative the pads are 0 and the missing rows are added as output padding.
enum class AutoPad { kNone, kSameUpper, kSameLower };

/// Largest kernel, stride, dilation, padding and output size value accepted
/// per axis (keeps all size arithmetic far from overflow).
inline constexpr int kMaxParamValue = 1 << 16;
/// Largest channel count accepted.
inline constexpr int kMaxChannels = 1 << 16;

/// Everything that defines a convolution independent of the input size.
struct ConvParams {
  int in_channels = 0;         ///< >= 1, divisible by groups.
  int out_channels = 0;        ///< >= 1, divisible by groups.
  int groups = 1;              ///< >= 1; channels are split into `groups` independent groups.
  Size2 kernel{};              ///< {kh, kw}, each in [1, kMaxParamValue].
  Size2 stride{1, 1};          ///< Each in [1, kMaxParamValue]; the upsampling factor of conv_transpose2d.
  Size2 dilation{1, 1};        ///< Spacing between taps, each in [1, kMaxParamValue].
  Size2 pad_begin{0, 0};       ///< {top, left}, each in [0, kMaxParamValue]: rows/cols cropped (tconv) or added (conv).
  Size2 pad_end{0, 0};         ///< {bottom, right}, each in [0, kMaxParamValue].
  Size2 output_padding{0, 0};  ///< conv_transpose2d only: extra rows/cols at the end, each in [0, max(stride, dilation)).
  AutoPad auto_pad = AutoPad::kNone;  ///< Overrides the pad fields when not kNone.
  /// conv_transpose2d only: the requested output size {oh, ow} (PyTorch's
  /// `output_size`); overrides output_padding. Valid per axis when it lies in
  /// [min, min + stride - 1] with min the size at output_padding 0; checked
  /// against the input size when the op runs.
  std::optional<Size2> output_size;

  /// Sets the same padding on every side (PyTorch's `padding=p`).
  ConvParams& padding(int p) noexcept {
    pad_begin = pad_end = {p, p};
    return *this;
  }
  /// Sets {ph, pw} on both sides of each axis (PyTorch's `padding=(ph, pw)`).
  ConvParams& padding(Size2 p) noexcept {
    pad_begin = pad_end = p;
    return *this;
  }

  /// The first broken rule as "<what> <value>: <rule>" (without the op name),
  /// or nullopt when the parameters are valid for `kind`.
  [[nodiscard]] std::optional<std::string> first_violation(ConvKind kind) const;
  /// Throws InvalidArgument("<op> " + first_violation(kind)) when invalid.
  void validate(ConvKind kind) const;

  /// Weight shape the parameters require:
  /// conv_transpose2d {in, out / groups, kh, kw}; conv2d {out, in / groups, kh, kw}.
  [[nodiscard]] Shape4 weight_shape(ConvKind kind) const noexcept;

  /// The same operator on an input of `src` with every automatic choice made
  /// explicit: auto_pad kNone, output_size unset, concrete pads and
  /// output_padding. Requires valid params. Throws ShapeMismatch when src.c
  /// != in_channels, InvalidArgument when output_size is out of its valid
  /// range or the output would be empty.
  [[nodiscard]] ConvParams resolved(ConvKind kind, const Shape3& src) const;

  /// Output shape for an input of `src` (same errors as resolved()).
  [[nodiscard]] Shape3 output_shape(ConvKind kind, const Shape3& src) const;

  /// Compact problem string for logs, errors and benchmarks, e.g.
  /// "g1ic3oc3_kh4kw4_sh2sw2_ph1pw1", with "_dh2dw2", "_oph1opw1",
  /// "_pt1pl0pb2pr1" (asymmetric pads) or "_same_upper" when they apply.
  [[nodiscard]] std::string to_string() const;
};

/// Choices made when an op is planned, independent of the parameters.
struct OpOptions {
  /// Run this impl (by name, e.g. "tconv2d_f32_ref") instead of the best
  /// applicable one; create() throws InvalidArgument if it is unknown or not
  /// applicable. Empty: choose automatically.
  std::string force_impl;
  /// Largest output element count (c * oh * ow) run() will allocate or
  /// accept; above it run() throws LimitExceeded before allocating.
  /// Default 2^30 floats (4 GiB); at most Tensor::kMaxElements.
  std::int64_t max_output_elements = std::int64_t{1} << 30;
  /// Threads run() uses unless it is given its own count (run time decides,
  /// so one planned op serves any thread share): 0 = all cores
  /// (std::thread::hardware_concurrency()),
  /// otherwise in [1, 256]. Output rows are split into contiguous static
  /// bands and every output value is computed by one thread in a fixed
  /// order, so results are bit-identical for any thread count.
  int threads = 0;
};

}  // namespace tconv

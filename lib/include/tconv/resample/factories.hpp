// tconv/resample/factories.hpp - interpolation weights as transposed convolutions.
//
// Each factory returns a depthwise layer (groups = channels, weight
// [channels][1][kh][kw]) with stride = factor and the padding that makes
//   out = in * factor
// with pixel-centre alignment, as cv::resize and PyTorch's
// align_corners=False: output pixel o samples source position
//   x = (o + 0.5) / factor - 0.5.
// Per axis, for a kernel function phi with support radius R (in input
// pixels), the kernel size k is the largest with k == factor (mod 2) and
// (k - 1) / (2 * factor) < R, the padding is (k - factor) / 2, and tap t
// has weight phi((t + 0.5 - pad - factor / 2) / factor). The taps that
// serve one output phase are normalised to sum to 1, so a constant image
// stays constant away from the border. For bilinear this is the FCN/Caffe
// construction, k = 2f - f % 2, pad = floor(f / 2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tconv/core/conv_params.hpp"
#include "tconv/core/tensor.hpp"

namespace tconv {

/// The interpolation kernels the factories build.
enum class Interpolation {
  kNearest,   ///< Box, R = 0.5: k = f, pixel replication.
  kBilinear,  ///< Triangle, R = 1 (cv::resize INTER_LINEAR in the interior).
  kBicubic,   ///< Keys cubic with a = -0.5, R = 2 (MATLAB imresize, PIL).
  kLanczos3,  ///< sinc(x) sinc(x / 3), R = 3, normalised per phase.
};

/// "nearest", "bilinear", "bicubic" or "lanczos3".
[[nodiscard]] std::string_view to_string(Interpolation kind) noexcept;
/// Inverse of to_string(), also taking the other tools' names for the same
/// kernels: "linear" (bilinear), "box" (nearest), "cubic" and "catrom"
/// (bicubic), "lanczos" (lanczos3); any letter case. nullopt for an
/// unknown name.
[[nodiscard]] std::optional<Interpolation> parse_interpolation(std::string_view name) noexcept;
/// Every name parse_interpolation() takes, in lower case: the four kernels'
/// own names first, then the aliases.
[[nodiscard]] std::vector<std::string_view> interpolation_names();

/// Largest upsampling factor the factories accept per axis.
inline constexpr int kMaxFactor = 1024;

/// The 1-D taps of an interpolation kernel along one axis with stride
/// `factor`: output o receives input i through tap t iff o + pad == i * factor + t.
/// make_upsampler()'s 2-D weights are the outer product of two of these.
struct Taps1d {
  int pad = 0;                  ///< (k - factor) / 2
  std::vector<double> weights;  ///< k taps; those serving one output phase sum to 1
};

/// The taps of `kind` for `factor` in [1, kMaxFactor] (InvalidArgument otherwise).
[[nodiscard]] Taps1d interpolation_taps(Interpolation kind, int factor);

/// A resampling factor along one axis as a ratio of integers, num / den.
/// The polyphase resampler (upfirdn) computes it as a transposed
/// convolution with stride num (the kernel sampled at 1 / num of an input
/// pixel) followed by a convolution with stride den that keeps one output
/// of every den; at den == 1 it is make_upsampler()'s layer. Output o
/// samples source position x = (o + 0.5) * den / num - 0.5, as cv::resize
/// does for the factor num / den; the kernel's taps at x - i, i the inputs
/// within its support, are normalised to sum 1 per output (nearest: the one
/// input i = floor(x + 0.5)).
struct Ratio {
  int num = 1;  ///< Stride of the transposed convolution, in [1, kMaxRatioTerm].
  int den = 1;  ///< Stride of the convolution after it, in [1, num].
  friend bool operator==(const Ratio&, const Ratio&) = default;
};

/// A ratio per axis, height first.
struct Ratio2 {
  Ratio h;
  Ratio w;
  friend bool operator==(const Ratio2&, const Ratio2&) = default;
};

/// Largest numerator and denominator of a Ratio: target sizes up to this
/// many pixels per side, and decimal factors with up to 6 digits.
inline constexpr int kMaxRatioTerm = 1 << 24;

/// `ratio` in lowest terms. Throws InvalidArgument naming the bad value
/// unless 1 <= den <= num <= kMaxRatioTerm (a factor of at least 1).
[[nodiscard]] Ratio reduced(Ratio ratio);

/// "3/2", or "2" when den == 1.
[[nodiscard]] std::string to_string(Ratio ratio);

/// The output length of a resampling by `ratio`: in * num / den rounded to
/// nearest, ties to even, as cv::resize sizes its output for a factor
/// (and exact when the ratio is out / in). `in` >= 1, ratio as reduced().
[[nodiscard]] std::int64_t resampled_length(std::int64_t in, Ratio ratio);

/// The parameters and weights of one layer, ready for ConvTranspose2d::create().
struct Layer {
  ConvParams params;
  Weights weights;
};

/// A depthwise interpolating upsampler by `factor` ({fh, fw}, each in
/// [1, kMaxFactor]) for `channels` channels (in [1, kMaxChannels]).
/// Throws InvalidArgument naming the bad value.
[[nodiscard]] Layer make_upsampler(Interpolation kind, Size2 factor, int channels);

}  // namespace tconv

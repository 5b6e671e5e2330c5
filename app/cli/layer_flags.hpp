// The flags that describe one transposed-convolution layer (interpolation
// kernel or raw weights), shared by every command that runs one.
#pragma once

#include <optional>
#include <string>

#include "tconv/model/model.hpp"
#include "tconv/resample/border.hpp"
#include "tconv/resample/factories.hpp"

namespace CLI {
class App;
}

namespace tconv::app {

/// Raw flag values as typed; interpreted by make_layer().
struct LayerFlags {
  std::string scale = "2";      ///< -s: "F" or "FH,FW".
  bool scale_given = false;     ///< -s was on the command line.
  std::string kernel;           ///< --kernel: interpolation name (default bilinear).
  std::string weights;          ///< --weights W.npy: (Cin, Cout/groups, kH, kW).
  std::string bias;             ///< --bias B.npy: (Cout,).
  std::string padding;          ///< "P", "PH,PW", "T,L,B,R", "same", "same_upper", "same_lower".
  std::string output_padding;   ///< "O" or "OH,OW".
  std::string dilation;         ///< "D" or "DH,DW".
  std::string output_size;      ///< "H,W": PyTorch's output_size.
  int groups = 1;               ///< --groups.
  std::string border;           ///< --border name; empty: the caller's default.
  std::string model;            ///< --model M.safetensors or NAME (resolve_model()): a learned network instead of one layer.
  std::string size;             ///< --size WxH: the output size, width first.
  std::string width;            ///< --width W: the output width; the height keeps the aspect.
  std::string height;           ///< --height H: the output height; the width keeps the aspect.
};

/// Adds -s, --kernel, --weights, --bias, --padding, --output-padding,
/// --dilation, --output-size, --groups, --border and --model to `cmd`.
void add_layer_flags(CLI::App& cmd, LayerFlags& flags);

/// Adds --size, --width and --height (target sizes) to `cmd`: the commands
/// that write images of any size.
void add_target_flags(CLI::App& cmd, LayerFlags& flags);

/// -s as a factor per axis: "2", "1.5", "150%" (each at least 1, at most
/// kMaxFactor, up to 6 decimals) or "FH,FW", height first. Throws
/// UsageError naming -s; factors below 1 are refused (this tool upsamples).
[[nodiscard]] Ratio2 scale_ratio_of(const LayerFlags& flags);

/// The {scale} of output names: "2", "2x3" (height x width), "1.5", or the
/// target: "1920x1080" (--size), "w1920" (--width), "h1080" (--height).
[[nodiscard]] std::string scale_name(const LayerFlags& flags);

/// Parses "N" or "H,W" (each in [lo, hi]); throws UsageError naming `flag`.
[[nodiscard]] Size2 parse_pair(const std::string& text, const char* flag, int lo, int hi);

/// "2" for a square factor, "2x3" otherwise (for file names and logs).
[[nodiscard]] std::string scale_text(Size2 scale);

/// The integer upsampling factor / stride given by -s; UsageError for a
/// fractional one (the commands that need a layer's stride).
[[nodiscard]] Size2 scale_of(const LayerFlags& flags);

/// The border named by --border, or `fallback` when none was given.
[[nodiscard]] Border border_of(const LayerFlags& flags, Border fallback);

/// The interpolation kernel the flags name, or nullopt with --weights.
/// Throws UsageError for an unknown name.
[[nodiscard]] std::optional<Interpolation> interpolation_of(const LayerFlags& flags);

/// The layer the flags describe, with its files read once: construction
/// checks the flags and reads --weights and --bias; layer() then gives the
/// layer for an input of any channel count without touching the disk
/// again (a batch plans each kind of image from it). Throws UsageError for
/// contradictory or malformed flags, tconv errors for rule violations and
/// unreadable files.
class LayerSource {
 public:
  explicit LayerSource(const LayerFlags& flags);
  /// The interpolation kernel by the scale for `channels` channels, or a
  /// copy of the raw weights with the geometry flags (whose input channels
  /// the op checks when it runs). Throws InvalidArgument as make_upsampler().
  [[nodiscard]] Layer layer(int channels) const;
  /// The layer's params alone (no copy of the weights), for geometry checks.
  [[nodiscard]] ConvParams params(int channels) const;
  /// The interpolation kernel, or nullopt with --weights.
  [[nodiscard]] const std::optional<Interpolation>& interpolation() const noexcept {
    return interpolation_;
  }
  /// True when the flags ask for a fractional -s or a target size: the
  /// interpolation kernel resampled by a ratio (ImageUpsamplerSpec::ratio)
  /// instead of layer().
  [[nodiscard]] bool resamples() const noexcept { return fixed_ratio_.has_value() || targeted_; }
  /// The ratio for an input of `size` {h, w} when resamples(): the
  /// fractional -s, or the target over the input per axis (--width or
  /// --height alone: the other side scaled by the same factor and rounded,
  /// then out / in on each axis). Throws InputError when a target is
  /// smaller than the input or its ratio cannot be represented.
  [[nodiscard]] Ratio2 ratio_for(Size2 size) const;
  /// The output size {h, w} for an input of `size`, either way; throws
  /// InputError (ratio_for), tconv errors (the layer's rules).
  [[nodiscard]] Size2 output_size(Size2 size) const;

 private:
  Size2 scale_{};
  std::optional<Ratio2> fixed_ratio_;  // a fractional -s
  bool targeted_ = false;              // --size, --width or --height
  Size2 target_{};                     // {h, w}; 0: follows the other side's ratio
  std::optional<Interpolation> interpolation_;
  Layer weights_layer_;  // --weights
};

/// LayerSource(flags).layer(channels): for commands that need one layer.
[[nodiscard]] Layer make_layer(const LayerFlags& flags, int channels);

/// The model named by --model (a path, or a name resolved by
/// resolve_model()), loaded and validated with `options` for its
/// convolutions, or nullopt without --model. Throws UsageError for a name
/// found nowhere on the search path, when --model
/// is combined with a layer flag or with a -s that differs from the
/// model's scale, tconv errors when the file cannot be read or is invalid.
[[nodiscard]] std::optional<Model> load_model(const LayerFlags& flags, const OpOptions& options);

}  // namespace tconv::app

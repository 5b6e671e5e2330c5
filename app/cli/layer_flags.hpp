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
};

/// Adds -s, --kernel, --weights, --bias, --padding, --output-padding,
/// --dilation, --output-size, --groups, --border and --model to `cmd`.
void add_layer_flags(CLI::App& cmd, LayerFlags& flags);

/// Parses "N" or "H,W" (each in [lo, hi]); throws UsageError naming `flag`.
[[nodiscard]] Size2 parse_pair(const std::string& text, const char* flag, int lo, int hi);

/// "2" for a square factor, "2x3" otherwise (for file names and logs).
[[nodiscard]] std::string scale_text(Size2 scale);

/// The upsampling factor / stride given by -s.
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

 private:
  Size2 scale_{};
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

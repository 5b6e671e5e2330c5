// Models by name: the search path that `--model NAME` and the `models`
// command read, and the one resolver every command's --model goes through
// (load_model() in cli/layer_flags.cpp). The order is documented in
// docs/cli.md#models-by-name.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tconv::app {

/// The file extension of a model file.
inline constexpr const char* kModelExtension = ".safetensors";

/// One folder of the model search path.
struct ModelFolder {
  std::filesystem::path path;  ///< As found (TCONV_MODEL_PATH entries as written).
  std::string origin;          ///< "TCONV_MODEL_PATH", "user", "install" or "build tree".
};

/// The folders searched for a model name, first match wins:
///  1. each non-empty entry of TCONV_MODEL_PATH (colon-separated, as PATH);
///  2. the user's data folder, $XDG_DATA_HOME/tconv-upsample/models
///     (XDG_DATA_HOME unset, empty or relative: $HOME/.local/share);
///  3. the install folder, <bin>/../share/tconv-upsample/models from the
///     running binary (/proc/self/exe; the relative path follows
///     CMAKE_INSTALL_BINDIR and CMAKE_INSTALL_DATADIR);
///  4. for a binary run from its build tree only, the source tree's models/
///     (the uninstalled-build fallback, a compile definition).
/// A folder met twice is kept at its first place. Folders that do not exist
/// are listed too (they hold nothing). Never throws for a missing variable.
[[nodiscard]] std::vector<ModelFolder> model_search_path();

/// Whether a --model value is a name to look up rather than a path: it has
/// no '/' and names no existing file (a folder of that name does not count).
[[nodiscard]] bool is_model_name(const std::string& value);

/// A model name without its ".safetensors" extension, if it has one.
[[nodiscard]] std::string model_stem(const std::string& name);

/// One model file found on the search path.
struct FoundModel {
  std::string name;             ///< The file name without ".safetensors".
  std::filesystem::path file;   ///< The file.
  std::size_t folder = 0;       ///< Index of its folder in the search path.
  bool shadowed = false;        ///< A folder earlier in the path has the same name.
};

/// Every "*.safetensors" regular file (or link to one) directly in the
/// folders of `path`, folder by folder in path order, by name within a
/// folder; later occurrences of a name are marked shadowed. Unreadable or
/// missing folders are skipped.
[[nodiscard]] std::vector<FoundModel> find_models(const std::vector<ModelFolder>& path);

/// The file --model `value` means: `value` itself when it is a path (see
/// is_model_name()), else the first "<name>.safetensors" on
/// model_search_path(). Throws UsageError "<flag> NAME: no such file, nor
/// NAME.safetensors in <folders>; did you mean X? ..." for a name found
/// nowhere; `flag` names the option that gave the value.
[[nodiscard]] std::string resolve_model(const std::string& value, const char* flag = "--model");

}  // namespace tconv::app

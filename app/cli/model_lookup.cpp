// Models by name: the search path and the resolver (see model_lookup.hpp).
#include "cli/model_lookup.hpp"

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <system_error>

#include "cli/exit_codes.hpp"
#include "cli/suggest.hpp"

// Set for this file by app/CMakeLists.txt.
#ifndef TCONV_BIN_TO_MODELS
#define TCONV_BIN_TO_MODELS "../share/tconv-upsample/models"
#endif

namespace tconv::app {

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// The folder of the running binary, or empty when /proc is not there.
fs::path binary_folder() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

bool ends_with(std::string_view text, std::string_view tail) {
  return text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail;
}

}  // namespace

std::vector<ModelFolder> model_search_path() {
  std::vector<ModelFolder> folders;
  const auto add = [&folders](fs::path path, const char* origin) {
    path = path.lexically_normal();
    for (const ModelFolder& f : folders)
      if (f.path == path) return;
    folders.push_back({std::move(path), origin});
  };
  const std::string list = env("TCONV_MODEL_PATH");
  for (std::size_t begin = 0; begin <= list.size();) {
    std::size_t end = list.find(':', begin);
    if (end == std::string::npos) end = list.size();
    if (end > begin) add(list.substr(begin, end - begin), "TCONV_MODEL_PATH");
    begin = end + 1;
  }
  // XDG Base Directory: a relative XDG_DATA_HOME is invalid and ignored.
  const fs::path xdg = env("XDG_DATA_HOME");
  const std::string home = env("HOME");
  if (xdg.is_absolute())
    add(xdg / "tconv-upsample" / "models", "user");
  else if (!home.empty())
    add(fs::path(home) / ".local" / "share" / "tconv-upsample" / "models", "user");
  const fs::path bin = binary_folder();
  if (!bin.empty()) add(bin / TCONV_BIN_TO_MODELS, "install");
#if defined(TCONV_BUILD_BIN_DIR) && defined(TCONV_SOURCE_MODELS_DIR)
  std::error_code ec;
  if (!bin.empty() && fs::equivalent(bin, TCONV_BUILD_BIN_DIR, ec))
    add(TCONV_SOURCE_MODELS_DIR, "build tree");
#endif
  return folders;
}

bool is_model_name(const std::string& value) {
  std::error_code ec;
  const fs::file_status status = fs::status(value, ec);
  return value.find('/') == std::string::npos &&
         (!fs::exists(status) || fs::is_directory(status));
}

std::string model_stem(const std::string& name) {
  return ends_with(name, kModelExtension)
             ? name.substr(0, name.size() - std::string_view(kModelExtension).size())
             : name;
}

std::vector<FoundModel> find_models(const std::vector<ModelFolder>& path) {
  std::vector<FoundModel> found;
  for (std::size_t i = 0; i < path.size(); ++i) {
    std::vector<FoundModel> here;
    std::error_code ec;
    for (fs::directory_iterator it(path[i].path, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string file = it->path().filename().string();
      std::error_code type_ec;
      if (!ends_with(file, kModelExtension) || file == kModelExtension ||
          !fs::is_regular_file(it->path(), type_ec))
        continue;
      here.push_back({model_stem(file), it->path(), i, false});
    }
    std::sort(here.begin(), here.end(),
              [](const FoundModel& a, const FoundModel& b) { return a.name < b.name; });
    for (FoundModel& m : here) {
      m.shadowed = std::any_of(found.begin(), found.end(),
                               [&m](const FoundModel& f) { return f.name == m.name; });
      found.push_back(std::move(m));
    }
  }
  return found;
}

std::string resolve_model(const std::string& value, const char* flag) {
  if (!is_model_name(value)) return value;
  const std::string name = model_stem(value);
  const std::vector<ModelFolder> folders = model_search_path();
  if (!name.empty())
    for (const ModelFolder& folder : folders) {
      const fs::path file = folder.path / (name + kModelExtension);
      std::error_code ec;
      if (fs::is_regular_file(file, ec)) return file.string();
    }
  std::string searched;
  for (const ModelFolder& folder : folders)
    searched += (searched.empty() ? "" : ", ") + folder.path.string();
  if (searched.empty()) searched = "no folder (set TCONV_MODEL_PATH)";
  const std::vector<FoundModel> models = find_models(folders);
  std::vector<std::string_view> names;
  for (const FoundModel& m : models) names.push_back(m.name);
  throw UsageError(std::string(flag) + " " + value + ": no such file, nor " + name + kModelExtension + " in " +
                   searched + did_you_mean(name, names) + " (tconv-upsample models lists them)");
}

}  // namespace tconv::app

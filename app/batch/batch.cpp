// Batch planning (see batch.hpp).
#include "batch/batch.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>
#include <map>
#include <set>
#include <utility>

#include "cli/exit_codes.hpp"

namespace tconv::app {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The path with symbolic links in its existing prefix resolved, for
// comparing outputs with each other and with inputs.
std::string resolved(const fs::path& p) {
  std::error_code ec;
  fs::path r = fs::weakly_canonical(p, ec);
  if (ec) r = fs::absolute(p, ec).lexically_normal();
  return r.string();
}

// The walk of list_directory() (see batch.hpp); `root` is the directory
// the paths are made relative to.
void walk(const fs::path& root, const fs::path& dir, bool recursive, Listing listing,
          const std::string& skip, std::vector<ListedFile>& out) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    out.push_back({dir.string(), dir.lexically_relative(root), "cannot list directory: " + ec.message()});
    return;
  }
  std::vector<fs::directory_entry> entries;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    entries.push_back(*it);
  }
  if (ec) {
    out.push_back({dir.string(), dir.lexically_relative(root), "cannot list directory: " + ec.message()});
    return;
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.path().filename().string() < b.path().filename().string();
  });
  for (const auto& entry : entries) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.front() == '.') continue;
    std::error_code sec;
    const fs::file_status link = entry.symlink_status(sec);
    if (fs::is_directory(link)) {
      if (recursive && resolved(entry.path()) != skip)
        walk(root, entry.path(), recursive, listing, skip, out);
      continue;
    }
    if (fs::is_symlink(link) && fs::is_directory(entry.status(sec))) continue;
    if (has_listed_extension(entry.path(), listing))
      out.push_back({entry.path().string(), entry.path().lexically_relative(root), {}});
  }
}

std::optional<std::pair<dev_t, ino_t>> file_id(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return std::pair{st.st_dev, st.st_ino};
}

// The {ext} of an input's output without --format: its own extension when it
// names a format the tool writes, else the format of its bytes, else PNG.
std::string output_extension(const BatchSpec& spec, const std::string& input) {
  std::string ext = fs::path(input).extension().string();
  if (!ext.empty()) ext.erase(0, 1);
  if (!ext.empty() && (canonical_format(ext) || lower(ext) == "exr")) return ext;
  if (input != kStdio && spec.content_extension)
    if (const auto from_bytes = spec.content_extension(input)) return *from_bytes;
  return "png";
}

}  // namespace

Shard parse_shard(const std::string& text) {
  const auto bad = [&] {
    return UsageError("--shard " + text + ": expected K/N with 1 <= K <= N (e.g. 1/4)");
  };
  const auto slash = text.find('/');
  if (slash == std::string::npos) throw bad();
  int k = 0;
  int n = 0;
  const char* end = text.data() + text.size();
  const auto rk = std::from_chars(text.data(), text.data() + slash, k);
  const auto rn = std::from_chars(text.data() + slash + 1, end, n);
  if (rk.ec != std::errc() || rk.ptr != text.data() + slash || rn.ec != std::errc() ||
      rn.ptr != end || k < 1 || n < 1 || k > n || n > 1000000)
    throw bad();
  return {k - 1, n};
}

std::optional<std::string> canonical_format(std::string_view format) {
  const std::string f = lower(std::string(format));
  if (f == "png" || f == "webp" || f == "bmp" || f == "npy") return f;
  if (f == "jpg" || f == "jpeg") return std::string("jpg");
  if (f == "tif" || f == "tiff") return std::string("tif");
  return std::nullopt;
}

bool has_listed_extension(const fs::path& path, Listing listing) {
  const std::string ext = lower(path.extension().string());
  if (ext == ".npy") return listing == Listing::kImagesAndArrays;
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".tif" || ext == ".tiff" ||
         ext == ".webp" || ext == ".bmp";
}

bool has_batch_extension(const fs::path& path) {
  return has_listed_extension(path, Listing::kImagesAndArrays);
}

std::vector<ListedFile> list_directory(const fs::path& dir, bool recursive, Listing listing,
                                       const std::string& skip) {
  std::vector<ListedFile> out;
  walk(dir, dir, recursive, listing, skip, out);
  return out;
}

std::string output_name(const std::string& name_template, const fs::path& input,
                        const std::string& scale, const std::string& ext) {
  const auto bad = [&](const std::string& rule) {
    return UsageError("--name " + name_template + ": " + rule);
  };
  std::string name;
  for (std::size_t i = 0; i < name_template.size(); ++i) {
    const char c = name_template[i];
    if (c == '}') {
      if (i + 1 < name_template.size() && name_template[i + 1] == '}') {
        name += '}';
        ++i;
        continue;
      }
      throw bad("unmatched '}' (write }} for a literal brace)");
    }
    if (c != '{') {
      name += c;
      continue;
    }
    if (i + 1 < name_template.size() && name_template[i + 1] == '{') {
      name += '{';
      ++i;
      continue;
    }
    const auto close = name_template.find('}', i);
    if (close == std::string::npos) throw bad("unclosed '{'");
    const std::string field = name_template.substr(i + 1, close - i - 1);
    if (field == "stem") name += input.stem().string();
    else if (field == "ext") name += ext;
    else if (field == "scale") name += scale;
    else if (field == "name") name += input.filename().string();
    else throw bad("unknown field {" + field + "} (fields: {stem}, {ext}, {scale}, {name})");
    i = close;
  }
  if (name.find('/') != std::string::npos) throw bad("the name must not contain '/'");
  if (name.empty() || name == "." || name == "..") throw bad("gives an empty file name");
  return name;
}

std::vector<std::string> read_path_list(std::istream& in, bool nul, std::uint64_t max_bytes) {
  std::string text;
  std::array<char, 1 << 16> chunk{};
  while (in) {
    in.read(chunk.data(), chunk.size());
    const auto n = static_cast<std::size_t>(in.gcount());
    if (text.size() + n > max_bytes)
      throw UsageError("--files-from: the list is longer than the limit of " +
                       std::to_string(max_bytes) + " bytes");
    text.append(chunk.data(), n);
  }
  const char sep = nul ? '\0' : '\n';
  std::vector<std::string> paths;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(sep, start);
    if (end == std::string::npos) end = text.size();
    if (end > start) paths.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return paths;
}

std::string display_name(const std::string& input) {
  return input == kStdio ? std::string("stdin") : input;
}

std::uint64_t stable_hash(std::string_view text) noexcept {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a offset basis
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;  // FNV prime
  }
  return h;
}

BatchPlan plan_batch(const BatchSpec& spec) {
  if (std::count(spec.inputs.begin(), spec.inputs.end(), std::string(kStdio)) > 1)
    throw UsageError("input -: stdin can be read only once");
  std::string format;
  if (!spec.format.empty()) {
    const auto canonical = canonical_format(spec.format);
    if (!canonical)
      throw UsageError("--format " + spec.format + ": unknown format (png, jpg, webp, tif, bmp, npy)");
    format = *canonical;
  }
  (void)output_name(spec.name_template, "x.png", spec.scale, "png");  // a bad template fails once, early

  const std::string skip =
      spec.output.empty() || spec.output == kStdio ? std::string() : resolved(spec.output);
  std::vector<ListedFile> found;
  bool any_dir = false;
  bool reads_stdin = false;
  const std::size_t n_named = spec.inputs.size();
  for (std::size_t i = 0; i < n_named + spec.listed.size(); ++i) {
    // A listed "-" is a file of that name, not stdin (which may hold the list).
    const std::string arg = i < n_named ? spec.inputs[i]
                            : spec.listed[i - n_named] == kStdio ? std::string("./-")
                                                               : spec.listed[i - n_named];
    if (arg == kStdio && i < n_named) {
      reads_stdin = true;
      found.push_back({arg, "stdin", {}});
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      any_dir = true;
      for (ListedFile& f : list_directory(arg, spec.recursive, Listing::kImagesAndArrays, skip))
        found.push_back(std::move(f));
      continue;
    }
    const fs::path path(arg);
    const fs::path normal = path.lexically_normal();
    const bool inside = path.is_relative() && !normal.empty() && *normal.begin() != "..";
    found.push_back({arg, i >= n_named && inside ? normal : path.filename(), {}});
  }

  // "in.png out.png": the second name is most likely meant as the output.
  if (spec.inputs.size() == 2 && spec.output.empty() && !spec.from_list) {
    std::error_code ec;
    const std::string& second = spec.inputs[1];
    if (second != kStdio && has_batch_extension(second) &&
        !fs::exists(fs::symlink_status(second, ec)) && fs::exists(spec.inputs[0], ec))
      throw UsageError(second + ": no such file; to write the output to it, use -o " + second);
  }

  BatchPlan plan;
  plan.to_stdout = spec.output == kStdio;
  const bool several = spec.inputs.size() > 1 || spec.from_list || any_dir;
  const bool names_file = !spec.output.empty() && !plan.to_stdout;
  std::error_code ec;
  const bool existing_dir = names_file && fs::is_directory(spec.output, ec);
  const bool trailing_slash = names_file && spec.output.back() == '/';
  plan.output_dir = names_file && (trailing_slash || existing_dir || several);
  if (several && plan.output_dir && !trailing_slash && !existing_dir &&
      has_batch_extension(spec.output))
    throw UsageError("-o " + spec.output + ": " + std::to_string(found.size()) +
                     " inputs need a folder, and a name with an image extension is taken as a "
                     "file (write -o " + spec.output + "/ for a folder of that name)");
  if (names_file && !plan.output_dir) {
    const fs::path parent = fs::path(spec.output).parent_path();
    if (!parent.empty() && !fs::is_directory(parent, ec))
      throw UsageError("-o " + spec.output + ": the folder " + parent.string() + " does not exist");
  }
  if (plan.to_stdout && found.size() > 1)
    throw UsageError("-o -: stdout takes one image, but " + std::to_string(found.size()) +
                     " inputs matched");
  if (reads_stdin && spec.output.empty())
    throw UsageError("input -: reading stdin needs -o FILE, -o DIR/ or -o -");
  if (reads_stdin && plan.output_dir && format.empty())
    throw UsageError("input - with -o " + spec.output +
                     ": give --format, the output name needs an extension");

  for (ListedFile& f : found) {
    BatchItem item;
    item.input = f.path;
    item.error = std::move(f.error);
    if (!item.error.empty()) {
      item.key = f.rel.generic_string();
    } else if (plan.to_stdout) {
      item.output = kStdio;
      item.key = f.rel.generic_string();
    } else if (!spec.output.empty() && !plan.output_dir) {
      item.output = spec.output;
      item.key = fs::path(spec.output).filename().generic_string();
    } else {
      const fs::path named = f.path == kStdio ? fs::path("stdin") : fs::path(f.path);
      const std::string name = output_name(spec.name_template, named, spec.scale,
                                           format.empty() ? output_extension(spec, f.path) : format);
      if (plan.output_dir) {
        const fs::path rel = f.rel.parent_path() / name;
        item.output = (fs::path(spec.output) / rel).string();
        item.key = rel.generic_string();
      } else {
        item.output = (fs::path(f.path).parent_path() / name).string();
        item.key = fs::path(item.output).lexically_normal().generic_string();
      }
    }
    plan.items.push_back(std::move(item));
  }

  // An input that is the planned output of another input is that input's
  // output (a folder processed in place for the second time), not an input.
  {
    std::map<std::string, std::size_t> planned_output_at;
    for (std::size_t i = 0; i < plan.items.size(); ++i) {
      const BatchItem& item = plan.items[i];
      if (item.error.empty() && !item.output.empty() && item.output != kStdio)
        planned_output_at.emplace(resolved(item.output), i);
    }
    std::vector<BatchItem> kept;
    kept.reserve(plan.items.size());
    for (std::size_t i = 0; i < plan.items.size(); ++i) {
      BatchItem& item = plan.items[i];
      const auto it = item.input == kStdio || !item.error.empty()
                          ? planned_output_at.end()
                          : planned_output_at.find(resolved(item.input));
      if (it != planned_output_at.end() && it->second != i)
        plan.outputs_not_inputs.push_back(std::move(item.input));
      else
        kept.push_back(std::move(item));
    }
    plan.items = std::move(kept);
  }
  plan.matched = plan.items.size();

  // Outputs against inputs (by resolved path, and by device and inode for
  // files that exist, so hard links are caught) and against earlier outputs.
  std::map<std::string, std::size_t> input_at;
  std::map<std::pair<dev_t, ino_t>, std::size_t> input_id_at;
  for (std::size_t i = 0; i < plan.items.size(); ++i) {
    const BatchItem& item = plan.items[i];
    if (item.input == kStdio) continue;
    input_at.emplace(resolved(item.input), i);
    if (const auto id = file_id(item.input)) input_id_at.emplace(*id, i);
  }
  std::map<std::string, std::size_t> output_at;
  for (std::size_t i = 0; i < plan.items.size(); ++i) {
    BatchItem& item = plan.items[i];
    if (!item.error.empty() || item.output == kStdio) continue;
    const std::string where = resolved(item.output);
    std::optional<std::size_t> input_index;
    if (const auto it = input_at.find(where); it != input_at.end()) input_index = it->second;
    if (const auto id = file_id(item.output)) {
      if (const auto it = input_id_at.find(*id); it != input_id_at.end()) input_index = it->second;
    }
    if (input_index) {
      std::string& why = spec.skip_existing ? item.skip : item.error;
      why = item.output + (*input_index == i
                                      ? ": is the input file; refusing to write over it"
                                      : ": is an input of this batch (" +
                                            plan.items[*input_index].input +
                                            "); refusing to write over it");
      continue;
    }
    const auto [it, first] = output_at.emplace(where, i);
    if (!first)
      item.error = item.output + ": is also the output of " + plan.items[it->second].input +
                   " in this batch (change --name or -o)";
  }

  if (spec.shard) {
    std::vector<BatchItem> mine;
    for (BatchItem& item : plan.items)
      if (stable_hash(item.key) % static_cast<std::uint64_t>(spec.shard->count) ==
          static_cast<std::uint64_t>(spec.shard->index))
        mine.push_back(std::move(item));
    plan.items = std::move(mine);
  }
  return plan;
}

}  // namespace tconv::app

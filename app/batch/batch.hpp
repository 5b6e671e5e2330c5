// Batch planning: which inputs a command line names, where each output goes,
// which of them belong to this shard, and which would collide. No image is
// read here, so the rules are unit-testable with empty files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tconv::app {

/// The default output naming template (documented in --help, the README flag
/// table and docs/cli.md, "Batch and pipelines").
inline constexpr const char* kDefaultNameTemplate = "{stem}_x{scale}.{ext}";

/// "-": stdin as an input, stdout as the output.
inline constexpr std::string_view kStdio = "-";

/// `--shard K/N`: this run takes the items whose shard key hashes to K - 1
/// modulo N. index is 0-based (K - 1), 0 <= index < count.
struct Shard {
  int index = 0;
  int count = 1;
};

/// Parses "K/N" with 1 <= K <= N <= 1000000. Throws UsageError.
[[nodiscard]] Shard parse_shard(const std::string& text);

/// What the command line asks for, before looking at the filesystem.
struct BatchSpec {
  std::vector<std::string> inputs;  ///< Files, directories and at most one "-" (stdin).
  /// Paths from --files-from, after `inputs`. A relative one that stays
  /// inside the current directory keeps its path under -o DIR
  /// (x/y.png -> DIR/x/y_x2.png); others keep only their file name.
  std::vector<std::string> listed;
  bool from_list = false;           ///< --files-from was given: outputs form a batch (-o is a DIR).
  bool recursive = false;           ///< -r: walk subdirectories, mirror them under -o DIR.
  std::string output;               ///< -o: "" (beside each input), FILE, DIR or "-".
  std::string name_template = kDefaultNameTemplate;  ///< --name.
  std::string format;               ///< --format: "" (keep the input's) or png|jpg|webp|tif|bmp|npy.
  std::string scale;                ///< The {scale} field, e.g. "2" or "2x3".
  std::optional<Shard> shard;       ///< --shard.
  bool skip_existing = false;       ///< --skip-existing: an output that is an input is a skip.
  /// The output extension for an input whose own extension names no format
  /// the tool writes (e.g. a PNG named scan.dat), decided from its bytes;
  /// nullopt (or no function) keeps "png". Unused with --format.
  std::function<std::optional<std::string>(const std::string& input)> content_extension;
};

/// One input of the batch and where its result goes.
struct BatchItem {
  std::string input;   ///< Path as given or found, or "-" for stdin.
  std::string output;  ///< Output path, or "-" for stdout; empty when error is set early.
  std::string key;     ///< Shard key: the output path relative to the output root.
  std::string error;   ///< Non-empty: the item fails with this reason without running.
  std::string skip;    ///< Non-empty: the item is skipped with this reason without running.
};

/// The planned batch, in processing order.
struct BatchPlan {
  std::vector<BatchItem> items;  ///< This shard's items (all of them without --shard).
  std::size_t matched = 0;       ///< Items before sharding; 0 means nothing to do.
  bool output_dir = false;       ///< Outputs go under a directory tree made on demand.
  bool to_stdout = false;        ///< -o -: the one output goes to stdout.
  /// Files found or named as inputs that are the planned output of another
  /// input of the batch (a.png and a_x2.png in a folder processed in place):
  /// taken as that input's output, never as an input, so a rerun makes no
  /// outputs of outputs.
  std::vector<std::string> outputs_not_inputs;
};

/// Expands directories (list_directory() with Listing::kImagesAndArrays;
/// subdirectories with `recursive`), names every output, drops inputs that are the planned
/// output of another input (see BatchPlan::outputs_not_inputs), marks
/// collisions (two inputs with one output: the later one fails; an output
/// that is an input of the batch, compared by path and by device and inode,
/// fails, or is skipped with `skip_existing`) and keeps this shard. Throws
/// UsageError for contradictory requests (-o FILE with several inputs, -o -
/// with several, two stdin inputs, a bad --name or --format, -o FILE in a
/// folder that does not exist, a second input that does not exist and looks
/// like an output name).
[[nodiscard]] BatchPlan plan_batch(const BatchSpec& spec);

/// The file name `name_template` gives for `input`. Fields: {stem} (file
/// name without its last extension), {ext} (output extension without the
/// dot), {scale}, {name} (the whole input file name); "{{" and "}}" are
/// literal braces. Throws UsageError for an unknown field, an unclosed
/// brace, a '/' in the result or an empty result.
[[nodiscard]] std::string output_name(const std::string& name_template,
                                      const std::filesystem::path& input, const std::string& scale,
                                      const std::string& ext);

/// Which files a directory contributes to a command.
enum class Listing {
  kImages,           ///< .png .jpg .jpeg .tif .tiff .webp .bmp: the formats read by default.
  kImagesAndArrays,  ///< The same and .npy, for commands that take arrays (the main command).
};

/// True for names whose extension `listing` takes (case-insensitive).
[[nodiscard]] bool has_listed_extension(const std::filesystem::path& path, Listing listing);

/// True for names ending in .png .jpg .jpeg .tif .tiff .webp .bmp .npy
/// (case-insensitive): the files a directory contributes to the main command
/// (has_listed_extension() with Listing::kImagesAndArrays).
[[nodiscard]] bool has_batch_extension(const std::filesystem::path& path);

/// One file found in a directory, or a directory that could not be listed.
struct ListedFile {
  std::string path;             ///< The file (or the unlistable directory) as a path under `dir`.
  std::filesystem::path rel;    ///< `path` relative to `dir`: what -o DIR mirrors.
  std::string error;            ///< Non-empty: "cannot list directory: <reason>".
};

/// The one directory lister of every command: the files of `dir` whose
/// extension `listing` takes, in byte order of the names, each directory's
/// files before its subdirectories' (entered with `recursive`, in the same
/// order). Hidden entries (a leading '.', which includes this tool's
/// temporary files) are left out, symbolic links to directories are never
/// followed (a link loop cannot make the walk endless; links to files are
/// listed), and the directory whose resolved path is `skip` (the output
/// folder) is not entered. A directory that cannot be listed gives one entry
/// with `error` set; it never throws.
[[nodiscard]] std::vector<ListedFile> list_directory(const std::filesystem::path& dir,
                                                     bool recursive, Listing listing,
                                                     const std::string& skip = {});

/// Canonical extension of a --format value ("jpeg" -> "jpg", "tiff" -> "tif"),
/// or nullopt when it names no format the tool writes.
[[nodiscard]] std::optional<std::string> canonical_format(std::string_view format);

/// Largest --files-from list read, in bytes (about two million paths).
inline constexpr std::uint64_t kMaxPathListBytes = std::uint64_t{256} << 20;

/// Splits a path list (--files-from): one path per line ('\n', a trailing
/// '\r' kept as part of the name) or NUL-separated with `nul`; empty entries
/// are dropped. Throws UsageError when the list is longer than `max_bytes`
/// (checked while reading, so an endless stream is cut off).
[[nodiscard]] std::vector<std::string> read_path_list(std::istream& in, bool nul,
                                                      std::uint64_t max_bytes = kMaxPathListBytes);

/// How an input is named in messages and reports: "stdin" for "-".
[[nodiscard]] std::string display_name(const std::string& input);

/// 64-bit FNV-1a of `text`: the same on every machine and run, unlike std::hash.
[[nodiscard]] std::uint64_t stable_hash(std::string_view text) noexcept;

}  // namespace tconv::app

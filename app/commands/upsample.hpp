// The main command: upsample images (or .npy arrays) by a transposed
// convolution: one file, folders, stdin/stdout, or a list of paths.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/image_flags.hpp"
#include "cli/layer_flags.hpp"

namespace CLI {
class App;
}

namespace tconv::app {

/// Flags that decide which files a run covers and how it runs them.
struct BatchFlags {
  std::vector<std::string> inputs;  ///< Positional: files, directories, "-" (stdin).
  bool recursive = false;           ///< -r: walk subdirectories, mirror them under -o DIR.
  std::string files_from;           ///< --files-from FILE or "-": more inputs, one per line.
  bool nul = false;                 ///< -0: --files-from is NUL-separated.
  std::string name = "{stem}_x{scale}.{ext}";  ///< --name template.
  bool skip_existing = false;       ///< --skip-existing: leave existing outputs, count as skipped.
  bool dry_run = false;             ///< --dry-run: list what would be done, write nothing.
  int jobs = 0;                     ///< -j: images in parallel; 0 = number of cores.
  bool fail_fast = false;           ///< --fail-fast: stop after the first failure.
  std::string progress = "auto";    ///< --progress auto|bar|json|none.
  std::string report;               ///< --report FILE.json.
  std::string shard;                ///< --shard K/N.
  std::uint64_t max_input_bytes = std::uint64_t{1} << 30;  ///< --max-input-bytes.
};

struct UpsampleOptions {
  std::string input;   ///< The input being processed (set per item from batch.inputs).
  /// Set per frame of an image stream on stdin: the frame's done line is a
  /// debug line, the stream's own line is the info line.
  bool stream_frame = false;
  std::string output;  ///< -o: FILE, DIR/ or "-"; default: each output beside its input.
  std::string format;  ///< --format: png|jpg|webp|tif|bmp|npy; default: the input's.
  bool overwrite = false;
  std::string force_impl;  ///< --impl: run this impl (for testing and benchmarks).
  int threads = 0;         ///< --threads: 0 = all cores.
  int quality = 95;        ///< --quality: JPEG/WebP quality.
  int png_compression = 3; ///< --png-compression: zlib level.
  LayerFlags layer;
  BatchFlags batch;
  ImageFlags image;  ///< --linear, --strip, --allow-format, --max-pixels, --max-output-pixels, --accept-damaged.
};

/// Adds the main command's flags to `app` and runs it from app's callback.
void setup_upsample(CLI::App& app);

/// Runs the command over every planned input. Throws UsageError for bad
/// flags, NothingToDoError when no input matched, BatchFailed when an input
/// failed (each failure already reported on stderr).
void run_upsample(const UpsampleOptions& options);

}  // namespace tconv::app

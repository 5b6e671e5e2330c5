// Whole-file reads with a size cap, and crash-safe, no-clobber writes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace tconv::app {

/// Reads a whole regular file. Throws InputError when it cannot be read, is
/// not a regular file, or is larger than `max_bytes` (checked before reading).
[[nodiscard]] std::vector<unsigned char> read_file(const std::filesystem::path& path,
                                                   std::uint64_t max_bytes);

/// The input "-" (stdin) read piece by piece: read_rest() takes one whole
/// image under a size cap, read() lets a caller take a stream apart as it
/// arrives (an image stream, image/png_stream.hpp). It holds at most one
/// block (64 KiB) beyond what the caller took, so memory does not grow with
/// the stream. Messages name the source "stdin".
class StdinReader {
 public:
  /// Reads `fd` (not owned; stdin by default).
  explicit StdinReader(int fd = 0);
  /// Appends up to `n` bytes to `out`, fewer only at the end of the stream;
  /// returns how many. Blocks until they arrive. Throws InputError
  /// ("stdin: read failed: <reason>").
  std::size_t read(std::size_t n, std::vector<unsigned char>& out);
  /// Appends the rest of the stream to `out`. Throws InputError when
  /// `out` would grow beyond `max_bytes` ("stdin: more than the limit of N
  /// bytes (see --max-input-bytes)"), checked while reading.
  void read_rest(std::vector<unsigned char>& out, std::uint64_t max_bytes);
  /// True when the stream has ended: blocks until a byte arrives or the
  /// writer closes its end.
  [[nodiscard]] bool at_end();
  /// Bytes taken by the caller so far (the offset of the next byte).
  [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }

 private:
  bool fill();  // reads one block when none is held; false at the end
  int fd_;
  std::vector<unsigned char> block_;
  std::size_t begin_ = 0;  // block_[begin_, end_) is read but not taken
  std::size_t end_ = 0;
  bool ended_ = false;
  std::uint64_t offset_ = 0;
};

/// Writes all of `bytes` to stdout (the output "-"). Throws InputError naming
/// the reason when the write fails: a closed pipe (EPIPE; SIGPIPE must be
/// ignored by the process for this to be reported), a full device (ENOSPC).
void write_stdout(std::span<const unsigned char> bytes);

/// True when both paths exist and name the same file (device and inode
/// equal, so hard links and symlinks are caught).
[[nodiscard]] bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

/// Throws InputError "<output>: is an input (<that input>); refusing to
/// write over it" when `output` names the same file as one of `inputs`
/// (compared by device and inode, so links are caught). Every command's
/// outputs go through this or the batch planner's equivalent check.
void refuse_if_input(const std::filesystem::path& output,
                     const std::vector<std::filesystem::path>& inputs);

/// What an output path names before it is written.
enum class TargetKind {
  kAbsent,   ///< Nothing there yet: the file is created.
  kRegular,  ///< An existing regular file: replaced only with overwrite.
  kStream,   ///< A character device or FIFO (/dev/null, a named pipe): written in place.
};

/// An output path after following symbolic links, as cp does: a link to a
/// file writes (and, with overwrite, replaces) the file it points to and
/// keeps the link.
struct ResolvedOutput {
  std::filesystem::path path;  ///< Where the bytes go (the link's target for a link).
  TargetKind kind = TargetKind::kAbsent;
};

/// Resolves `path` for writing. Throws InputError for what is never written:
/// a dangling symbolic link, a directory, a block device, a socket, or a
/// path whose folder does not exist.
[[nodiscard]] ResolvedOutput resolve_output(const std::filesystem::path& path);

/// The checks write_file_atomic() makes, before any work is done: throws
/// OutputExists when a regular file is there and `overwrite` is false, and
/// InputError for what resolve_output() refuses.
void check_output_target(const std::filesystem::path& path, bool overwrite);

/// Writes `bytes` to `path` so that a crash, a full disk or a kill never
/// leaves a truncated file and never destroys an existing one: the bytes go
/// to a temporary file `.NAME.tmp-HOST-PID-XXXXXX` in the target directory
/// (registered for removal on SIGINT/SIGTERM/SIGHUP), which is fsynced and
/// then renamed over the target (overwrite) or linked to it only if the
/// target does not exist (no clobber, atomically), and the directory is
/// fsynced. The temporary file is removed on every error path. Character
/// devices and FIFOs are written in place (there is no file to lose);
/// symbolic links are followed as resolve_output() says. Throws
/// OutputExists when the target exists (or appears meanwhile) and
/// `overwrite` is false, InputError naming the path and the reason when
/// anything else fails.
void write_file_atomic(const std::filesystem::path& path, std::span<const unsigned char> bytes,
                       bool overwrite);

/// Removes temporary files that write_file_atomic() left in `dir` when its
/// process was killed (SIGKILL, power loss): names of its pattern whose
/// host is this one and whose process no longer runs. Files of live
/// processes, of other hosts and of other tools are never touched. Returns
/// how many were removed; errors are ignored (best effort).
std::size_t remove_stale_temp_files(const std::filesystem::path& dir) noexcept;

/// remove_stale_temp_files() once per folder and process, with an info line
/// when it removed something. write_file_atomic() calls it for its folder;
/// a batch calls it for every output folder before it starts, so a rerun
/// that skips every output still cleans up.
void sweep_stale_temp_files(const std::filesystem::path& dir);

}  // namespace tconv::app

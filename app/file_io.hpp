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

/// Reads all of stdin (the input "-"). Throws InputError when reading fails
/// or more than `max_bytes` arrive (checked while reading, so an endless
/// stream is cut off at the cap).
[[nodiscard]] std::vector<unsigned char> read_stdin(std::uint64_t max_bytes);

/// Writes all of `bytes` to stdout (the output "-"). Throws InputError naming
/// the reason when the write fails: a closed pipe (EPIPE; SIGPIPE must be
/// ignored by the process for this to be reported), a full device (ENOSPC).
void write_stdout(std::span<const unsigned char> bytes);

/// True when both paths exist and name the same file (device and inode
/// equal, so hard links and symlinks are caught).
[[nodiscard]] bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

/// Writes `bytes` to `path` so that a crash, a full disk or a kill never
/// leaves a truncated file and never destroys an existing one: the bytes go
/// to a temporary file in the target directory, which is fsynced and then
/// renamed over the target (overwrite) or linked to it only if the target
/// does not exist (no clobber, atomically), and the directory is fsynced.
/// The temporary file is removed on every error path. Throws InputError,
/// naming the path and the reason, when the target exists and `overwrite`
/// is false or anything fails.
void write_file_atomic(const std::filesystem::path& path, std::span<const unsigned char> bytes,
                       bool overwrite);

}  // namespace tconv::app

// File reads and crash-safe writes (see file_io.hpp).
#include "batch/file_io.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <string>

#include "cli/exit_codes.hpp"
#include "cli/interrupt.hpp"

namespace tconv::app {

namespace fs = std::filesystem;

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Closes a descriptor and removes a temporary file unless released.
// The path is registered with the signal handlers for as long as it exists.
class TempFile {
 public:
  TempFile(int fd, std::string path)
      : fd_(fd), path_(std::move(path)), slot_(register_temp_file(path_)) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
    unregister_temp_file(slot_);
  }
  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }
  void forget_path() {
    path_.clear();
    unregister_temp_file(slot_);
    slot_ = -1;
  }

 private:
  int fd_;
  std::string path_;
  int slot_;
};

void fsync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: some filesystems refuse to open directories
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::vector<unsigned char> read_file(const fs::path& path, std::uint64_t max_bytes) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status))
    throw InputError(path.string() + ": cannot read: " +
                     (ec ? ec.message() : std::string("no such file")));
  if (!fs::is_regular_file(status)) throw InputError(path.string() + ": not a regular file");
  const std::uint64_t size = fs::file_size(path, ec);
  if (ec) throw InputError(path.string() + ": cannot read: " + ec.message());
  if (size > max_bytes)
    throw InputError(path.string() + ": file size " + std::to_string(size) +
                     " bytes exceeds the limit of " + std::to_string(max_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open: " + errno_text(errno));
  std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size))
    throw InputError(path.string() + ": short read (file changed while reading?)");
  return bytes;
}

StdinReader::StdinReader(int fd) : fd_(fd), block_(std::size_t{1} << 16) {}

bool StdinReader::fill() {
  if (begin_ < end_) return true;
  while (!ended_) {
    const ssize_t n = ::read(fd_, block_.data(), block_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw InputError("stdin: read failed: " + errno_text(errno));
    if (n == 0) {
      ended_ = true;
      break;
    }
    begin_ = 0;
    end_ = static_cast<std::size_t>(n);
    return true;
  }
  return false;
}

std::size_t StdinReader::read(std::size_t n, std::vector<unsigned char>& out) {
  std::size_t done = 0;
  while (done < n && fill()) {
    const std::size_t take = std::min(n - done, end_ - begin_);
    const auto first = block_.begin() + static_cast<std::ptrdiff_t>(begin_);
    out.insert(out.end(), first, first + static_cast<std::ptrdiff_t>(take));
    begin_ += take;
    done += take;
  }
  offset_ += done;
  return done;
}

void StdinReader::read_rest(std::vector<unsigned char>& out, std::uint64_t max_bytes) {
  while (fill()) {
    if (out.size() + (end_ - begin_) > max_bytes)
      throw InputError("stdin: more than the limit of " + std::to_string(max_bytes) +
                       " bytes (see --max-input-bytes)");
    (void)read(end_ - begin_, out);
  }
}

bool StdinReader::at_end() { return !fill(); }

void write_stdout(std::span<const unsigned char> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EPIPE)
      throw InputError("stdout: write failed: the reading end of the pipe was closed");
    if (n <= 0) throw InputError("stdout: write failed: " + errno_text(errno));
    done += static_cast<std::size_t>(n);
  }
  // A regular file or device reports delayed errors (e.g. NFS, some FUSE) on fsync.
  struct stat st {};
  if (::fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && ::fsync(STDOUT_FILENO) != 0 &&
      errno != EINVAL)
    throw InputError("stdout: write failed: " + errno_text(errno));
}

bool same_file(const fs::path& a, const fs::path& b) {
  struct stat sa {};
  struct stat sb {};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void refuse_if_input(const fs::path& output, const std::vector<fs::path>& inputs) {
  for (const fs::path& input : inputs)
    if (same_file(input, output))
      throw InputError(output.string() + ": is an input (" + input.string() +
                       "); refusing to write over it");
}

ResolvedOutput resolve_output(const fs::path& path) {
  const std::string where = path.string();
  ResolvedOutput out{path, TargetKind::kAbsent};
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    std::error_code ec;
    const fs::path target = fs::canonical(path, ec);
    if (ec) throw InputError(where + ": not writing through a dangling symbolic link");
    out.path = target;
  }
  if (::stat(out.path.c_str(), &st) != 0) {
    const int err = errno;
    fs::path dir = out.path.parent_path();
    if (dir.empty()) dir = ".";
    std::error_code ec;
    if (err == ENOENT && !fs::is_directory(dir, ec))
      throw InputError(where + ": the folder " + dir.string() + " does not exist");
    if (err != ENOENT) throw InputError(where + ": cannot write: " + errno_text(err));
    return out;
  }
  if (S_ISREG(st.st_mode)) out.kind = TargetKind::kRegular;
  else if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) out.kind = TargetKind::kStream;
  else if (S_ISDIR(st.st_mode)) throw InputError(where + ": is a folder; refusing to write over it");
  else if (S_ISBLK(st.st_mode)) throw InputError(where + ": is a block device; refusing to write to it");
  else throw InputError(where + ": is not a regular file; refusing to write to it");
  return out;
}

void check_output_target(const fs::path& path, bool overwrite) {
  if (resolve_output(path).kind == TargetKind::kRegular && !overwrite)
    throw OutputExists(path.string() + ": exists (use --overwrite to replace it)");
}

namespace {

// Writes to a character device or FIFO in place, as a shell redirection does.
void write_in_place(const fs::path& path, const std::string& where,
                    std::span<const unsigned char> bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw InputError(where + ": cannot open for writing: " + errno_text(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      throw InputError(where + ": write failed: " + errno_text(err));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) throw InputError(where + ": close failed: " + errno_text(errno));
}

// Eight hex digits of the host name's hash: temporary files of another host
// sharing the folder (NFS) are never taken for stale ones.
const std::string& host_tag() {
  static const std::string tag = [] {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    std::uint32_t h = 2166136261u;  // 32-bit FNV-1a
    for (const char* c = name; *c != 0; ++c) h = (h ^ static_cast<unsigned char>(*c)) * 16777619u;
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", h);
    return std::string(hex);
  }();
  return tag;
}

constexpr std::string_view kTempMarker = ".tmp-";

}  // namespace

void write_file_atomic(const fs::path& requested, std::span<const unsigned char> bytes,
                       bool overwrite) {
  const std::string where = requested.string();
  const ResolvedOutput target = resolve_output(requested);
  if (target.kind == TargetKind::kStream) return write_in_place(target.path, where, bytes);
  if (target.kind == TargetKind::kRegular && !overwrite)
    throw OutputExists(where + ": exists (use --overwrite to replace it)");
  const fs::path& path = target.path;
  fs::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  sweep_stale_temp_files(dir);
  std::string pattern = (dir / ("." + path.filename().string() + std::string(kTempMarker) +
                                host_tag() + "-" + std::to_string(::getpid()) + "-XXXXXX"))
                            .string();
  const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) throw InputError(where + ": cannot create a temporary file in " + dir.string() + ": " + errno_text(errno));
  TempFile temp(fd, pattern);
  ::fchmod(fd, 0644 & ~[] {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    return mask;
  }());

  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw InputError(where + ": write failed: " + errno_text(errno));
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) throw InputError(where + ": fsync failed: " + errno_text(errno));
  if (temp.close() != 0) throw InputError(where + ": close failed: " + errno_text(errno));

  if (overwrite) {
    if (::rename(temp.path().c_str(), path.c_str()) != 0)
      throw InputError(where + ": cannot replace: " + errno_text(errno));
    temp.forget_path();
  } else {
    // link() fails with EEXIST if the target appeared meanwhile: no clobber, atomically.
    if (::link(temp.path().c_str(), path.c_str()) != 0) {
      int err = errno;
      // Filesystems without hard links: the same guarantee from renameat2.
      if ((err == EPERM || err == EOPNOTSUPP) &&
          ::renameat2(AT_FDCWD, temp.path().c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) ==
              0) {
        temp.forget_path();
        fsync_directory(dir);
        return;
      }
      err = err == EPERM || err == EOPNOTSUPP ? errno : err;
      if (err == EEXIST) throw OutputExists(where + ": exists (use --overwrite to replace it)");
      throw InputError(where + ": cannot create: " + errno_text(err));
    }
  }
  fsync_directory(dir);
}

std::size_t remove_stale_temp_files(const fs::path& dir) noexcept {
  std::size_t removed = 0;
  try {
    const std::string ours = std::string(kTempMarker) + host_tag() + "-";
    std::error_code ec;
    for (fs::directory_iterator it(dir.empty() ? fs::path(".") : dir, ec), end; !ec && it != end;
         it.increment(ec)) {
      // .NAME.tmp-HOST-PID-XXXXXX
      const std::string name = it->path().filename().string();
      if (name.size() < 7 || name.front() != '.') continue;
      const std::size_t marker = name.rfind(ours);
      if (marker == std::string::npos || marker == 0) continue;
      const std::string tail = name.substr(marker + ours.size());  // PID-XXXXXX
      const std::size_t dash = tail.find('-');
      if (dash == std::string::npos || dash == 0 || tail.size() - dash - 1 != 6) continue;
      const std::string pid_text = tail.substr(0, dash);
      if (pid_text.find_first_not_of("0123456789") != std::string::npos || pid_text.size() > 9)
        continue;
      const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
      if (pid == ::getpid() || (::kill(pid, 0) == 0 || errno != ESRCH)) continue;
      std::error_code fec;
      if (!it->is_regular_file(fec)) continue;
      if (::unlink(it->path().c_str()) == 0) ++removed;
    }
  } catch (...) {
    // Best effort: a folder that cannot be listed keeps its files.
  }
  return removed;
}

void sweep_stale_temp_files(const fs::path& dir) {
  static std::mutex mutex;
  static std::set<std::string> swept;
  std::error_code ec;
  const fs::path key = fs::weakly_canonical(dir, ec);
  {
    std::lock_guard lock(mutex);
    if (!swept.insert(ec ? dir.string() : key.string()).second) return;
  }
  if (const std::size_t n = remove_stale_temp_files(dir); n > 0)
    spdlog::info("{}: removed {} temporary file(s) left by an interrupted run", dir.string(), n);
}

}  // namespace tconv::app

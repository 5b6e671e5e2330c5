// File reads and crash-safe writes (see file_io.hpp).
#include "file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "exit_codes.hpp"

namespace tconv::app {

namespace fs = std::filesystem;

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Closes a descriptor and removes a temporary file unless released.
class TempFile {
 public:
  TempFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }
  void forget_path() { path_.clear(); }

 private:
  int fd_;
  std::string path_;
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

std::vector<unsigned char> read_stdin(std::uint64_t max_bytes) {
  std::vector<unsigned char> bytes;
  std::vector<unsigned char> chunk(std::size_t{1} << 16);
  while (true) {
    const ssize_t n = ::read(STDIN_FILENO, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw InputError("stdin: read failed: " + errno_text(errno));
    if (n == 0) break;
    if (bytes.size() + static_cast<std::size_t>(n) > max_bytes)
      throw InputError("stdin: more than the limit of " + std::to_string(max_bytes) +
                       " bytes (see --max-input-bytes)");
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + n);
  }
  if (bytes.empty()) throw InputError("stdin: empty input");
  return bytes;
}

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

void write_file_atomic(const fs::path& path, std::span<const unsigned char> bytes,
                       bool overwrite) {
  const std::string where = path.string();
  fs::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  std::string pattern = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) throw InputError(where + ": cannot create a temporary file: " + errno_text(errno));
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
      if (err == EEXIST)
        throw InputError(where + ": exists (use --overwrite to replace it)");
      throw InputError(where + ": cannot create: " + errno_text(err));
    }
  }
  fsync_directory(dir);
}

}  // namespace tconv::app

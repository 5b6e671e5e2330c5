// Helpers shared by the CLI tests, which run the real binary: a fresh
// temporary folder per test and a runner that captures the exit code and
// everything the command printed.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace tconv::test {

/// Exit code (-1 when killed by a signal), stdout + stderr and wall time of one run.
struct CliResult {
  int exit_code = -1;
  std::string output;
  double seconds = 0;
};

/// Runs `cli args` through the shell (stderr merged into stdout); `cli` may
/// carry a prefix such as "prlimit --as=N /path/to/tconv-upsample".
inline CliResult run_cli(const std::string& cli, const std::string& args) {
  const std::string cmd = cli + " " + args + " 2>&1";
  CliResult r;
  const auto start = std::chrono::steady_clock::now();
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

/// The whole content of a file ("" when it cannot be read).
inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

/// Writes `bytes` as the whole content of `path`.
inline void write_bytes(const std::string& path, const std::vector<unsigned char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

/// A fresh, empty folder named <prefix><pid>_<n> in the system temp folder,
/// removed with everything in it when the object goes out of scope.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "tconv_cli_") {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           (prefix + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  /// The path of `name` inside the folder.
  [[nodiscard]] std::string operator/(const std::string& name) const {
    return (path / name).string();
  }

  std::filesystem::path path;
};

}  // namespace tconv::test

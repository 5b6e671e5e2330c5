// SIGINT, SIGTERM and SIGHUP: how the tool stops without losing a file.
//
// Every temporary file the tool creates is registered here while it exists,
// so a signal handler can remove it. Two modes:
// - immediate (the default): the first signal removes the registered
//   temporary files and ends the process with 128 + the signal number;
// - cooperative (inside a batch, see CooperativeScope): the first signal only
//   sets a flag; the batch stops starting new files, lets the ones in flight
//   finish, writes its report and exits with 128 + the signal number. A
//   second signal then behaves as in immediate mode.
#pragma once

#include <string>

namespace tconv::app {

/// Installs the handlers for SIGINT, SIGTERM and SIGHUP (once, at start).
void install_interrupt_handlers();

/// The signal that asked the tool to stop (SIGINT, SIGTERM or SIGHUP), or 0.
[[nodiscard]] int interrupt_signal() noexcept;

/// While an object of this type lives, a first signal only sets the flag.
class CooperativeScope {
 public:
  CooperativeScope() noexcept;
  ~CooperativeScope();
  CooperativeScope(const CooperativeScope&) = delete;
  CooperativeScope& operator=(const CooperativeScope&) = delete;
};

/// Registers `path` (a temporary file just created) so a signal removes it;
/// returns a slot number for unregister_temp_file(), or -1 when every slot
/// is taken (the file is then only removed by its owner and by the stale-file
/// sweep of a later run).
[[nodiscard]] int register_temp_file(const std::string& path) noexcept;

/// Forgets the slot (the file was renamed, linked or removed by its owner).
void unregister_temp_file(int slot) noexcept;

/// Thrown when a signal stopped the command; the exit code is 128 + signal.
class Interrupted {
 public:
  explicit Interrupted(int signal) noexcept : signal_(signal) {}
  [[nodiscard]] int signal() const noexcept { return signal_; }

 private:
  int signal_;
};

}  // namespace tconv::app

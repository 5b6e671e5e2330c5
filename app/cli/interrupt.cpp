// Signal handling (see interrupt.hpp). Everything the handler touches is a
// lock-free atomic or a fixed array, and it calls only async-signal-safe
// functions (write, unlink, _exit).
#include "cli/interrupt.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstring>

namespace tconv::app {

namespace {

// One slot per temporary file that may exist at once: a job writes one file
// at a time and -j is at most 1024; the report and model writes add a few.
constexpr int kSlots = 1040;
constexpr std::size_t kPathBytes = 4096;

enum SlotState : int { kFree = 0, kFilling = 1, kReady = 2 };

struct TempSlot {
  std::atomic<int> state{kFree};
  std::array<char, kPathBytes> path{};
};

TempSlot g_slots[kSlots];
std::atomic<int> g_signal{0};
std::atomic<int> g_cooperative{0};

static_assert(std::atomic<int>::is_always_lock_free);

void write_stderr(const char* text) noexcept {
  const std::size_t n = std::strlen(text);
  ssize_t ignored = ::write(STDERR_FILENO, text, n);
  (void)ignored;
}

void remove_temp_files() noexcept {
  for (TempSlot& slot : g_slots)
    if (slot.state.load() == kReady) ::unlink(slot.path.data());
}

void on_signal(int signal) {
  int expected = 0;
  const bool first = g_signal.compare_exchange_strong(expected, signal);
  if (first && g_cooperative.load() > 0) {
    write_stderr(
        "\ntconv-upsample: interrupted: finishing the files in flight (signal again to stop "
        "now)\n");
    return;
  }
  remove_temp_files();
  ::_exit(128 + (first ? signal : expected));
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (const int signal : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(signal, &action, nullptr);
}

int interrupt_signal() noexcept { return g_signal.load(); }

CooperativeScope::CooperativeScope() noexcept { g_cooperative.fetch_add(1); }
CooperativeScope::~CooperativeScope() { g_cooperative.fetch_sub(1); }

int register_temp_file(const std::string& path) noexcept {
  if (path.size() >= kPathBytes) return -1;
  for (int i = 0; i < kSlots; ++i) {
    int expected = kFree;
    if (!g_slots[i].state.compare_exchange_strong(expected, kFilling)) continue;
    std::memcpy(g_slots[i].path.data(), path.c_str(), path.size() + 1);
    g_slots[i].state.store(kReady);
    return i;
  }
  return -1;
}

void unregister_temp_file(int slot) noexcept {
  if (slot >= 0 && slot < kSlots) g_slots[slot].state.store(kFree);
}

}  // namespace tconv::app

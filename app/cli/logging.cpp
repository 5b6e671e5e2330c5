#include "cli/logging.hpp"

#include <spdlog/sinks/ansicolor_sink.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <mutex>

namespace tconv::app {

namespace {

std::mutex& stderr_mutex() {
  static std::mutex m;
  return m;
}
std::string& status_line() {
  static std::string line;
  return line;
}

// "\r" + erase-to-end-of-line: removes the status line before a log line.
void erase_status_locked() {
  if (!status_line().empty()) std::fputs("\r\033[K", stderr);
}
void draw_status_locked() {
  if (!status_line().empty()) std::fputs(status_line().c_str(), stderr);
  std::fflush(stderr);
}

// The colour stderr sink, with the status line erased before and redrawn
// after every message, all under one mutex (so the sink is thread-safe).
class StatusAwareSink final : public spdlog::sinks::sink {
 public:
  void log(const spdlog::details::log_msg& msg) override {
    // File names may hold newlines or terminal escape sequences: each
    // message stays one harmless line.
    const std::string text = escape_control_bytes(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg escaped = msg;
    escaped.payload = text;
    std::lock_guard lock(stderr_mutex());
    erase_status_locked();
    inner_.log(escaped);
    inner_.flush();
    draw_status_locked();
  }
  void flush() override {
    std::lock_guard lock(stderr_mutex());
    inner_.flush();
  }
  void set_pattern(const std::string& pattern) override {
    std::lock_guard lock(stderr_mutex());
    inner_.set_pattern(pattern);
  }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    std::lock_guard lock(stderr_mutex());
    inner_.set_formatter(std::move(formatter));
  }

 private:
  spdlog::sinks::ansicolor_stderr_sink_st inner_;
};

}  // namespace

std::string escape_control_bytes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", byte);
      out += hex;
    }
  }
  return out;
}

void setup_logging(int verbose, int quiet) {
  auto logger = std::make_shared<spdlog::logger>("tconv-upsample",
                                                 std::make_shared<StatusAwareSink>());
  logger->set_pattern("%n: %^%l%$: %v");
  spdlog::level::level_enum level = spdlog::level::info;
  if (verbose == 1) level = spdlog::level::debug;
  if (verbose >= 2) level = spdlog::level::trace;
  if (quiet == 1) level = spdlog::level::warn;
  if (quiet >= 2) level = spdlog::level::err;
  logger->set_level(level);
  spdlog::set_default_logger(logger);
}

void print_stderr_line(std::string_view line) {
  std::lock_guard lock(stderr_mutex());
  erase_status_locked();
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fputc('\n', stderr);
  draw_status_locked();
}

void set_status_line(std::string line) {
  std::lock_guard lock(stderr_mutex());
  erase_status_locked();
  status_line() = std::move(line);
  draw_status_locked();
}

}  // namespace tconv::app

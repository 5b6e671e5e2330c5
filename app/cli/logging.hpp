// Log set-up: one stderr logger for the whole tool (the library never logs).
// Everything the tool prints on stderr (log lines, JSON progress lines, the
// progress bar) goes through here, serialized, so lines from parallel jobs
// never interleave and the bar is redrawn below each log line.
#pragma once

#include <string>
#include <string_view>

namespace tconv::app {

/// Verbosity from -v / -q counts: 0 info, 1 debug, 2+ trace; -q warnings
/// and errors only, -qq errors only.
void setup_logging(int verbose, int quiet);

/// `text` with control bytes (newline, escape, ...) written as \n, \t, \r
/// or \xNN, so a file name can never break a line or drive the terminal.
/// Every log line goes through it.
[[nodiscard]] std::string escape_control_bytes(std::string_view text);

/// Writes `line` and a newline to stderr, serialized with log lines.
void print_stderr_line(std::string_view line);

/// Sets the status line (a progress bar) kept at the bottom of a terminal's
/// stderr: drawn now and redrawn after each log line; "" erases it.
void set_status_line(std::string line);

}  // namespace tconv::app

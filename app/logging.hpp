// Log set-up: one stderr logger for the whole tool (the library never logs).
#pragma once

namespace tconv::app {

/// Verbosity from -v / -q counts: 0 info, 1 debug, 2+ trace; -q warnings
/// and errors only, -qq errors only.
void setup_logging(int verbose, int quiet);

}  // namespace tconv::app

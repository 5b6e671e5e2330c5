// tconv-upsample help [command]: the tool's or one command's --help.
#pragma once

namespace CLI {
class App;
}

namespace tconv::app {

/// Adds the `help` subcommand to `app`: `help` prints the tool's --help,
/// `help COMMAND` that command's (a mistyped name is a usage error with the
/// nearest command suggested).
void setup_help(CLI::App& app);

/// Runs `help [COMMAND]` when argv names it (printing on stdout) and
/// returns true; false for any other command line. Before parsing, so a
/// command's name after `help` is not taken as that command. Throws
/// UsageError for an unknown command (with the nearest one) or extra words.
[[nodiscard]] bool run_help_command(const CLI::App& app, int argc, const char* const* argv);

}  // namespace tconv::app

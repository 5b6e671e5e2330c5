// Help for mistyped command lines: the nearest command or flag to a name
// the tool does not know ("did you mean"), shared by main.cpp and `help`.
#pragma once

#include <string>

namespace CLI {
class App;
class ParseError;
}  // namespace CLI

namespace tconv::app {

/// The subcommands' names, comma-separated (for messages and --help).
[[nodiscard]] std::string command_list(const CLI::App& app);

/// The subcommand named `name`; throws UsageError naming the nearest one
/// when there is none.
[[nodiscard]] const CLI::App& find_command(const CLI::App& app, const std::string& name);

/// Before parsing: a first argument that is neither a flag, a command nor
/// an existing file, but within a typo of a command's name (`comapre`), is
/// a mistyped command, not a missing input: throws UsageError suggesting
/// the command, so nothing runs.
void check_command_typo(const CLI::App& app, int argc, const char* const* argv);

/// The one-line message for a parse error: CLI11's, with "did you mean"
/// for unknown flags (from the flags of the command being parsed).
[[nodiscard]] std::string parse_error_message(const CLI::App& app, const CLI::ParseError& error);

}  // namespace tconv::app

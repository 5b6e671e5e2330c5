// tconv-upsample help [command] (see help.hpp).
#include "commands/help.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "cli/exit_codes.hpp"
#include "cli/usage_help.hpp"

namespace tconv::app {

void setup_help(CLI::App& app) {
  // Listed and documented here; run by run_help_command() before parsing,
  // since the parser would take `help compare` for the compare command.
  CLI::App* cmd = app.add_subcommand("help", "Show the help of the tool or of one command: help [COMMAND]");
  cmd->allow_extras();
  cmd->footer(R"(Examples:
  tconv-upsample help              the main command's flags, exit codes and examples
  tconv-upsample help compare      the compare command's flags and examples)");
}

bool run_help_command(const CLI::App& app, int argc, const char* const* argv) {
  if (argc < 2 || std::string(argv[1]) != "help") return false;
  if (argc == 3 && argv[2][0] == '-') return false;  // help --help: the parser's own help
  if (argc > 3) throw UsageError("help takes one command name (commands: " + command_list(app) + ")");
  // The formatter directly: App::help() describes the command being parsed.
  const CLI::App* target = argc == 2 ? &app : &find_command(app, argv[2]);
  const std::string usage = argc == 2 ? app.get_name() : app.get_name() + " " + argv[2];
  std::cout << app.get_formatter()->make_help(target, usage, CLI::AppFormatMode::Normal);
  std::cout.flush();
  if (!std::cout) throw InputError("stdout: write failed");
  return true;
}

}  // namespace tconv::app

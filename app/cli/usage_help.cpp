// "Did you mean" for commands and flags (see usage_help.hpp).
#include "cli/usage_help.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string_view>
#include <vector>

#include "cli/exit_codes.hpp"
#include "cli/suggest.hpp"

namespace tconv::app {

namespace {

std::vector<const CLI::App*> all_commands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

std::vector<std::string_view> command_names(const std::vector<const CLI::App*>& commands) {
  std::vector<std::string_view> names;
  for (const CLI::App* c : commands) names.emplace_back(c->get_name());
  return names;
}

// The long flags of `command` ("--size"), for suggestions.
std::vector<std::string> long_flags(const CLI::App& command) {
  std::vector<std::string> flags;
  for (const CLI::Option* opt : command.get_options([](const CLI::Option*) { return true; }))
    for (const std::string& name : opt->get_lnames()) flags.push_back("--" + name);
  return flags;
}

}  // namespace

std::string command_list(const CLI::App& app) {
  std::string text;
  for (const std::string_view name : command_names(all_commands(app)))
    text += (text.empty() ? "" : ", ") + std::string(name);
  return text;
}

const CLI::App& find_command(const CLI::App& app, const std::string& name) {
  const std::vector<const CLI::App*> commands = all_commands(app);
  for (const CLI::App* c : commands)
    if (c->get_name() == name) return *c;
  throw UsageError(name + ": no such command" + did_you_mean(name, command_names(commands)) +
                   " (commands: " + command_list(app) + ")");
}

void check_command_typo(const CLI::App& app, int argc, const char* const* argv) {
  if (argc < 2) return;
  const std::string first = argv[1];
  if (first.empty() || first[0] == '-' || first.find_first_of("./") != std::string::npos) return;
  const std::vector<const CLI::App*> commands = all_commands(app);
  const std::vector<std::string_view> names = command_names(commands);
  for (const std::string_view name : names)
    if (name == first) return;
  std::error_code ec;
  if (std::filesystem::exists(first, ec)) return;  // an input of that name
  if (const auto near = closest_name(first, names))
    throw UsageError(first + ": no such command or file; did you mean " + *near + "?");
}

std::string parse_error_message(const CLI::App& app, const CLI::ParseError& error) {
  std::string message = error.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&error) == nullptr) return message;
  // The command being parsed when the unknown argument came: the last
  // subcommand selected, else the tool itself.
  const CLI::App* command = &app;
  while (true) {
    const std::vector<CLI::App*> parsed = command->get_subcommands();
    if (parsed.empty()) break;
    command = parsed.back();
  }
  const std::vector<std::string> flags = long_flags(*command);
  const std::vector<std::string_view> candidates(flags.begin(), flags.end());
  for (const std::string& extra : app.remaining(true)) {
    if (extra.rfind("--", 0) != 0) continue;
    const std::string flag = extra.substr(0, extra.find('='));
    if (const auto near = closest_name(flag, candidates)) return message + "; did you mean " + *near + "?";
  }
  return message;
}

}  // namespace tconv::app

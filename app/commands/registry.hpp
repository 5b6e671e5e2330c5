// The subcommands of tconv-upsample: one registry line per command.
#pragma once

#include <span>

namespace CLI {
class App;
}

namespace tconv::app {

/// Adds one subcommand (its flags and its callback) to the tool's app.
using SetupCommand = void (*)(CLI::App& app);

/// Every subcommand's setup, in the order --help lists them. The main
/// command (setup_upsample()) is the app itself, not listed here.
[[nodiscard]] std::span<const SetupCommand> subcommands() noexcept;

}  // namespace tconv::app

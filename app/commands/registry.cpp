// The subcommand registry (see registry.hpp): a new command is its file pair
// in this folder and one line here (docs/internals.md#adding-a-subcommand).
#include "commands/registry.hpp"

#include "commands/compare.hpp"
#include "commands/eval.hpp"
#include "commands/help.hpp"
#include "commands/impls.hpp"
#include "commands/inspect.hpp"
#include "commands/models.hpp"
#include "commands/train.hpp"

namespace tconv::app {

namespace {

constexpr SetupCommand kSubcommands[] = {
    &setup_eval,
    &setup_compare,
    &setup_inspect,
    &setup_train,
    &setup_impls,
    &setup_models,
    &setup_help,
};

}  // namespace

std::span<const SetupCommand> subcommands() noexcept { return kSubcommands; }

}  // namespace tconv::app

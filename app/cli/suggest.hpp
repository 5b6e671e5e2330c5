// "Did you mean" for mistyped names (kernels, subcommands, flags).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tconv::app {

/// The candidate nearest to `typed` by edit distance (insertions,
/// deletions, substitutions and swaps of adjacent letters, letter case
/// ignored) when it is close enough to be a typo: at most 1 edit for names
/// of up to 4 letters, 2 for longer ones. The first of equally near ones;
/// nullopt when none is that close.
[[nodiscard]] std::optional<std::string> closest_name(std::string_view typed,
                                                      const std::vector<std::string_view>& candidates);

/// "; did you mean X?" for closest_name(), or "" when there is none.
[[nodiscard]] std::string did_you_mean(std::string_view typed,
                                       const std::vector<std::string_view>& candidates);

}  // namespace tconv::app

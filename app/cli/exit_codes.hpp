// Process exit codes of tconv-upsample (documented in --help and README).
#pragma once

#include <stdexcept>

#include "tconv/core/error.hpp"

namespace tconv::app {

enum ExitCode : int {
  kExitOk = 0,           ///< Every input was processed.
  kExitInputFailed = 1,  ///< An input could not be read, decoded, computed or written.
  kExitUsage = 2,        ///< Bad flags or parameters; nothing was written.
  kExitNothingToDo = 3,  ///< No input matched (e.g. an empty directory).
  kExitQualityGate = 4,  ///< A quality gate (e.g. compare --fail-above) failed.
};

/// Thrown for a problem with one input or output file (maps to kExitInputFailed).
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown when an output file exists and may not be replaced (no
/// --overwrite); under --skip-existing this is a skip, not a failure.
class OutputExists : public InputError {
 public:
  using InputError::InputError;
};

/// Whether a library error is a usage error (parameters or shapes that do
/// not fit: exit kExitUsage, and a usage failure of a batch item). The one
/// statement of this rule, for main() and the batch runner.
[[nodiscard]] inline bool is_usage_error(const tconv::Error& e) noexcept {
  return e.code() == tconv::ErrorCode::kInvalidArgument ||
         e.code() == tconv::ErrorCode::kShapeMismatch;
}

/// Thrown when a command found nothing to work on, e.g. a folder without
/// images (maps to kExitNothingToDo).
class NothingToDoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown for a bad flag combination found after parsing (maps to kExitUsage).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown when a quality gate failed, e.g. compare --fail-above (maps to kExitQualityGate).
class QualityGateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown at the end of a batch in which some inputs failed; every failure
/// was already reported. `usage_only`: all failures were usage errors (the
/// flags do not fit the inputs), which maps to kExitUsage, else kExitInputFailed.
class BatchFailed : public std::runtime_error {
 public:
  BatchFailed(const std::string& what, bool usage_only)
      : std::runtime_error(what), usage_only_(usage_only) {}
  [[nodiscard]] bool usage_only() const noexcept { return usage_only_; }

 private:
  bool usage_only_;
};
}  // namespace tconv::app

// Process exit codes of tconv-upsample (documented in --help and README).
#pragma once

#include <stdexcept>
#include <string>

#include "tconv/core/error.hpp"

namespace tconv::app {

enum ExitCode : int {
  kExitOk = 0,           ///< Every input was processed.
  kExitInputFailed = 1,  ///< An input could not be read, decoded, computed or written.
  kExitUsage = 2,        ///< Bad flags or parameters; nothing was written.
  kExitNothingToDo = 3,  ///< No input matched (e.g. an empty directory).
  kExitQualityGate = 4,  ///< A quality gate (e.g. compare --fail-above) failed.
};

/// Whether a library error is a usage error (parameters or shapes that do
/// not fit: exit kExitUsage, and a usage failure of a batch item).
[[nodiscard]] inline bool is_usage_error(const tconv::Error& e) noexcept {
  return e.code() == tconv::ErrorCode::kInvalidArgument ||
         e.code() == tconv::ErrorCode::kShapeMismatch;
}

/// The base of the tool's own errors: each carries the exit code it maps to.
class AppError : public std::runtime_error {
 public:
  AppError(const std::string& what, ExitCode code) : std::runtime_error(what), code_(code) {}
  [[nodiscard]] ExitCode exit_code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

/// A problem with one input or output file (kExitInputFailed).
class InputError : public AppError {
 public:
  explicit InputError(const std::string& what) : AppError(what, kExitInputFailed) {}
};

/// An output file exists and may not be replaced (no --overwrite); under
/// --skip-existing this is a skip, not a failure.
class OutputExists : public InputError {
 public:
  using InputError::InputError;
};

/// A command found nothing to work on, e.g. a folder without images
/// (kExitNothingToDo).
class NothingToDoError : public AppError {
 public:
  explicit NothingToDoError(const std::string& what) : AppError(what, kExitNothingToDo) {}
};

/// A bad flag combination found after parsing (kExitUsage).
class UsageError : public AppError {
 public:
  explicit UsageError(const std::string& what) : AppError(what, kExitUsage) {}
};

/// A quality gate failed, e.g. compare --fail-above (kExitQualityGate).
class QualityGateError : public AppError {
 public:
  explicit QualityGateError(const std::string& what) : AppError(what, kExitQualityGate) {}
};

/// The end of a batch in which some inputs failed; every failure was
/// already reported, so its message is not printed again. `usage_only`:
/// all failures were usage errors (the flags do not fit the inputs):
/// kExitUsage, else kExitInputFailed.
class BatchFailed : public AppError {
 public:
  BatchFailed(const std::string& what, bool usage_only)
      : AppError(what, usage_only ? kExitUsage : kExitInputFailed) {}
  [[nodiscard]] bool usage_only() const noexcept { return exit_code() == kExitUsage; }
};

/// The exit code of any error, the one mapping of the tool: an AppError's
/// own code, a library error's by is_usage_error() (kExitUsage or
/// kExitInputFailed), anything else (out of memory, a system error)
/// kExitInputFailed. main() exits with it; the batch runner marks an item's
/// failure as a usage failure when it is kExitUsage.
[[nodiscard]] inline ExitCode exit_code_of(const std::exception& e) noexcept {
  if (const auto* app = dynamic_cast<const AppError*>(&e)) return app->exit_code();
  if (const auto* lib = dynamic_cast<const tconv::Error*>(&e))
    return is_usage_error(*lib) ? kExitUsage : kExitInputFailed;
  return kExitInputFailed;
}

}  // namespace tconv::app

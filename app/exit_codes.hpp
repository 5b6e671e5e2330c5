// Process exit codes of tconv-upsample (documented in --help and README).
#pragma once

#include <stdexcept>

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

}  // namespace tconv::app

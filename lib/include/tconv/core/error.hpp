// tconv/core/error.hpp - the one exception hierarchy of the library.
//
// Every error the library reports is a tconv::Error carrying an ErrorCode.
// Messages follow one pattern, "<op> <what> <value>: <rule>", lower-case and
// on one line, e.g. "conv_transpose2d stride 0x2: stride must be >= 1".
#pragma once

#include <stdexcept>
#include <string>

namespace tconv {

/// Stable error categories. The application maps them to process exit codes.
enum class ErrorCode : int {
  kInvalidArgument = 1,  ///< A parameter violates a documented rule.
  kShapeMismatch,        ///< Tensors or weights disagree with the parameters.
  kLimitExceeded,        ///< A size is legal but above a documented limit.
  kIo,                   ///< A file could not be opened, read or written.
  kFormat,               ///< A file was read but its contents are malformed.
  kInternal,             ///< A bug: an invariant the library owns was broken.
};

/// Base of every exception the library throws.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  /// The category, for mapping to exit codes.
  [[nodiscard]] ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

/// A parameter violates a documented rule (stride 0, negative padding, ...).
class InvalidArgument : public Error {
 public:
  explicit InvalidArgument(const std::string& m) : Error(ErrorCode::kInvalidArgument, m) {}
};

/// A tensor's shape disagrees with the parameters (weight, bias or input shape).
class ShapeMismatch : public Error {
 public:
  explicit ShapeMismatch(const std::string& m) : Error(ErrorCode::kShapeMismatch, m) {}
};

/// A size is well-formed but above a documented limit (checked before allocating).
class LimitExceeded : public Error {
 public:
  explicit LimitExceeded(const std::string& m) : Error(ErrorCode::kLimitExceeded, m) {}
};

/// A file could not be opened, read or written.
class IoError : public Error {
 public:
  explicit IoError(const std::string& m) : Error(ErrorCode::kIo, m) {}
};

/// A file was read but its contents are malformed.
class FormatError : public Error {
 public:
  explicit FormatError(const std::string& m) : Error(ErrorCode::kFormat, m) {}
};

}  // namespace tconv

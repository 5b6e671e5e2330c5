// A small strict JSON reader for the headers the library parses (safetensors
// and the model layer list). Internal: not part of the public API.
//
// Accepts RFC 8259 JSON only: no comments, no trailing commas, no NaN, no
// leading zeros; strings must be valid UTF-8 with escapes decoded (lone
// surrogates refused); objects with a repeated key are refused (a reader that
// keeps the last value would let two tools see two different files). Nesting
// is limited so hostile input cannot exhaust the stack. Errors are
// JsonError carrying the byte offset and the rule.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tconv::detail {

/// A syntax error: `offset` is the byte where the rule was broken.
class JsonError : public std::runtime_error {
 public:
  JsonError(std::size_t offset, const std::string& rule)
      : std::runtime_error("byte " + std::to_string(offset) + ": " + rule), offset_(offset) {}
  [[nodiscard]] std::size_t offset() const noexcept { return offset_; }

 private:
  std::size_t offset_;
};

struct JsonMember;

/// One JSON value. Numbers keep their text so integers of any size are exact.
struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  ///< kString: the decoded string; kNumber: the literal as written.
  std::vector<JsonValue> items;                            ///< kArray
  // A struct, not std::pair: pair's constructor traits need a complete
  // JsonValue, which clang with libstdc++ checks here.
  std::vector<JsonMember> members;  ///< kObject, in file order, keys unique

  [[nodiscard]] bool is_object() const noexcept { return kind == Kind::kObject; }
  [[nodiscard]] bool is_array() const noexcept { return kind == Kind::kArray; }
  [[nodiscard]] bool is_string() const noexcept { return kind == Kind::kString; }
  [[nodiscard]] bool is_number() const noexcept { return kind == Kind::kNumber; }
  /// The member called `key` of an object, or nullptr.
  [[nodiscard]] const JsonValue* find(std::string_view key) const noexcept;
  /// A number without fraction or exponent that fits in int64, else nullopt.
  [[nodiscard]] std::optional<std::int64_t> as_int64() const noexcept;
  /// A non-negative number without fraction or exponent that fits in uint64, else nullopt.
  [[nodiscard]] std::optional<std::uint64_t> as_uint64() const noexcept;
  /// Any number as a double (finite; huge exponents give nullopt).
  [[nodiscard]] std::optional<double> as_double() const noexcept;
};

/// One member of a JSON object.
struct JsonMember {
  std::string key;
  JsonValue value;
};

/// Largest nesting depth of arrays and objects accepted.
inline constexpr int kMaxJsonDepth = 64;

/// Parses `text` as one JSON value, optionally followed by whitespace only.
/// Throws JsonError.
[[nodiscard]] JsonValue parse_json(std::string_view text);

/// Whether `text` is valid UTF-8 (no overlong forms, surrogates or code
/// points above U+10FFFF); on failure `bad_offset` is the first bad byte.
[[nodiscard]] bool valid_utf8(std::string_view text, std::size_t* bad_offset = nullptr) noexcept;

/// `s` as a JSON string literal (quotes, escapes for '"', '\\' and control characters).
[[nodiscard]] std::string json_quote(std::string_view s);

}  // namespace tconv::detail

// Strict recursive-descent JSON reader (see json.hpp). Every function
// advances pos_ only over bytes it has checked; every read is bounds-checked
// against the end, so truncated or corrupted input ends in JsonError.
#include "io/json.hpp"

#include <charconv>
#include <cmath>
#include <tuple>
#include <unordered_set>

namespace tconv::detail {

namespace {

// Length of the UTF-8 sequence at s[i] (1-4), or 0 when it is invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    n = 2;
    cp = b0 & 0x1f;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    n = 3;
    cp = b0 & 0x0f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    n = 4;
    cp = b0 & 0x07;
  } else {
    return 0;  // continuation byte, overlong lead 0xc0/0xc1, or 0xf5..0xff
  }
  if (s.size() - i < n) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const unsigned char b = byte(i + k);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  // Overlong forms, UTF-16 surrogates and code points above U+10FFFF.
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
      (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  JsonValue document() {
    JsonValue v = value(0);
    skip_ws();
    if (pos_ != s_.size()) fail("unexpected text after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& rule) const { throw JsonError(pos_, rule); }

  void skip_ws() noexcept {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool peek(char c) const noexcept { return pos_ < s_.size() && s_[pos_] == c; }
  bool accept(char c) noexcept {
    skip_ws();
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }
  void expect(char c, const char* where) {
    if (!accept(c)) fail(std::string("expected '") + c + "' " + where);
  }

  JsonValue value(int depth) {
    skip_ws();
    if (pos_ >= s_.size()) fail("unexpected end of input");
    const char c = s_[pos_];
    if (c == '{') return object(depth + 1);
    if (c == '[') return array(depth + 1);
    if (c == '"') {
      JsonValue v;
      v.kind = JsonValue::Kind::kString;
      v.text = string();
      return v;
    }
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    for (const auto& [word, kind, flag] :
         {std::tuple{std::string_view("true"), JsonValue::Kind::kBool, true},
          std::tuple{std::string_view("false"), JsonValue::Kind::kBool, false},
          std::tuple{std::string_view("null"), JsonValue::Kind::kNull, false}}) {
      if (s_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        JsonValue v;
        v.kind = kind;
        v.boolean = flag;
        return v;
      }
    }
    fail("expected a JSON value");
  }

  JsonValue object(int depth) {
    if (depth > kMaxJsonDepth) fail("nesting deeper than " + std::to_string(kMaxJsonDepth));
    ++pos_;  // '{'
    JsonValue v;
    v.kind = JsonValue::Kind::kObject;
    if (accept('}')) return v;
    std::unordered_set<std::string> keys;  // a set, so many keys stay O(n)
    while (true) {
      skip_ws();
      if (!peek('"')) fail("expected a string key");
      const std::size_t key_at = pos_;
      std::string key = string();
      if (!keys.insert(key).second) {
        pos_ = key_at;
        fail("duplicate key \"" + key + "\"");
      }
      expect(':', "after a key");
      JsonValue member = value(depth);
      v.members.push_back(JsonMember{std::move(key), std::move(member)});
      if (accept('}')) return v;
      expect(',', "or '}' in an object");
    }
  }

  JsonValue array(int depth) {
    if (depth > kMaxJsonDepth) fail("nesting deeper than " + std::to_string(kMaxJsonDepth));
    ++pos_;  // '['
    JsonValue v;
    v.kind = JsonValue::Kind::kArray;
    if (accept(']')) return v;
    while (true) {
      v.items.push_back(value(depth));
      if (accept(']')) return v;
      expect(',', "or ']' in an array");
    }
  }

  std::uint32_t hex4() {
    if (s_.size() - pos_ < 4) fail("truncated \\u escape");
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else fail("bad hex digit in \\u escape");
    }
    return v;
  }

  std::string string() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) fail("unterminated string");
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("control character in a string");
      if (c == '\\') {
        ++pos_;
        if (pos_ >= s_.size()) fail("unterminated string");
        const char e = s_[pos_++];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            std::uint32_t cp = hex4();
            if (cp >= 0xdc00 && cp <= 0xdfff) fail("lone low surrogate in \\u escape");
            if (cp >= 0xd800 && cp <= 0xdbff) {
              if (s_.size() - pos_ < 2 || s_[pos_] != '\\' || s_[pos_ + 1] != 'u')
                fail("high surrogate not followed by a low surrogate");
              pos_ += 2;
              const std::uint32_t low = hex4();
              if (low < 0xdc00 || low > 0xdfff)
                fail("high surrogate not followed by a low surrogate");
              cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            }
            append_utf8(out, cp);
            break;
          }
          default: --pos_; fail("bad escape in a string");
        }
        continue;
      }
      const std::size_t n = utf8_sequence(s_, pos_);
      if (n == 0) fail("invalid UTF-8 in a string");
      out.append(s_.substr(pos_, n));
      pos_ += n;
    }
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  JsonValue number() {
    const std::size_t start = pos_;
    auto digits = [&] {
      const std::size_t from = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    if (peek('-')) ++pos_;
    if (peek('0')) {
      ++pos_;
      if (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') fail("leading zero in a number");
    } else if (digits() == 0) {
      fail("expected digits in a number");
    }
    if (peek('.')) {
      ++pos_;
      if (digits() == 0) fail("expected digits after the decimal point");
    }
    if (peek('e') || peek('E')) {
      ++pos_;
      if (peek('+') || peek('-')) ++pos_;
      if (digits() == 0) fail("expected digits in the exponent");
    }
    if (pos_ - start > 64) {
      pos_ = start;
      fail("number longer than 64 characters");
    }
    JsonValue v;
    v.kind = JsonValue::Kind::kNumber;
    v.text = std::string(s_.substr(start, pos_ - start));
    return v;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

bool plain_integer(const std::string& t) noexcept {
  return t.find_first_of(".eE") == std::string::npos;
}

}  // namespace

const JsonValue* JsonValue::find(std::string_view key) const noexcept {
  for (const auto& [k, v] : members)
    if (k == key) return &v;
  return nullptr;
}

std::optional<std::int64_t> JsonValue::as_int64() const noexcept {
  if (kind != Kind::kNumber || !plain_integer(text)) return std::nullopt;
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> JsonValue::as_uint64() const noexcept {
  if (kind != Kind::kNumber || !plain_integer(text) || text.front() == '-') return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<double> JsonValue::as_double() const noexcept {
  if (kind != Kind::kNumber) return std::nullopt;
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

JsonValue parse_json(std::string_view text) { return Reader(text).document(); }

bool valid_utf8(std::string_view text, std::size_t* bad_offset) noexcept {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence(text, i);
    if (n == 0) {
      if (bad_offset != nullptr) *bad_offset = i;
      return false;
    }
    i += n;
  }
  return true;
}

std::string json_quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  out += '"';
  return out;
}

}  // namespace tconv::detail

// Strict .npy parsing (see tconv/io/npy.hpp). Layout: magic "\x93NUMPY", major
// and minor version bytes, header length (u16 LE for 1.0, u32 LE for 2.0 and
// 3.0), then a Python dict literal with the keys 'descr', 'fortran_order' and
// 'shape', padded with spaces and ending in '\n'; the data follow at once.
#include "tconv/io/npy.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "tconv/core/error.hpp"

namespace tconv {

namespace {

constexpr std::size_t kMaxHeaderLength = 65536;
constexpr std::size_t kMaxDims = 8;

struct DType {
  const char* name;
  std::size_t size;
  enum Kind { kFloat, kUnsigned, kSigned, kBool } kind;
  bool big_endian;
};

constexpr DType kDTypes[] = {
    {"<f4", 4, DType::kFloat, false}, {"=f4", 4, DType::kFloat, false},
    {">f4", 4, DType::kFloat, true},  {"<f8", 8, DType::kFloat, false},
    {"=f8", 8, DType::kFloat, false}, {">f8", 8, DType::kFloat, true},
    {"<f2", 2, DType::kFloat, false}, {"=f2", 2, DType::kFloat, false},
    {"|u1", 1, DType::kUnsigned, false}, {"<u2", 2, DType::kUnsigned, false},
    {"<i4", 4, DType::kSigned, false}, {"<i8", 8, DType::kSigned, false},
    {"|b1", 1, DType::kBool, false},
};

class Parser {
 public:
  Parser(std::string_view text, std::string_view what) : s_(text), what_(what) {}

  [[noreturn]] void fail(const std::string& rule) const {
    throw FormatError("npy " + std::string(what_) + ": " + rule);
  }
  void skip_spaces() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  bool accept(char c) {
    skip_spaces();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c, const char* where) {
    if (!accept(c)) fail(std::string("header: expected '") + c + "' " + where);
  }
  std::string string_literal() {
    skip_spaces();
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"'))
      fail("header: expected a quoted string");
    const char quote = s_[pos_++];
    const std::size_t end = s_.find(quote, pos_);
    if (end == std::string_view::npos) fail("header: unterminated string");
    std::string out(s_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return out;
  }
  bool boolean() {
    skip_spaces();
    for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      const std::size_t n = std::strlen(word);
      if (s_.substr(pos_, n) == word) {
        pos_ += n;
        return value;
      }
    }
    fail("header: fortran_order must be True or False");
  }
  std::int64_t integer() {
    skip_spaces();
    if (pos_ < s_.size() && s_[pos_] == '-') fail("header: negative dimension in shape");
    std::int64_t v = 0;
    std::size_t digits = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      if (v > (INT64_MAX - 9) / 10) fail("header: dimension too large in shape");
      v = v * 10 + (s_[pos_++] - '0');
      ++digits;
    }
    if (pos_ < s_.size() && s_[pos_] == 'L') ++pos_;  // Python 2 long suffix
    if (digits == 0) fail("header: shape must be a tuple of non-negative integers");
    return v;
  }
  std::vector<std::int64_t> shape() {
    expect('(', "to open shape");
    std::vector<std::int64_t> dims;
    if (accept(')')) return dims;
    while (true) {
      dims.push_back(integer());
      if (dims.size() > kMaxDims) fail("header: more than 8 dimensions");
      if (accept(')')) return dims;
      expect(',', "in shape");
      if (accept(')')) return dims;
    }
  }
  bool at_end() {
    skip_spaces();
    return pos_ == s_.size();
  }

 private:
  std::string_view s_;
  std::string_view what_;
  std::size_t pos_ = 0;
};

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h >> 15) << 31;
  const std::uint32_t exp = (h >> 10) & 0x1f;
  std::uint32_t mant = h & 0x3ff;
  std::uint32_t bits = 0;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant != 0) {  // subnormal: normalise
    int e = -1;
    do {
      ++e;
      mant <<= 1;
    } while ((mant & 0x400) == 0);
    bits = sign | (static_cast<std::uint32_t>(112 - e) << 23) | ((mant & 0x3ff) << 13);
  } else {
    bits = sign;
  }
  return std::bit_cast<float>(bits);
}

template <typename T>
T load(const unsigned char* p, bool swap) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, p, sizeof(T));
  if (swap) std::reverse(b, b + sizeof(T));
  T v;
  std::memcpy(&v, b, sizeof(T));
  return v;
}

float convert(const DType& t, const unsigned char* p) {
  switch (t.kind) {
    case DType::kFloat:
      if (t.size == 2) return half_to_float(load<std::uint16_t>(p, false));
      if (t.size == 4) return load<float>(p, t.big_endian);
      return static_cast<float>(load<double>(p, t.big_endian));
    case DType::kUnsigned:
      return t.size == 1 ? static_cast<float>(*p) : static_cast<float>(load<std::uint16_t>(p, false));
    case DType::kSigned:
      return t.size == 4 ? static_cast<float>(load<std::int32_t>(p, false))
                         : static_cast<float>(load<std::int64_t>(p, false));
    case DType::kBool: return *p != 0 ? 1.0f : 0.0f;
  }
  return 0.0f;
}

std::string dtype_list() {
  std::string s;
  for (const DType& t : kDTypes) s += std::string(s.empty() ? "" : " ") + t.name;
  return s;
}

}  // namespace

NpyArray parse_npy(std::span<const unsigned char> bytes, std::string_view what,
                   const NpyLimits& limits) {
  const std::string name(what);
  auto fail = [&](const std::string& rule) -> void { throw FormatError("npy " + name + ": " + rule); };
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0)
    fail("not a .npy file (bad magic)");
  const int major = bytes[6];
  const int minor = bytes[7];
  if (minor != 0 || major < 1 || major > 3)
    fail("version " + std::to_string(major) + "." + std::to_string(minor) +
         ": supported 1.0, 2.0, 3.0");
  std::size_t prefix = 10;
  std::uint64_t header_length = bytes[8] | (std::uint64_t{bytes[9]} << 8);
  if (major >= 2) {
    if (bytes.size() < 12) fail("truncated header");
    prefix = 12;
    header_length |= (std::uint64_t{bytes[10]} << 16) | (std::uint64_t{bytes[11]} << 24);
  }
  if (header_length > kMaxHeaderLength)
    fail("header length " + std::to_string(header_length) + " exceeds " +
         std::to_string(kMaxHeaderLength));
  if (bytes.size() - prefix < header_length) fail("truncated header");
  const std::string_view header(reinterpret_cast<const char*>(bytes.data() + prefix),
                                static_cast<std::size_t>(header_length));
  if (header.empty() || header.back() != '\n') fail("header must end with a newline");

  Parser p(header.substr(0, header.size() - 1), what);
  std::optional<std::string> descr;
  std::optional<bool> fortran;
  std::optional<std::vector<std::int64_t>> shape;
  p.expect('{', "at the start of the header");
  while (!p.accept('}')) {
    const std::string key = p.string_literal();
    p.expect(':', "after a key");
    if (key == "descr" && !descr) {
      descr = p.string_literal();
    } else if (key == "fortran_order" && !fortran) {
      fortran = p.boolean();
    } else if (key == "shape" && !shape) {
      shape = p.shape();
    } else {
      p.fail("header: unexpected or repeated key '" + key + "'");
    }
    if (!p.accept(',')) {
      p.expect('}', "at the end of the header");
      break;
    }
  }
  if (!p.at_end()) p.fail("header: unexpected text after the dictionary");
  if (!descr || !fortran || !shape) p.fail("header: needs the keys descr, fortran_order and shape");

  const DType* dtype = nullptr;
  for (const DType& t : kDTypes)
    if (*descr == t.name) dtype = &t;
  if (dtype == nullptr)
    p.fail("descr '" + *descr + "': unsupported dtype (supported: " + dtype_list() + ")");

  std::uint64_t count = 1;
  for (const std::int64_t d : *shape)
    if (__builtin_mul_overflow(count, static_cast<std::uint64_t>(d), &count))
      p.fail("shape overflows");
  std::uint64_t nbytes = 0;
  if (__builtin_mul_overflow(count, dtype->size, &nbytes)) p.fail("shape overflows");
  if (nbytes > limits.max_bytes)
    throw LimitExceeded("npy " + name + ": data of " + std::to_string(nbytes) +
                        " bytes exceed the limit of " + std::to_string(limits.max_bytes));
  const std::uint64_t data_begin = prefix + header_length;
  const std::uint64_t available = bytes.size() - data_begin;
  if (available < nbytes)
    p.fail("truncated: shape needs " + std::to_string(nbytes) + " data bytes, file has " +
           std::to_string(available));
  if (available > nbytes)
    p.fail("trailing bytes: " + std::to_string(available - nbytes) + " after the data");

  NpyArray array;
  array.shape = *shape;
  array.values.resize(static_cast<std::size_t>(count));
  const unsigned char* data = bytes.data() + data_begin;
  if (!*fortran || shape->size() < 2) {
    for (std::size_t i = 0; i < array.values.size(); ++i)
      array.values[i] = convert(*dtype, data + i * dtype->size);
    return array;
  }
  // Fortran order: the first index varies fastest. Walk the source in its
  // order and place each value at its C-order position.
  const std::size_t rank = shape->size();
  std::vector<std::uint64_t> c_stride(rank, 1);
  for (std::size_t d = rank - 1; d > 0; --d)
    c_stride[d - 1] = c_stride[d] * static_cast<std::uint64_t>((*shape)[d]);
  std::vector<std::int64_t> index(rank, 0);
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t at = 0;
    for (std::size_t d = 0; d < rank; ++d) at += static_cast<std::uint64_t>(index[d]) * c_stride[d];
    array.values[static_cast<std::size_t>(at)] = convert(*dtype, data + i * dtype->size);
    for (std::size_t d = 0; d < rank; ++d) {
      if (++index[d] < (*shape)[d]) break;
      index[d] = 0;
    }
  }
  return array;
}

NpyArray read_npy(const std::string& path, const NpyLimits& limits) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw IoError("npy " + path + ": cannot read: " + ec.message());
  if (size > limits.max_bytes + kMaxHeaderLength + 12)
    throw LimitExceeded("npy " + path + ": file of " + std::to_string(size) +
                        " bytes exceeds the limit of " + std::to_string(limits.max_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("npy " + path + ": cannot open");
  std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size)) throw IoError("npy " + path + ": short read");
  return parse_npy(bytes, path, limits);
}

std::vector<unsigned char> encode_npy_header(std::span<const std::int64_t> shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) throw InvalidArgument("npy shape: dimensions must be >= 0");
    text += std::to_string(shape[i]) + (shape.size() == 1 ? "," : "");
    if (i + 1 < shape.size()) text += ", ";
  }
  text += ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + text + ", }";
  // Pad with spaces so that magic + version + length + header is a multiple of 64.
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string prefix("\x93NUMPY\x01\x00", 8);
  prefix += static_cast<char>(header.size() & 0xff);
  prefix += static_cast<char>(header.size() >> 8);
  prefix += header;
  return {prefix.begin(), prefix.end()};
}

std::vector<unsigned char> encode_npy(const NpyArray& array) {
  std::uint64_t count = 1;
  for (const std::int64_t d : array.shape) count *= static_cast<std::uint64_t>(std::max<std::int64_t>(d, 0));
  std::vector<unsigned char> out = encode_npy_header(array.shape);
  if (count != array.values.size())
    throw InvalidArgument("npy shape: holds " + std::to_string(count) + " values, got " +
                          std::to_string(array.values.size()));
  static_assert(std::endian::native == std::endian::little, "npy writer assumes little-endian");
  const auto* data = reinterpret_cast<const unsigned char*>(array.values.data());
  out.reserve(out.size() + array.values.size() * sizeof(float));
  out.insert(out.end(), data, data + array.values.size() * sizeof(float));
  return out;
}

}  // namespace tconv

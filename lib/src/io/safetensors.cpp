// Strict safetensors parsing and writing (see tconv/io/safetensors.hpp for the
// rules). The header is checked in the reference implementation's order:
// length, UTF-8, JSON, entries, then the tiling of the data by the sorted
// data_offsets; nothing is allocated for tensor values before all checks pass.
#include "tconv/io/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "io/json.hpp"
#include "tconv/core/error.hpp"

namespace tconv {

namespace {

using detail::JsonValue;

constexpr std::string_view kMetadataKey = "__metadata__";

struct DType {
  std::string_view name;
  std::uint64_t size;  // bytes per element
  bool supported;      // converted to float32
};

// Every dtype the reference implementation knows; sizes are needed only to
// name the tensor in the message when an unsupported one is refused.
constexpr DType kDTypes[] = {
    {"F32", 4, true},      {"F16", 2, true},      {"BF16", 2, true},  {"F64", 8, true},
    {"BOOL", 1, false},    {"U8", 1, false},      {"I8", 1, false},   {"F8_E5M2", 1, false},
    {"F8_E4M3", 1, false}, {"F8_E8M0", 1, false}, {"I16", 2, false},  {"U16", 2, false},
    {"I32", 4, false},     {"U32", 4, false},     {"I64", 8, false},  {"U64", 8, false},
    {"C64", 8, false},
};

struct Entry {
  std::string name;
  const DType* dtype = nullptr;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

float half_to_float(std::uint16_t h) noexcept {
  const std::uint32_t sign = static_cast<std::uint32_t>(h >> 15) << 31;
  const std::uint32_t exp = (h >> 10) & 0x1f;
  std::uint32_t mant = h & 0x3ff;
  std::uint32_t bits = sign;
  if (exp == 0x1f) {
    bits |= 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    bits |= ((exp + 112) << 23) | (mant << 13);
  } else if (mant != 0) {  // subnormal: shift until the implicit bit appears
    std::uint32_t e = 113;
    while ((mant & 0x400) == 0) {
      mant <<= 1;
      --e;
    }
    bits |= (e << 23) | ((mant & 0x3ff) << 13);
  }
  return std::bit_cast<float>(bits);
}

template <typename T>
T load_le(const unsigned char* p) noexcept {
  static_assert(std::endian::native == std::endian::little, "safetensors reader assumes little-endian");
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

class Parser {
 public:
  Parser(std::span<const unsigned char> bytes, std::string_view what, const SafetensorsLimits& limits)
      : bytes_(bytes), what_(what), limits_(limits) {}

  SafetensorsFile run() {
    if (bytes_.size() < 8)
      fail("file of " + std::to_string(bytes_.size()) +
           " bytes is shorter than the 8-byte header length");
    const auto n = load_le<std::uint64_t>(bytes_.data());
    if (n > limits_.max_header_bytes)
      fail("header length " + std::to_string(n) + " exceeds the limit of " +
           std::to_string(limits_.max_header_bytes) + " bytes");
    if (n > bytes_.size() - 8)
      fail("header length " + std::to_string(n) + " exceeds the " +
           std::to_string(bytes_.size() - 8) + " bytes after the length field");
    const std::string_view header(reinterpret_cast<const char*>(bytes_.data() + 8),
                                  static_cast<std::size_t>(n));
    std::size_t bad = 0;
    if (!detail::valid_utf8(header, &bad))
      fail("header is not valid UTF-8 (byte " + std::to_string(bad) + " of the header)");
    if (header.empty() || header.front() != '{') fail("header does not start with '{'");
    JsonValue root;
    try {
      root = detail::parse_json(header);
    } catch (const detail::JsonError& e) {
      fail(std::string("header is not valid JSON: ") + e.what());
    }

    SafetensorsFile file;
    std::vector<Entry> entries;
    for (const auto& [name, value] : root.members) {
      if (name == kMetadataKey)
        file.metadata = metadata(value);
      else
        entries.push_back(entry(name, value));
    }
    check_tiling(entries, bytes_.size() - 8 - n);

    const unsigned char* data = bytes_.data() + 8 + n;
    file.tensors.reserve(entries.size());
    for (Entry& e : entries) {
      NamedTensor t;
      t.name = std::move(e.name);
      t.shape = std::move(e.shape);
      const std::uint64_t count = (e.end - e.begin) / e.dtype->size;
      t.values.resize(static_cast<std::size_t>(count));
      const unsigned char* p = data + e.begin;
      const std::string_view dt = e.dtype->name;
      for (std::size_t i = 0; i < t.values.size(); ++i) {
        if (dt == "F32") t.values[i] = load_le<float>(p + 4 * i);
        else if (dt == "F16") t.values[i] = half_to_float(load_le<std::uint16_t>(p + 2 * i));
        else if (dt == "BF16")
          t.values[i] = std::bit_cast<float>(std::uint32_t{load_le<std::uint16_t>(p + 2 * i)} << 16);
        else t.values[i] = static_cast<float>(load_le<double>(p + 8 * i));
      }
      file.tensors.push_back(std::move(t));
    }
    return file;
  }

 private:
  [[noreturn]] void fail(const std::string& rule) const {
    throw FormatError("safetensors " + std::string(what_) + ": " + rule);
  }
  [[noreturn]] void fail(const std::string& tensor, const std::string& rule) const {
    fail("tensor '" + tensor + "': " + rule);
  }

  std::map<std::string, std::string> metadata(const JsonValue& v) const {
    if (!v.is_object()) fail("__metadata__ must be an object of strings");
    std::map<std::string, std::string> out;
    for (const auto& [key, value] : v.members) {
      if (!value.is_string())
        fail("__metadata__ key '" + key + "': value must be a string");
      out.emplace(key, value.text);
    }
    return out;
  }

  std::uint64_t offset(const std::string& name, const JsonValue& v) const {
    const auto u = v.as_uint64();
    if (!u) fail(name, "data_offsets must be two non-negative integers");
    return *u;
  }

  Entry entry(const std::string& name, const JsonValue& v) const {
    if (!v.is_object()) fail(name, "entry must be an object with dtype, shape and data_offsets");
    for (const auto& [key, unused] : v.members)
      if (key != "dtype" && key != "shape" && key != "data_offsets")
        fail(name, "unknown key '" + key + "' (expected dtype, shape, data_offsets)");
    const JsonValue* dtype = v.find("dtype");
    const JsonValue* shape = v.find("shape");
    const JsonValue* offsets = v.find("data_offsets");
    if (dtype == nullptr || shape == nullptr || offsets == nullptr)
      fail(name, "entry needs dtype, shape and data_offsets");
    Entry e;
    e.name = name;
    if (!dtype->is_string()) fail(name, "dtype must be a string");
    for (const DType& t : kDTypes)
      if (t.name == dtype->text) e.dtype = &t;
    if (e.dtype == nullptr) fail(name, "unknown dtype '" + dtype->text + "'");
    if (!e.dtype->supported)
      fail(name, "dtype " + dtype->text + " is not supported (F32, F16, BF16, F64)");
    if (!shape->is_array()) fail(name, "shape must be a list of non-negative integers");
    for (const JsonValue& d : shape->items) {
      const auto u = d.as_int64();
      if (!u || *u < 0) fail(name, "shape must be a list of non-negative integers");
      e.shape.push_back(*u);
    }
    if (!offsets->is_array() || offsets->items.size() != 2)
      fail(name, "data_offsets must be two non-negative integers");
    e.begin = offset(name, offsets->items[0]);
    e.end = offset(name, offsets->items[1]);
    return e;
  }

  void check_tiling(std::vector<Entry>& entries, std::uint64_t data_bytes) const {
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    std::uint64_t expected = 0;
    for (const Entry& e : entries) {
      const std::string range =
          "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
      if (e.begin != expected)
        fail(e.name, range + " must begin at " + std::to_string(expected) +
                         (expected == 0 ? " (the data start)" : ", where the previous tensor ends") +
                         ": offsets must be contiguous and not overlap");
      if (e.end < e.begin) fail(e.name, range + ": end is before begin");
      std::uint64_t count = 1;
      for (const std::int64_t d : e.shape)
        if (__builtin_mul_overflow(count, static_cast<std::uint64_t>(d), &count))
          fail(e.name, "shape " + shape_text(e.shape) + " overflows");
      std::uint64_t nbytes = 0;
      if (__builtin_mul_overflow(count, e.dtype->size, &nbytes))
        fail(e.name, "shape " + shape_text(e.shape) + " overflows");
      if (e.end - e.begin != nbytes)
        fail(e.name, range + " hold " + std::to_string(e.end - e.begin) + " bytes but " +
                         std::string(e.dtype->name) + " " + shape_text(e.shape) + " needs " +
                         std::to_string(nbytes));
      expected = e.end;
    }
    if (expected != data_bytes) {
      const std::string rule = "tensor data end at byte " + std::to_string(expected) +
                               " but the file holds " + std::to_string(data_bytes) +
                               " data bytes: the last tensor must end exactly at the end of the file";
      if (entries.empty()) fail(rule);
      fail(entries.back().name, rule);
    }
  }

  std::span<const unsigned char> bytes_;
  std::string_view what_;
  const SafetensorsLimits& limits_;
};

}  // namespace

const NamedTensor* SafetensorsFile::find(std::string_view name) const noexcept {
  for (const NamedTensor& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

SafetensorsFile parse_safetensors(std::span<const unsigned char> bytes, std::string_view what,
                                  const SafetensorsLimits& limits) {
  return Parser(bytes, what, limits).run();
}

SafetensorsFile read_safetensors(const std::string& path, const SafetensorsLimits& limits) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw IoError("safetensors " + path + ": cannot read: " + ec.message());
  if (size > limits.max_file_bytes)
    throw LimitExceeded("safetensors " + path + ": file of " + std::to_string(size) +
                        " bytes exceeds the limit of " + std::to_string(limits.max_file_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("safetensors " + path + ": cannot open");
  std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size))
    throw IoError("safetensors " + path + ": short read");
  return parse_safetensors(bytes, path, limits);
}

std::vector<unsigned char> encode_safetensors(std::span<const NamedTensor> tensors,
                                              const std::map<std::string, std::string>& metadata) {
  std::vector<const NamedTensor*> order;
  for (const NamedTensor& t : tensors) order.push_back(&t);
  std::sort(order.begin(), order.end(),
            [](const NamedTensor* a, const NamedTensor* b) { return a->name < b->name; });
  for (std::size_t i = 0; i < order.size(); ++i) {
    const std::string& name = order[i]->name;
    if (name.empty() || name == kMetadataKey)
      throw InvalidArgument("safetensors tensor name '" + name + "': must be non-empty and not " +
                            std::string(kMetadataKey));
    if (!detail::valid_utf8(name))
      throw InvalidArgument("safetensors tensor name: must be valid UTF-8");
    if (i > 0 && order[i - 1]->name == name)
      throw InvalidArgument("safetensors tensor '" + name + "': name repeated");
  }
  for (const auto& [key, value] : metadata)
    if (!detail::valid_utf8(key) || !detail::valid_utf8(value))
      throw InvalidArgument("safetensors __metadata__ key '" + key + "': must be valid UTF-8");

  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [key, value] : metadata) {
      header += (first ? "" : ",") + detail::json_quote(key) + ":" + detail::json_quote(value);
      first = false;
    }
    header += "}";
  }
  std::uint64_t offset = 0;
  for (const NamedTensor* t : order) {
    std::uint64_t count = 1;
    for (const std::int64_t d : t->shape) {
      if (d < 0)
        throw InvalidArgument("safetensors tensor '" + t->name + "' shape " + shape_text(t->shape) +
                              ": dimensions must be >= 0");
      if (__builtin_mul_overflow(count, static_cast<std::uint64_t>(d), &count))
        throw InvalidArgument("safetensors tensor '" + t->name + "' shape " +
                              shape_text(t->shape) + ": overflows");
    }
    if (count != t->values.size())
      throw InvalidArgument("safetensors tensor '" + t->name + "' shape " + shape_text(t->shape) +
                            ": holds " + std::to_string(count) + " values, got " +
                            std::to_string(t->values.size()));
    const std::uint64_t end = offset + 4 * count;
    header += (header.size() > 1 ? "," : "") + detail::json_quote(t->name) +
              ":{\"dtype\":\"F32\",\"shape\":" + shape_text(t->shape) + ",\"data_offsets\":[" +
              std::to_string(offset) + "," + std::to_string(end) + "]}";
    offset = end;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');

  std::vector<unsigned char> out(8 + header.size() + offset);
  const std::uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  std::memcpy(out.data() + 8, header.data(), header.size());
  unsigned char* data = out.data() + 8 + header.size();
  for (const NamedTensor* t : order) {
    if (!t->values.empty()) std::memcpy(data, t->values.data(), t->values.size() * sizeof(float));
    data += t->values.size() * sizeof(float);
  }
  return out;
}

std::vector<unsigned char> encode_safetensors(const SafetensorsFile& file) {
  return encode_safetensors(file.tensors, file.metadata);
}

}  // namespace tconv

// tconv/io/safetensors.hpp - a strict reader and a writer for safetensors files.
//
// Layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON,
// then the raw tensor data. The JSON is an object mapping each tensor name
// to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to
// the end of the header) plus an optional "__metadata__" object of strings.
//
// The reader enforces every rule of the reference implementation
// (huggingface/safetensors) and is safe on hostile input:
//   - the file holds at least the 8-byte length; N <= 100 MB and N <= size - 8;
//   - the header is valid UTF-8 and one JSON object starting with '{'
//     (trailing whitespace allowed, the writer pads with spaces);
//   - no name appears twice (refused, not "last one wins");
//   - "__metadata__" maps strings to strings;
//   - each tensor has exactly dtype, shape and data_offsets; shape entries
//     are non-negative integers; dtype is known;
//   - sorted by offset, the tensors tile the data exactly: the first begins
//     at 0, each begins where the previous ended, begin <= end, and
//     end - begin == dtype size x product(shape), computed with overflow
//     checks; the last ends exactly at the end of the file.
// Only F32, F16, BF16 and F64 are accepted (converted to float32); other
// known dtypes (integers, bool, float8) are refused by name.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tconv {

/// One tensor: its name, shape and values as float32 in C order.
struct NamedTensor {
  std::string name;                 ///< Any UTF-8 string except "__metadata__".
  std::vector<std::int64_t> shape;  ///< Each dimension >= 0; {} is a scalar (1 value).
  std::vector<float> values;        ///< product(shape) values, C order.
};

/// The contents of a safetensors file.
struct SafetensorsFile {
  /// Tensors in the order of their data in the file (the writer's order:
  /// sorted by name).
  std::vector<NamedTensor> tensors;
  /// "__metadata__" (empty when absent), sorted by key.
  std::map<std::string, std::string> metadata;

  /// The tensor called `name`, or nullptr.
  [[nodiscard]] const NamedTensor* find(std::string_view name) const noexcept;
};

/// Reader limits.
struct SafetensorsLimits {
  /// Largest header accepted, in bytes (the reference implementation's 100 MB).
  std::uint64_t max_header_bytes = 100'000'000;
  /// Largest file read_safetensors() reads, in bytes (default 1 GiB).
  std::uint64_t max_file_bytes = std::uint64_t{1} << 30;
};

/// Parses safetensors bytes (no I/O); `what` names the source in messages.
/// Throws FormatError "safetensors <what>: <tensor> <rule>" naming the broken
/// rule (and the tensor when one is at fault).
[[nodiscard]] SafetensorsFile parse_safetensors(std::span<const unsigned char> bytes,
                                                std::string_view what,
                                                const SafetensorsLimits& limits = {});

/// Reads and parses a file, checking its size against `limits.max_file_bytes`
/// before reading. Throws IoError when it cannot be read, LimitExceeded when
/// too large, otherwise as parse_safetensors().
[[nodiscard]] SafetensorsFile read_safetensors(const std::string& path,
                                               const SafetensorsLimits& limits = {});

/// Serialises as F32 tensors, deterministically: "__metadata__" first (keys
/// sorted), then the tensors sorted by name, data in the same order, header
/// padded with spaces to a multiple of 8 bytes (as the reference writer).
/// Throws InvalidArgument for an empty, repeated or reserved ("__metadata__")
/// name, a negative dimension, or values.size() != product(shape).
[[nodiscard]] std::vector<unsigned char> encode_safetensors(
    std::span<const NamedTensor> tensors, const std::map<std::string, std::string>& metadata);

/// encode_safetensors() of file.tensors and file.metadata.
[[nodiscard]] std::vector<unsigned char> encode_safetensors(const SafetensorsFile& file);

}  // namespace tconv

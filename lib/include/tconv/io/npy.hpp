// tconv/io/npy.hpp - a strict reader and a writer for NumPy .npy files.
//
// The reader accepts exactly the subset numpy writes and is safe on hostile
// input: it never evaluates the header, caps its length before using it,
// checks the shape product for overflow and the data size against the
// limit and the file size before allocating anything.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tconv {

/// An n-d float32 array in C order, as read from or written to .npy.
struct NpyArray {
  std::vector<std::int64_t> shape;  ///< Up to 8 dimensions, each >= 0; () is a scalar.
  std::vector<float> values;        ///< prod(shape) values, C order.
};

/// Reader limits.
struct NpyLimits {
  /// Largest data size accepted, in bytes of the stored dtype (default 2 GiB).
  std::uint64_t max_bytes = std::uint64_t{1} << 31;
};

/// Parses .npy bytes (no I/O); `what` names the source in messages.
/// Accepts versions 1.0, 2.0 and 3.0; dtypes <f4 <f8 <f2 |u1 <u2 <i4 <i8 |b1
/// (also '=' for the little-endian ones and big-endian >f4 >f8, byte-swapped),
/// all converted to float32; fortran_order True is converted to C order.
/// Throws FormatError naming `what` and the broken rule (bad magic, header,
/// dtype, shape, truncated data or trailing bytes), LimitExceeded when the
/// data exceed `limits.max_bytes`.
[[nodiscard]] NpyArray parse_npy(std::span<const unsigned char> bytes, std::string_view what,
                                 const NpyLimits& limits = {});

/// Reads and parses a file; checks its size before reading. Throws IoError
/// when it cannot be read, otherwise as parse_npy().
[[nodiscard]] NpyArray read_npy(const std::string& path, const NpyLimits& limits = {});

/// The header encode_npy() writes for a float32 C-order array of `shape`
/// (magic, version 1.0, length, the dictionary padded with spaces and a
/// '\n'); its size is a multiple of 64 bytes, so float data appended to it
/// in a buffer from operator new stay aligned. Lets a caller size one
/// buffer for header and data and compute straight into the data part.
/// Throws InvalidArgument for a negative dimension.
[[nodiscard]] std::vector<unsigned char> encode_npy_header(std::span<const std::int64_t> shape);

/// Serialises as numpy does for a float32 C-order array: version 1.0, '<f4',
/// header padded with spaces to a multiple of 64 bytes and ending in '\n'.
/// Throws InvalidArgument when values.size() != prod(shape).
[[nodiscard]] std::vector<unsigned char> encode_npy(const NpyArray& array);

}  // namespace tconv

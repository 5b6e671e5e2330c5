// Fuzz target: the strict .npy reader. Any input must either be refused with
// a tconv::Error or parse into an array that survives an encode/parse round
// trip bit for bit. Anything else (a crash, a sanitizer report, another
// exception such as bad_alloc from a size that was not checked) is a bug.
#include <cstring>
#include <span>

#include "fuzz_target.hpp"
#include "tconv/core/error.hpp"
#include "tconv/io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const unsigned char> bytes(data, size);
  tconv::NpyLimits limits;
  limits.max_bytes = 1 << 20;
  tconv::NpyArray array;
  try {
    array = tconv::parse_npy(bytes, "fuzz.npy", limits);
  } catch (const tconv::Error&) {
    return 0;
  } catch (...) {
    tconv::fuzz::fail("parse_npy threw something other than tconv::Error");
  }
  try {
    const auto encoded = tconv::encode_npy(array);
    const tconv::NpyArray again = tconv::parse_npy(encoded, "round trip", limits);
    if (again.shape != array.shape || again.values.size() != array.values.size() ||
        (!array.values.empty() &&
         std::memcmp(again.values.data(), array.values.data(),
                     array.values.size() * sizeof(float)) != 0))
      tconv::fuzz::fail("encode_npy/parse_npy round trip changed the array");
  } catch (const tconv::Error&) {
    tconv::fuzz::fail("a parsed array could not be encoded and parsed again");
  }
  return 0;
}

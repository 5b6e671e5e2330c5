// Fuzz target: the strict safetensors reader (and its JSON header parser).
// Any input must be refused with a tconv::Error or parse into tensors that
// survive an encode/parse round trip with the same names, shapes, values
// and metadata. Anything else (a crash, a sanitizer report, bad_alloc from an
// unchecked size) is a bug.
#include <cstring>
#include <span>

#include "fuzz_target.hpp"
#include "tconv/core/error.hpp"
#include "tconv/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tconv::SafetensorsLimits limits;
  limits.max_header_bytes = 1 << 20;
  tconv::SafetensorsFile file;
  try {
    file = tconv::parse_safetensors(std::span<const unsigned char>(data, size), "fuzz.safetensors",
                                    limits);
  } catch (const tconv::Error&) {
    return 0;
  } catch (...) {
    tconv::fuzz::fail("parse_safetensors threw something other than tconv::Error");
  }
  try {
    const auto encoded = tconv::encode_safetensors(file);
    const tconv::SafetensorsFile again = tconv::parse_safetensors(encoded, "round trip", limits);
    if (again.metadata != file.metadata || again.tensors.size() != file.tensors.size())
      tconv::fuzz::fail("round trip changed the metadata or the tensor count");
    for (std::size_t i = 0; i < file.tensors.size(); ++i) {
      const auto& a = file.tensors[i];
      // The writer sorts by name; find the same tensor in the re-parsed file.
      const tconv::NamedTensor* b = nullptr;
      for (const auto& t : again.tensors)
        if (t.name == a.name) b = &t;
      if (b == nullptr || b->shape != a.shape || b->values.size() != a.values.size() ||
          (!a.values.empty() &&
           std::memcmp(b->values.data(), a.values.data(), a.values.size() * sizeof(float)) != 0))
        tconv::fuzz::fail("round trip changed a tensor");
    }
  } catch (const tconv::Error&) {
    tconv::fuzz::fail("a parsed file could not be encoded and parsed again");
  }
  return 0;
}

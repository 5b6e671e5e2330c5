// The libFuzzer entry point every fuzz target defines. Built two ways:
// with clang's -fsanitize=fuzzer (the fuzzing stage of scripts/hardening.sh)
// and with replay_main.cpp (the normal build), which feeds every committed
// seed and regression input through the same function as a CTest test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace tconv::fuzz {

/// A property the target checks failed: report and abort, so libFuzzer
/// keeps the input as a crash and the replay test fails.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

/// Reads integers from the fuzzer's bytes; zeros once they run out.
class ByteReader {
 public:
  ByteReader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | byte();
    return v;
  }
  /// Mostly small values in [0, small), sometimes any 32-bit value, so both
  /// runnable problems and the validation of huge ones are explored.
  int int_mostly_small(int small) {
    const std::uint8_t mode = byte();
    if (mode < 200) return byte() % small;
    return static_cast<int>(u32());
  }
  /// The same, shifted to [1, small] in the small case.
  int positive_mostly_small(int small) {
    const std::uint8_t mode = byte();
    if (mode < 200) return 1 + byte() % small;
    return static_cast<int>(u32());
  }
  [[nodiscard]] std::size_t remaining() const { return size_ - pos_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace tconv::fuzz

// The --max-memory budget: before an item's large buffers are allocated,
// its run is planned from the shapes (decoded image, planar float input and
// output, the op's or model's scratch, the encoded output) and refused when
// the buffers alive together at its peak would exceed the budget.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tconv::app {

/// The budget when --max-memory is not given: the smaller of 4 GiB and half
/// the physical memory (sysconf _SC_PHYS_PAGES x _SC_PAGE_SIZE; 4 GiB when
/// that cannot be read).
[[nodiscard]] std::int64_t default_max_memory();

/// Largest value --max-memory accepts: 2^50 bytes (1 PiB).
inline constexpr std::int64_t kMaxMemoryLimit = std::int64_t{1} << 50;

/// Parses a byte count: digits with an optional binary suffix K, M, G or T
/// (case-insensitive, optionally followed by "iB" or "B"), e.g. "512M",
/// "4G", "1073741824". Returns nullopt for anything else or on overflow.
[[nodiscard]] std::optional<std::int64_t> parse_byte_size(std::string_view text);

/// "12.5 MiB" below 10 MiB, "4096 MiB" above (rounded up), for messages.
[[nodiscard]] std::string mib_text(std::int64_t bytes);

/// The buffers of one item's run, phase by phase: the buffers of a phase are
/// alive together, and the run's peak is its largest phase.
class MemoryPlan {
 public:
  /// Starts a phase (the buffers added next are alive together).
  MemoryPlan& phase();
  /// Adds a buffer of `bytes` (a non-positive size is left out) named `what`
  /// to the current phase.
  MemoryPlan& add(std::string_view what, std::int64_t bytes);
  /// Bytes of the largest phase.
  [[nodiscard]] std::int64_t peak() const noexcept;
  /// The largest phase's buffers, e.g. "decoded 3.0 MiB + planar input 12.0 MiB".
  [[nodiscard]] std::string describe() const;

 private:
  struct Part {
    std::string what;
    std::int64_t bytes = 0;
  };
  [[nodiscard]] const std::vector<Part>* largest() const noexcept;
  std::vector<std::vector<Part>> phases_;
};

/// Throws InputError "<what>: needs about N MiB (<parts>), more than
/// --max-memory M MiB" when plan.peak() exceeds `budget` bytes.
void check_memory(const std::string& what, const MemoryPlan& plan, std::int64_t budget);

}  // namespace tconv::app

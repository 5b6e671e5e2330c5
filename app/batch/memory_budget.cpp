// The --max-memory budget (see memory_budget.hpp).
#include "batch/memory_budget.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "cli/exit_codes.hpp"

namespace tconv::app {

namespace {
constexpr std::int64_t kMiB = std::int64_t{1} << 20;
constexpr std::int64_t kFourGiB = std::int64_t{4} << 30;
}  // namespace

std::int64_t default_max_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return kFourGiB;
  return std::min(kFourGiB, std::int64_t{pages} * page_size / 2);
}

std::optional<std::int64_t> parse_byte_size(std::string_view text) {
  std::size_t i = 0;
  std::int64_t value = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (__builtin_mul_overflow(value, 10, &value) ||
        __builtin_add_overflow(value, text[i] - '0', &value))
      return std::nullopt;
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::string suffix;
  for (; i < text.size(); ++i) suffix += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
  int shift = 0;
  if (!suffix.empty() && suffix != "b") {
    const std::string_view units = "kmgt";
    const auto unit = units.find(suffix[0]);
    const std::string_view rest = std::string_view(suffix).substr(1);
    if (unit == std::string_view::npos || !(rest.empty() || rest == "b" || rest == "ib"))
      return std::nullopt;
    shift = 10 * static_cast<int>(unit + 1);
  }
  if (value > (INT64_MAX >> shift)) return std::nullopt;
  return value << shift;
}

std::string mib_text(std::int64_t bytes) {
  char buf[48];
  if (bytes < 10 * kMiB)
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / static_cast<double>(kMiB));
  else
    std::snprintf(buf, sizeof buf, "%lld MiB", static_cast<long long>((bytes + kMiB - 1) / kMiB));
  return buf;
}

MemoryPlan& MemoryPlan::phase() {
  phases_.emplace_back();
  return *this;
}

MemoryPlan& MemoryPlan::add(std::string_view what, std::int64_t bytes) {
  if (phases_.empty()) phases_.emplace_back();
  if (bytes > 0) phases_.back().push_back({std::string(what), bytes});
  return *this;
}

const std::vector<MemoryPlan::Part>* MemoryPlan::largest() const noexcept {
  const std::vector<Part>* best = nullptr;
  std::int64_t most = -1;
  for (const auto& parts : phases_) {
    std::int64_t sum = 0;
    for (const Part& p : parts) sum += p.bytes;
    if (sum > most) {
      most = sum;
      best = &parts;
    }
  }
  return best;
}

std::int64_t MemoryPlan::peak() const noexcept {
  const auto* parts = largest();
  std::int64_t sum = 0;
  if (parts != nullptr)
    for (const Part& p : *parts) sum += p.bytes;
  return sum;
}

std::string MemoryPlan::describe() const {
  std::string text;
  if (const auto* parts = largest())
    for (const Part& p : *parts) text += (text.empty() ? "" : " + ") + p.what + " " + mib_text(p.bytes);
  return text;
}

void check_memory(const std::string& what, const MemoryPlan& plan, std::int64_t budget) {
  if (plan.peak() <= budget) {
    spdlog::debug("{}: needs about {} ({}), within --max-memory {}", what, mib_text(plan.peak()),
                  plan.describe(), mib_text(budget));
    return;
  }
  throw InputError(what + ": needs about " + mib_text(plan.peak()) + " (" + plan.describe() +
                   "), more than --max-memory " + mib_text(budget));
}

}  // namespace tconv::app

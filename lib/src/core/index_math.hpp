// Internal: integer index arithmetic shared by planning, borders and impls.
#pragma once

#include <cstdint>

namespace tconv::detail {

/// a / b rounded toward minus infinity (b > 0), e.g. floor_div(-1, 2) == -1.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

/// a - floor_div(a, b) * b: in [0, b) for b > 0.
constexpr std::int64_t floor_mod(std::int64_t a, std::int64_t b) noexcept {
  return a - floor_div(a, b) * b;
}

}  // namespace tconv::detail

// The Cholesky factorisation and solve of linalg.hpp. Entry (i, j) of the
// factor is a_ij - sum_{k < j} l_ik l_jk over l_jj, the sums in increasing
// k; the solves run the same sums in increasing k.
#include "core/linalg.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace tconv::detail {

bool cholesky_factor(std::span<double> a, int n, std::optional<double> pivot_floor) {
  auto at = [&a, n](int i, int j) -> double& {
    return a[static_cast<std::size_t>(i) * static_cast<std::size_t>(n) + static_cast<std::size_t>(j)];
  };
  for (int j = 0; j < n; ++j)
    for (int i = j; i < n; ++i) at(i, j) = at(j, i);
  for (int j = 0; j < n; ++j) {
    double d = at(j, j);
    for (int k = 0; k < j; ++k) d -= at(j, k) * at(j, k);
    if (pivot_floor) {
      d = std::max(d, *pivot_floor);
    } else if (!(d > 0.0) || !std::isfinite(d)) {
      return false;
    }
    const double l = std::sqrt(d);
    at(j, j) = l;
    for (int i = j + 1; i < n; ++i) {
      double v = at(i, j);
      for (int k = 0; k < j; ++k) v -= at(i, k) * at(j, k);
      at(i, j) = v / l;
    }
  }
  return true;
}

void cholesky_solve(std::span<const double> l, int n, std::span<double> b) {
  auto at = [&l, n](int i, int j) {
    return l[static_cast<std::size_t>(i) * static_cast<std::size_t>(n) + static_cast<std::size_t>(j)];
  };
  for (int i = 0; i < n; ++i) {  // L z = b
    double v = b[static_cast<std::size_t>(i)];
    for (int k = 0; k < i; ++k) v -= at(i, k) * b[static_cast<std::size_t>(k)];
    b[static_cast<std::size_t>(i)] = v / at(i, i);
  }
  for (int i = n - 1; i >= 0; --i) {  // L^T x = z
    double v = b[static_cast<std::size_t>(i)];
    for (int k = i + 1; k < n; ++k) v -= at(k, i) * b[static_cast<std::size_t>(k)];
    b[static_cast<std::size_t>(i)] = v / at(i, i);
  }
}

}  // namespace tconv::detail

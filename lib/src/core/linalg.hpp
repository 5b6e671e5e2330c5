// Internal: dense symmetric positive-definite solves in double, shared by
// the least-squares fits (linear_fit.cpp, analysis.cpp). The library's one
// Cholesky factorisation.
#pragma once

#include <optional>
#include <span>

namespace tconv::detail {

/// Factors the symmetric n x n matrix `a` (row-major, only the upper
/// triangle is read) in place as a = L L^T, L lower triangular and stored
/// over a's lower triangle (the strict upper triangle is left as it was).
/// A pivot d_j (the diagonal left after subtracting the earlier columns)
/// decides:
/// - without `pivot_floor`: false as soon as one is not positive or not
///   finite (a is not numerically positive definite);
/// - with `pivot_floor`: max(d_j, *pivot_floor) is used, so the
///   factorisation always completes (a positive semi-definite `a` plus a
///   small ridge).
/// Every entry is computed in one fixed order, so results are reproducible
/// bit for bit.
bool cholesky_factor(std::span<double> a, int n, std::optional<double> pivot_floor = std::nullopt);

/// Solves L L^T x = b in place, L from cholesky_factor() (lower triangle of
/// the n x n `l`): forward substitution, then back substitution.
void cholesky_solve(std::span<const double> l, int n, std::span<double> b);

}  // namespace tconv::detail

// Fluent tester for transposed convolution (XNNPACK's *-tester.h idea):
// a test names only what it varies; the tester makes seeded random data,
// runs the ops and compares, printing the problem string and the seed on
// failure.
#pragma once

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "tconv/core/conv_params.hpp"
#include "tconv/core/tensor.hpp"

namespace tconv::test {

/// n values drawn uniformly from [lo, hi) (default [-1, 1)) with `seed`.
std::vector<float> random_values(std::size_t n, std::uint32_t seed, float lo = -1.0f,
                                 float hi = 1.0f);
/// A tensor of `shape` with random_values().
Tensor random_tensor(Shape3 shape, std::uint32_t seed);
/// Random weights for `params` of `kind` (values from seed + 1000) and, with
/// `bias`, a random bias (seed + 2000): the testers' layers.
Weights random_weights(const ConvParams& params, ConvKind kind, std::uint32_t seed, bool bias);

class TConvTester {
 public:
  TConvTester& input(int c, int h, int w) { in_ = {c, h, w}; return *this; }
  TConvTester& output_channels(int oc) { oc_ = oc; return *this; }
  TConvTester& kernel(int kh, int kw) { p_.kernel = {kh, kw}; return *this; }
  TConvTester& stride(int sh, int sw) { p_.stride = {sh, sw}; return *this; }
  TConvTester& stride(int s) { return stride(s, s); }
  TConvTester& dilation(int dh, int dw) { p_.dilation = {dh, dw}; return *this; }
  TConvTester& padding(int p) { p_.padding(p); return *this; }
  TConvTester& padding(int top, int left, int bottom, int right) {
    p_.pad_begin = {top, left};
    p_.pad_end = {bottom, right};
    return *this;
  }
  TConvTester& output_padding(int oh, int ow) { p_.output_padding = {oh, ow}; return *this; }
  TConvTester& groups(int g) { p_.groups = g; return *this; }
  TConvTester& bias(bool on) { bias_ = on; return *this; }
  TConvTester& seed(std::uint32_t s) { seed_ = s; return *this; }

  /// The params the tester will run (channels filled in).
  [[nodiscard]] ConvParams params() const;
  /// Random weights (and bias when enabled) for params().
  [[nodiscard]] Weights weights() const;

  /// True when padding crops the whole output for the configured input
  /// (such draws are skipped by random tests, and counted).
  [[nodiscard]] bool output_is_empty() const;

  /// `impl` and the reference agree on random data within a tolerance that
  /// grows with the number of products per output. Returns false (with a
  /// warning) when the impl does not run this problem on this CPU.
  bool test_against_reference(std::string_view impl) const;
  /// <conv2d(x, W), y> == <x, conv_transpose2d(y, W)> for random x, y.
  void test_adjoint() const;

 private:
  Shape3 in_{1, 5, 5};
  int oc_ = 1;
  ConvParams p_{};
  bool bias_ = false;
  std::uint32_t seed_ = 1;
};

}  // namespace tconv::test

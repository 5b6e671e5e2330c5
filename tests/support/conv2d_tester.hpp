// Fluent tester for conv2d (XNNPACK's *-tester.h idea, as TConvTester is
// for conv_transpose2d): a test names only what it varies; the tester makes
// seeded random data, runs one impl and a reference loop written here from
// the formula in tconv/core/conv2d.hpp (so conv2d_f32_ref is tested too),
// and compares, printing the problem string, the seed and the worst index
// on failure.
#pragma once

#include <cstdint>
#include <string_view>

#include "tconv/core/conv_params.hpp"
#include "tconv/core/tensor.hpp"

namespace tconv::test {

class Conv2dTester {
 public:
  Conv2dTester& input(int c, int h, int w) { in_ = {c, h, w}; return *this; }
  Conv2dTester& output_channels(int oc) { oc_ = oc; return *this; }
  Conv2dTester& kernel(int kh, int kw) { p_.kernel = {kh, kw}; return *this; }
  Conv2dTester& stride(int sh, int sw) { p_.stride = {sh, sw}; return *this; }
  Conv2dTester& stride(int s) { return stride(s, s); }
  Conv2dTester& dilation(int dh, int dw) { p_.dilation = {dh, dw}; return *this; }
  Conv2dTester& dilation(int d) { return dilation(d, d); }
  Conv2dTester& padding(int p) { p_.padding(p); return *this; }
  Conv2dTester& padding(int top, int left, int bottom, int right) {
    p_.pad_begin = {top, left};
    p_.pad_end = {bottom, right};
    return *this;
  }
  Conv2dTester& groups(int g) { p_.groups = g; return *this; }
  Conv2dTester& bias(bool on) { bias_ = on; return *this; }
  /// Threads the impl runs on (OpOptions::threads); the default 1.
  Conv2dTester& threads(int n) { threads_ = n; return *this; }
  Conv2dTester& seed(std::uint32_t s) { seed_ = s; return *this; }

  /// The params the tester will run (channels filled in; kernel 3x3 unless set).
  [[nodiscard]] ConvParams params() const;
  /// Random weights ([oc][ic / g][kh][kw]) and, when enabled, bias for params().
  [[nodiscard]] Weights weights() const;
  /// The random input of the configured shape.
  [[nodiscard]] Tensor input_tensor() const;

  /// True when the kernel reaches past the padded input, so there is no
  /// output (random tests skip such draws).
  [[nodiscard]] bool output_is_empty() const;

  /// `impl` (a conv2d_impl_names() entry) agrees with the reference loop on
  /// random data in [-1, 1) within 1e-6 per product summed into an output.
  /// Returns false, running nothing, when the impl does not take this
  /// problem on this CPU (conv2d_impl_applicable); the caller reports it.
  bool test_against_reference(std::string_view impl) const;

 private:
  Shape3 in_{1, 5, 5};
  int oc_ = 1;
  ConvParams p_{};
  bool bias_ = false;
  int threads_ = 1;
  std::uint32_t seed_ = 1;
};

}  // namespace tconv::test

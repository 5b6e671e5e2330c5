// Fuzz target: parameter validation and every impl. The bytes choose a
// conv_transpose2d problem (mostly small values, sometimes any 32-bit value).
// Each problem must either be refused with a tconv::Error or run within its
// limits, and then every applicable impl must agree with the reference
// within the tolerance the property tests use. The caps keep each run small:
// inputs of at most 4096 values, outputs of at most 2^16.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "fuzz_target.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/error.hpp"

namespace {

constexpr std::int64_t kMaxInputValues = 4096;
constexpr std::int64_t kMaxOutputValues = 1 << 16;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tconv::fuzz::ByteReader in(data, size);
  tconv::ConvParams p;
  p.groups = in.positive_mostly_small(3);
  // Products in 64 bits; out-of-range results wrap (C++20 conversion) into
  // whatever int they give, which validation must then refuse or accept.
  p.in_channels = static_cast<int>(std::int64_t{p.groups} * (in.positive_mostly_small(4)));
  p.out_channels = static_cast<int>(std::int64_t{p.groups} * (in.positive_mostly_small(4)));
  p.kernel = {in.positive_mostly_small(9), in.positive_mostly_small(9)};
  p.stride = {in.positive_mostly_small(5), in.positive_mostly_small(5)};
  p.dilation = {in.positive_mostly_small(3), in.positive_mostly_small(3)};
  p.pad_begin = {in.int_mostly_small(5), in.int_mostly_small(5)};
  p.pad_end = {in.int_mostly_small(5), in.int_mostly_small(5)};
  p.output_padding = {in.int_mostly_small(4), in.int_mostly_small(4)};
  const std::uint8_t pad_mode = in.byte() % 8;
  if (pad_mode == 1) p.auto_pad = tconv::AutoPad::kSameUpper;
  if (pad_mode == 2) p.auto_pad = tconv::AutoPad::kSameLower;
  const bool bias = in.byte() & 1;
  const tconv::Shape3 src_shape{p.in_channels, in.positive_mostly_small(12),
                                in.positive_mostly_small(12)};
  const int threads = 1 + in.byte() % 3;

  // Validation first: a refused problem must be refused by first_violation
  // too, and an accepted one must have a computable output shape.
  if (p.first_violation(tconv::ConvKind::kConvTranspose2d)) {
    try {
      p.validate(tconv::ConvKind::kConvTranspose2d);
    } catch (const tconv::InvalidArgument&) {
      return 0;
    }
    tconv::fuzz::fail("first_violation refused a problem validate() accepted");
  }
  if (src_shape.c < 1 || src_shape.h < 1 || src_shape.w < 1 ||
      src_shape.elements() > kMaxInputValues)
    return 0;
  tconv::Shape3 out_shape;
  try {
    out_shape = p.output_shape(tconv::ConvKind::kConvTranspose2d, src_shape);
  } catch (const tconv::Error&) {
    return 0;  // e.g. an empty output
  }
  if (out_shape.c < 1 || out_shape.h < 1 || out_shape.w < 1)
    tconv::fuzz::fail("output_shape returned an empty shape instead of refusing");

  tconv::Weights w;
  w.shape = p.weight_shape(tconv::ConvKind::kConvTranspose2d);
  if (w.shape.elements() > kMaxInputValues) return 0;
  // Deterministic values from the remaining bytes: small integers times 1/8,
  // so sums are exact enough to compare tightly.
  w.values.resize(static_cast<std::size_t>(w.shape.elements()));
  for (float& v : w.values) v = static_cast<float>(static_cast<int>(in.byte() % 17) - 8) / 8.0f;
  if (bias)
    for (int c = 0; c < p.out_channels; ++c)
      w.bias.push_back(static_cast<float>(in.byte() % 9) - 4.0f);
  std::vector<float> src_values(static_cast<std::size_t>(src_shape.elements()));
  for (float& v : src_values) v = static_cast<float>(static_cast<int>(in.byte() % 33) - 16) / 16.0f;
  const tconv::ConstTensorView src{src_values.data(), src_shape};

  tconv::OpOptions options;
  options.max_output_elements = kMaxOutputValues;
  options.threads = threads;
  options.force_impl = "tconv2d_f32_ref";
  tconv::Tensor expected;
  try {
    expected = tconv::ConvTranspose2d::create(p, w, options).run(src);
  } catch (const tconv::LimitExceeded&) {
    if (out_shape.elements() <= kMaxOutputValues)
      tconv::fuzz::fail("an output within the limit was refused");
    return 0;
  } catch (const tconv::Error& e) {
    tconv::fuzz::fail(e.what());
  }
  if (out_shape.elements() > kMaxOutputValues)
    tconv::fuzz::fail("an output above the limit was computed");

  const float tol =
      1e-5f * static_cast<float>(p.in_channels / p.groups * p.kernel.h * p.kernel.w + 1);
  for (const std::string& name : tconv::conv_transpose2d_impl_names()) {
    if (!tconv::conv_transpose2d_impl_applicable(name, p)) continue;
    options.force_impl = name;
    const tconv::Tensor actual = tconv::ConvTranspose2d::create(p, w, options).run(src);
    const auto e = expected.span();
    const auto a = actual.span();
    if (a.size() != e.size()) tconv::fuzz::fail("impl output size differs from the reference");
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!(std::abs(a[i] - e[i]) <= tol * std::max(1.0f, std::abs(e[i]))))
        tconv::fuzz::fail(("impl " + name + " disagrees with the reference on " + p.to_string())
                              .c_str());
  }
  return 0;
}

// Property tests for the conv2d registry: every impl against Conv2dTester's
// reference loop on random problems (groups, dilation, asymmetric padding,
// strides), structured shapes, rows and channel counts straddling the 8- and
// 16-float vectors, and bit-identical results for any thread count.
// Iterating the registry tests a new conv2d impl without a new test.
#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "conv2d_tester.hpp"
#include "tconv/core/conv2d.hpp"

using tconv::test::Conv2dTester;

namespace {

// A random problem: groups 1-3, 1-4 channels per group, kernel 1-5, stride 1
// (or 1-3 when !unit_stride), dilation 1-3, each pad 0-2, rows 1-12 long and
// 1-40 wide (past two 16-lane tiles, so vector tails are exercised).
Conv2dTester random_problem(std::mt19937& rng, bool unit_stride) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const int groups = pick(1, 3);
  const int ic = groups * pick(1, 4);
  const int oc = groups * pick(1, 4);
  const int kh = pick(1, 5);
  const int kw = pick(1, 5);
  const int sh = unit_stride ? 1 : pick(1, 3);
  const int sw = unit_stride ? 1 : pick(1, 3);
  const int dh = pick(1, 3);
  const int dw = pick(1, 3);
  const int top = pick(0, 2);
  const int left = pick(0, 2);
  const int bottom = pick(0, 2);
  const int right = pick(0, 2);
  const int ih = pick(1, 12);
  const int iw = pick(1, 40);
  Conv2dTester t;
  t.input(ic, ih, iw)
      .output_channels(oc)
      .groups(groups)
      .kernel(kh, kw)
      .stride(sh, sw)
      .dilation(dh, dw)
      .padding(top, left, bottom, right);
  return t;
}

// Every impl must run at least one of a test's problems unless the CPU
// cannot run it at all; then it is reported, not failed.
void report_skipped(const std::string& impl, int checked, int problems) {
  if (checked == 0)
    WARN("impl " << impl << " ran none of " << problems << " problems on this CPU: skipped");
}

}  // namespace

TEST_CASE("conv2d impls match the reference on random problems", "[impl][property][conv2d]") {
  const std::string impl = GENERATE(from_range(tconv::conv2d_impl_names()));
  std::mt19937 rng(1234);
  int checked = 0;
  int not_applicable = 0;
  for (int trial = 0; trial < 250; ++trial) {
    Conv2dTester t = random_problem(rng, trial % 4 != 0);
    t.bias(trial % 2 == 1).threads(1 + trial % 3).seed(static_cast<std::uint32_t>(trial));
    if (t.output_is_empty()) continue;  // the kernel reaches past the padded input
    if (t.test_against_reference(impl))
      ++checked;
    else
      ++not_applicable;
  }
  INFO("impl " << impl << ": " << checked << " problems checked, " << not_applicable
               << " not applicable");
  report_skipped(impl, checked, checked + not_applicable);
  if (checked > 0) REQUIRE(checked + not_applicable >= 100);
}

TEST_CASE("conv2d impls match the reference on structured shapes", "[impl][property][conv2d]") {
  const std::string impl = GENERATE(from_range(tconv::conv2d_impl_names()));
  int checked = 0;
  int problems = 0;
  for (const int k : {1, 2, 3, 5})
    for (const int s : {1, 2, 3})
      for (const int d : {1, 2})
        for (const int pad : {0, 1, 2})
          for (const int groups : {1, 3})
            for (const int channels : {3, 18}) {  // few, and past the 16-float vector
              for (const auto& [ih, iw] : {std::pair{7, 5}, std::pair{9, 7}}) {
                Conv2dTester t;
                t.input(channels, ih, iw)
                    .output_channels(groups == 3 ? channels : channels + 1)
                    .groups(groups)
                    .kernel(k, k)
                    .stride(s)
                    .dilation(d)
                    .padding(pad)
                    .bias(true)
                    .seed(static_cast<std::uint32_t>(k * 1000 + s * 100 + d * 10 + pad));
                if (t.output_is_empty()) continue;
                ++problems;
                if (t.test_against_reference(impl)) ++checked;
              }
            }
  report_skipped(impl, checked, problems);
}

// Output rows shorter than, equal to and just past one, two and three 8- or
// 16-float vectors, with taps that clip the row at either end (padding,
// dilation) so the vector loop's bounds move.
TEST_CASE("conv2d impls match the reference on rows straddling the vector width",
          "[impl][property][conv2d]") {
  const std::string impl = GENERATE(from_range(tconv::conv2d_impl_names()));
  struct Kernel {
    int kh, kw, dh, dw, top, left, bottom, right;
  };
  static constexpr Kernel kKernels[] = {
      {3, 3, 1, 1, 1, 1, 1, 1},  // same-size 3x3
      {5, 5, 2, 2, 4, 3, 2, 1},  // dilated, asymmetric padding
      {1, 7, 1, 1, 0, 0, 0, 0},  // a wide row kernel, no padding: output 6 narrower
      {2, 4, 1, 3, 0, 5, 1, 2},  // even kernel, dilated along the row
  };
  int checked = 0;
  int problems = 0;
  for (const int iw : {7, 8, 9, 15, 16, 17, 23, 31, 32, 33, 47, 48, 49, 64, 65})
    for (const Kernel& k : kKernels)
      for (const int channels : {1, 5}) {
        Conv2dTester t;
        t.input(channels, 3, iw)
            .output_channels(channels == 1 ? 2 : channels)
            .kernel(k.kh, k.kw)
            .dilation(k.dh, k.dw)
            .padding(k.top, k.left, k.bottom, k.right)
            .bias(true)
            .threads(2)
            .seed(static_cast<std::uint32_t>(iw * 10 + channels));
        if (t.output_is_empty()) continue;
        ++problems;
        if (t.test_against_reference(impl)) ++checked;
      }
  report_skipped(impl, checked, problems);
}

// Dense and grouped layers whose channel counts straddle the 8- and
// 16-float vectors.
TEST_CASE("conv2d impls match the reference on channel counts straddling the vector width",
          "[impl][property][conv2d]") {
  const std::string impl = GENERATE(from_range(tconv::conv2d_impl_names()));
  int checked = 0;
  int problems = 0;
  for (const int ic : {7, 8, 9, 15, 16, 17, 33})
    for (const int oc : {1, 8, 17})
      for (const int s : {1, 2}) {
        Conv2dTester t;
        t.input(ic, 9, 7)
            .output_channels(oc)
            .kernel(3, 3)
            .stride(s)
            .padding(1)
            .bias(ic % 2 == 1)
            .seed(static_cast<std::uint32_t>(ic * 100 + oc * 10 + s));
        ++problems;
        if (t.test_against_reference(impl)) ++checked;
      }
  for (const int groups : {2, 4, 8}) {  // 16 input channels split unevenly against the vectors
    Conv2dTester t;
    t.input(16, 7, 5)
        .output_channels(groups * 3)
        .groups(groups)
        .kernel(3, 2)
        .dilation(2, 1)
        .padding(2, 1, 1, 0)
        .bias(true)
        .seed(static_cast<std::uint32_t>(groups));
    ++problems;
    if (t.test_against_reference(impl)) ++checked;
  }
  report_skipped(impl, checked, problems);
}

// Rows long enough to be cut into column chunks (a tiled impl's chunk is a
// multiple of 96 columns, at least 96, less when many input rows are packed),
// with the channel counts of FSRCNN's layers (1 -> 56 5x5, 56 -> 12 1x1,
// 12 -> 12 3x3, 12 -> 56 1x1) and the output-channel tails of 4-channel tiles.
TEST_CASE("conv2d impls match the reference on rows of several column chunks",
          "[impl][property][conv2d]") {
  const std::string impl = GENERATE(from_range(tconv::conv2d_impl_names()));
  struct Layer {
    int ic, oc, k, pad;
  };
  static constexpr Layer kLayers[] = {
      {1, 56, 5, 2}, {56, 12, 1, 0}, {12, 12, 3, 1}, {12, 56, 1, 0}, {9, 7, 3, 1}, {40, 1, 3, 1},
  };
  int checked = 0;
  int problems = 0;
  for (const Layer& l : kLayers)
    for (const int iw : {95, 96, 97, 191, 193, 290, 1100}) {
      Conv2dTester t;
      t.input(l.ic, 3, iw)
          .output_channels(l.oc)
          .kernel(l.k, l.k)
          .padding(l.pad)
          .bias(iw % 2 == 1)
          .threads(2)
          .seed(static_cast<std::uint32_t>(l.ic * 10000 + l.oc * 100 + iw));
      ++problems;
      if (t.test_against_reference(impl)) ++checked;
    }
  report_skipped(impl, checked, problems);
}

TEST_CASE("conv2d impls give bit-identical results for any thread count",
          "[impl][threads][conv2d]") {
  const std::string impl = GENERATE(from_range(tconv::conv2d_impl_names()));
  const int width = GENERATE(37, 301);  // one column chunk, several
  Conv2dTester t;
  t.input(6, 23, width)
      .output_channels(10)
      .groups(2)
      .kernel(5, 4)
      .dilation(1, 2)
      .padding(2, 1, 1, 3)
      .bias(true)
      .seed(42);
  const tconv::ConvParams p = t.params();
  if (!tconv::conv2d_impl_applicable(impl, p)) {
    WARN("impl " << impl << " does not take " << p.to_string() << " on this CPU: skipped");
    return;
  }
  const tconv::Weights w = t.weights();
  const tconv::Tensor src = t.input_tensor();
  tconv::OpOptions one;
  one.force_impl = impl;
  one.threads = 1;
  const tconv::Tensor expected = tconv::Conv2d::create(p, w, one).run(src.view());
  for (const int threads : {2, 3, 5, 16, 200}) {
    tconv::OpOptions many = one;
    many.threads = threads;
    const tconv::Tensor actual = tconv::Conv2d::create(p, w, many).run(src.view());
    INFO("impl " << impl << " problem " << p.to_string() << " seed 42 threads " << threads);
    REQUIRE(std::equal(actual.span().begin(), actual.span().end(), expected.span().begin(),
                       expected.span().end()));
  }
}

// Property tests: every impl against the reference, and the adjoint
// identity <conv2d(x, W), y> == <x, conv_transpose2d(y, W)>.
#include <catch2/catch.hpp>
#include <algorithm>
#include <random>

#include "tconv/core/conv_transpose2d.hpp"
#include "tconv_tester.hpp"

using tconv::test::TConvTester;

namespace {

// A random problem covering every parameter: groups, per-axis stride and
// dilation, asymmetric padding, output_padding up to max(stride, dilation) - 1.
TConvTester random_problem(std::mt19937& rng, int max_side, std::uint32_t seed, bool wide = false) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const int groups = wide ? 1 : pick(1, 3);
  const int sh = pick(1, 4);
  const int sw = pick(1, 4);
  const int dh = pick(1, 3);
  const int dw = pick(1, 3);
  const int kh = pick(1, 5);
  const int kw = pick(1, 5);
  TConvTester t;
  // Wide problems: channel counts straddling the 8- and 16-lane register tiles.
  static constexpr int kWideChannels[] = {8, 9, 15, 16, 17, 24, 31, 33};
  const int ic = wide ? kWideChannels[pick(0, 7)] : groups * pick(1, 3);
  const int oc = wide ? kWideChannels[pick(0, 7)] : groups * pick(1, 3);
  t.input(ic, pick(1, max_side), pick(1, max_side))
      .output_channels(oc)
      .groups(groups)
      .kernel(kh, kw)
      .stride(sh, sw)
      .dilation(dh, dw)
      .padding(pick(0, 2), pick(0, 2), pick(0, 2), pick(0, 2))
      .output_padding(pick(0, std::max(sh, dh) - 1), pick(0, std::max(sw, dw) - 1))
      .bias(pick(0, 1) == 1)
      .seed(seed);
  return t;
}

}  // namespace

// ncnn's naive-vs-optimized idea, Highway's "every test on every target":
// iterating the registry tests a new impl without a new test.
TEST_CASE("impls match the reference on structured shapes", "[impl][property]") {
  const std::string impl = GENERATE(from_range(tconv::conv_transpose2d_impl_names()));
  const int k = GENERATE(1, 2, 3, 4, 5);
  const int s = GENERATE(1, 2, 3);
  const int pad = GENERATE(0, 1, 2);
  const int groups = GENERATE(1, 3);
  const int channels = GENERATE(3, 18);  // few, and wide enough for the register tiles
  if (pad >= k) return;  // would crop more than the kernel adds
  const bool ran = TConvTester()
      .input(channels, 7, 5)
      .output_channels(groups == 3 ? channels : channels + 1)
      .groups(groups)
      .kernel(k, k)
      .stride(s)
      .padding(pad)
      .bias(true)
      .seed(static_cast<std::uint32_t>(k * 100 + s * 10 + pad))
      .test_against_reference(impl);
  if (!ran)
    WARN("impl " << impl << " does not take g" << groups << " c" << channels << " k" << k << " s" << s
                 << " on this CPU (problem or ISA)");
}

// Runs `trials` random problems through `impl`; every impl must run at least
// `min_checked` of them unless the CPU cannot run it at all (then it warns).
void check_random_problems(const std::string& impl, bool wide, int trials, int min_checked) {
  std::mt19937 rng(wide ? 99 : 2024);
  int checked = 0;
  int not_applicable = 0;
  for (int trial = 0; trial < trials; ++trial) {
    const TConvTester t = random_problem(rng, wide ? 13 : 9, static_cast<std::uint32_t>(trial), wide);
    if (t.output_is_empty()) continue;
    if (t.test_against_reference(impl))
      ++checked;
    else
      ++not_applicable;
  }
  INFO("impl " << impl << ": " << checked << " problems checked, " << not_applicable
               << " not applicable");
  if (checked == 0)
    WARN("impl " << impl << " ran none of these problems on this CPU");
  else
    REQUIRE(checked >= min_checked);
}

TEST_CASE("impls match the reference on random problems", "[impl][property]") {
  const std::string impl = GENERATE(from_range(tconv::conv_transpose2d_impl_names()));
  check_random_problems(impl, false, 150, 20);
}

TEST_CASE("impls match the reference on wide random problems", "[impl][property]") {
  const std::string impl = GENERATE(from_range(tconv::conv_transpose2d_impl_names()));
  check_random_problems(impl, true, 60, 40);
}

// Dense layers whose channels and rows span several 8- and 16-float blocks
// plus a remainder (packing transposes whole blocks, then the rest), and
// outputs whose rows end in a partial register tile.
TEST_CASE("impls match the reference on wide layers spanning vector blocks", "[impl][property]") {
  const std::string impl = GENERATE(from_range(tconv::conv_transpose2d_impl_names()));
  struct Shape {
    int ic, oc, k, s, pad, ih, iw;
  };
  static constexpr Shape kShapes[] = {
      {35, 40, 4, 2, 1, 5, 37},
      {16, 8, 3, 3, 0, 4, 33},
      {48, 33, 2, 2, 0, 3, 16},
      {17, 64, 5, 1, 2, 6, 18},
  };
  for (const Shape& sh : kShapes) {
    TConvTester t;
    t.input(sh.ic, sh.ih, sh.iw).output_channels(sh.oc).kernel(sh.k, sh.k).stride(sh.s)
        .padding(sh.pad).bias(true).seed(static_cast<std::uint32_t>(sh.ic * 100 + sh.oc));
    if (!t.test_against_reference(impl))
      WARN("impl " << impl << " does not take " << t.params().to_string() << " on this CPU");
  }
}

// One output channel per group with few phases (the FSRCNN last layer and
// its relatives): the phase impls compute all phases of a row group at once
// when the kernel is large enough. Odd output sizes leave a partial row
// group and phases of unequal length; asymmetric padding moves the union of
// taps.
TEST_CASE("impls match the reference on single-output-channel layers", "[impl][property]") {
  const std::string impl = GENERATE(from_range(tconv::conv_transpose2d_impl_names()));
  struct Shape {
    int ic, groups, kh, kw, sh, sw, top, left, bottom, right, oph, opw, ih, iw;
  };
  static constexpr Shape kShapes[] = {
      {5, 1, 9, 9, 2, 2, 4, 4, 4, 4, 1, 1, 9, 7},   // FSRCNN-like, even output
      {5, 1, 9, 9, 2, 2, 4, 4, 4, 4, 0, 0, 9, 7},   // odd output
      {17, 1, 9, 9, 2, 2, 3, 5, 4, 2, 1, 0, 6, 11},  // asymmetric padding
      {3, 3, 4, 4, 2, 2, 0, 2, 2, 0, 0, 1, 7, 5},   // grouped, k4 s2 p0/p2
      {4, 2, 6, 5, 2, 2, 2, 1, 2, 1, 1, 1, 5, 8},
      {2, 1, 7, 3, 4, 1, 3, 1, 3, 1, 2, 0, 6, 5},   // sh 4 x sw 1
      {2, 1, 3, 7, 1, 3, 1, 3, 1, 3, 0, 2, 5, 6},   // sh 1 x sw 3
      {6, 1, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 1, 1},   // one input pixel
      {6, 1, 9, 9, 2, 2, 4, 4, 4, 4, 1, 1, 1, 12},  // one input row
  };
  for (const Shape& sh : kShapes) {
    TConvTester t;
    t.input(sh.ic, sh.ih, sh.iw)
        .output_channels(sh.groups)
        .groups(sh.groups)
        .kernel(sh.kh, sh.kw)
        .stride(sh.sh, sh.sw)
        .padding(sh.top, sh.left, sh.bottom, sh.right)
        .output_padding(sh.oph, sh.opw)
        .bias(true)
        .seed(static_cast<std::uint32_t>(sh.ic * 1000 + sh.kh * 10 + sh.sh));
    if (t.output_is_empty()) continue;
    if (!t.test_against_reference(impl))
      WARN("impl " << impl << " does not take " << t.params().to_string() << " on this CPU");
  }
}

TEST_CASE("adjoint identity holds on random parameter sets", "[property][adjoint]") {
  std::mt19937 rng(7);
  int checked = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const TConvTester t = random_problem(rng, 8, static_cast<std::uint32_t>(trial));
    if (t.output_is_empty()) continue;
    t.test_adjoint();
    ++checked;
  }
  REQUIRE(checked >= 200);
}

// Three problems: a grouped one for the few-channel impls, a dense wide one
// (channels straddling the register tiles) for the GEMM impls, and a
// single-output-channel one whose phases the phase impls compute together.
TEST_CASE("impls give bit-identical results for any thread count", "[impl][threads]") {
  const std::string impl = GENERATE(from_range(tconv::conv_transpose2d_impl_names()));
  const int kind = GENERATE(0, 1, 2);
  TConvTester t;
  tconv::Shape3 shape{};
  if (kind == 0) {
    shape = {6, 23, 17};
    t.input(6, 23, 17).output_channels(4).groups(2).kernel(5, 4).stride(3, 2).padding(2, 1, 1, 0)
        .dilation(1, 2).output_padding(1, 1).bias(true).seed(42);
  } else if (kind == 1) {
    shape = {20, 21, 19};
    t.input(20, 21, 19).output_channels(37).kernel(4, 3).stride(2, 3).padding(1, 2, 0, 1)
        .output_padding(1, 0).bias(true).seed(43);
  } else {
    shape = {7, 19, 13};
    t.input(7, 19, 13).output_channels(1).kernel(9, 9).stride(2, 2).padding(4)
        .output_padding(0, 1).bias(true).seed(44);
  }
  const tconv::ConvParams p = t.params();
  if (!tconv::conv_transpose2d_impl_applicable(impl, p)) {
    WARN("impl " << impl << " does not take problem " << kind << " on this CPU: skipped");
    return;
  }
  const tconv::Tensor src = tconv::test::random_tensor(shape, 9);
  tconv::OpOptions one;
  one.force_impl = impl;
  one.threads = 1;
  const tconv::Tensor expected = tconv::ConvTranspose2d::create(p, t.weights(), one).run(src.view());
  for (int threads : {2, 3, 5, 16, 200}) {
    tconv::OpOptions many = one;
    many.threads = threads;
    const tconv::Tensor actual = tconv::ConvTranspose2d::create(p, t.weights(), many).run(src.view());
    INFO("impl " << impl << " threads " << threads);
    REQUIRE(std::equal(actual.span().begin(), actual.span().end(), expected.span().begin(),
                       expected.span().end()));
  }
}

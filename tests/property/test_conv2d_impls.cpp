// Property tests for the conv2d registry: every impl against conv2d_f32_ref
// on random problems (groups, dilation, asymmetric padding, rows wider than
// the vector tiles), and bit-identical results for any thread count.
// Iterating the registry tests a new conv2d impl without a new test.
#include <catch2/catch.hpp>
#include <algorithm>
#include <random>

#include "tconv/core/conv2d.hpp"
#include "tconv/core/error.hpp"

namespace {

std::vector<float> random_values(std::size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

struct Case {
  tconv::ConvParams params;
  tconv::Shape3 src;
};

Case random_case(std::mt19937& rng, bool unit_stride) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Case c;
  tconv::ConvParams& p = c.params;
  p.groups = pick(1, 3);
  p.in_channels = p.groups * pick(1, 4);
  p.out_channels = p.groups * pick(1, 4);
  p.kernel = {pick(1, 5), pick(1, 5)};
  p.stride = unit_stride ? tconv::Size2{1, 1} : tconv::Size2{pick(1, 3), pick(1, 3)};
  p.dilation = {pick(1, 3), pick(1, 3)};
  p.pad_begin = {pick(0, 2), pick(0, 2)};
  p.pad_end = {pick(0, 2), pick(0, 2)};
  // Widths from 1 to past two 16-lane tiles, so vector tails are exercised.
  c.src = {p.in_channels, pick(1, 12), pick(1, 40)};
  return c;
}

}  // namespace

TEST_CASE("conv2d impls match the reference on random problems", "[impl][property][conv2d]") {
  const std::string impl = GENERATE(from_range(tconv::conv2d_impl_names()));
  std::mt19937 rng(1234);
  int checked = 0;
  int skipped = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const Case c = random_case(rng, trial % 4 != 0);
    const tconv::ConvParams& p = c.params;
    tconv::Shape3 dst;
    try {
      dst = p.output_shape(tconv::ConvKind::kConv2d, c.src);
    } catch (const tconv::Error&) {
      continue;  // the kernel reaches past the padded input: no output
    }
    if (!tconv::conv2d_impl_applicable(impl, p)) {
      ++skipped;
      continue;
    }
    const tconv::Shape4 ws = p.weight_shape(tconv::ConvKind::kConv2d);
    tconv::Weights w{ws, random_values(static_cast<std::size_t>(ws.elements()), rng),
                     trial % 2 ? random_values(static_cast<std::size_t>(p.out_channels), rng)
                               : std::vector<float>{}};
    const tconv::Tensor src(c.src, random_values(static_cast<std::size_t>(c.src.elements()), rng));
    tconv::OpOptions ref;
    ref.force_impl = "conv2d_f32_ref";
    tconv::OpOptions mine;
    mine.force_impl = impl;
    const tconv::Tensor expected = tconv::Conv2d::create(p, w, ref).run(src.view());
    const tconv::Conv2d op = tconv::Conv2d::create(p, w, mine);
    REQUIRE(op.impl_name() == impl);
    const tconv::Tensor actual = op.run(src.view());
    REQUIRE(actual.shape() == dst);
    std::size_t worst = 0;
    float worst_diff = 0;
    for (std::size_t i = 0; i < actual.span().size(); ++i) {
      const float d = std::abs(actual.span()[i] - expected.span()[i]);
      if (d > worst_diff) {
        worst_diff = d;
        worst = i;
      }
    }
    // Tolerance grows with the number of products summed per output.
    const float tol =
        1e-6f * float(p.in_channels / p.groups * p.kernel.h * p.kernel.w + 1);
    INFO("impl " << impl << " problem " << p.to_string() << " input " << to_string(c.src)
                 << " trial " << trial << ", worst flat index " << worst << ": expected "
                 << expected.span()[worst] << ", got " << actual.span()[worst]);
    REQUIRE(worst_diff <= tol);
    ++checked;
  }
  if (checked == 0) WARN("impl " << impl << " does not run on this CPU: skipped");
  else REQUIRE(checked + skipped >= 100);
}

TEST_CASE("conv2d impls give bit-identical results for any thread count", "[impl][threads][conv2d]") {
  const std::string impl = GENERATE(from_range(tconv::conv2d_impl_names()));
  tconv::ConvParams p;
  p.in_channels = 6;
  p.out_channels = 4;
  p.groups = 2;
  p.kernel = {5, 4};
  p.dilation = {1, 2};
  p.pad_begin = {2, 1};
  p.pad_end = {1, 3};
  if (!tconv::conv2d_impl_applicable(impl, p)) {
    WARN("impl " << impl << " does not run on this CPU: skipped");
    return;
  }
  std::mt19937 rng(42);
  const tconv::Shape4 ws = p.weight_shape(tconv::ConvKind::kConv2d);
  const tconv::Weights w{ws, random_values(static_cast<std::size_t>(ws.elements()), rng),
                         random_values(4, rng)};
  const tconv::Tensor src({6, 23, 37}, random_values(6 * 23 * 37, rng));
  tconv::OpOptions one;
  one.force_impl = impl;
  one.threads = 1;
  const tconv::Tensor expected = tconv::Conv2d::create(p, w, one).run(src.view());
  for (const int threads : {2, 3, 5, 16, 200}) {
    tconv::OpOptions many = one;
    many.threads = threads;
    const tconv::Tensor actual = tconv::Conv2d::create(p, w, many).run(src.view());
    INFO("impl " << impl << " threads " << threads);
    REQUIRE(std::equal(actual.span().begin(), actual.span().end(), expected.span().begin(),
                       expected.span().end()));
  }
}

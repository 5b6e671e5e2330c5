// Batches (N x C x H x W) as one planned call: every impl of both families,
// on random problems, gives for each item exactly what a one-item run of the
// same impl gives, for any batch size and thread count; and the batch's
// shape rules refuse what they should.
#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "tconv/core/conv2d.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/error.hpp"
#include "tconv_tester.hpp"

using tconv::BatchView;
using tconv::ConstBatchView;
using tconv::ConvKind;
using tconv::ConvParams;
using tconv::Shape3;

namespace {

struct Draw {
  ConvParams params;
  Shape3 item;
};

// A random layer of `kind`: few channels with groups, or a dense one with
// channel counts straddling the register tiles (the GEMM impls), every
// stride, dilation and padding the format allows; items up to 13 x 21.
Draw random_draw(std::mt19937& rng, ConvKind kind) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  static constexpr int kWide[] = {8, 9, 16, 17, 24};
  const bool wide = pick(0, 2) == 0;
  const int groups = wide ? 1 : pick(1, 2);
  Draw d;
  ConvParams& p = d.params;
  p.in_channels = wide ? kWide[pick(0, 4)] : groups * pick(1, 3);
  p.out_channels = wide ? kWide[pick(0, 4)] : groups * pick(1, 3);
  p.groups = groups;
  p.kernel = {pick(1, 5), pick(1, 5)};
  // The tiled conv2d impls take stride 1 only: most conv2d draws use it.
  const int max_stride = kind == ConvKind::kConv2d && pick(0, 1) == 0 ? 1 : 3;
  p.stride = {pick(1, max_stride), pick(1, max_stride)};
  p.dilation = {pick(1, 2), pick(1, 2)};
  p.pad_begin = {pick(0, 1), pick(0, 1)};
  p.pad_end = {pick(0, 1), pick(0, 1)};
  if (kind == ConvKind::kConvTranspose2d)
    p.output_padding = {pick(0, std::max(p.stride.h, p.dilation.h) - 1),
                        pick(0, std::max(p.stride.w, p.dilation.w) - 1)};
  d.item = {p.in_channels, pick(1, 13), pick(1, 21)};
  return d;
}

bool has_output(const Draw& d, ConvKind kind) {
  try {
    return d.params.output_shape(kind, d.item).elements() > 0;
  } catch (const tconv::InvalidArgument&) {
    return false;
  }
}

// Runs `count` random items through `impl` as one batch on several thread
// counts and item by item on one thread; every value must be bit-identical.
// Returns false when the impl does not take the problem on this CPU.
template <typename Op>
bool check_batch(const std::string& impl, ConvKind kind, const Draw& d, std::int64_t count,
                 std::uint32_t seed) {
  tconv::OpOptions options;
  options.force_impl = impl;
  const tconv::Weights weights = tconv::test::random_weights(d.params, kind, seed, seed % 2 == 0);
  bool applicable = false;
  if constexpr (std::is_same_v<Op, tconv::Conv2d>)
    applicable = tconv::conv2d_impl_applicable(impl, d.params);
  else
    applicable = tconv::conv_transpose2d_impl_applicable(impl, d.params);
  if (!applicable) return false;
  const Op op = Op::create(d.params, weights, options);
  const Shape3 out = op.output_shape(d.item);
  const std::vector<float> src = tconv::test::random_values(
      static_cast<std::size_t>(count * d.item.elements()), seed + 7);
  std::vector<float> expected(static_cast<std::size_t>(count * out.elements()));
  for (std::int64_t b = 0; b < count; ++b)
    op.run({src.data() + b * d.item.elements(), d.item},
           {expected.data() + b * out.elements(), out}, 1);
  INFO("impl " << impl << " problem " << d.params.to_string() << " items " << count << " x "
               << tconv::to_string(d.item) << " seed " << seed);
  for (int threads : {1, 2, 3, 7}) {
    std::vector<float> actual(expected.size(), -12345.0f);
    op.run_batch(ConstBatchView{src.data(), count, d.item}, BatchView{actual.data(), count, out},
                 threads);
    INFO("threads " << threads);
    REQUIRE(std::equal(actual.begin(), actual.end(), expected.begin(), expected.end()));
  }
  return true;
}

template <typename Op>
void check_family(const std::string& impl, ConvKind kind) {
  std::mt19937 rng(4242);
  int checked = 0;
  int drawn = 0;
  for (std::uint32_t seed = 1; drawn < 12; ++seed) {
    const Draw d = random_draw(rng, kind);
    if (!has_output(d, kind)) continue;
    ++drawn;
    for (std::int64_t count : {1, 3, 6})
      if (check_batch<Op>(impl, kind, d, count, seed * 10 + static_cast<std::uint32_t>(count)))
        ++checked;
  }
  if (checked == 0) WARN("impl " << impl << " took none of " << drawn << " problems: skipped");
}

}  // namespace

TEST_CASE("conv_transpose2d batches equal item-by-item runs for any thread count",
          "[impl][batch][threads]") {
  const std::string impl = GENERATE(from_range(tconv::conv_transpose2d_impl_names()));
  check_family<tconv::ConvTranspose2d>(impl, ConvKind::kConvTranspose2d);
}

TEST_CASE("conv2d batches equal item-by-item runs for any thread count",
          "[impl][batch][threads][conv2d]") {
  const std::string impl = GENERATE(from_range(tconv::conv2d_impl_names()));
  check_family<tconv::Conv2d>(impl, ConvKind::kConv2d);
}

// Items whose packed input (the GEMM impls' shared buffer, 16 x 600 x 600
// floats, about 23 MB) is too large to hold for the whole batch run in
// groups of two: the third item runs in a group of its own.
TEST_CASE("a batch of large items runs in groups with the same result", "[impl][batch]") {
  ConvParams p;
  p.in_channels = 16;
  p.out_channels = 8;
  p.kernel = {1, 1};
  const Shape3 item{16, 600, 600};
  const tconv::ConvTranspose2d op = tconv::ConvTranspose2d::create(
      p, tconv::test::random_weights(p, ConvKind::kConvTranspose2d, 3, true));
  INFO("impl " << op.impl_name());
  const Shape3 out = op.output_shape(item);
  const std::vector<float> src =
      tconv::test::random_values(static_cast<std::size_t>(3 * item.elements()), 5);
  std::vector<float> expected(static_cast<std::size_t>(3 * out.elements()));
  for (std::int64_t b = 0; b < 3; ++b)
    op.run({src.data() + b * item.elements(), item}, {expected.data() + b * out.elements(), out});
  std::vector<float> actual(expected.size());
  op.run_batch(ConstBatchView{src.data(), 3, item}, BatchView{actual.data(), 3, out}, 2);
  REQUIRE(std::equal(actual.begin(), actual.end(), expected.begin(), expected.end()));
  // The scratch of a grouped batch holds at most two packed items, however
  // many items there are.
  CHECK(op.batch_scratch_bytes(item, 3, 2) == op.batch_scratch_bytes(item, 300, 2));
}

TEST_CASE("batch shape rules", "[batch]") {
  ConvParams p;
  p.in_channels = 2;
  p.out_channels = 3;
  p.kernel = {2, 2};
  p.stride = {2, 2};
  const tconv::ConvTranspose2d op = tconv::ConvTranspose2d::create(
      p, tconv::test::random_weights(p, ConvKind::kConvTranspose2d, 1, false));
  const Shape3 item{2, 4, 5};
  const Shape3 out{3, 8, 10};
  std::vector<float> src(static_cast<std::size_t>(4 * item.elements()), 1.0f);
  std::vector<float> dst(static_cast<std::size_t>(4 * out.elements()), 0.0f);
  SECTION("an empty batch does nothing") {
    op.run_batch(ConstBatchView{src.data(), 0, item}, BatchView{dst.data(), 0, out});
    CHECK(std::all_of(dst.begin(), dst.end(), [](float v) { return v == 0.0f; }));
    CHECK(op.batch_scratch_bytes(item, 0) == 0);
  }
  SECTION("the output count and shape must match") {
    CHECK_THROWS_AS(op.run_batch(ConstBatchView{src.data(), 4, item}, BatchView{dst.data(), 3, out}),
                    tconv::ShapeMismatch);
    CHECK_THROWS_AS(
        op.run_batch(ConstBatchView{src.data(), 4, item}, BatchView{dst.data(), 4, {3, 8, 9}}),
        tconv::ShapeMismatch);
    CHECK_THROWS_AS(
        op.run_batch(ConstBatchView{src.data(), 4, {3, 4, 5}}, BatchView{dst.data(), 4, out}),
        tconv::ShapeMismatch);
  }
  SECTION("a negative count and an overlapping output are refused") {
    CHECK_THROWS_AS(op.run_batch(ConstBatchView{src.data(), -1, item}, BatchView{dst.data(), -1, out}),
                    tconv::InvalidArgument);
    CHECK_THROWS_AS(op.batch_scratch_bytes(item, -1), tconv::InvalidArgument);
    std::vector<float> both(static_cast<std::size_t>(4 * (item.elements() + out.elements())));
    CHECK_THROWS_AS(op.run_batch(ConstBatchView{both.data(), 4, item},
                                 BatchView{both.data() + 3 * item.elements(), 4, out}),
                    tconv::InvalidArgument);
  }
}

// Row bands of a planned op (detail::run_rows(), core/plan.hpp): every impl
// of both registries, forced, computes any band of output rows from its
// window of input rows bit-identically to the same rows of the whole run,
// on strides 1..4, dilation, padding (beyond the kernel too), output
// padding, groups, odd sizes, 1-row and 1-column inputs and every band
// height, at 1, 2 and 3 threads. The lists are read from the registries, so
// a new impl is covered without a new test.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/plan.hpp"
#include "tconv/core/error.hpp"
#include "tconv_tester.hpp"

namespace {

using tconv::ConvKind;
using tconv::ConvParams;
using tconv::Shape3;
using tconv::Tensor;
using tconv::detail::RowRange;

using tconv::test::random_values;

// Rows `rows` of every channel of t, as their own contiguous tensor.
Tensor rows_of(const Tensor& t, RowRange rows) {
  const Shape3 s = t.shape();
  Tensor out(Shape3{s.c, rows.size(), s.w});
  for (int c = 0; c < s.c; ++c)
    for (int y = rows.begin; y < rows.end; ++y)
      std::memcpy(out.view().row(c, y - rows.begin), t.view().row(c, y),
                  static_cast<std::size_t>(s.w) * sizeof(float));
  return out;
}

struct Case {
  ConvKind kind;
  ConvParams params;
  Shape3 src;
  std::uint32_t seed;
};

std::string describe(const Case& k, std::string_view impl) {
  std::ostringstream s;
  s << impl << " " << k.params.to_string() << " input " << tconv::to_string(k.src) << " seed "
    << k.seed;
  return s.str();
}

// How many (impl, band height) runs compared: each Case checks at least one.
int g_compared = 0;

// Every band height 1..oh (conv_transpose2d: the multiples of sh, as the
// banded model runs them), the bands in turn at 1, 2 and 3 threads, against
// the whole run of the same impl.
void check_bands(const Case& k) {
  const tconv::Shape4 ws = k.params.weight_shape(k.kind);
  tconv::Weights w{ws, random_values(static_cast<std::size_t>(ws.elements()), k.seed),
                   random_values(static_cast<std::size_t>(k.params.out_channels), k.seed + 1)};
  const Tensor src(k.src, random_values(static_cast<std::size_t>(k.src.elements()), k.seed + 2));
  for (const tconv::detail::Impl& impl : tconv::detail::impl_list(k.kind)) {
    if (!impl.applicable(k.params)) continue;
    INFO(describe(k, impl.name));
    tconv::OpOptions options;
    options.force_impl = std::string(impl.name);
    const tconv::detail::Plan plan = tconv::detail::make_plan(k.kind, k.params, w, options);
    const Tensor whole = tconv::detail::run_plan(plan, src.view(), 1);
    const tconv::detail::Problem full = tconv::detail::make_problem(plan, k.src);
    const int oh = full.dst.h;
    // conv_transpose2d bands start and end at multiples of sh (or at oh):
    // tconv2d_f32_phase computes merged rows in groups of sh.
    const int step = k.kind == ConvKind::kConvTranspose2d ? full.params.stride.h : 1;
    tconv::detail::ScratchBuffer scratch;
    for (int height = step; height < oh + step; height += step) {
      for (int a = 0; a < oh; a += height) {
        const RowRange out{a, std::min(oh, a + height)};
        const RowRange in = tconv::detail::band_input_rows(k.kind, full, out);
        INFO("band rows " << out.begin << ".." << out.end << " from input rows " << in.begin << ".."
                          << in.end);
        REQUIRE(in.begin >= 0);
        REQUIRE(in.end <= k.src.h);
        if (k.kind == ConvKind::kConvTranspose2d) REQUIRE(!in.empty());
        if (!in.empty()) {
          const tconv::detail::Problem band = tconv::detail::band_problem(k.kind, full, in, out);
          REQUIRE(band.params.pad_begin.h >= 0);
          REQUIRE(band.params.pad_end.h >= 0);
          REQUIRE(band.params.output_padding.h >= 0);
          REQUIRE(band.params.output_padding.h <
                  std::max(band.params.stride.h, band.params.dilation.h));
        }
        const Tensor window = rows_of(src, in);
        const Tensor expected = rows_of(whole, out);
        {
          const int threads = 1 + (a / height + height) % 3;
          Tensor got(Shape3{full.dst.c, out.size(), full.dst.w});
          tconv::detail::run_rows(plan, full, out, window.view(), got.view(), threads, scratch);
          INFO("threads " << threads);
          const auto e = expected.span();
          const auto g = got.span();
          std::size_t first = e.size();
          for (std::size_t i = 0; i < e.size(); ++i)
            if (std::memcmp(&e[i], &g[i], sizeof(float)) != 0) {
              first = i;
              break;
            }
          if (first < e.size()) {
            INFO("first differing flat index " << first << ": expected " << e[first] << ", got "
                                               << g[first]);
            REQUIRE(first == e.size());
          }
        }
      }
      ++g_compared;
    }
  }
}

}  // namespace

TEST_CASE("row bands of every impl equal the whole run on structured shapes",
          "[impl][property][bands]") {
  const ConvKind kind = GENERATE(ConvKind::kConvTranspose2d, ConvKind::kConv2d);
  const int s = GENERATE(1, 2, 3, 4);
  const int k = GENERATE(1, 3, 4);
  const int d = GENERATE(1, 2);
  const int pad = GENERATE(0, 1, 5);
  const Shape3 src = GENERATE(Shape3{3, 9, 7}, Shape3{2, 1, 6}, Shape3{2, 7, 1}, Shape3{1, 1, 1});
  // One output channel: tconv2d_f32_phase's merged rows (sh x sw <= 4).
  const int oc = GENERATE(1, 2);
  Case c{kind, {}, src, 11u + static_cast<std::uint32_t>(s * 100 + k * 10 + pad)};
  c.params.in_channels = src.c;
  c.params.out_channels = oc;
  c.params.kernel = {k, k};
  c.params.stride = {s, s};
  c.params.dilation = {d, d};
  c.params.padding(pad);
  if (kind == ConvKind::kConvTranspose2d) {
    c.params.output_padding = {std::max(s, d) - 1, 0};
  }
  if (c.params.first_violation(kind)) return;
  try {
    (void)c.params.output_shape(kind, src);
  } catch (const tconv::Error&) {
    return;  // no output for this size (the kernel reaches past the padded input)
  }
  check_bands(c);
}

TEST_CASE("row bands of every impl equal the whole run on random problems",
          "[impl][property][bands]") {
  const int before = g_compared;
  std::mt19937 rng(20240601);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  int cases = 0;
  while (cases < 120) {
    const ConvKind kind = pick(0, 1) == 0 ? ConvKind::kConvTranspose2d : ConvKind::kConv2d;
    Case c{kind, {}, {}, static_cast<std::uint32_t>(rng())};
    const int groups = pick(1, 3);
    c.params.groups = groups;
    c.params.in_channels = groups * pick(1, 4);
    // Wide problems too, so the GEMM impls (groups 1, >= 8 channels) take part.
    c.params.out_channels = groups == 1 && pick(0, 2) == 0 ? pick(8, 20) : groups * pick(1, 3);
    if (groups == 1 && c.params.out_channels >= 8) c.params.in_channels = pick(8, 20);
    c.params.kernel = {pick(1, 5), pick(1, 5)};
    c.params.stride = {pick(1, 4), pick(1, 4)};
    c.params.dilation = {pick(1, 3), pick(1, 2)};
    c.params.pad_begin = {pick(0, 6), pick(0, 4)};
    c.params.pad_end = {pick(0, 6), pick(0, 4)};
    if (kind == ConvKind::kConvTranspose2d)
      c.params.output_padding = {pick(0, std::max(c.params.stride.h, c.params.dilation.h) - 1),
                                 pick(0, std::max(c.params.stride.w, c.params.dilation.w) - 1)};
    c.src = {c.params.in_channels, pick(1, 13), pick(1, 21)};
    if (c.params.first_violation(kind)) continue;
    try {
      (void)c.params.output_shape(kind, c.src);
    } catch (const tconv::Error&) {
      continue;
    }
    check_bands(c);
    ++cases;
  }
  CHECK(g_compared > before);
}

TEST_CASE("row bands: conv2d rows that read padding alone are the bias", "[impl][bands]") {
  // k3 with pad 4: output rows 0, 1 and the last two read padding only.
  Case c{ConvKind::kConv2d, {}, {1, 5, 4}, 3};
  c.params.in_channels = 1;
  c.params.out_channels = 3;
  c.params.kernel = {3, 3};
  c.params.padding(4);
  const tconv::detail::Plan plan = tconv::detail::make_plan(
      c.kind, c.params, {{3, 1, 3, 3}, random_values(27, 1), {0.5f, -0.25f, 2.0f}}, {});
  const tconv::detail::Problem full = tconv::detail::make_problem(plan, c.src);
  REQUIRE(tconv::detail::band_input_rows(c.kind, full, {0, 2}).empty());
  REQUIRE(tconv::detail::band_input_rows(c.kind, full, {full.dst.h - 2, full.dst.h}).empty());
  REQUIRE(tconv::detail::band_input_rows(c.kind, full, {1, 3}) == RowRange{0, 1});
  check_bands(c);
}

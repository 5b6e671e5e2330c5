// Property tests for the interleaved upsampling registry: every impl of
// every sample type against the planar float op (make_upsampler() +
// run_with_border()) through ResampleTester, exact where the float sums are
// exact and within 1 in the last bit of the sample otherwise (float samples:
// within rounding). Iterating upsample_interleaved_impls<T>() tests a new
// impl without a new test. The independent oracles (cv::resize, the exact
// value in double, hand-worked ties) stay in tests/golden/test_resample.cpp.
#include <catch2/catch.hpp>
#include <string>

#include "resample_tester.hpp"

using tconv::Border;
using tconv::Interpolation;
using tconv::Size2;
using tconv::test::ResampleTester;
using tconv::test::SampleType;

namespace {

constexpr Interpolation kKinds[] = {Interpolation::kNearest, Interpolation::kBilinear,
                                    Interpolation::kBicubic, Interpolation::kLanczos3};
constexpr Border kBorders[] = {Border::kZero, Border::kReplicate, Border::kReflect};

// Kernels with dyadic taps (the fixed-point impls serve them), and whether
// the float path computes them exactly for 8-bit and 16-bit samples, so the
// fixed-point impls must equal it bit for bit.
struct DyadicCase {
  Interpolation kind;
  Size2 f;
  bool float_exact_u8;
  bool float_exact_u16;
};
constexpr DyadicCase kDyadic[] = {
    {Interpolation::kNearest, {1, 1}, true, true},
    {Interpolation::kNearest, {2, 2}, true, true},
    {Interpolation::kNearest, {3, 5}, true, true},
    {Interpolation::kBilinear, {2, 2}, true, true},
    {Interpolation::kBilinear, {4, 4}, true, true},
    {Interpolation::kBilinear, {8, 8}, true, false},
    {Interpolation::kBilinear, {1, 2}, true, true},
    {Interpolation::kBilinear, {4, 2}, true, true},
    {Interpolation::kBilinear, {16, 2}, false, false},
    {Interpolation::kBicubic, {2, 2}, true, false},
    {Interpolation::kBicubic, {4, 4}, false, false},
};

// {h, w}: single pixel, single column, single row, and awkward odd sizes.
constexpr Size2 kDyadicSizes[] = {{1, 1}, {5, 1}, {1, 6}, {3, 2}, {9, 7}, {17, 23}, {33, 70}};

// Every impl must run at least one of a test's problems unless the CPU
// cannot run it at all (it lacks the ISA); then it is reported, not failed.
void report_skipped(const std::string& impl, SampleType type, int checked, int problems) {
  if (checked == 0)
    WARN("impl " << impl << " (" << tconv::test::to_string(type) << ") ran none of " << problems
                 << " problems on this CPU: skipped");
}

}  // namespace

TEST_CASE(
    "resample impls match the float reference for every kind, border, factor and channel count",
    "[impl][property][resample]") {
  const SampleType type = GENERATE(SampleType::kU8, SampleType::kU16, SampleType::kF32);
  const std::string impl = GENERATE_COPY(from_range(ResampleTester::impl_names(type)));
  int checked = 0;
  int problems = 0;
  std::uint32_t seed = 0;
  for (const Interpolation kind : kKinds)
    for (const Border border : kBorders)
      for (const Size2 f : {Size2{2, 2}, Size2{3, 3}, Size2{1, 4}, Size2{3, 2}, Size2{2, 3}})
        for (const int c : {1, 2, 3, 4, 5})
          for (const Size2 size : {Size2{9, 7}, Size2{11, 6}, Size2{7, 10}}) {
            ++problems;
            ++seed;
            const bool ran = ResampleTester()
                                 .sample_type(type)
                                 .size(size.h, size.w)
                                 .channels(c)
                                 .kind(kind)
                                 .factor(f.h, f.w)
                                 .border(border)
                                 .threads(static_cast<int>(seed % 3))  // 0: all cores
                                 .seed(seed)
                                 .test_against_reference(impl);
            checked += ran;
          }
  report_skipped(impl, type, checked, problems);
}

// The table's float-exact kernels are the ones the tester holds to bit
// equality (it decides from the taps; this pins it to the cases worked out
// by hand).
TEST_CASE("resample tester holds the float-exact dyadic kernels to bit equality",
          "[property][resample]") {
  for (const DyadicCase& d : kDyadic) {
    INFO(tconv::to_string(d.kind) << " factor " << tconv::to_string(d.f));
    ResampleTester t;
    t.kind(d.kind).factor(d.f.h, d.f.w);
    if (d.float_exact_u8) CHECK(t.sample_type(SampleType::kU8).reference_is_exact());
    if (d.float_exact_u16) CHECK(t.sample_type(SampleType::kU16).reference_is_exact());
    CHECK_FALSE(t.sample_type(SampleType::kF32).reference_is_exact());
  }
  // Not dyadic: thirds, sinc values.
  CHECK_FALSE(ResampleTester().kind(Interpolation::kBilinear).factor(3).reference_is_exact());
  CHECK_FALSE(ResampleTester().kind(Interpolation::kLanczos3).factor(2).reference_is_exact());
}

TEST_CASE("resample impls equal the rounded float reference bit for bit where it is exact",
          "[impl][property][resample][fixed]") {
  const SampleType type = GENERATE(SampleType::kU8, SampleType::kU16);
  const std::string impl = GENERATE_COPY(from_range(ResampleTester::impl_names(type)));
  int checked = 0;
  int problems = 0;
  for (const DyadicCase& d : kDyadic)
    for (const Size2 size : kDyadicSizes)
      for (const Border border : kBorders)
        for (const int c : {1, 2, 3, 4}) {
          ++problems;
          checked += ResampleTester()
                         .sample_type(type)
                         .size(size.h, size.w)
                         .channels(c)
                         .kind(d.kind)
                         .factor(d.f.h, d.f.w)
                         .border(border)
                         .seed(static_cast<std::uint32_t>(size.w * 7 + size.h * 3 + c))
                         .test_against_reference(impl);
        }
  report_skipped(impl, type, checked, problems);
}

// One pixel, one row, a few pixels: the border reaches both edges of every
// tap; more threads than output rows; padded rows.
TEST_CASE("resample impls match the float reference on tiny images and any thread count",
          "[impl][property][resample][threads]") {
  const SampleType type = GENERATE(SampleType::kU8, SampleType::kU16, SampleType::kF32);
  const std::string impl = GENERATE_COPY(from_range(ResampleTester::impl_names(type)));
  int checked = 0;
  int problems = 0;
  for (const Size2 size : {Size2{1, 1}, Size2{1, 2}, Size2{2, 3}, Size2{29, 37}})
    for (const Interpolation kind : kKinds)
      for (const Size2 f : {Size2{3, 2}, Size2{2, 2}})
        for (const Border border : kBorders)
          for (const int threads : {1, 3, 64}) {
            ++problems;
            checked += ResampleTester()
                           .sample_type(type)
                           .size(size.h, size.w)
                           .channels(3)
                           .kind(kind)
                           .factor(f.h, f.w)
                           .border(border)
                           .threads(threads)
                           .row_padding(threads == 3 ? 5 : 0)
                           .seed(static_cast<std::uint32_t>(size.w * 100 + size.h + threads))
                           .test_against_reference(impl);
          }
  report_skipped(impl, type, checked, problems);
}

// Output rows (width * factor * channels samples) shorter than, equal to
// and just past the 16- and 32-byte vectors and the 8-bit kernels' cycles,
// so every vector loop runs its tail.
TEST_CASE("resample impls match the float reference on rows straddling the vector width",
          "[impl][property][resample]") {
  const SampleType type = GENERATE(SampleType::kU8, SampleType::kU16, SampleType::kF32);
  const std::string impl = GENERATE_COPY(from_range(ResampleTester::impl_names(type)));
  int checked = 0;
  int problems = 0;
  for (const int w : {1, 2, 3, 5, 8, 11, 16, 21, 32, 33, 43, 64, 65})
    for (const int c : {1, 2, 3, 4})
      for (const Interpolation kind :
           {Interpolation::kNearest, Interpolation::kBilinear, Interpolation::kBicubic})
        for (const Size2 f : {Size2{2, 2}, Size2{4, 4}, Size2{1, 2}})
          for (const Border border : {Border::kZero, Border::kReflect}) {
            ++problems;
            checked += ResampleTester()
                           .sample_type(type)
                           .size(3, w)
                           .channels(c)
                           .kind(kind)
                           .factor(f.h, f.w)
                           .border(border)
                           .row_padding(w % 2 == 1 ? 3 : 0)
                           .seed(static_cast<std::uint32_t>(w * 10 + c))
                           .test_against_reference(impl);
          }
  report_skipped(impl, type, checked, problems);
}

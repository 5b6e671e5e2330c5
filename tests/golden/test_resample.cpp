// The interleaved path against independent oracles (cv::resize, the exact
// value computed in double, hand-worked ties) and its threading and argument
// contracts. Its agreement with the planar float op, impl by impl, is a
// property test (tests/property/test_resample_impls.cpp, ResampleTester).
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <string>
#include <thread>
#include <vector>
#include <sys/wait.h>
#include <unistd.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "tconv/core/error.hpp"
#include "tconv/resample/border.hpp"
#include "tconv/resample/factories.hpp"
#include "tconv/resample/resample.hpp"

namespace {

template <typename T>
cv::Mat random_image(int rows, int cols, int channels, std::uint32_t seed) {
  cv::Mat m(rows, cols, CV_MAKETYPE(cv::DataType<T>::depth, channels));
  cv::RNG rng(seed);
  rng.fill(m, cv::RNG::UNIFORM, 0, double(T(~T{0})) + 1);
  return m;
}

template <typename T>
cv::Mat fused(const cv::Mat& src, tconv::Interpolation kind, tconv::Size2 f, tconv::Border border,
              int threads = 0, const std::string& impl = {}) {
  cv::Mat dst(src.rows * f.h, src.cols * f.w, src.type());
  tconv::upsample_interleaved(
      kind, f, border,
      tconv::InterleavedView<const T>{src.ptr<T>(), src.rows, src.cols, src.channels(),
                                      static_cast<std::ptrdiff_t>(src.step1())},
      tconv::InterleavedView<T>{dst.ptr<T>(), dst.rows, dst.cols, dst.channels(),
                                static_cast<std::ptrdiff_t>(dst.step1())},
      tconv::ResampleOptions{threads, impl});
  return dst;
}

// Border mapping of an input index, written independently of the library.
int border_index(tconv::Border border, long i, int n) {
  if (i >= 0 && i < n) return static_cast<int>(i);
  if (border == tconv::Border::kZero) return -1;
  if (border == tconv::Border::kReplicate) return i < 0 ? 0 : n - 1;
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;  // reflect-101
  return static_cast<int>(i);
}

// The exact interpolated value in double (dyadic taps times integer samples
// stay far below 2^53), rounded to nearest with ties to even (nearbyint in
// the default rounding mode) and clamped: what the fixed-point path promises.
template <typename T>
cv::Mat exact_oracle(const cv::Mat& src, tconv::Interpolation kind, tconv::Size2 f, tconv::Border border) {
  const tconv::Taps1d ty = tconv::interpolation_taps(kind, f.h);
  const tconv::Taps1d tx = tconv::interpolation_taps(kind, f.w);
  const int c = src.channels();
  cv::Mat dst(src.rows * f.h, src.cols * f.w, src.type());
  std::vector<double> acc(static_cast<std::size_t>(c));
  for (int oy = 0; oy < dst.rows; ++oy)
    for (int ox = 0; ox < dst.cols; ++ox) {
      std::fill(acc.begin(), acc.end(), 0.0);
      // Output o takes input i through tap t iff o + pad == i * f + t.
      for (int t = 0; t < static_cast<int>(ty.weights.size()); ++t) {
        if ((oy + ty.pad - t) % f.h != 0) continue;
        const int iy = border_index(border, std::lround(std::floor(double(oy + ty.pad - t) / f.h)), src.rows);
        if (iy < 0) continue;
        for (int u = 0; u < static_cast<int>(tx.weights.size()); ++u) {
          if ((ox + tx.pad - u) % f.w != 0) continue;
          const int ix = border_index(border, std::lround(std::floor(double(ox + tx.pad - u) / f.w)), src.cols);
          if (ix < 0) continue;
          for (int ch = 0; ch < c; ++ch)
            acc[static_cast<std::size_t>(ch)] += ty.weights[static_cast<std::size_t>(t)] *
                                                 tx.weights[static_cast<std::size_t>(u)] * src.ptr<T>(iy)[ix * c + ch];
        }
      }
      for (int ch = 0; ch < c; ++ch)
        dst.ptr<T>(oy)[ox * c + ch] = static_cast<T>(
            std::clamp(std::nearbyint(acc[static_cast<std::size_t>(ch)]), 0.0, double(T(~T{0}))));
    }
  return dst;
}

// The fixed-point impls for T that apply to kind x f with c channels here.
template <typename T>
std::vector<std::string> fixed_impls(tconv::Interpolation kind, tconv::Size2 f, int c) {
  std::vector<std::string> names;
  for (std::string_view name : tconv::upsample_interleaved_impls<T>())
    if (name.find("fixed") != std::string_view::npos &&
        tconv::upsample_interleaved_applicable<T>(name, kind, f, c))
      names.emplace_back(name);
  return names;
}

// Kernels with dyadic taps (the fixed-point impls serve them).
struct DyadicCase {
  tconv::Interpolation kind;
  tconv::Size2 f;
};
const DyadicCase kDyadic[] = {
    {tconv::Interpolation::kNearest, {1, 1}},
    {tconv::Interpolation::kNearest, {2, 2}},
    {tconv::Interpolation::kNearest, {3, 5}},
    {tconv::Interpolation::kBilinear, {2, 2}},
    {tconv::Interpolation::kBilinear, {4, 4}},
    {tconv::Interpolation::kBilinear, {8, 8}},
    {tconv::Interpolation::kBilinear, {1, 2}},
    {tconv::Interpolation::kBilinear, {4, 2}},
    {tconv::Interpolation::kBilinear, {16, 2}},
    {tconv::Interpolation::kBicubic, {2, 2}},
    {tconv::Interpolation::kBicubic, {4, 4}},
};

const cv::Size kSizes[] = {{1, 1}, {1, 5}, {6, 1}, {2, 3}, {7, 9}, {23, 17}, {70, 33}};

}  // namespace

TEST_CASE("interleaved bilinear equals cv::resize INTER_LINEAR within 1 LSB", "[golden][resample][opencv]") {
  const int f = GENERATE(2, 3, 4, 8);
  const int c = GENERATE(1, 3, 4);
  const std::string impl{GENERATE(from_range(tconv::upsample_interleaved_impls<std::uint8_t>()))};
  if (!tconv::upsample_interleaved_applicable<std::uint8_t>(impl, tconv::Interpolation::kBilinear, {f, f}, c)) return;
  for (const cv::Size size : {cv::Size(23, 17), cv::Size(1, 1), cv::Size(5, 2), cv::Size(97, 41)}) {
    const cv::Mat src = random_image<std::uint8_t>(size.height, size.width, c, static_cast<std::uint32_t>(f + size.width));
    cv::Mat expected;
    cv::resize(src, expected, {}, f, f, cv::INTER_LINEAR);
    const cv::Mat ours = fused<std::uint8_t>(src, tconv::Interpolation::kBilinear, {f, f}, tconv::Border::kReplicate, 0, impl);
    INFO(impl << " factor " << f << " c" << c << " " << size.width << "x" << size.height);
    REQUIRE(cv::norm(ours, expected, cv::NORM_INF) <= 1.0);
  }
}

TEST_CASE("interleaved path is bit-identical for any thread count, tiny images included", "[resample][threads]") {
  for (const cv::Size size : {cv::Size(1, 1), cv::Size(2, 1), cv::Size(3, 2), cv::Size(37, 29)}) {
    const cv::Mat src = random_image<std::uint8_t>(size.height, size.width, 3, 3);
    const cv::Mat one = fused<std::uint8_t>(src, tconv::Interpolation::kLanczos3, {3, 2}, tconv::Border::kReflect, 1);
    for (int threads : {2, 3, 64}) {
      const cv::Mat many = fused<std::uint8_t>(src, tconv::Interpolation::kLanczos3, {3, 2}, tconv::Border::kReflect, threads);
      REQUIRE(cv::norm(one, many, cv::NORM_INF) == 0.0);
    }
  }
}

TEST_CASE("interleaved path refuses normalize and mismatched shapes", "[resample][params]") {
  const cv::Mat src = random_image<std::uint8_t>(4, 4, 3, 1);
  cv::Mat dst(8, 8, src.type());
  const tconv::InterleavedView<const std::uint8_t> in{src.ptr<std::uint8_t>(), 4, 4, 3, 12};
  REQUIRE_THROWS_AS(tconv::upsample_interleaved(tconv::Interpolation::kBilinear, {2, 2}, tconv::Border::kNormalize, in,
                                                {dst.ptr<std::uint8_t>(), 8, 8, 3, 24}),
                    tconv::InvalidArgument);
  REQUIRE_THROWS_AS(tconv::upsample_interleaved(tconv::Interpolation::kBilinear, {2, 2}, tconv::Border::kReplicate, in,
                                                {dst.ptr<std::uint8_t>(), 8, 7, 3, 24}),
                    tconv::ShapeMismatch);
}

TEST_CASE("fixed-point impls apply to dyadic kernels only", "[resample][fixed]") {
  using tconv::Interpolation;
  for (const DyadicCase& d : kDyadic) {
    INFO(tconv::to_string(d.kind) << " factor " << tconv::to_string(d.f));
    CHECK(tconv::upsample_interleaved_applicable<std::uint8_t>("upsample_u8_fixed", d.kind, d.f, 3));
    CHECK(tconv::upsample_interleaved_applicable<std::uint16_t>("upsample_u16_fixed", d.kind, d.f, 3));
  }
  // Thirds, sinc values: not dyadic, the float path serves them.
  CHECK_FALSE(tconv::upsample_interleaved_applicable<std::uint8_t>("upsample_u8_fixed", Interpolation::kBilinear, {3, 3}, 3));
  CHECK_FALSE(tconv::upsample_interleaved_applicable<std::uint8_t>("upsample_u8_fixed", Interpolation::kLanczos3, {2, 2}, 3));
  // The float path: its best ISA on this CPU (upsample_u8_float_avx512, _avx2 or the portable one).
  CHECK_THAT(std::string(tconv::upsample_interleaved_impl<std::uint8_t>(Interpolation::kBilinear, {3, 3}, 3)),
             Catch::StartsWith("upsample_u8_float"));
  CHECK_THAT(std::string(tconv::upsample_interleaved_impl<std::uint8_t>(Interpolation::kLanczos3, {2, 2}, 3)),
             Catch::StartsWith("upsample_u8_float"));
  CHECK(tconv::upsample_interleaved_impl<std::uint16_t>(Interpolation::kBilinear, {2, 2}, 3) == "upsample_u16_fixed");
  CHECK_THAT(std::string(tconv::upsample_interleaved_impl<float>(Interpolation::kBilinear, {2, 2}, 3)),
             Catch::StartsWith("upsample_f32_float"));
  // The 16-bit SIMD kernels need non-negative weights: bicubic takes the portable integer kernels.
  CHECK(tconv::upsample_interleaved_impl<std::uint8_t>(Interpolation::kBicubic, {2, 2}, 3) == "upsample_u8_fixed");
  const std::string_view best = tconv::upsample_interleaved_impl<std::uint8_t>(Interpolation::kBilinear, {2, 2}, 3);
  INFO("bilinear x2 u8 runs " << best);
  CHECK(best.find("fixed") != std::string_view::npos);
  if (__builtin_cpu_supports("avx512bw")) CHECK(best == "upsample_u8_fixed_avx512");
  else if (__builtin_cpu_supports("avx2")) CHECK(best == "upsample_u8_fixed_avx2");
}

TEST_CASE("a forced impl must exist and apply", "[resample][params]") {
  const cv::Mat src = random_image<std::uint8_t>(4, 4, 3, 1);
  REQUIRE_THROWS_AS(fused<std::uint8_t>(src, tconv::Interpolation::kBilinear, {2, 2}, tconv::Border::kReplicate, 1,
                                        "upsample_u16_fixed"),
                    tconv::InvalidArgument);
  REQUIRE_THROWS_AS(fused<std::uint8_t>(src, tconv::Interpolation::kLanczos3, {2, 2}, tconv::Border::kReplicate, 1,
                                        "upsample_u8_fixed"),
                    tconv::InvalidArgument);
  REQUIRE_THROWS_AS(fused<std::uint8_t>(src, tconv::Interpolation::kBicubic, {2, 2}, tconv::Border::kReplicate, 1,
                                        "upsample_u8_fixed_avx2"),
                    tconv::InvalidArgument);
  REQUIRE_THROWS_AS((void)tconv::upsample_interleaved_impl<std::uint8_t>(tconv::Interpolation::kBilinear, {0, 2}, 3),
                    tconv::InvalidArgument);
}

TEST_CASE("fixed-point impls equal the exactly rounded result", "[resample][fixed]") {
  const auto border = GENERATE(tconv::Border::kZero, tconv::Border::kReplicate, tconv::Border::kReflect);
  const int c = GENERATE(1, 2, 3, 4);
  for (const DyadicCase& d : kDyadic)
    for (const cv::Size size : kSizes) {
      const std::uint32_t seed = static_cast<std::uint32_t>(size.width * 31 + size.height + c);
      const cv::Mat u8 = random_image<std::uint8_t>(size.height, size.width, c, seed);
      const cv::Mat u16 = random_image<std::uint16_t>(size.height, size.width, c, seed);
      const cv::Mat want8 = exact_oracle<std::uint8_t>(u8, d.kind, d.f, border);
      const cv::Mat want16 = exact_oracle<std::uint16_t>(u16, d.kind, d.f, border);
      INFO(tconv::to_string(d.kind) << " factor " << tconv::to_string(d.f) << " " << tconv::to_string(border)
                                    << " c" << c << " " << size.width << "x" << size.height << " seed " << seed);
      for (const std::string& impl : fixed_impls<std::uint8_t>(d.kind, d.f, c)) {
        INFO(impl);
        REQUIRE(cv::norm(fused<std::uint8_t>(u8, d.kind, d.f, border, 2, impl), want8, cv::NORM_INF) == 0.0);
      }
      for (const std::string& impl : fixed_impls<std::uint16_t>(d.kind, d.f, c)) {
        INFO(impl);
        REQUIRE(cv::norm(fused<std::uint16_t>(u16, d.kind, d.f, border, 2, impl), want16, cv::NORM_INF) == 0.0);
      }
    }
}

TEST_CASE("fixed-point impls tie to even", "[resample][fixed]") {
  // Bilinear x2 along x: output 2j is (3 in[j] + in[j - 1]) / 4 and 2j + 1 is
  // (3 in[j] + in[j + 1]) / 4; with 3a + b == 2 (mod 4) it lies halfway and
  // must go to the even neighbour.
  const cv::Mat src = random_image<std::uint8_t>(1, 200, 1, 17);
  for (const std::string& impl : fixed_impls<std::uint8_t>(tconv::Interpolation::kBilinear, {1, 2}, 1)) {
    INFO(impl);
    const cv::Mat out = fused<std::uint8_t>(src, tconv::Interpolation::kBilinear, {1, 2}, tconv::Border::kReplicate, 1, impl);
    int ties = 0;
    for (int o = 2; o + 2 < out.cols; ++o) {
      // Output o = 2 j + r: r == 0 takes 3/4 of j and 1/4 of j - 1, r == 1 3/4 of j and 1/4 of j + 1.
      const int j = o / 2;
      const int a = src.at<std::uint8_t>(0, j);
      const int b = src.at<std::uint8_t>(0, o % 2 == 0 ? j - 1 : j + 1);
      const int four = 3 * a + b;
      int want = four / 4;
      if (four % 4 == 3 || (four % 4 == 2 && want % 2 == 1)) ++want;
      ties += four % 4 == 2;
      REQUIRE(int(out.at<std::uint8_t>(0, o)) == want);
    }
    CHECK(ties > 5);
  }
}

TEST_CASE("replicate border keeps a constant image constant to the edge", "[resample][fixed]") {
  const int c = GENERATE(1, 3, 4);
  for (const DyadicCase& d : kDyadic)
    for (const cv::Size size : kSizes) {
      cv::Mat src(size.height, size.width, CV_MAKETYPE(CV_8U, c), cv::Scalar::all(201));
      for (const std::string& impl : fixed_impls<std::uint8_t>(d.kind, d.f, c)) {
        INFO(impl << " " << tconv::to_string(d.kind) << " factor " << tconv::to_string(d.f) << " c" << c << " "
                  << size.width << "x" << size.height);
        const cv::Mat out = fused<std::uint8_t>(src, d.kind, d.f, tconv::Border::kReplicate, 2, impl);
        REQUIRE(cv::norm(out, cv::Mat(out.size(), out.type(), cv::Scalar::all(201)), cv::NORM_INF) == 0.0);
      }
    }
}

TEST_CASE("fixed-point impls are bit-identical for any thread count", "[resample][fixed][threads]") {
  for (const cv::Size size : {cv::Size(1, 1), cv::Size(3, 2), cv::Size(70, 33), cv::Size(131, 57)}) {
    const cv::Mat src = random_image<std::uint8_t>(size.height, size.width, 3, 9);
    const cv::Mat src16 = random_image<std::uint16_t>(size.height, size.width, 3, 9);
    for (const DyadicCase& d : {kDyadic[3], kDyadic[4], kDyadic[9]}) {
      for (const std::string& impl : fixed_impls<std::uint8_t>(d.kind, d.f, 3)) {
        const cv::Mat one = fused<std::uint8_t>(src, d.kind, d.f, tconv::Border::kReflect, 1, impl);
        for (int threads : {2, 3, 7, 64}) {
          INFO(impl << " " << tconv::to_string(d.kind) << " " << size.width << "x" << size.height << " threads " << threads);
          REQUIRE(cv::norm(one, fused<std::uint8_t>(src, d.kind, d.f, tconv::Border::kReflect, threads, impl),
                           cv::NORM_INF) == 0.0);
        }
      }
      const cv::Mat one16 = fused<std::uint16_t>(src16, d.kind, d.f, tconv::Border::kReflect, 1, "upsample_u16_fixed");
      for (int threads : {2, 5}) {
        INFO("upsample_u16_fixed " << size.width << "x" << size.height << " threads " << threads);
        REQUIRE(cv::norm(one16, fused<std::uint16_t>(src16, d.kind, d.f, tconv::Border::kReflect, threads,
                                                     "upsample_u16_fixed"),
                         cv::NORM_INF) == 0.0);
      }
    }
  }
}

TEST_CASE("concurrent and repeated calls share the thread pool safely", "[resample][threads]") {
  // Several user threads call at once (one gets the pool, the others start
  // their own threads), each many times with varying thread counts.
  const cv::Mat src = random_image<std::uint8_t>(37, 61, 3, 21);
  const cv::Mat want = fused<std::uint8_t>(src, tconv::Interpolation::kBilinear, {2, 2}, tconv::Border::kReplicate, 1);
  const cv::Mat want_float = fused<std::uint8_t>(src, tconv::Interpolation::kLanczos3, {2, 2}, tconv::Border::kReplicate, 1);
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c)
    callers.emplace_back([&, c] {
      for (int r = 0; r < 40; ++r) {
        const int threads = 1 + (r + c) % 5;
        if (cv::norm(fused<std::uint8_t>(src, tconv::Interpolation::kBilinear, {2, 2}, tconv::Border::kReplicate, threads),
                     want, cv::NORM_INF) != 0.0)
          ++mismatches[static_cast<std::size_t>(c)];
        if (cv::norm(fused<std::uint8_t>(src, tconv::Interpolation::kLanczos3, {2, 2}, tconv::Border::kReplicate, threads),
                     want_float, cv::NORM_INF) != 0.0)
          ++mismatches[static_cast<std::size_t>(c)];
      }
    });
  for (auto& t : callers) t.join();
  for (int c = 0; c < 4; ++c) CHECK(mismatches[static_cast<std::size_t>(c)] == 0);
}

TEST_CASE("a child process after fork still runs on several threads", "[resample][threads]") {
  const cv::Mat src = random_image<std::uint8_t>(40, 50, 3, 4);
  const cv::Mat want = fused<std::uint8_t>(src, tconv::Interpolation::kBilinear, {2, 2}, tconv::Border::kReplicate, 2);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    alarm(20);  // a deadlock ends the child by SIGALRM instead of hanging the test
    const cv::Mat got = fused<std::uint8_t>(src, tconv::Interpolation::kBilinear, {2, 2}, tconv::Border::kReplicate, 2);
    _exit(cv::norm(got, want, cv::NORM_INF) == 0.0 ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

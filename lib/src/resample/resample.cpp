// Interleaved upsampling (see tconv/resample/resample.hpp): argument checks
// and the impl choice from the registry (impl/resample_impls.hpp); the
// algorithms are impl/upsample_fixed.cpp, impl/upsample_u8_fixed_<isa>.cpp
// and impl/upsample_float.cpp.
#include "tconv/resample/resample.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "impl/resample_impls.hpp"
#include "tconv/core/error.hpp"

namespace tconv {

namespace {

void check_kernel(Size2 factor, int channels) {
  if (factor.h < 1 || factor.w < 1 || factor.h > kMaxFactor || factor.w > kMaxFactor)
    throw InvalidArgument("upsample_interleaved factor " + to_string(factor) + ": factor must be in [1, " +
                          std::to_string(kMaxFactor) + "]");
  if (channels < 1)
    throw InvalidArgument("upsample_interleaved channels " + std::to_string(channels) + ": must be >= 1");
}

// The problem of a ratio per axis (each checked and reduced; InvalidArgument
// naming the axis otherwise).
detail::ResampleProblem ratio_problem(Interpolation kind, Ratio2 ratio, Border border, int channels) {
  Ratio h;
  Ratio w;
  try {
    h = reduced(ratio.h);
    w = reduced(ratio.w);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(std::string("upsample_interleaved ") + e.what());
  }
  if (channels < 1)
    throw InvalidArgument("upsample_interleaved channels " + std::to_string(channels) + ": must be >= 1");
  return {kind, {h.num, w.num}, border, channels, {h.den, w.den}};
}

template <typename T>
void run_problem(const detail::ResampleProblem& problem, InterleavedView<const T> src,
                 InterleavedView<T> dst, const ResampleOptions& options) {
  if (problem.border == Border::kNormalize)
    throw InvalidArgument("upsample_interleaved border normalize: not supported (use zero, "
                          "replicate or reflect, or the float path)");
  detail::check_resample_views(problem, src, dst);
  detail::choose_resample_impl<T>(problem, options.force_impl).run(problem, src, dst, options.threads);
}

template <typename T>
void upsample(Interpolation kind, Size2 factor, Border border, InterleavedView<const T> src,
              InterleavedView<T> dst, const ResampleOptions& options) {
  check_kernel(factor, src.channels);
  run_problem<T>({kind, factor, border, src.channels}, src, dst, options);
}

template <typename T>
bool is_impl_of(std::string_view name) noexcept {
  for (const auto& impl : detail::resample_impl_list<T>())
    if (impl.name == name) return true;
  return false;
}

}  // namespace

namespace detail {

bool is_resample_impl(std::string_view name) noexcept {
  return is_impl_of<std::uint8_t>(name) || is_impl_of<std::uint16_t>(name) || is_impl_of<float>(name);
}

template <typename T>
const ResampleImpl<T>& choose_resample_impl(const ResampleProblem& problem,
                                            std::string_view force_impl) {
  (void)ratio_problem(problem.kind, problem_ratio(problem), problem.border, problem.channels);
  for (const ResampleImpl<T>& impl : resample_impl_list<T>()) {
    if (!force_impl.empty() && impl.name != force_impl) continue;
    if (impl.applicable(problem)) return impl;
    if (!force_impl.empty())
      throw InvalidArgument("upsample_interleaved impl " + std::string(force_impl) +
                            ": does not apply to " + std::string(to_string(problem.kind)) + " x" +
                            to_string(problem_ratio(problem).h) + "," +
                            to_string(problem_ratio(problem).w) + " with " +
                            std::to_string(problem.channels) + " channels on this CPU");
  }
  throw InvalidArgument("upsample_interleaved impl " + std::string(force_impl) +
                        (is_resample_impl(force_impl) ? ": serves another sample type"
                               : ": unknown (see upsample_interleaved_impls)"));
}

template <typename T>
void check_resample_views(const ResampleProblem& problem, InterleavedView<const T> src,
                          InterleavedView<T> dst) {
  if (src.height < 1 || src.width < 1 || src.channels < 1 ||
      src.row_stride < std::ptrdiff_t{src.width} * src.channels)
    throw ShapeMismatch("upsample_interleaved input " + std::to_string(src.width) + "x" +
                        std::to_string(src.height) + "x" + std::to_string(src.channels) +
                        ": empty or inconsistent stride");
  const Ratio2 ratio = problem_ratio(problem);
  if (std::int64_t{dst.height} != resampled_length(src.height, ratio.h) ||
      std::int64_t{dst.width} != resampled_length(src.width, ratio.w) ||
      dst.channels != src.channels || dst.row_stride < std::ptrdiff_t{dst.width} * dst.channels)
    throw ShapeMismatch("upsample_interleaved output " + std::to_string(dst.width) + "x" +
                        std::to_string(dst.height) + "x" + std::to_string(dst.channels) +
                        ": expected the input times factor " + to_string(ratio.h) + "," +
                        to_string(ratio.w) + " (height, width)");
}

#define TCONV_INSTANTIATE_DETAIL(T)                                                          \
  template const ResampleImpl<T>& choose_resample_impl<T>(const ResampleProblem&,         \
                                                          std::string_view);              \
  template void check_resample_views<T>(const ResampleProblem&, InterleavedView<const T>,     \
                                       InterleavedView<T>);
TCONV_INSTANTIATE_DETAIL(std::uint8_t)
TCONV_INSTANTIATE_DETAIL(std::uint16_t)
TCONV_INSTANTIATE_DETAIL(float)
#undef TCONV_INSTANTIATE_DETAIL

}  // namespace detail

template <typename T>
std::vector<std::string_view> upsample_interleaved_impls() {
  std::vector<std::string_view> names;
  for (const auto& impl : detail::resample_impl_list<T>()) names.push_back(impl.name);
  return names;
}

template <typename T>
bool upsample_interleaved_applicable(std::string_view name, Interpolation kind, Size2 factor, int channels) {
  check_kernel(factor, channels);
  const detail::ResampleProblem problem{kind, factor, Border::kReplicate, channels};
  for (const auto& impl : detail::resample_impl_list<T>())
    if (impl.name == name) return impl.applicable(problem);
  return false;
}

template <typename T>
std::string_view upsample_interleaved_impl(Interpolation kind, Size2 factor, int channels,
                                           const ResampleOptions& options) {
  check_kernel(factor, channels);
  return detail::choose_resample_impl<T>({kind, factor, Border::kReplicate, channels},
                                         options.force_impl)
      .name;
}

#define TCONV_INSTANTIATE(T)                                                                        \
  template std::vector<std::string_view> upsample_interleaved_impls<T>();                           \
  template bool upsample_interleaved_applicable<T>(std::string_view, Interpolation, Size2, int);    \
  template std::string_view upsample_interleaved_impl<T>(Interpolation, Size2, int, const ResampleOptions&);
TCONV_INSTANTIATE(std::uint8_t)
TCONV_INSTANTIATE(std::uint16_t)
TCONV_INSTANTIATE(float)
#undef TCONV_INSTANTIATE

void upsample_interleaved(Interpolation kind, Size2 factor, Border border,
                          InterleavedView<const std::uint8_t> src, InterleavedView<std::uint8_t> dst,
                          int threads) {
  upsample(kind, factor, border, src, dst, ResampleOptions{threads, {}});
}

void upsample_interleaved(Interpolation kind, Size2 factor, Border border,
                          InterleavedView<const std::uint16_t> src,
                          InterleavedView<std::uint16_t> dst, int threads) {
  upsample(kind, factor, border, src, dst, ResampleOptions{threads, {}});
}

void upsample_interleaved(Interpolation kind, Size2 factor, Border border,
                          InterleavedView<const float> src, InterleavedView<float> dst,
                          int threads) {
  upsample(kind, factor, border, src, dst, ResampleOptions{threads, {}});
}

void upsample_interleaved(Interpolation kind, Size2 factor, Border border,
                          InterleavedView<const std::uint8_t> src, InterleavedView<std::uint8_t> dst,
                          const ResampleOptions& options) {
  upsample(kind, factor, border, src, dst, options);
}

void upsample_interleaved(Interpolation kind, Size2 factor, Border border,
                          InterleavedView<const std::uint16_t> src,
                          InterleavedView<std::uint16_t> dst, const ResampleOptions& options) {
  upsample(kind, factor, border, src, dst, options);
}

void upsample_interleaved(Interpolation kind, Size2 factor, Border border,
                          InterleavedView<const float> src, InterleavedView<float> dst,
                          const ResampleOptions& options) {
  upsample(kind, factor, border, src, dst, options);
}

void resample_interleaved(Interpolation kind, Ratio2 ratio, Border border,
                          InterleavedView<const std::uint8_t> src, InterleavedView<std::uint8_t> dst,
                          const ResampleOptions& options) {
  run_problem(ratio_problem(kind, ratio, border, src.channels), src, dst, options);
}

void resample_interleaved(Interpolation kind, Ratio2 ratio, Border border,
                          InterleavedView<const std::uint16_t> src,
                          InterleavedView<std::uint16_t> dst, const ResampleOptions& options) {
  run_problem(ratio_problem(kind, ratio, border, src.channels), src, dst, options);
}

void resample_interleaved(Interpolation kind, Ratio2 ratio, Border border,
                          InterleavedView<const float> src, InterleavedView<float> dst,
                          const ResampleOptions& options) {
  run_problem(ratio_problem(kind, ratio, border, src.channels), src, dst, options);
}

}  // namespace tconv

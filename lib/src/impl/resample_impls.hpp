// Internal: the interleaved upsampling family (tconv/resample/resample.hpp)
// in the registry shape of the convolutions (plan.hpp, registry.cpp): per
// sample type an ordered list of {name, applicable, run}, best first, the
// portable float path last and always applicable.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "tconv/resample/border.hpp"
#include "tconv/resample/factories.hpp"
#include "tconv/resample/resample.hpp"

namespace tconv::detail {

/// An interleaved upsampling with everything but the image known: the
/// factor factor / den per axis. The caller checked it (each axis a
/// reduced() Ratio; den 1 and factor in [1, kMaxFactor] for the layer
/// factors; channels >= 1; border kNormalize only from the planar path of
/// ImageUpsampler, which only the float path serves) and the views (dst
/// exactly resampled_length() of src per axis, same channels).
struct ResampleProblem {
  Interpolation kind{};
  Size2 factor{1, 1};
  Border border = Border::kReplicate;
  int channels = 1;
  Size2 den{1, 1};
};

/// Upsamples src into dst on `threads` threads (0: all cores); every output
/// row is computed by one thread, so the result does not depend on it.
template <typename T>
using ResampleRunFn = void (*)(const ResampleProblem& problem, InterleavedView<const T> src,
                               InterleavedView<T> dst, int threads);

/// One registered interleaved impl for samples of type T.
template <typename T>
struct ResampleImpl {
  std::string_view name;  ///< upsample_<type>_<algo>[_<isa>]
  bool (*applicable)(const ResampleProblem& problem) noexcept;  ///< Problem and CPU.
  ResampleRunFn<T> run;
};

/// The impls for T (std::uint8_t, std::uint16_t, float), best first; the
/// float path is last and always applicable.
template <typename T>
[[nodiscard]] std::span<const ResampleImpl<T>> resample_impl_list() noexcept;

/// Whether `name` is an interleaved impl of any sample type.
[[nodiscard]] bool is_resample_impl(std::string_view name) noexcept;

/// The impl for `problem` (factor and channels checked here): the first
/// applicable of resample_impl_list<T>(), or the one `force_impl` names.
/// Throws InvalidArgument for a bad factor or channel count, and for a
/// forced impl that does not apply, serves another sample type or is
/// unknown. The one choice, for upsample_interleaved() and ImageUpsampler.
template <typename T>
[[nodiscard]] const ResampleImpl<T>& choose_resample_impl(const ResampleProblem& problem,
                                                          std::string_view force_impl);

/// Throws ShapeMismatch unless `src` is non-empty with a consistent stride
/// and `dst` is exactly resampled_length() of it by the problem's ratio per
/// axis, with the same channels.
template <typename T>
void check_resample_views(const ResampleProblem& problem, InterleavedView<const T> src,
                          InterleavedView<T> dst);

/// The problem's factor per axis as Ratios.
[[nodiscard]] inline Ratio2 problem_ratio(const ResampleProblem& p) noexcept {
  return {{p.factor.h, p.den.h}, {p.factor.w, p.den.w}};
}

// The run functions, named as their impls.
void upsample_u8_fixed_avx512(const ResampleProblem&, InterleavedView<const std::uint8_t>,
                              InterleavedView<std::uint8_t>, int threads);
void upsample_u8_fixed_avx2(const ResampleProblem&, InterleavedView<const std::uint8_t>,
                            InterleavedView<std::uint8_t>, int threads);
void upsample_u8_fixed(const ResampleProblem&, InterleavedView<const std::uint8_t>,
                       InterleavedView<std::uint8_t>, int threads);
void upsample_u16_fixed(const ResampleProblem&, InterleavedView<const std::uint16_t>,
                        InterleavedView<std::uint16_t>, int threads);
void upsample_u8_float(const ResampleProblem&, InterleavedView<const std::uint8_t>,
                       InterleavedView<std::uint8_t>, int threads);
void upsample_u16_float(const ResampleProblem&, InterleavedView<const std::uint16_t>,
                        InterleavedView<std::uint16_t>, int threads);
void upsample_f32_float(const ResampleProblem&, InterleavedView<const float>,
                        InterleavedView<float>, int threads);
void upsample_u8_float_avx2(const ResampleProblem&, InterleavedView<const std::uint8_t>,
                            InterleavedView<std::uint8_t>, int threads);
void upsample_u16_float_avx2(const ResampleProblem&, InterleavedView<const std::uint16_t>,
                             InterleavedView<std::uint16_t>, int threads);
void upsample_f32_float_avx2(const ResampleProblem&, InterleavedView<const float>,
                             InterleavedView<float>, int threads);
void upsample_u8_float_avx512(const ResampleProblem&, InterleavedView<const std::uint8_t>,
                              InterleavedView<std::uint8_t>, int threads);
void upsample_u16_float_avx512(const ResampleProblem&, InterleavedView<const std::uint16_t>,
                               InterleavedView<std::uint16_t>, int threads);
void upsample_f32_float_avx512(const ResampleProblem&, InterleavedView<const float>,
                               InterleavedView<float>, int threads);

}  // namespace tconv::detail

// Implementation registry: an ordered list per op, as in oneDNN's
// cpu_deconvolution_list.cpp. Planning walks it and takes the first impl
// whose predicate accepts the problem; the reference closes each list.
#include "impl/impls.hpp"

namespace tconv::detail {

namespace {

bool always(const ConvParams&) noexcept { return true; }

constexpr Impl kTConv2dImpls[] = {
    // Best first; optimized impls go above the reference.
    {"tconv2d_f32_ref", &always, &tconv2d_f32_ref},  // must stay last
};

constexpr Impl kConv2dImpls[] = {
    {"conv2d_f32_ref", &always, &conv2d_f32_ref},  // must stay last
};

}  // namespace

std::span<const Impl> impl_list(ConvKind kind) noexcept {
  if (kind == ConvKind::kConvTranspose2d) return kTConv2dImpls;
  return kConv2dImpls;
}

}  // namespace tconv::detail

// The public planned ops: thin wrappers over detail::Plan.
#include <utility>

#include "core/plan.hpp"
#include "tconv/core/conv2d.hpp"
#include "tconv/core/conv_transpose2d.hpp"

namespace tconv {

namespace {
std::vector<std::string> names_of(ConvKind kind) {
  std::vector<std::string> names;
  for (const detail::Impl& impl : detail::impl_list(kind)) names.emplace_back(impl.name);
  return names;
}
}  // namespace

// --- ConvTranspose2d --------------------------------------------------------

ConvTranspose2d ConvTranspose2d::create(const ConvParams& params, Weights weights,
                                        const OpOptions& options) {
  return ConvTranspose2d(std::make_unique<detail::Plan>(detail::make_plan(
      ConvKind::kConvTranspose2d, params, std::move(weights), options)));
}
ConvTranspose2d::ConvTranspose2d(std::unique_ptr<detail::Plan> plan) noexcept
    : plan_(std::move(plan)) {}
ConvTranspose2d::ConvTranspose2d(ConvTranspose2d&&) noexcept = default;
ConvTranspose2d& ConvTranspose2d::operator=(ConvTranspose2d&&) noexcept = default;
ConvTranspose2d::~ConvTranspose2d() = default;

const ConvParams& ConvTranspose2d::params() const noexcept { return plan_->params; }
const Weights& ConvTranspose2d::weights() const noexcept { return plan_->weights; }
const OpOptions& ConvTranspose2d::options() const noexcept { return plan_->options; }
std::string_view ConvTranspose2d::impl_name() const noexcept { return plan_->impl->name; }
Shape3 ConvTranspose2d::output_shape(const Shape3& src) const {
  return plan_->params.output_shape(ConvKind::kConvTranspose2d, src);
}
std::int64_t ConvTranspose2d::scratch_bytes(const Shape3& src, int threads) const {
  return detail::scratch_bytes(*plan_, src, threads);
}
Tensor ConvTranspose2d::run(ConstTensorView src, int threads) const {
  return detail::run_plan(*plan_, src, threads);
}
void ConvTranspose2d::run(ConstTensorView src, TensorView dst, int threads) const {
  detail::run_plan(*plan_, src, dst, threads);
}
void ConvTranspose2d::run_batch(ConstBatchView src, BatchView dst, int threads) const {
  detail::run_plan_batch(*plan_, src, dst, threads);
}
std::int64_t ConvTranspose2d::batch_scratch_bytes(const Shape3& item, std::int64_t count,
                                         int threads) const {
  return detail::batch_scratch_bytes(*plan_, item, count, threads);
}

Tensor conv_transpose2d(ConstTensorView src, const ConvParams& params, Weights weights) {
  return ConvTranspose2d::create(params, std::move(weights)).run(src);
}

std::vector<std::string> conv_transpose2d_impl_names() {
  return names_of(ConvKind::kConvTranspose2d);
}

bool conv_transpose2d_impl_applicable(std::string_view name, const ConvParams& params) {
  for (const detail::Impl& impl : detail::impl_list(ConvKind::kConvTranspose2d))
    if (impl.name == name) return impl.applicable(params);
  return false;
}

// --- Conv2d -----------------------------------------------------------------

Conv2d Conv2d::create(const ConvParams& params, Weights weights, const OpOptions& options) {
  return Conv2d(std::make_unique<detail::Plan>(
      detail::make_plan(ConvKind::kConv2d, params, std::move(weights), options)));
}
Conv2d::Conv2d(std::unique_ptr<detail::Plan> plan) noexcept : plan_(std::move(plan)) {}
Conv2d::Conv2d(Conv2d&&) noexcept = default;
Conv2d& Conv2d::operator=(Conv2d&&) noexcept = default;
Conv2d::~Conv2d() = default;

const ConvParams& Conv2d::params() const noexcept { return plan_->params; }
const Weights& Conv2d::weights() const noexcept { return plan_->weights; }
std::string_view Conv2d::impl_name() const noexcept { return plan_->impl->name; }
Shape3 Conv2d::output_shape(const Shape3& src) const {
  return plan_->params.output_shape(ConvKind::kConv2d, src);
}
std::int64_t Conv2d::scratch_bytes(const Shape3& src, int threads) const {
  return detail::scratch_bytes(*plan_, src, threads);
}
Tensor Conv2d::run(ConstTensorView src, int threads) const {
  return detail::run_plan(*plan_, src, threads);
}
void Conv2d::run(ConstTensorView src, TensorView dst, int threads) const {
  detail::run_plan(*plan_, src, dst, threads);
}
void Conv2d::run_batch(ConstBatchView src, BatchView dst, int threads) const {
  detail::run_plan_batch(*plan_, src, dst, threads);
}
std::int64_t Conv2d::batch_scratch_bytes(const Shape3& item, std::int64_t count,
                                         int threads) const {
  return detail::batch_scratch_bytes(*plan_, item, count, threads);
}

Tensor conv2d(ConstTensorView src, const ConvParams& params, Weights weights) {
  return Conv2d::create(params, std::move(weights)).run(src);
}

std::vector<std::string> conv2d_impl_names() { return names_of(ConvKind::kConv2d); }

bool conv2d_impl_applicable(std::string_view name, const ConvParams& params) {
  for (const detail::Impl& impl : detail::impl_list(ConvKind::kConv2d))
    if (impl.name == name) return impl.applicable(params);
  return false;
}

}  // namespace tconv

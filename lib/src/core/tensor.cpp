// Tensor storage and shape formatting.
#include "tconv/core/tensor.hpp"

#include <utility>

#include "tconv/core/error.hpp"

namespace tconv {

std::string to_string(const Shape3& s) {
  return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
}

std::string to_string(const Size2& s) { return std::to_string(s.h) + "x" + std::to_string(s.w); }

std::string to_string(const Shape4& s) {
  return std::to_string(s.n) + "x" + std::to_string(s.c) + "x" + std::to_string(s.h) + "x" +
         std::to_string(s.w);
}

namespace {
void check_allocatable(const Shape3& shape) {
  if (shape.c < 0 || shape.h < 0 || shape.w < 0)
    throw InvalidArgument("tensor shape " + to_string(shape) + ": dimensions must be >= 0");
  if (shape.elements() > Tensor::kMaxElements)
    throw LimitExceeded("tensor shape " + to_string(shape) + ": more than 2^31 elements");
}
}  // namespace

Tensor::Tensor(Shape3 shape) : shape_(shape) {
  check_allocatable(shape);
  values_.assign(static_cast<std::size_t>(shape.elements()), 0.0f);
}

Tensor::Tensor(Shape3 shape, std::vector<float> values) : shape_(shape) {
  check_allocatable(shape);
  if (values.size() != static_cast<std::size_t>(shape.elements()))
    throw ShapeMismatch("tensor shape " + to_string(shape) + ": expected " +
                        std::to_string(shape.elements()) + " values, got " +
                        std::to_string(values.size()));
  values_ = std::move(values);
}

Tensor Tensor::clone() const { return Tensor(shape_, values_); }

std::vector<float> Tensor::release() && noexcept {
  shape_ = {};
  return std::move(values_);
}

}  // namespace tconv

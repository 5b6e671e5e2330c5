// tconv/core/tensor.hpp - planar float32 images and feature maps.
//
// A Tensor holds C x H x W float32 values in planar (CHW) order: element
// (c, y, x) is at flat index (c * H + y) * W + x. A batch (N x C x H x W) is
// N items of one shape stored back to back: item b starts at b * C * H * W.
// Tensors own their memory and are move-only; copies are explicit (clone()).
// Implementations take non-owning views.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tconv {

/// A pair of per-axis integers, {h, w}: kernel size, stride, padding, ...
struct Size2 {
  int h = 0;  ///< Vertical (rows).
  int w = 0;  ///< Horizontal (columns).
  friend bool operator==(const Size2&, const Size2&) = default;
};

/// The shape of a planar tensor: channels, rows, columns, each >= 0.
struct Shape3 {
  int c = 0;
  int h = 0;
  int w = 0;
  /// c * h * w, computed in 64 bits (never overflows for int dimensions).
  [[nodiscard]] std::int64_t elements() const noexcept {
    return std::int64_t{c} * std::int64_t{h} * std::int64_t{w};
  }
  friend bool operator==(const Shape3&, const Shape3&) = default;
};

/// "3x64x48" (c x h x w), for messages.
[[nodiscard]] std::string to_string(const Shape3& s);
/// "2x3" (h x w), for messages.
[[nodiscard]] std::string to_string(const Size2& s);

/// Non-owning read-only view of planar CHW data; data holds shape.elements() floats.
struct ConstTensorView {
  const float* data = nullptr;
  Shape3 shape{};
  [[nodiscard]] std::span<const float> span() const noexcept {
    return {data, static_cast<std::size_t>(shape.elements())};
  }
  /// Pointer to row y of channel c.
  [[nodiscard]] const float* row(int c, int y) const noexcept {
    return data + (static_cast<std::ptrdiff_t>(c) * shape.h + y) * shape.w;
  }
};

/// Non-owning writable view of planar CHW data.
struct TensorView {
  float* data = nullptr;
  Shape3 shape{};
  [[nodiscard]] std::span<float> span() const noexcept {
    return {data, static_cast<std::size_t>(shape.elements())};
  }
  [[nodiscard]] float* row(int c, int y) const noexcept {
    return data + (static_cast<std::ptrdiff_t>(c) * shape.h + y) * shape.w;
  }
  operator ConstTensorView() const noexcept { return {data, shape}; }  // NOLINT: view widening
};

/// Non-owning read-only view of a batch: `count` items of shape `item`
/// stored back to back in C order (N x C x H x W, as PyTorch's NCHW).
struct ConstBatchView {
  const float* data = nullptr;
  std::int64_t count = 0;
  Shape3 item{};
  /// count * item.elements() (the caller keeps it below 2^63).
  [[nodiscard]] std::int64_t elements() const noexcept { return count * item.elements(); }
  [[nodiscard]] std::span<const float> span() const noexcept {
    return {data, static_cast<std::size_t>(elements())};
  }
  /// Item b, 0 <= b < count.
  [[nodiscard]] ConstTensorView at(std::int64_t b) const noexcept {
    return {data + b * item.elements(), item};
  }
};

/// Non-owning writable view of a batch (see ConstBatchView).
struct BatchView {
  float* data = nullptr;
  std::int64_t count = 0;
  Shape3 item{};
  [[nodiscard]] std::int64_t elements() const noexcept { return count * item.elements(); }
  [[nodiscard]] std::span<float> span() const noexcept {
    return {data, static_cast<std::size_t>(elements())};
  }
  [[nodiscard]] TensorView at(std::int64_t b) const noexcept {
    return {data + b * item.elements(), item};
  }
  operator ConstBatchView() const noexcept { return {data, count, item}; }  // NOLINT: view widening
};

/// Owning planar float32 tensor, zero-initialised. Move-only.
class Tensor {
 public:
  Tensor() = default;
  /// Allocates shape.elements() zeros. Throws InvalidArgument on a negative
  /// dimension and LimitExceeded above kMaxElements.
  explicit Tensor(Shape3 shape);
  /// Takes ownership of `values`; throws ShapeMismatch unless
  /// values.size() == shape.elements().
  Tensor(Shape3 shape, std::vector<float> values);

  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;

  /// Largest element count a Tensor may hold: 2^31 floats (8 GiB).
  static constexpr std::int64_t kMaxElements = std::int64_t{1} << 31;

  /// An independent copy.
  [[nodiscard]] Tensor clone() const;

  [[nodiscard]] const Shape3& shape() const noexcept { return shape_; }
  [[nodiscard]] float* data() noexcept { return values_.data(); }
  [[nodiscard]] const float* data() const noexcept { return values_.data(); }
  [[nodiscard]] std::span<float> span() noexcept { return values_; }
  [[nodiscard]] std::span<const float> span() const noexcept { return values_; }
  /// Element (c, y, x); no bounds check.
  [[nodiscard]] float& at(int c, int y, int x) noexcept {
    return values_[(static_cast<std::size_t>(c) * shape_.h + y) * shape_.w + x];
  }
  [[nodiscard]] float at(int c, int y, int x) const noexcept {
    return values_[(static_cast<std::size_t>(c) * shape_.h + y) * shape_.w + x];
  }
  [[nodiscard]] TensorView view() noexcept { return {values_.data(), shape_}; }
  [[nodiscard]] ConstTensorView view() const noexcept { return {values_.data(), shape_}; }
  /// Releases the storage (for handing values to a writer without a copy).
  [[nodiscard]] std::vector<float> release() && noexcept;

 private:
  Shape3 shape_{};
  std::vector<float> values_;
};

/// The shape of a weight array: {n, c, kh, kw}. For conv_transpose2d
/// n = in_channels and c = out_channels / groups; for conv2d n = out_channels
/// and c = in_channels / groups (the layouts of PyTorch's .weight).
struct Shape4 {
  int n = 0;
  int c = 0;
  int h = 0;
  int w = 0;
  [[nodiscard]] std::int64_t elements() const noexcept {
    return std::int64_t{n} * c * h * w;
  }
  friend bool operator==(const Shape4&, const Shape4&) = default;
};

/// "64x32x4x4", for messages.
[[nodiscard]] std::string to_string(const Shape4& s);

/// Weights and optional bias of one layer. Values are in C order of `shape`;
/// `bias` is empty or holds one value per output channel.
struct Weights {
  Shape4 shape{};
  std::vector<float> values;
  std::vector<float> bias;
};

}  // namespace tconv

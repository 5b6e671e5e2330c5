// Memory for one large image straight from the kernel: no zero-filling
// pass (the kernel's pages are zero already), and huge pages where the
// kernel offers them, so a 4K output takes a dozen page faults instead of
// six thousand.
#pragma once

#include <cstddef>

namespace tconv::app {

/// A zero-filled, page-aligned buffer of `size()` bytes (anonymous mmap).
/// From 2 MiB on it is asked for transparent huge pages (madvise
/// MADV_HUGEPAGE; ignored where the kernel has none). Move-only.
class PageBuffer {
 public:
  PageBuffer() = default;
  /// Maps `bytes` bytes (0 maps nothing). Throws std::bad_alloc when the
  /// kernel refuses.
  explicit PageBuffer(std::size_t bytes);
  PageBuffer(PageBuffer&& other) noexcept;
  PageBuffer& operator=(PageBuffer&& other) noexcept;
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;
  ~PageBuffer();

  [[nodiscard]] unsigned char* data() noexcept { return data_; }
  [[nodiscard]] const unsigned char* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace tconv::app

// Internal: the one place that starts threads.
#pragma once

#include <system_error>
#include <thread>
#include <vector>

namespace tconv::detail {

/// Threads to use for `requested` (0: all cores), at least 1 and at most `work`.
inline int thread_count(int requested, long long work) {
  long long n = requested > 0 ? requested : static_cast<long long>(std::thread::hardware_concurrency());
  if (n > work) n = work;
  return n < 1 ? 1 : static_cast<int>(n);
}

/// Runs fn(0) .. fn(count - 1) at the same time: fn(0) on the calling thread,
/// the others on new threads. An index whose thread cannot be started runs on
/// the calling thread instead, so the work always completes. Returns when all
/// have finished. fn must not throw.
template <typename Fn>
void parallel_for(int count, const Fn& fn) {
  std::vector<std::thread> workers;
  std::vector<int> inline_indices;
  for (int t = 1; t < count; ++t) {
    try {
      workers.emplace_back(fn, t);
    } catch (const std::system_error&) {
      inline_indices.push_back(t);
    }
  }
  fn(0);
  for (int t : inline_indices) fn(t);
  for (auto& w : workers) w.join();
}

}  // namespace tconv::detail

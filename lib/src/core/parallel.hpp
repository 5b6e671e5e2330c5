// Internal: the one place that runs work on several threads.
//
// parallel_for(count, fn) runs fn(0) on the calling thread and fn(1) ..
// fn(count - 1) on the workers of a persistent pool, which start on first
// use, grow to the largest count asked for and wait on a condition variable
// between calls (starting threads on every call cost 30-40 us per call). The
// split of work into indices is the caller's, so results never depend on
// which thread ran an index. One caller uses the pool at a time; a second
// caller at the same moment (another user thread, or a nested call from
// inside fn) starts its own threads as before instead of waiting, and so
// does a child process after fork() (the pool's threads are not copied).
// The pool is never destroyed (its threads end with the process), so a
// parallel_for() from another object's destructor at exit stays safe.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#if defined(__unix__)
#include <unistd.h>
#endif

namespace tconv::detail {

/// Threads to use for `requested` (0: all cores), at least 1 and at most `work`.
inline int thread_count(int requested, long long work) {
  long long n = requested > 0 ? requested : static_cast<long long>(std::thread::hardware_concurrency());
  if (n > work) n = work;
  return n < 1 ? 1 : static_cast<int>(n);
}

/// Runs fn(0) .. fn(count - 1) on new threads, fn(0) on the calling thread.
/// An index whose thread cannot be started runs on the calling thread
/// instead, so the work always completes. fn must not throw.
template <typename Fn>
void parallel_for_spawn(int count, const Fn& fn) {
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

/// The persistent workers behind parallel_for().
class ThreadPool {
 public:
  static ThreadPool& instance() {
    static ThreadPool* pool = new ThreadPool;  // never deleted, see above
    return *pool;
  }

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Runs fn(0) .. fn(count - 1), fn(0) on the calling thread; returns when
  /// all have finished. Falls back to parallel_for_spawn() when the pool is
  /// busy. fn must not throw.
  template <typename Fn>
  void run(int count, const Fn& fn) {
#if defined(__unix__)
    if (getpid() != owner_pid_) return parallel_for_spawn(count, fn);
#endif
    if (busy_.exchange(true, std::memory_order_acquire)) return parallel_for_spawn(count, fn);
    struct Release {
      std::atomic<bool>& flag;
      ~Release() { flag.store(false, std::memory_order_release); }
    } release{busy_};
    const int helpers = grow(count - 1);  // workers 0 .. helpers - 1 take indices 1 .. helpers
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = [](const void* f, int t) { (*static_cast<const Fn*>(f))(t); };
      job_fn_ = &fn;
      job_helpers_ = helpers;
      pending_ = helpers;
      ++generation_;
    }
    wake_.notify_all();
    fn(0);
    for (int t = helpers + 1; t < count; ++t) fn(t);  // workers that could not be started
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
    job_fn_ = nullptr;
  }

 private:
  ThreadPool() = default;

  // Starts workers until there are `wanted` (or starting fails); returns how many exist.
  int grow(int wanted) {
    while (static_cast<int>(workers_.size()) < wanted) {
      try {
        const int index = static_cast<int>(workers_.size());
        workers_.emplace_back([this, index] { work(index); });
      } catch (const std::system_error&) {
        break;
      }
    }
    return std::min(wanted, static_cast<int>(workers_.size()));
  }

  // Worker `index` runs fn(index + 1) of every job with more than `index` helpers.
  void work(int index) {
    std::uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      if (index >= job_helpers_) continue;
      void (*job)(const void*, int) = job_;
      const void* fn = job_fn_;
      lock.unlock();
      job(fn, index + 1);
      lock.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::atomic<bool> busy_{false};  // set while a caller's job runs on the pool
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::vector<std::thread> workers_;
  void (*job_)(const void*, int) = nullptr;
  const void* job_fn_ = nullptr;
  int job_helpers_ = 0;
  int pending_ = 0;
  std::uint64_t generation_ = 0;
#if defined(__unix__)
  const pid_t owner_pid_ = getpid();
#endif
};

/// How many times parallel_for() has handed work to other threads in this
/// process. Tests read it to check that a batch is split over the threads
/// as a whole rather than one hand-off per item.
inline std::atomic<std::uint64_t>& handoff_count() noexcept {
  static std::atomic<std::uint64_t> count{0};
  return count;
}

/// Runs fn(0) .. fn(count - 1) at the same time: fn(0) on the calling thread,
/// the others on the persistent pool's workers. Returns when all have
/// finished. fn must not throw.
template <typename Fn>
void parallel_for(int count, const Fn& fn) {
  if (count <= 1) {
    if (count == 1) fn(0);
    return;
  }
  handoff_count().fetch_add(1, std::memory_order_relaxed);
  ThreadPool::instance().run(count, fn);
}

}  // namespace tconv::detail

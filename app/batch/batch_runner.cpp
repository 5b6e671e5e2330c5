// The batch runner (see batch_runner.hpp). Workers take the next item index
// from one atomic counter, so any number of jobs processes every item exactly
// once; results are stored by index, so the report's order never depends on
// timing.
#include "batch/batch_runner.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <new>
#include <nlohmann/json.hpp>
#include <system_error>
#include <thread>

#include "batch/file_io.hpp"
#include "cli/exit_codes.hpp"
#include "cli/interrupt.hpp"
#include "cli/logging.hpp"
#include "report/run_report.hpp"
#include "tconv/core/error.hpp"

namespace tconv::app {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(std::llround(seconds));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  return buf;
}

// Progress display; every call is made under the runner's mutex.
class Progress {
 public:
  Progress(ProgressMode mode, std::size_t total, Clock::time_point start)
      : mode_(mode), total_(total), start_(start) {
    if (mode_ == ProgressMode::kAuto)
      mode_ = ::isatty(STDERR_FILENO) && total > 1 ? ProgressMode::kBar : ProgressMode::kNone;
    if (mode_ == ProgressMode::kBar) set_status_line(bar());
  }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress() {
    if (mode_ == ProgressMode::kBar) set_status_line("");
  }

  void finished(std::size_t index, const BatchItem& item, const ItemResult& r) {
    ++finished_;
    if (mode_ == ProgressMode::kBar) {
      set_status_line(bar());
    } else if (mode_ == ProgressMode::kJson) {
      nlohmann::json j{{"index", index},
                       {"input", display_name(item.input)},
                       {"output", item.output},
                       {"status", to_string(r.status)},
                       {"seconds", r.seconds},
                       {"finished", finished_},
                       {"total", total_}};
      if (!r.reason.empty()) j["reason"] = r.reason;
      print_stderr_line(json_text(j));
    }
  }

 private:
  // "[#########---------------] 12/40  3.1 files/s  ETA 0:09"
  [[nodiscard]] std::string bar() const {
    constexpr std::size_t kWidth = 24;
    const std::size_t filled = total_ ? finished_ * kWidth / total_ : kWidth;
    std::string text = "[" + std::string(filled, '#') + std::string(kWidth - filled, '-') + "] " +
                       std::to_string(finished_) + "/" + std::to_string(total_);
    const double elapsed = seconds_since(start_);
    if (finished_ > 0 && elapsed > 0) {
      const double rate = static_cast<double>(finished_) / elapsed;
      char buf[64];
      std::snprintf(buf, sizeof buf, "  %.1f files/s  ETA %s", rate,
                    clock_text(static_cast<double>(total_ - finished_) / rate).c_str());
      text += buf;
    }
    return text;
  }

  ProgressMode mode_;
  std::size_t total_;
  std::size_t finished_ = 0;
  Clock::time_point start_;
};

ItemResult failure(std::string reason, bool usage) {
  ItemResult r;
  r.status = ItemStatus::kFailed;
  r.reason = std::move(reason);
  r.usage = usage;
  return r;
}

// Runs one item, turning every exception into a failure with its reason.
ItemResult run_one(const ItemFunction& work, const BatchItem& item) {
  try {
    return work(item);
  } catch (const std::bad_alloc&) {
    return failure("out of memory", false);
  } catch (const std::exception& e) {
    return failure(e.what(), exit_code_of(e) == kExitUsage);
  }
}

}  // namespace

std::string failure_line(const BatchItem& item, const std::string& reason) {
  const std::string name = display_name(item.input);
  if (reason.rfind(name + ":", 0) == 0) return reason;
  return name + ": " + reason;
}

const char* to_string(ItemStatus status) noexcept {
  switch (status) {
    case ItemStatus::kDone: return "done";
    case ItemStatus::kSkipped: return "skipped";
    case ItemStatus::kFailed: return "failed";
    case ItemStatus::kNotRun: return "not run";
  }
  return "?";
}

ProgressMode parse_progress(const std::string& text) {
  if (text == "auto") return ProgressMode::kAuto;
  if (text == "bar") return ProgressMode::kBar;
  if (text == "json") return ProgressMode::kJson;
  if (text == "none") return ProgressMode::kNone;
  throw UsageError("--progress " + text + ": expected auto, bar, json or none");
}

BatchSummary run_batch(const std::vector<BatchItem>& items, const ItemFunction& work,
                       const RunnerOptions& options, std::vector<ItemResult>& results) {
  const auto start = Clock::now();
  results.assign(items.size(), ItemResult{});
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  Progress progress(options.progress, items.size(), start);
  const CooperativeScope signals_stop_the_batch;

  auto worker = [&] {
    while (!stop.load() && interrupt_signal() == 0) {
      const std::size_t i = next.fetch_add(1);
      if (i >= items.size()) return;
      const auto started = Clock::now();
      ItemResult r;
      if (!items[i].skip.empty()) {
        r.status = ItemStatus::kSkipped;
        r.reason = items[i].skip;
        spdlog::debug("{}: skipped: {}", display_name(items[i].input), r.reason);
      } else {
        r = run_one(work, items[i]);
      }
      r.seconds = seconds_since(started);
      if (r.status == ItemStatus::kFailed) {
        spdlog::error("{}", failure_line(items[i], r.reason));
        if (options.fail_fast) stop.store(true);
      }
      std::lock_guard lock(mutex);
      results[i] = r;
      progress.finished(i, items[i], r);
    }
  };
  const std::size_t jobs =
      std::min<std::size_t>(static_cast<std::size_t>(std::max(options.jobs, 1)), items.size());
  if (jobs <= 1) {
    worker();
  } else {
    // The calling thread is one of the workers; a system that refuses more
    // threads (a process limit) gets a smaller batch, not a failed one.
    std::vector<std::jthread> pool;
    pool.reserve(jobs - 1);
    try {
      for (std::size_t j = 1; j < jobs; ++j) pool.emplace_back(worker);
    } catch (const std::system_error& e) {
      spdlog::warn("started {} of {} jobs ({}); going on with those", pool.size() + 1, jobs,
                   e.what());
    }
    worker();
  }

  BatchSummary s;
  s.interrupted_by = interrupt_signal();
  s.failed_on_usage = true;
  for (ItemResult& r : results) {
    switch (r.status) {
      case ItemStatus::kDone: ++s.done; break;
      case ItemStatus::kSkipped: ++s.skipped; break;
      case ItemStatus::kFailed:
        ++s.failed;
        s.failed_on_usage = s.failed_on_usage && r.usage;
        break;
      case ItemStatus::kNotRun:
        ++s.not_run;
        r.reason = s.interrupted_by != 0 ? "not run: interrupted by a signal"
                                         : "not run: --fail-fast stopped the batch";
        break;
    }
  }
  if (s.failed == 0) s.failed_on_usage = false;
  s.seconds = seconds_since(start);
  return s;
}

std::vector<BatchItem> file_items(const std::vector<fs::path>& files) {
  std::vector<BatchItem> items(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) items[i].input = files[i].string();
  return items;
}

BatchSummary run_files(const std::vector<BatchItem>& items, const FileFunction& work,
                       std::vector<ItemResult>& results, ProgressMode progress) {
  RunnerOptions options;
  options.jobs = 1;
  options.progress = progress;
  return run_files(items, work, results, options);
}

BatchSummary run_files(const std::vector<BatchItem>& items, const FileFunction& work,
                       std::vector<ItemResult>& results, const RunnerOptions& options) {
  const auto one = [&](const BatchItem& item) {
    if (!item.error.empty()) throw InputError(item.error);
    // run_batch() hands out references into `items`: the index is the offset.
    work(static_cast<std::size_t>(&item - items.data()), item);
    ItemResult r;
    r.status = ItemStatus::kDone;
    return r;
  };
  return run_batch(items, one, options, results);
}

void stop_if_interrupted(const BatchSummary& summary) {
  if (summary.interrupted_by != 0) throw Interrupted(summary.interrupted_by);
}

void finish_batch(const BatchSummary& summary) {
  stop_if_interrupted(summary);
  if (summary.failed > 0)
    throw BatchFailed(std::to_string(summary.failed) + " input(s) failed",
                      summary.failed_on_usage && summary.done == 0);
}

std::string interrupted_line(const BatchSummary& summary) {
  return "interrupted: " + std::to_string(summary.done) + " done, " +
         std::to_string(summary.not_run) + " not started; rerun with --skip-existing";
}

}  // namespace tconv::app

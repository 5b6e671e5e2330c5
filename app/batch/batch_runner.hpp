// Runs a planned batch: N jobs in parallel, one failure never stopping the
// others (unless fail-fast), progress on stderr; the per-file JSON report
// is report/run_report.hpp.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "batch/batch.hpp"

namespace tconv::app {

/// How one item ended.
enum class ItemStatus { kDone, kSkipped, kFailed, kNotRun };

/// "done", "skipped", "failed", "not run".
[[nodiscard]] const char* to_string(ItemStatus status) noexcept;

/// The result of one item.
struct ItemResult {
  ItemStatus status = ItemStatus::kNotRun;
  std::string reason;    ///< Why it failed or was skipped (one line).
  bool usage = false;    ///< Failed because of the flags (UsageError, invalid parameters).
  double seconds = 0.0;  ///< Wall time of this item.
};

/// Progress on stderr: auto (a bar when stderr is a terminal, else nothing),
/// bar, json (one JSON object per finished item, one line each), none.
enum class ProgressMode { kAuto, kBar, kJson, kNone };

/// Parses auto|bar|json|none; throws UsageError.
[[nodiscard]] ProgressMode parse_progress(const std::string& text);

struct RunnerOptions {
  int jobs = 1;           ///< Items in flight at once, >= 1.
  bool fail_fast = false; ///< Stop starting items after the first failure.
  ProgressMode progress = ProgressMode::kAuto;
};

/// Counts at the end of a batch.
struct BatchSummary {
  std::size_t done = 0;
  std::size_t skipped = 0;
  std::size_t failed = 0;
  std::size_t not_run = 0;      ///< Not started: left out by --fail-fast or a signal.
  int interrupted_by = 0;       ///< The signal that stopped the batch, or 0.
  bool failed_on_usage = false; ///< Every failure was a usage failure (bad flags for the image).
  double seconds = 0.0;
};

/// Does one item: returns ItemStatus::kDone or kSkipped (with a reason), or
/// throws; the runner turns the exception into a failure line.
using ItemFunction = std::function<ItemResult(const BatchItem& item)>;

/// The one stderr line for a failed item: "<input>: <reason>", without
/// repeating the input when the reason already starts with it.
[[nodiscard]] std::string failure_line(const BatchItem& item, const std::string& reason);

/// Runs `items` with `options.jobs` workers (fewer when the system refuses
/// more threads, with a warning); each failure is logged as one error line
/// "<input>: <reason>" as soon as it happens. Items with a `skip` reason are
/// skipped without running. SIGINT, SIGTERM and SIGHUP stop the start of new
/// items (the ones in flight finish) and set `interrupted_by`. `results`
/// receives one entry per item, in the items' order.
BatchSummary run_batch(const std::vector<BatchItem>& items, const ItemFunction& work,
                       const RunnerOptions& options, std::vector<ItemResult>& results);

/// The items of a command that reads files and reports on them (compare,
/// eval, train): one per file, `input` the path, no output.
[[nodiscard]] std::vector<BatchItem> file_items(const std::vector<std::filesystem::path>& files);

/// Does one file of such a command; `index` is the item's place in the
/// list. Returns normally when the file was done, or throws (the runner
/// turns the exception into that file's failure line).
using FileFunction = std::function<void(std::size_t index, const BatchItem& item)>;

/// The per-file loop of compare, eval and train: run_batch() with one job,
/// so the files run in the items' order on the calling thread (a command
/// may add each file's result to a running total and stay deterministic),
/// with run_batch()'s error handling (one line "<file>: <reason>" per
/// failure, the others go on; an item with `error` set fails with it) and
/// its progress (`progress` auto: a bar on a terminal only).
BatchSummary run_files(const std::vector<BatchItem>& items, const FileFunction& work,
                       std::vector<ItemResult>& results,
                       ProgressMode progress = ProgressMode::kAuto);

/// The same with `options.jobs` files at once (-j), --fail-fast and a
/// progress mode: `work` then runs on several threads (results still by
/// index, so a command keeps its output in the files' order by printing
/// after the batch).
BatchSummary run_files(const std::vector<BatchItem>& items, const FileFunction& work,
                       std::vector<ItemResult>& results, const RunnerOptions& options);

/// Throws Interrupted when a signal stopped the batch.
void stop_if_interrupted(const BatchSummary& summary);

/// The exit rule of every command's batch, decided here once: throws
/// Interrupted when a signal stopped it, and BatchFailed when an item
/// failed, with usage_only (exit 2, which promises that nothing was
/// done) only when every failure was a usage error and no item was done.
/// Returns when nothing failed.
void finish_batch(const BatchSummary& summary);

/// The line printed when a signal stopped a batch:
/// "interrupted: N done, M not started; rerun with --skip-existing".
[[nodiscard]] std::string interrupted_line(const BatchSummary& summary);

}  // namespace tconv::app

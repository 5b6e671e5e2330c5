// The per-file JSON report of a batch (--report): planned like an output
// before any work, written atomically at the end.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "batch/batch_runner.hpp"

namespace tconv::app {

/// `j` as text; bytes that are not UTF-8 (paths may hold them) are replaced
/// instead of throwing. `indent` as nlohmann::json::dump (-1: one line).
[[nodiscard]] std::string json_text(const nlohmann::json& j, int indent = -1);

/// Where --report goes, decided before any work starts.
struct ReportTarget {
  std::string path;      ///< "" when no report was asked for.
  bool replace = false;  ///< The file exists and may be replaced.
};

/// Checks --report FILE before the batch runs, with the rules of every
/// output: never an input or an output of the batch (by path and by device
/// and inode), its folder must exist, an existing file is replaced only with
/// `overwrite` or when it is an earlier report of this tool (so a rerun with
/// --skip-existing works). Throws UsageError naming the rule.
[[nodiscard]] ReportTarget plan_report(const std::string& path, const std::vector<BatchItem>& items,
                                       bool overwrite);

/// Writes the per-file results as JSON (crash-safe write; a file that
/// appeared since plan_report() is not replaced): {"summary": {...},
/// "files": [{"input", "output", "status", "reason", "seconds"}, ...]}.
/// Throws InputError when it cannot be written.
void write_report(const ReportTarget& target, const std::vector<BatchItem>& items,
                  const std::vector<ItemResult>& results, const BatchSummary& summary);

}  // namespace tconv::app

// The batch report (see run_report.hpp).
#include "report/run_report.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

#include "batch/file_io.hpp"
#include "cli/exit_codes.hpp"
#include "tconv/core/error.hpp"

namespace tconv::app {

namespace fs = std::filesystem;

std::string json_text(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

// A report this tool wrote: a JSON object of exactly "files" and "summary",
// the summary with exactly the counts write_report() puts there.
bool is_earlier_report(const fs::path& path) {
  constexpr std::uintmax_t kLargestReport = std::uintmax_t{1} << 30;
  std::error_code ec;
  if (fs::file_size(path, ec) > kLargestReport || ec) return false;
  std::ifstream in(path, std::ios::binary);
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object() || j.size() != 2 || !j.contains("files") || !j["files"].is_array() ||
      !j.contains("summary") || !j["summary"].is_object())
    return false;
  for (const char* key : {"done", "skipped", "failed", "not_run", "seconds"})
    if (!j["summary"].contains(key)) return false;
  return j["summary"].size() == 5;
}

}  // namespace

ReportTarget plan_report(const std::string& path, const std::vector<BatchItem>& items,
                         bool overwrite) {
  if (path.empty()) return {};
  if (path == kStdio) throw UsageError("--report -: give a file name (stdout carries images or the listing)");
  ResolvedOutput resolved;
  try {
    resolved = resolve_output(path);
  } catch (const InputError& e) {
    throw UsageError(std::string("--report ") + e.what());
  }
  std::error_code ec;
  const fs::path where = fs::weakly_canonical(path, ec);
  // Only an existing report can be another name (a hard link) of a batch file.
  const bool exists = resolved.kind != TargetKind::kAbsent;
  for (const BatchItem& item : items) {
    for (const std::string* other : {&item.input, &item.output}) {
      if (other->empty() || *other == kStdio) continue;
      if (fs::weakly_canonical(*other, ec) == where || (exists && same_file(*other, path)))
        throw UsageError("--report " + path + ": is " +
                         (other == &item.input ? "an input" : "an output") +
                         " of this batch; refusing to write the report over it");
    }
  }
  ReportTarget target{path, false};
  if (resolved.kind == TargetKind::kRegular) {
    target.replace = overwrite || is_earlier_report(resolved.path);
    if (!target.replace)
      throw UsageError("--report " + path +
                       ": exists and is not a report of this tool (use --overwrite to replace it)");
  }
  return target;
}

void write_report(const ReportTarget& target, const std::vector<BatchItem>& items,
                  const std::vector<ItemResult>& results, const BatchSummary& summary) {
  nlohmann::json files = nlohmann::json::array();
  for (std::size_t i = 0; i < items.size(); ++i) {
    nlohmann::json f{{"input", display_name(items[i].input)},
                     {"output", items[i].output},
                     {"status", to_string(results[i].status)},
                     {"seconds", results[i].seconds}};
    if (!results[i].reason.empty()) f["reason"] = results[i].reason;
    files.push_back(std::move(f));
  }
  const nlohmann::json report{{"summary",
                               {{"done", summary.done},
                                {"skipped", summary.skipped},
                                {"failed", summary.failed},
                                {"not_run", summary.not_run},
                                {"seconds", summary.seconds}}},
                              {"files", std::move(files)}};
  const std::string text = json_text(report, 2) + "\n";
  write_file_atomic(target.path, {reinterpret_cast<const unsigned char*>(text.data()), text.size()},
                    target.replace);
}

}  // namespace tconv::app

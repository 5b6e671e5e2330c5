#include "logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace tconv::app {

void setup_logging(int verbose, int quiet) {
  auto logger = spdlog::stderr_color_st("tconv-upsample");
  logger->set_pattern("%n: %^%l%$: %v");
  spdlog::level::level_enum level = spdlog::level::info;
  if (verbose == 1) level = spdlog::level::debug;
  if (verbose >= 2) level = spdlog::level::trace;
  if (quiet == 1) level = spdlog::level::warn;
  if (quiet >= 2) level = spdlog::level::err;
  logger->set_level(level);
  spdlog::set_default_logger(logger);
}

}  // namespace tconv::app

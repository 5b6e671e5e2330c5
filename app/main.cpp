// tconv-upsample: wiring only. Commands live in commands/; every error is
// mapped to an exit code here and nowhere else.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <new>

#include "cli/exit_codes.hpp"
#include "cli/interrupt.hpp"
#include "cli/logging.hpp"
#include "cli/usage_help.hpp"
#include "commands/help.hpp"
#include "commands/registry.hpp"
#include "commands/upsample.hpp"
#include "tconv/core/error.hpp"

#ifndef TCONV_VERSION
#define TCONV_VERSION "0.0.0"
#endif

namespace {

constexpr const char* kFooter = R"(Examples:
  tconv-upsample photo.png -s 2                     writes photo_x2.png (bilinear)
  tconv-upsample photo.png -s 3 -k lanczos3 -o big.png
  tconv-upsample photo.png -s 1.5                   any factor: 1.5, 150%, or 1.5,2 per axis
  tconv-upsample photo.png --size 1920x1080         a target size (--width / --height keep the aspect)
  tconv-upsample scan.tif -s 2 --border reflect     16-bit and float TIFF kept as they are
  tconv-upsample x.npy -w w.npy --bias b.npy -s 2 --padding 1 -o y.npy
                                                    exactly torch ConvTranspose2d
  tconv-upsample -r photos/ -o big/ -j 2            a folder tree, mirrored under big/
  cat a.png | tconv-upsample - -o - --format webp > a.webp
  find . -name '*.jpg' -print0 | tconv-upsample --files-from - -0 -o out/

Output names: --name template, default {stem}_x{scale}.{ext}; {stem} is the
input name without its extension, {ext} the output extension (--format, else
the input's), {scale} the factor (2 or 2x3), {name} the whole input name.
Jobs and threads: -j images at once (default: cores), each with --threads
threads (default: cores / jobs, at least 1). Outputs never depend on either.

Exit codes:
  0  every input done (or skipped with --skip-existing)
  1  some input failed (unreadable, undecodable, output exists, write failed);
     the others were still processed; one line per failure on stderr
  2  usage error (bad flag or parameter); nothing was written
  3  nothing to do: no input matched (e.g. an empty directory)
  4  quality gate failed (compare --fail-above)
  129, 130, 143  stopped by SIGHUP, SIGINT (Ctrl-C), SIGTERM: files in flight
     were finished, no temporary file is left; rerun with --skip-existing

Commands (tconv-upsample help COMMAND for each one's flags and examples):
  compare, inspect, eval, train, impls, models, help

Checkerboard analysis:
  tconv-upsample inspect --weights w.npy -s 2      phase gains of a kernel
  tconv-upsample compare photo.png -s 2 -o out/    tconv vs resize-conv, pictures

Learned upsamplers:
  tconv-upsample photo.png --model fsrcnn_y_x2      a shipped model, by name
  tconv-upsample models                             the models a name finds
  tconv-upsample eval --images Set5/ -s 2 --kernel bilinear   PSNR/SSIM vs MATLAB bicubic)";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Upsample images with a transposed convolution (PyTorch ConvTranspose2d semantics)",
               "tconv-upsample"};
  app.footer(kFooter);
  app.set_version_flag("--version", "tconv-upsample " TCONV_VERSION);
  // Until the flags are parsed: the tool's own line format for early errors.
  tconv::app::setup_logging(0, 0);
  tconv::app::install_interrupt_handlers();
  int verbose = 0;
  int quiet = 0;
  app.add_flag("-v,--verbose", verbose, "More log output (repeat for more)");
  app.add_flag("-q,--quiet", quiet, "Less log output (-qq: errors only)");
  app.parse_complete_callback([&] { tconv::app::setup_logging(verbose, quiet); });
  tconv::app::setup_upsample(app);
  for (const tconv::app::SetupCommand setup : tconv::app::subcommands()) setup(app);
  // A closed pipe on stdout becomes an EPIPE error with a message and exit 1,
  // not a silent death by signal.
  std::signal(SIGPIPE, SIG_IGN);

  try {
    if (tconv::app::run_help_command(app, argc, argv)) return tconv::app::kExitOk;
    tconv::app::check_command_typo(app, argc, argv);
    app.parse(argc, argv);  // the command runs inside parse()
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    spdlog::error("{} (see --help)", tconv::app::parse_error_message(app, e));
    return tconv::app::kExitUsage;
  } catch (const tconv::app::Interrupted& e) {
    return 128 + e.signal();
  } catch (const tconv::app::BatchFailed& e) {
    return e.exit_code();  // every failure was reported as it happened
  } catch (const std::bad_alloc&) {
    spdlog::error("out of memory");
    return tconv::app::kExitInputFailed;
  } catch (const std::exception& e) {
    const bool ours = dynamic_cast<const tconv::app::AppError*>(&e) != nullptr ||
                      dynamic_cast<const tconv::Error*>(&e) != nullptr;
    spdlog::error("{}{}", ours ? "" : "unexpected error: ", e.what());
    return tconv::app::exit_code_of(e);
  }
  return tconv::app::kExitOk;
}

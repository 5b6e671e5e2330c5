// tconv-upsample: wiring only. Commands live in commands/; every error is
// mapped to an exit code here and nowhere else.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <new>

#include "commands/eval.hpp"
#include "commands/train.hpp"
#include "commands/upsample.hpp"
#include "exit_codes.hpp"
#include "logging.hpp"
#include "tconv/error.hpp"

#ifndef TCONV_VERSION
#define TCONV_VERSION "0.0.0"
#endif

namespace {

constexpr const char* kFooter = R"(Examples:
  tconv-upsample photo.png -s 2                     writes photo_x2.png (bilinear)
  tconv-upsample photo.png -s 3 -k lanczos3 -o big.png
  tconv-upsample scan.tif -s 2 --border reflect     16-bit and float TIFF kept as they are
  tconv-upsample x.npy -w w.npy --bias b.npy -s 2 --padding 1 -o y.npy
                                                    exactly torch ConvTranspose2d

Exit codes:
  0  success
  1  an input failed (unreadable, undecodable, output exists, write failed)
  2  usage error (bad flag or parameter); nothing was written
  3  nothing to do (e.g. no image in the folder given to eval))";

int exit_code_of(const tconv::Error& e) {
  switch (e.code()) {
    case tconv::ErrorCode::kInvalidArgument:
    case tconv::ErrorCode::kShapeMismatch: return tconv::app::kExitUsage;
    default: return tconv::app::kExitInputFailed;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Upsample images with a transposed convolution (PyTorch ConvTranspose2d semantics)",
               "tconv-upsample"};
  app.footer(kFooter);
  app.set_version_flag("--version", "tconv-upsample " TCONV_VERSION);
  int verbose = 0;
  int quiet = 0;
  app.add_flag("-v,--verbose", verbose, "More log output (repeat for more)");
  app.add_flag("-q,--quiet", quiet, "Less log output (-qq: errors only)");
  app.parse_complete_callback([&] { tconv::app::setup_logging(verbose, quiet); });
  tconv::app::setup_upsample(app);
  tconv::app::setup_eval(app);
  tconv::app::setup_train(app);

  try {
    app.parse(argc, argv);  // the command runs inside parse()
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, version or the usage error
    return code == 0 ? tconv::app::kExitOk : tconv::app::kExitUsage;
  } catch (const tconv::app::UsageError& e) {
    spdlog::error("{}", e.what());
    return tconv::app::kExitUsage;
  } catch (const tconv::app::NothingToDoError& e) {
    spdlog::error("{}", e.what());
    return tconv::app::kExitNothingToDo;
  } catch (const tconv::app::InputError& e) {
    spdlog::error("{}", e.what());
    return tconv::app::kExitInputFailed;
  } catch (const tconv::Error& e) {
    spdlog::error("{}", e.what());
    return exit_code_of(e);
  } catch (const std::bad_alloc&) {
    spdlog::error("out of memory");
    return tconv::app::kExitInputFailed;
  } catch (const std::exception& e) {
    spdlog::error("unexpected error: {}", e.what());
    return tconv::app::kExitInputFailed;
  }
  return tconv::app::kExitOk;
}

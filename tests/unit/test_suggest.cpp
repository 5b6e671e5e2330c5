// "Did you mean" (app/cli/suggest.hpp).
#include <catch2/catch.hpp>

#include "cli/suggest.hpp"

using tconv::app::closest_name;

TEST_CASE("closest_name: typos of up to the allowed edits, nothing for other words", "[suggest]") {
  const std::vector<std::string_view> kernels = {"bilinear", "nearest", "bicubic", "lanczos3",
                                                 "linear", "box", "cubic", "catrom", "lanczos"};
  CHECK(closest_name("bicubc", kernels) == "bicubic");     // a deletion
  CHECK(closest_name("bicubicc", kernels) == "bicubic");   // an insertion
  CHECK(closest_name("bilinaer", kernels) == "bilinear");  // a swap is one edit
  CHECK(closest_name("NEARSET", kernels) == "nearest");    // case is ignored
  CHECK(closest_name("lancos", kernels) == "lanczos");     // the nearer of two
  CHECK(closest_name("bx", kernels) == "box");             // short: one edit
  CHECK_FALSE(closest_name("sinc", kernels).has_value());  // short: not two edits
  CHECK_FALSE(closest_name("gaussian", kernels).has_value());
  CHECK_FALSE(closest_name("", kernels).has_value());
  CHECK_FALSE(closest_name("bicubic", {}).has_value());
  const std::vector<std::string_view> commands = {"compare", "inspect", "eval", "train", "impls"};
  CHECK(closest_name("comapre", commands) == "compare");
  CHECK(closest_name("evla", commands) == "eval");
  CHECK(tconv::app::did_you_mean("trian", commands) == "; did you mean train?");
  CHECK(tconv::app::did_you_mean("upsample", commands).empty());
}

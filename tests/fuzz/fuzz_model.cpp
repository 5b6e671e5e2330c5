// Fuzz target: model files (safetensors + the tconv.* metadata and the
// tconv.layers list). A file must either be refused at load with a
// tconv::Error, or load into a model that runs on a tiny image within its
// limits and gives an output of the declared scale.
#include <optional>
#include <span>
#include <vector>

#include "fuzz_target.hpp"
#include "tconv/core/error.hpp"
#include "tconv/io/safetensors.hpp"
#include "tconv/model/model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tconv::SafetensorsLimits limits;
  limits.max_header_bytes = 1 << 20;
  tconv::OpOptions options;
  options.threads = 1;
  options.max_output_elements = 1 << 18;
  std::optional<tconv::Model> model;
  try {
    const auto file = tconv::parse_safetensors(std::span<const unsigned char>(data, size),
                                               "fuzz.safetensors", limits);
    model.emplace(tconv::Model::from_safetensors(file, "fuzz.safetensors", options));
  } catch (const tconv::Error&) {
    return 0;
  } catch (...) {
    tconv::fuzz::fail("loading threw something other than tconv::Error");
  }
  // Keep each run small: skip networks too heavy to run in a few ms.
  if (model->macs_per_pixel() > 2e5) return 0;
  const tconv::Shape3 shape{model->channels(), 7, 5};
  std::vector<float> pixels(static_cast<std::size_t>(shape.elements()));
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<float>(i % 11) / 10.0f;
  try {
    const tconv::Tensor out = model->run_network({pixels.data(), shape});
    if (out.shape().h != shape.h * model->scale() || out.shape().w != shape.w * model->scale())
      tconv::fuzz::fail("a loaded model's output is not input x scale");
  } catch (const tconv::Error&) {
    // Running may still refuse (e.g. an output above the fuzz limit).
  } catch (...) {
    tconv::fuzz::fail("running a loaded model threw something other than tconv::Error");
  }
  return 0;
}

// A model file in memory for the model tests: its metadata and tensors, as
// Model::from_safetensors() reads them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tconv/io/safetensors.hpp"
#include "tconv/model/model.hpp"

namespace tconv::test {

struct ModelSpec {
  std::vector<NamedTensor> tensors;
  std::map<std::string, std::string> meta;

  /// "tconv.color", "tconv.scale" and the "tconv.layers" JSON text.
  ModelSpec(const std::string& color, int scale, const std::string& layers) {
    meta = {{"tconv.format", "1"},
            {"tconv.scale", std::to_string(scale)},
            {"tconv.color", color},
            {"tconv.layers", layers}};
  }
  ModelSpec& tensor(const std::string& name, std::vector<std::int64_t> shape,
                    std::vector<float> v) {
    tensors.push_back({name, std::move(shape), std::move(v)});
    return *this;
  }
  ModelSpec& residual(const std::string& mode) {
    meta["tconv.residual"] = mode;
    return *this;
  }
  [[nodiscard]] SafetensorsFile file() const {
    SafetensorsFile f;
    f.tensors = tensors;
    f.metadata = meta;
    return f;
  }
  /// Loaded as "m.safetensors".
  [[nodiscard]] Model load(const OpOptions& options = {}) const {
    return Model::from_safetensors(file(), "m.safetensors", options);
  }
};

}  // namespace tconv::test

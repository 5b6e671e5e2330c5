// Uses the installed library through the umbrella header: a 2x bilinear
// upsample of a 2x2 tensor. Output pixel o samples the input at
// (o + 0.5) / 2 - 0.5, so the interior pixels (1, 1) and (2, 2) are the
// bilinear values at (0.25, 0.25) and (0.75, 0.75) of [[0, 1], [2, 3]]:
// 0.75 and 2.25 (the zero border reaches only the outer ring).
#include <cmath>
#include <cstdio>
#include <utility>

#include "tconv/tconv.hpp"

int main() {
  try {
    const tconv::Tensor src({1, 2, 2}, {0.0f, 1.0f, 2.0f, 3.0f});
    tconv::Layer layer = tconv::make_upsampler(tconv::Interpolation::kBilinear, {2, 2}, 1);
    const tconv::Tensor dst =
        tconv::conv_transpose2d(src.view(), layer.params, std::move(layer.weights));
    const tconv::Shape3 expected_shape{1, 4, 4};
    if (dst.shape() != expected_shape) {
      std::fprintf(stderr, "consumer: output shape %dx%dx%d, expected 1x4x4\n", dst.shape().c,
                   dst.shape().h, dst.shape().w);
      return 1;
    }
    const float a = dst.at(0, 1, 1);
    const float b = dst.at(0, 2, 2);
    if (std::abs(a - 0.75f) > 1e-6f || std::abs(b - 2.25f) > 1e-6f) {
      std::fprintf(stderr, "consumer: dst(1,1) = %g, dst(2,2) = %g, expected 0.75 and 2.25\n", a, b);
      return 1;
    }
    std::printf("consumer: %s -> 1x4x4, dst(1,1) = %g, dst(2,2) = %g\n",
                layer.params.to_string().c_str(), a, b);
    return 0;
  } catch (const tconv::Error& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
}

// The SRCNN / FSRCNN evaluation protocol; see sr_protocol.hpp.
#include "tconv/sr/sr_protocol.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/colour.hpp"
#include "tconv/core/error.hpp"
#include "tconv/sr/imresize.hpp"
#include "tconv/sr/quality.hpp"

namespace tconv {

namespace {

void check_multiple(const char* op, ConstTensorView src, int s) {
  if (s < 1) throw InvalidArgument(std::string(op) + " scale " + std::to_string(s) + ": must be >= 1");
  if (src.shape.h < s || src.shape.w < s || src.shape.h % s != 0 || src.shape.w % s != 0)
    throw ShapeMismatch(std::string(op) + " image " + to_string(src.shape) +
                        ": height and width must be positive multiples of the scale " +
                        std::to_string(s));
}

// Every plane of hr255 / 255 shrunk by s, in double: planes of (h/s) x (w/s).
std::vector<std::vector<double>> downscale_planes(ConstTensorView hr255, int s) {
  const Size2 in{hr255.shape.h, hr255.shape.w};
  const Size2 out{in.h / s, in.w / s};
  std::vector<double> plane(static_cast<std::size_t>(in.h) * in.w);
  std::vector<std::vector<double>> result;
  for (int c = 0; c < hr255.shape.c; ++c) {
    const float* from = hr255.row(c, 0);
    for (std::size_t i = 0; i < plane.size(); ++i) plane[i] = static_cast<double>(from[i]) / 255.0;
    std::vector<double> lr(static_cast<std::size_t>(out.h) * out.w);
    imresize_bicubic(plane, in, lr, out);
    result.push_back(std::move(lr));
  }
  return result;
}

float round_8bit(double v) {
  return static_cast<float>(std::clamp(std::round(v * 255.0), 0.0, 255.0));
}

}  // namespace

Tensor protocol_luma(ConstTensorView rgb255) {
  const int c = rgb255.shape.c;
  if (c != 1 && c < 3)
    throw ShapeMismatch("protocol_luma image " + to_string(rgb255.shape) +
                        ": needs 1 (gray) or at least 3 (RGB) channels");
  Tensor y(Shape3{1, rgb255.shape.h, rgb255.shape.w});
  const std::size_t n = y.span().size();
  if (c == 1) {
    std::copy(rgb255.data, rgb255.data + n, y.data());
    return y;
  }
  const float* r = rgb255.row(0, 0);
  const float* g = rgb255.row(1, 0);
  const float* b = rgb255.row(2, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const double v = detail::bt601_luma_255(r[i], g[i], b[i]);
    y.data()[i] = static_cast<float>(std::clamp(std::round(v), 0.0, 255.0));
  }
  return y;
}

Tensor modcrop(ConstTensorView src, int s) {
  if (s < 1) throw InvalidArgument("modcrop scale " + std::to_string(s) + ": must be >= 1");
  const int h = src.shape.h / s * s;
  const int w = src.shape.w / s * s;
  if (h < 1 || w < 1)
    throw ShapeMismatch("modcrop image " + to_string(src.shape) + ": smaller than the scale " +
                        std::to_string(s));
  Tensor out(Shape3{src.shape.c, h, w});
  for (int c = 0; c < src.shape.c; ++c)
    for (int y = 0; y < h; ++y) std::copy(src.row(c, y), src.row(c, y) + w, out.view().row(c, y));
  return out;
}

Tensor protocol_downscale(ConstTensorView hr255, int s) {
  check_multiple("protocol_downscale", hr255, s);
  const auto planes = downscale_planes(hr255, s);
  Tensor lr(Shape3{hr255.shape.c, hr255.shape.h / s, hr255.shape.w / s});
  for (int c = 0; c < hr255.shape.c; ++c)
    std::transform(planes[static_cast<std::size_t>(c)].begin(),
                   planes[static_cast<std::size_t>(c)].end(), lr.view().row(c, 0),
                   [](double v) { return static_cast<float>(v); });
  return lr;
}

Tensor protocol_bicubic(ConstTensorView hr255, int s) {
  check_multiple("protocol_bicubic", hr255, s);
  const auto planes = downscale_planes(hr255, s);
  const Size2 lr_size{hr255.shape.h / s, hr255.shape.w / s};
  const Size2 hr_size{hr255.shape.h, hr255.shape.w};
  Tensor out(hr255.shape);
  std::vector<double> up(static_cast<std::size_t>(hr_size.h) * hr_size.w);
  for (int c = 0; c < hr255.shape.c; ++c) {
    imresize_bicubic(planes[static_cast<std::size_t>(c)], lr_size, up, hr_size);
    std::transform(up.begin(), up.end(), out.view().row(c, 0), round_8bit);
  }
  return out;
}

Tensor to_8bit_scale(ConstTensorView x) {
  Tensor out(x.shape);
  std::transform(x.data, x.data + out.span().size(), out.data(),
                 [](float v) { return round_8bit(static_cast<double>(v)); });
  return out;
}

SrScore protocol_score(ConstTensorView hr255, ConstTensorView sr255, int shave_px) {
  if (sr255.shape != hr255.shape)
    throw ShapeMismatch("protocol_score output " + to_string(sr255.shape) +
                        ": must have the reference's shape " + to_string(hr255.shape));
  const Tensor a = shave(hr255, shave_px);
  const Tensor b = shave(sr255, shave_px);
  return {psnr(a.view(), b.view(), 255.0), ssim(a.view(), b.view())};
}

}  // namespace tconv

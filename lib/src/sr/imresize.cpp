// MATLAB imresize(..., 'bicubic'): contributions() mirrors imresize.m's
// contributions(): for output x = 1 .. out (1-based)
//   u = x / scale + 0.5 * (1 - 1 / scale)
//   left = floor(u - kernel_width / 2), P = ceil(kernel_width) + 2
//   indices left .. left + P - 1, weights h(u - index), normalised to sum 1,
//   indices mirrored into 1 .. in by aux = [1 .. in, in .. 1] (period 2 in).
// Zero-weight taps are kept: adding zeros does not change a sum.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tconv/core/error.hpp"
#include "tconv/sr/imresize.hpp"

namespace tconv {

namespace {

double cubic(double x) {
  const double a = std::abs(x);
  const double a2 = a * a;
  const double a3 = a2 * a;
  if (a <= 1.0) return 1.5 * a3 - 2.5 * a2 + 1.0;
  if (a <= 2.0) return -0.5 * a3 + 2.5 * a2 - 4.0 * a + 2.0;
  return 0.0;
}

// Taps of one axis: out_len rows of `taps` (index, weight) pairs, 0-based indices.
struct Contributions {
  int taps = 0;
  std::vector<int> index;
  std::vector<double> weight;
};

Contributions contributions(int in_len, int out_len, double scale, bool antialias) {
  const bool stretch = scale < 1.0 && antialias;
  const double kernel_width = stretch ? 4.0 / scale : 4.0;
  Contributions c;
  c.taps = static_cast<int>(std::ceil(kernel_width)) + 2;
  c.index.resize(static_cast<std::size_t>(out_len) * c.taps);
  c.weight.resize(c.index.size());
  const long long period = 2LL * in_len;
  for (int i = 0; i < out_len; ++i) {
    const double u = (i + 1) / scale + 0.5 * (1.0 - 1.0 / scale);
    const double left = std::floor(u - kernel_width / 2.0);
    double sum = 0.0;
    const std::size_t row = static_cast<std::size_t>(i) * c.taps;
    for (int k = 0; k < c.taps; ++k) {
      const double j = left + k;  // 1-based input index before mirroring
      const double t = u - j;
      const double w = stretch ? scale * cubic(scale * t) : cubic(t);
      c.weight[row + k] = w;
      sum += w;
      // aux(mod(j - 1, 2 in) + 1) with aux = [1 .. in, in .. 1], made 0-based.
      long long m = (static_cast<long long>(j) - 1) % period;
      if (m < 0) m += period;
      c.index[row + k] = static_cast<int>(m < in_len ? m : period - 1 - m);
    }
    for (int k = 0; k < c.taps; ++k) c.weight[row + k] /= sum;
  }
  return c;
}

double to_u8(double v) { return std::clamp(std::round(v), 0.0, 255.0); }

// One 1-D pass along rows (vertical) or columns (horizontal).
std::vector<double> resize_axis(const std::vector<double>& src, Size2 size, int out_len,
                                bool vertical, const ImresizeOptions& options) {
  const int in_len = vertical ? size.h : size.w;
  const double scale = static_cast<double>(out_len) / in_len;
  const Contributions c = contributions(in_len, out_len, scale, options.antialias);
  const Size2 out_size = vertical ? Size2{out_len, size.w} : Size2{size.h, out_len};
  std::vector<double> dst(static_cast<std::size_t>(out_size.h) * out_size.w);
  for (int y = 0; y < out_size.h; ++y)
    for (int x = 0; x < out_size.w; ++x) {
      const int i = vertical ? y : x;
      const std::size_t row = static_cast<std::size_t>(i) * c.taps;
      double acc = 0.0;
      for (int k = 0; k < c.taps; ++k) {
        const int j = c.index[row + k];
        const std::size_t at = vertical ? static_cast<std::size_t>(j) * size.w + x
                                        : static_cast<std::size_t>(y) * size.w + j;
        acc += c.weight[row + k] * src[at];
      }
      dst[static_cast<std::size_t>(y) * out_size.w + x] = options.round_to_u8 ? to_u8(acc) : acc;
    }
  return dst;
}

void check_size(const char* what, Size2 s) {
  if (s.h < 1 || s.w < 1)
    throw InvalidArgument(std::string("imresize ") + what + " " + to_string(s) +
                          ": must be at least 1x1");
}

}  // namespace

Size2 imresize_output_size(Size2 size, double scale) {
  if (!(scale > 0.0) || !std::isfinite(scale))
    throw InvalidArgument("imresize scale " + std::to_string(scale) + ": must be finite and > 0");
  const double h = std::ceil(scale * size.h);
  const double w = std::ceil(scale * size.w);
  if (h * w > static_cast<double>(Tensor::kMaxElements) || h > 2147483647.0 || w > 2147483647.0)
    throw LimitExceeded("imresize output " + std::to_string(h) + "x" + std::to_string(w) +
                        ": more than 2^31 elements");
  return {static_cast<int>(h), static_cast<int>(w)};
}

void imresize_bicubic(std::span<const double> src, Size2 src_size, std::span<double> dst,
                      Size2 dst_size, const ImresizeOptions& options) {
  check_size("input", src_size);
  check_size("output", dst_size);
  if (src.size() != static_cast<std::size_t>(src_size.h) * src_size.w)
    throw ShapeMismatch("imresize input of " + std::to_string(src.size()) +
                        " values: size " + to_string(src_size) + " needs h * w");
  if (dst.size() != static_cast<std::size_t>(dst_size.h) * dst_size.w)
    throw ShapeMismatch("imresize output of " + std::to_string(dst.size()) +
                        " values: size " + to_string(dst_size) + " needs h * w");
  const double scale_h = static_cast<double>(dst_size.h) / src_size.h;
  const double scale_w = static_cast<double>(dst_size.w) / src_size.w;
  std::vector<double> plane(src.begin(), src.end());
  Size2 size = src_size;
  // imresize.m: the dimension with the smaller scale first, rows on a tie.
  if (scale_h <= scale_w) {
    plane = resize_axis(plane, size, dst_size.h, true, options);
    size.h = dst_size.h;
    plane = resize_axis(plane, size, dst_size.w, false, options);
  } else {
    plane = resize_axis(plane, size, dst_size.w, false, options);
    size.w = dst_size.w;
    plane = resize_axis(plane, size, dst_size.h, true, options);
  }
  std::copy(plane.begin(), plane.end(), dst.begin());
}

Tensor imresize_bicubic(ConstTensorView src, Size2 dst_size, const ImresizeOptions& options) {
  check_size("input", {src.shape.h, src.shape.w});
  check_size("output", dst_size);
  Tensor out(Shape3{src.shape.c, dst_size.h, dst_size.w});
  const std::size_t in_plane = static_cast<std::size_t>(src.shape.h) * src.shape.w;
  const std::size_t out_plane = static_cast<std::size_t>(dst_size.h) * dst_size.w;
  std::vector<double> in(in_plane);
  std::vector<double> res(out_plane);
  for (int c = 0; c < src.shape.c; ++c) {
    const float* from = src.row(c, 0);
    std::copy(from, from + in_plane, in.begin());
    imresize_bicubic(in, {src.shape.h, src.shape.w}, res, dst_size, options);
    std::copy(res.begin(), res.end(), out.view().row(c, 0));
  }
  return out;
}

}  // namespace tconv

// Model's colour and alpha policy (see tconv/model/model.hpp, ModelColor): the
// BT.601 conversions, the gray path of each colour mode, premultiplied
// alpha, and the memory they hold.
#include <algorithm>
#include <array>

#include "core/colour.hpp"
#include "model/model_internal.hpp"
#include "tconv/core/error.hpp"
#include "tconv/resample/border.hpp"

namespace tconv {

using namespace detail;

namespace {

// BT.601 (MATLAB rgb2ycbcr) for values in [0, 1]: ycbcr = kOffset + kM rgb.
constexpr const auto& kM = detail::kBt601UnitMatrix;
constexpr const auto& kOffset = detail::kBt601UnitOffset;

std::array<std::array<double, 3>, 3> inverse_m() {
  const auto& m = kM;
  const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                     m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                     m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  std::array<std::array<double, 3>, 3> inv{};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      // Cofactor of (c, r) over the determinant (adjugate = transposed cofactors).
      const int r1 = (c + 1) % 3, r2 = (c + 2) % 3, c1 = (r + 1) % 3, c2 = (r + 2) % 3;
      inv[r][c] = (m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1]) / det;
    }
  return inv;
}

// Y, Cb, Cr planes at `ycbcr` to R, G, B planes at `rgb` (each `plane`
// values); every pixel's three values are read before any is written, so
// rgb may be ycbcr (in place).
void ycbcr_to_rgb_planes(const float* ycbcr, float* rgb, std::size_t plane) {
  static const auto inv = inverse_m();
  for (std::size_t i = 0; i < plane; ++i) {
    const double y = ycbcr[i] - kOffset[0];
    const double cb = ycbcr[i + plane] - kOffset[1];
    const double cr = ycbcr[i + 2 * plane] - kOffset[2];
    for (std::size_t k = 0; k < 3; ++k)
      rgb[i + k * plane] = static_cast<float>(inv[k][0] * y + inv[k][1] * cb + inv[k][2] * cr);
  }
}


}  // namespace

namespace detail {

void require_channels(ConstTensorView t, int c, const char* what) {
  if (t.shape.c != c)
    throw ShapeMismatch(std::string(what) + " input " + to_string(t.shape) + ": needs " +
                        std::to_string(c) + " channels");
}

}  // namespace detail

namespace {

// Planes [first, first + count) of Y, Cb, Cr of the R, G, B planes.
Tensor ycbcr_planes(ConstTensorView rgb, int first, int count) {
  Tensor out(Shape3{count, rgb.shape.h, rgb.shape.w});
  const std::size_t plane = static_cast<std::size_t>(rgb.shape.h) * rgb.shape.w;
  const float* r = rgb.data;
  for (int k = first; k < first + count; ++k) {
    float* o = out.data() + (k - first) * plane;
    for (std::size_t i = 0; i < plane; ++i)
      o[i] = static_cast<float>(detail::bt601_ycbcr_unit(k, r[i], r[i + plane], r[i + 2 * plane]));
  }
  return out;
}

}  // namespace

Tensor rgb_to_ycbcr(ConstTensorView rgb) {
  require_channels(rgb, 3, "rgb_to_ycbcr");
  return ycbcr_planes(rgb, 0, 3);
}

Tensor ycbcr_to_rgb(ConstTensorView ycbcr) {
  require_channels(ycbcr, 3, "ycbcr_to_rgb");
  Tensor out(ycbcr.shape);
  ycbcr_to_rgb_planes(ycbcr.data, out.data(),
                      static_cast<std::size_t>(ycbcr.shape.h) * ycbcr.shape.w);
  return out;
}

std::int64_t Model::planned_peak_bytes(const Shape3& image) const {
  const State& st = *state_;
  const int c = image.c;
  if (c != 1 && c != 3 && c != 4)
    throw ShapeMismatch("model " + st.what + " image " + to_string(image) +
                        ": needs 1, 3 or 4 channels");
  const Size2 size{image.h, image.w};
  const Shape3 one{1, image.h, image.w};
  const Shape3 three{3, image.h, image.w};
  const Shape3 out_shape{c, image.h * st.scale, image.w * st.scale};
  if (out_shape.elements() > Tensor::kMaxElements)
    throw LimitExceeded("model " + st.what + " output " + to_string(out_shape) + ": too large");
  // The output is allocated first and filled in place; with alpha the
  // premultiplied colour planes live until the colour stage ends, then
  // alpha takes the gray path.
  const std::int64_t out = out_shape.elements() * kFloatBytes;
  if (c == 1) return out + gray_peak_bytes(size);
  std::int64_t colour = 0;
  switch (st.color) {
    case ModelColor::kY:
      // Y at the input size through the network, then Cb and Cr
      // interpolated, each straight into the output.
      colour = std::max(one.elements() * kFloatBytes + network_run_bytes(st, channels(), one),
                        2 * one.elements() * kFloatBytes +
                            st.chroma_op->scratch_bytes({2, image.h, image.w}, -1));
      break;
    case ModelColor::kRgb: colour = network_run_bytes(st, channels(), three); break;
    case ModelColor::kGray: colour = gray_peak_bytes(size); break;
  }
  const std::int64_t premultiplied = c == 4 ? three.elements() * kFloatBytes : 0;
  std::int64_t peak = out + premultiplied + colour;
  // Then alpha takes the gray path and (y colour) the chroma's path.
  if (c == 4) peak = std::max(peak, out + gray_peak_bytes(size));
  if (c == 4 && st.chroma_alpha_op)
    peak = std::max(peak, out + out_shape.elements() / c * kFloatBytes +
                              st.chroma_alpha_op->scratch_bytes(one, -1));
  return peak;
}

void Model::run_gray(const float* src, float* dst, Size2 size, int threads) const {
  const State& st = *state_;
  const Shape3 one{1, size.h, size.w};
  const auto plane = static_cast<std::size_t>(one.elements());
  const auto out_plane = plane * static_cast<std::size_t>(st.scale) * st.scale;
  const Shape3 out_one{1, size.h * st.scale, size.w * st.scale};
  switch (st.color) {
    case ModelColor::kY: {
      // Gray v is R = G = B = v: Y = 16/255 + 219/255 v, and back (in place).
      Tensor y(one);
      for (std::size_t i = 0; i < plane; ++i)
        y.data()[i] = static_cast<float>(kOffset[0] + (219.0 / 255) * src[i]);
      run_network(y.view(), {dst, out_one}, threads);
      for (std::size_t i = 0; i < out_plane; ++i)
        dst[i] = static_cast<float>((dst[i] - kOffset[0]) * (255.0 / 219));
      break;
    }
    case ModelColor::kRgb: {
      // R = G = B in, BT.601 luma of the result out.
      Tensor three(Shape3{3, one.h, one.w});
      for (std::size_t k = 0; k < 3; ++k) std::copy(src, src + plane, three.data() + k * plane);
      const Tensor o = run_network(three.view(), threads);
      const float* p = o.data();
      for (std::size_t i = 0; i < out_plane; ++i)
        dst[i] = detail::bt601_luma(p[i], p[i + out_plane], p[i + 2 * out_plane]);
      break;
    }
    case ModelColor::kGray:
      run_network({src, one}, {dst, out_one}, threads);
      break;
  }
}

std::int64_t Model::gray_peak_bytes(Size2 size) const {
  const Shape3 one{1, size.h, size.w};
  switch (state_->color) {
    case ModelColor::kY:
      return one.elements() * kFloatBytes + network_run_bytes(*state_, channels(), one);
    case ModelColor::kRgb:
      return 3 * one.elements() * kFloatBytes + network_peak_bytes({3, size.h, size.w});
    case ModelColor::kGray: break;
  }
  return network_run_bytes(*state_, channels(), one);
}

Tensor Model::upsample(ConstTensorView image, int threads) const {
  const State& st = *state_;
  const int c = image.shape.c;
  if (c != 1 && c != 3 && c != 4)
    throw ShapeMismatch("model " + st.what + " image " + to_string(image.shape) +
                        ": needs 1, 3 or 4 channels");
  const Size2 size{image.shape.h, image.shape.w};
  const std::size_t plane = static_cast<std::size_t>(size.h) * size.w;
  const Shape3 one{1, size.h, size.w};
  const Shape3 out_shape{c, size.h * st.scale, size.w * st.scale};
  if (out_shape.elements() > Tensor::kMaxElements)
    throw LimitExceeded("model " + st.what + " output " + to_string(out_shape) + ": too large");
  const std::size_t out_plane = static_cast<std::size_t>(out_shape.h) * out_shape.w;
  Tensor out(out_shape);
  if (c == 1) {
    run_gray(image.data, out.data(), size, threads);
    return out;
  }
  // With alpha, the colour goes through premultiplied by alpha (clamped to
  // [0, 1]), so a transparent pixel adds no colour to its visible neighbours.
  Tensor premultiplied;
  if (c == 4) {
    premultiplied = Tensor(Shape3{3, one.h, one.w});
    const float* alpha = image.data + 3 * plane;
    for (std::size_t k = 0; k < 3; ++k)
      for (std::size_t i = 0; i < plane; ++i)
        premultiplied.data()[k * plane + i] =
            image.data[k * plane + i] * std::clamp(alpha[i], 0.0f, 1.0f);
  }
  const ConstTensorView rgb = c == 4 ? premultiplied.view()
                                     : ConstTensorView{image.data, {3, one.h, one.w}};
  float* alpha = out.data() + 3 * out_plane;
  switch (st.color) {
    case ModelColor::kY: {
      // Y through the network and Cb, Cr interpolated, all into the first
      // three output planes, then converted to R, G, B in place; only Y, then
      // only Cb and Cr, are held at the input size.
      run_network(ycbcr_planes(rgb, 0, 1).view(), {out.data(), {1, out_shape.h, out_shape.w}},
                  threads);
      st.chroma_op->run(ycbcr_planes(rgb, 1, 2).view(),
                        {out.data() + out_plane, {2, out_shape.h, out_shape.w}}, threads);
      if (c == 4) {
        // Premultiplied, Y - 16/255 scales with alpha as the network sees it
        // (the gray path) and Cb - 128/255, Cr - 128/255 with alpha as the
        // chroma interpolation sees it; each is divided by its own alpha.
        premultiplied = Tensor();
        run_gray(image.data + 3 * plane, alpha, size, threads);
        Tensor chroma_alpha(st.chroma_alpha_op->output_shape(one));
        st.chroma_alpha_op->run({image.data + 3 * plane, one}, chroma_alpha.view(), threads);
        float* p = out.data();
        for (std::size_t i = 0; i < out_plane; ++i) {
          const float ac = chroma_alpha.data()[i];
          p[i] = alpha[i] > 0.0f ? static_cast<float>(kOffset[0] + (p[i] - kOffset[0]) / alpha[i])
                                 : static_cast<float>(kOffset[0]);
          for (std::size_t k = 1; k < 3; ++k) {
            float& v = p[k * out_plane + i];
            v = ac > 0.0f ? static_cast<float>(kOffset[k] + (v - kOffset[k]) / ac)
                          : static_cast<float>(kOffset[k]);
          }
        }
      }
      ycbcr_to_rgb_planes(out.data(), out.data(), out_plane);
      if (c == 4) {
        for (std::size_t k = 0; k < 3; ++k)
          for (std::size_t i = 0; i < out_plane; ++i)
            if (!(alpha[i] > 0.0f)) out.data()[k * out_plane + i] = 0.0f;
        for (std::size_t i = 0; i < out_plane; ++i) alpha[i] = std::clamp(alpha[i], 0.0f, 1.0f);
      }
      return out;
    }
    case ModelColor::kRgb: {
      run_network(rgb, {out.data(), {3, out_shape.h, out_shape.w}}, threads);
      break;
    }
    case ModelColor::kGray:
      for (std::size_t k = 0; k < 3; ++k)
        run_gray(rgb.data + k * plane, out.data() + k * out_plane, size, threads);
      break;
  }
  if (c == 4) {
    premultiplied = Tensor();
    // Alpha takes the colour's path (as a gray image), so premultiplied
    // colour and alpha are filtered alike and a flat colour divides back to
    // itself exactly; where alpha is not positive, no colour either.
    run_gray(image.data + 3 * plane, alpha, size, threads);
    for (std::size_t k = 0; k < 3; ++k)
      for (std::size_t i = 0; i < out_plane; ++i) {
        float& v = out.data()[k * out_plane + i];
        v = alpha[i] > 0.0f ? v / alpha[i] : 0.0f;
      }
    for (std::size_t i = 0; i < out_plane; ++i) alpha[i] = std::clamp(alpha[i], 0.0f, 1.0f);
  }
  return out;
}

}  // namespace tconv

// make_architecture() and PatchSampler (tconv/train/architectures.hpp).
#include "tconv/train/architectures.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

#include "tconv/core/error.hpp"

namespace tconv {

namespace {

// splitmix64 (Steele, Lea, Flood 2014): a counter-based generator, so any
// draw can be made from (seed, index) alone.
std::uint64_t mix(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(mix(seed)) {}
  std::uint64_t next() { return mix(state_++); }
  // Uniform in (0, 1): 53 random bits, never 0.
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) / 9007199254740992.0; }
  double normal() {  // Box-Muller
    const double u = uniform();
    const double v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
  }
  // Uniform integer in [0, n), n >= 1 (modulo bias below 2^-40 for n < 2^24).
  std::uint64_t below(std::uint64_t n) { return next() % n; }

 private:
  std::uint64_t state_;
};

// Builds a spec layer by layer; each learnable tensor drawn from the one Rng
// in creation order.
class SpecBuilder {
 public:
  explicit SpecBuilder(std::uint64_t seed) : rng_(seed) {}

  // conv2d in -> out, k x k, stride 1, padding k / 2 (size kept); He normal
  // weights (std sqrt(2 / (out k^2)), as FSRCNN's PyTorch ports), zero bias.
  void conv(const std::string& name, int in, int out, int k) {
    ModelFileLayer l;
    l.op = "conv2d";
    l.weight = name + ".weight";
    l.bias = name + ".bias";
    l.params.padding(k / 2);
    layers.push_back(l);
    add_tensor(l.weight, {out, in, k, k}, std::sqrt(2.0 / (out * k * k)));
    add_tensor(l.bias, {out}, 0.0);
  }
  void prelu(const std::string& name, int channels) {
    ModelFileLayer l;
    l.op = "prelu";
    l.weight = name + ".weight";
    layers.push_back(l);
    tensors.push_back({l.weight, {channels}, std::vector<float>(static_cast<std::size_t>(channels), 0.25f)});
  }
  void simple(const std::string& op) {
    ModelFileLayer l;
    l.op = op;
    layers.push_back(l);
  }
  void upsample(const std::string& mode, int factor) {
    ModelFileLayer l;
    l.op = "upsample";
    l.mode = mode;
    l.factor = factor;
    layers.push_back(l);
  }
  void pixel_shuffle(int factor) {
    ModelFileLayer l;
    l.op = "pixel_shuffle";
    l.factor = factor;
    layers.push_back(l);
  }
  // conv_transpose2d in -> out, k x k, stride s, padding p, output padding
  // op; weights N(0, std) or, with `bilinear`, the bilinear kernel / in.
  void tconv(const std::string& name, int in, int out, int k, int s, int p, int op,
             bool bilinear, double std) {
    ModelFileLayer l;
    l.op = "conv_transpose2d";
    l.weight = name + ".weight";
    l.bias = name + ".bias";
    l.params.stride = {s, s};
    l.params.padding(p);
    l.params.output_padding = {op, op};
    layers.push_back(l);
    add_tensor(l.weight, {in, out, k, k}, std);
    if (bilinear) {
      // Output oy = iy s - p + ky takes input iy at the source offset
      // d = (oy + 0.5) / s - 0.5 - iy = (ky - p + 0.5) / s - 0.5, weight
      // max(0, 1 - |d|) (align_corners=False); kernels too small to hold
      // every tap lose the outer ones.
      std::vector<double> taps(static_cast<std::size_t>(k));
      for (int t = 0; t < k; ++t) {
        const double d = (t - p + 0.5) / s - 0.5;
        taps[static_cast<std::size_t>(t)] = std::max(0.0, 1.0 - std::abs(d));
      }
      std::vector<float>& w = tensors.back().values;
      for (int c = 0; c < in * out; ++c)
        for (int y = 0; y < k; ++y)
          for (int x = 0; x < k; ++x)
            w[(static_cast<std::size_t>(c) * k + y) * k + x] =
                static_cast<float>(taps[static_cast<std::size_t>(y)] * taps[static_cast<std::size_t>(x)] / in);
    }
    add_tensor(l.bias, {out}, 0.0);
  }

  std::vector<ModelFileLayer> layers;
  std::vector<NamedTensor> tensors;

 private:
  void add_tensor(const std::string& name, std::vector<std::int64_t> shape, double std) {
    std::int64_t n = 1;
    for (const std::int64_t d : shape) n *= d;
    std::vector<float> v(static_cast<std::size_t>(n));
    for (float& x : v) x = std == 0.0 ? 0.0f : static_cast<float>(std * rng_.normal());
    tensors.push_back({name, std::move(shape), std::move(v)});
  }
  Rng rng_;
};

// FSRCNN's body: feature extraction d, shrink to s_ch, m maps, expand to d.
void fsrcnn_body(SpecBuilder& b, int d, int s_ch, int m) {
  b.conv("feature", 1, d, 5);
  b.prelu("feature_act", d);
  b.conv("shrink", d, s_ch, 1);
  b.prelu("shrink_act", s_ch);
  for (int i = 0; i < m; ++i) {
    b.conv("map" + std::to_string(i), s_ch, s_ch, 3);
    b.prelu("map" + std::to_string(i) + "_act", s_ch);
  }
  b.conv("expand", s_ch, d, 1);
  b.prelu("expand_act", d);
}

}  // namespace

std::vector<std::string> architecture_names() {
  return {"fsrcnn", "fsrcnn-s", "fsrcnn-subpixel", "resize-nearest", "resize-bilinear", "espcn",
          "linear"};
}

Architecture make_architecture(const ArchitectureOptions& o) {
  const std::vector<std::string> names = architecture_names();
  if (std::find(names.begin(), names.end(), o.arch) == names.end())
    throw InvalidArgument("architecture '" + o.arch + "': unknown");
  if (o.scale < 2 || o.scale > 8)
    throw InvalidArgument("architecture scale " + std::to_string(o.scale) + ": must be in [2, 8]");
  if (o.init != "random" && o.init != "bilinear")
    throw InvalidArgument("architecture init '" + o.init + "': must be random or bilinear");
  const bool deconv_head = o.arch == "fsrcnn" || o.arch == "fsrcnn-s" || o.arch == "linear";
  if (o.init == "bilinear" && !deconv_head)
    throw InvalidArgument("architecture " + o.arch +
                          ": init bilinear needs a transposed-convolution head");
  const bool bilinear = o.init == "bilinear";
  const int s = o.scale;
  SpecBuilder b(o.seed);
  Architecture a;
  if (o.arch == "fsrcnn" || o.arch == "fsrcnn-s") {
    const bool small = o.arch == "fsrcnn-s";
    const int d = small ? 32 : 56;
    fsrcnn_body(b, d, small ? 5 : 12, small ? 1 : 4);
    // 9x9 of stride s: output (n - 1) s - 8 + 9 + (s - 1) = n s.
    b.tconv("deconv", d, 1, 9, s, 4, s - 1, bilinear, 0.001);
    a.lr_scales = {{"deconv.weight", 0.1f}, {"deconv.bias", 0.1f}};
  } else if (o.arch == "fsrcnn-subpixel") {
    fsrcnn_body(b, 56, 12, 4);
    b.conv("subpixel", 56, s * s, 3);
    b.pixel_shuffle(s);
  } else if (o.arch == "resize-nearest" || o.arch == "resize-bilinear") {
    fsrcnn_body(b, 56, 12, 4);
    b.upsample(o.arch == "resize-nearest" ? "nearest" : "bilinear", s);
    b.conv("resize_conv", 56, 1, 5);
  } else if (o.arch == "espcn") {
    b.conv("conv1", 1, 64, 5);
    b.simple("tanh");
    b.conv("conv2", 64, 32, 3);
    b.simple("tanh");
    b.conv("conv3", 32, s * s, 3);
    b.pixel_shuffle(s);
  } else {  // linear
    // Side K = 8 s; output (n - 1) s - 2 p + K + op = n s needs 2 p - op = K - s.
    const int k = 8 * s;
    const int op = (k - s) % 2;
    b.tconv("deconv", 1, 1, k, s, (k - s + op) / 2, op, bilinear, 0.001);
  }
  a.spec.scale = s;
  a.spec.color = ModelColor::kY;
  a.spec.residual = ModelResidual::kNone;
  a.spec.layers = std::move(b.layers);
  a.spec.tensors = std::move(b.tensors);
  return a;
}

PatchSampler::PatchSampler(std::vector<TrainingPair> pairs, int scale, int lr_patch, int context)
    : scale_(scale), patch_(lr_patch), context_(context) {
  if (lr_patch < 1 || scale < 1 || context < 0)
    throw InvalidArgument("patch sampler: patch " + std::to_string(lr_patch) + " and scale " +
                          std::to_string(scale) + " must be at least 1");
  for (TrainingPair& p : pairs) {
    const Shape3 l = p.lr.shape();
    const Shape3 h = p.hr.shape();
    if (l.c != 1 || h.c != 1 || h.h != l.h * scale || h.w != l.w * scale)
      throw InvalidArgument("patch sampler: pair LR " + to_string(l) + ", HR " + to_string(h) +
                            " is not one channel at " + std::to_string(scale) + " times the size");
    const int side = lr_patch + 2 * context;
    if (l.h < side || l.w < side) continue;
    first_.push_back(total_);
    total_ += std::int64_t{l.h - side + 1} * (l.w - side + 1);
    pairs_.push_back(std::move(p));
  }
  if (pairs_.empty())
    throw InvalidArgument("patch sampler: no image holds a " + std::to_string(lr_patch) + "x" +
                          std::to_string(lr_patch) + " LR patch");
}

namespace {

// Copies the n x n square of src at (top, left) into dst (n x n) under the
// flip/rotation k in [0, 8): bit 0 mirrors x, bit 1 mirrors y, bit 2
// transposes; dst[y][x] = src[top + sy][left + sx] with (sy, sx) the
// transformed (y, x). The same k maps an LR patch and its HR patch alike,
// since LR pixel x sits at HR s x + (s - 1) / 2 and mirroring keeps that.
void copy_square(ConstTensorView src, int top, int left, int n, int k, float* dst) {
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      int sy = (k & 4) ? x : y;
      int sx = (k & 4) ? y : x;
      if (k & 1) sx = n - 1 - sx;
      if (k & 2) sy = n - 1 - sy;
      dst[static_cast<std::size_t>(y) * n + x] = src.row(0, top + sy)[left + sx];
    }
}

}  // namespace

void PatchSampler::fill(std::uint64_t seed, std::int64_t step, BatchView lr, BatchView hr) const {
  const int p = patch_ + 2 * context_;  // LR side with the context
  const int ph = patch_ * scale_;
  if (lr.count != hr.count || !(lr.item == Shape3{1, p, p}) || !(hr.item == Shape3{1, ph, ph}))
    throw ShapeMismatch("patch sampler: batches " + std::to_string(lr.count) + " x " +
                        to_string(lr.item) + " and " + std::to_string(hr.count) + " x " +
                        to_string(hr.item) + ", needs 1x" + std::to_string(p) + "x" +
                        std::to_string(p) + " and 1x" + std::to_string(ph) + "x" +
                        std::to_string(ph));
  for (std::int64_t b = 0; b < lr.count; ++b) {
    Rng rng(mix(seed) ^ mix(static_cast<std::uint64_t>(step) * 1024 + static_cast<std::uint64_t>(b)));
    const auto at = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(total_)));
    const auto i = static_cast<std::size_t>(
        std::upper_bound(first_.begin(), first_.end(), at) - first_.begin() - 1);
    const TrainingPair& pair = pairs_[i];
    const int across = pair.lr.shape().w - p + 1;
    const auto offset = at - first_[i];
    const int top = static_cast<int>(offset / across);
    const int left = static_cast<int>(offset % across);
    const int k = static_cast<int>(rng.below(8));
    copy_square(pair.lr.view(), top, left, p, k, lr.at(b).data);
    // The HR patch is the LR square without its context, s times larger.
    copy_square(pair.hr.view(), (top + context_) * scale_, (left + context_) * scale_, ph, k,
                hr.at(b).data);
  }
}

}  // namespace tconv

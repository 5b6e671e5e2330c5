// tconv-bench: named convolution cases, timed against peers in the same
// run (the reference impl, oneDNN's deconvolution and convolution,
// cv::resize), and against the machine's measured FMA peak.
//
// Each measurement is the median of --reps runs after warm-up runs, with the
// output preallocated where the API allows. GFLOP/s counts the useful
// multiply-adds of the layer: 2 * (input pixels of a transposed convolution,
// output pixels of a convolution) * in_channels * (out_channels / groups) *
// kh * kw; "% peak" divides it by the FMA peak of the ISA the impls use
// (cpu_isa()) on the same thread count, measured at start (fma_peak.hpp).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fma_peak.hpp"
#include "tconv/core/conv2d.hpp"
#include "tconv/core/conv_backward.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/cpu.hpp"
#include "tconv/io/safetensors.hpp"
#include "tconv/model/model.hpp"
#include "tconv/train/architectures.hpp"
#include "tconv/train/network.hpp"
#include "tconv/resample/border.hpp"
#include "tconv/resample/factories.hpp"
#include "tconv/resample/resample.hpp"
#ifdef TCONV_HAVE_ONEDNN
#include "onednn_peer.hpp"
#endif

namespace {

using tconv::ConvParams;
using tconv::Shape3;
using tconv::Tensor;

struct Case {
  std::string name;
  std::string problem;  // what it is, for the table
  Shape3 input;
  ConvParams params;
  bool bilinear = false;  // interpolation weights; cv::resize is a peer
  bool u8 = false;        // 8-bit image case
  tconv::ConvKind kind = tconv::ConvKind::kConvTranspose2d;
  bool network = false;   // the whole FSRCNN x2 network (params unused)
  bool train_step = false;  // with network: one training step on a batch
  int batch = 1;          // items of `input` run as one batch (run_batch)
  // The forward op, or one part of its backward pass (ConvBackward).
  enum class Pass { kForward, kInputGrad, kWeightGrad } pass = Pass::kForward;
  // With u8 and bilinear: resample by this fractional factor (per axis,
  // resample_interleaved) instead of the x2 layer; cv::resize is the peer.
  tconv::Ratio ratio{0, 0};
};

// A conv2d layer of FSRCNN (stride 1, "same" padding for odd k).
ConvParams conv(int ic, int oc, int k) {
  ConvParams p;
  p.in_channels = ic;
  p.out_channels = oc;
  p.kernel = {k, k};
  p.padding(k / 2);
  return p;
}

ConvParams layer(int ic, int oc, int groups, int k, int s, int pad, int op = 0) {
  ConvParams p;
  p.in_channels = ic;
  p.out_channels = oc;
  p.groups = groups;
  p.kernel = {k, k};
  p.stride = {s, s};
  p.padding(pad);
  p.output_padding = {op, op};
  return p;
}

std::vector<Case> all_cases() {
  std::vector<Case> cases = {
      {"feat64to32_k4s2_256", "f32 64->32 k4 s2 p1, 256x256", {64, 256, 256}, layer(64, 32, 1, 4, 2, 1)},
      {"rgb3to3_k4s2_1080p", "f32 dense 3->3 k4 s2 p1, 1080x1920", {3, 1080, 1920}, layer(3, 3, 1, 4, 2, 1)},
      {"fsrcnn56to1_k9s2_256", "f32 56->1 k9 s2 p4 op1, 256x256", {56, 256, 256}, layer(56, 1, 1, 9, 2, 4, 1)},
      {"unet128to64_k2s2_128", "f32 128->64 k2 s2, 128x128", {128, 128, 128}, layer(128, 64, 1, 2, 2, 0)},
      {"depthwise3_k8s4_540p", "f32 groups 3 k8 s4 p2, 540x960", {3, 540, 960}, layer(3, 3, 3, 8, 4, 2)},
  };
  // FSRCNN x2 (d 56, s 12, m 4) layer by layer on a 1080p luma plane, then whole.
  const auto k2d = tconv::ConvKind::kConv2d;
  cases.push_back({"fsrcnn_feature_1to56_k5_1080p", "f32 conv2d 1->56 k5 p2, 1080x1920",
                   {1, 1080, 1920}, conv(1, 56, 5), false, false, k2d});
  cases.push_back({"fsrcnn_shrink_56to12_k1_1080p", "f32 conv2d 56->12 k1, 1080x1920",
                   {56, 1080, 1920}, conv(56, 12, 1), false, false, k2d});
  cases.push_back({"fsrcnn_map_12to12_k3_1080p", "f32 conv2d 12->12 k3 p1, 1080x1920",
                   {12, 1080, 1920}, conv(12, 12, 3), false, false, k2d});
  cases.push_back({"fsrcnn_expand_12to56_k1_1080p", "f32 conv2d 12->56 k1, 1080x1920",
                   {12, 1080, 1920}, conv(12, 56, 1), false, false, k2d});
  cases.push_back({"fsrcnn_deconv_56to1_k9s2_1080p", "f32 56->1 k9 s2 p4 op1, 1080x1920",
                   {56, 1080, 1920}, layer(56, 1, 1, 9, 2, 4, 1)});
  // The same layers on a training batch: 16 LR patches of 32 x 32.
  const auto b16 = [&](std::string name, std::string problem, Shape3 item, ConvParams p,
                       tconv::ConvKind kind) {
    Case c{std::move(name), std::move(problem), item, p, false, false, kind};
    c.batch = 16;
    cases.push_back(c);
  };
  b16("fsrcnn_feature_1to56_k5_b16x32", "f32 conv2d 1->56 k5 p2, 16 x 32x32", {1, 32, 32},
      conv(1, 56, 5), k2d);
  b16("fsrcnn_shrink_56to12_k1_b16x32", "f32 conv2d 56->12 k1, 16 x 32x32", {56, 32, 32},
      conv(56, 12, 1), k2d);
  b16("fsrcnn_map_12to12_k3_b16x32", "f32 conv2d 12->12 k3 p1, 16 x 32x32", {12, 32, 32},
      conv(12, 12, 3), k2d);
  b16("fsrcnn_expand_12to56_k1_b16x32", "f32 conv2d 12->56 k1, 16 x 32x32", {12, 32, 32},
      conv(12, 56, 1), k2d);
  b16("fsrcnn_deconv_56to1_k9s2_b16x32", "f32 56->1 k9 s2 p4 op1, 16 x 32x32", {56, 32, 32},
      layer(56, 1, 1, 9, 2, 4, 1), tconv::ConvKind::kConvTranspose2d);
  // Their backward passes on the same batch: dL/dx (the adjoint op; not
  // needed for the first layer in training) and dL/dW + dL/db.
  const std::size_t forward_count = cases.size();
  for (std::size_t i = forward_count - 5; i < forward_count; ++i) {
    Case dx = cases[i], dw = cases[i];
    dx.name += "_dx";
    dx.problem += ", input gradient";
    dx.pass = Case::Pass::kInputGrad;
    dw.name += "_dw";
    dw.problem += ", weight + bias gradient";
    dw.pass = Case::Pass::kWeightGrad;
    if (i != forward_count - 5) cases.push_back(dx);
    cases.push_back(dw);
  }
  cases.push_back({"fsrcnn_x2_network_1080p", "FSRCNN x2 forward (Model::run_network), 1080x1920 Y",
                   {1, 1080, 1920}, {}, false, false, tconv::ConvKind::kConvTranspose2d, true});
  {
    // One training step as `train --arch fsrcnn` runs it: forward, MSE,
    // backward, Adam on 16 LR patches of 32x32 (the peer: PyTorch's step).
    Case step{"fsrcnn_x2_train_step_b16x32",
              "FSRCNN x2 training step (forward, MSE, backward, Adam), 16 x 32x32",
              {1, 32, 32}, {}, false, false, tconv::ConvKind::kConvTranspose2d, true};
    step.train_step = true;
    step.batch = 16;
    cases.push_back(step);
  }
  tconv::Layer bilinear = tconv::make_upsampler(tconv::Interpolation::kBilinear, {2, 2}, 3);
  cases.push_back({"rgb_bilinear_x2_f32_1080p", "f32 RGB bilinear x2 (replicate), 1080x1920",
                   {3, 1080, 1920}, bilinear.params, true, false});
  cases.push_back({"rgb_bilinear_x2_u8_1080p", "u8 RGB bilinear x2 (replicate), 1080x1920 -> 2160x3840",
                   {3, 1080, 1920}, bilinear.params, true, true});
  Case fractional{"rgb_bilinear_x1.5_u8_1080p", "u8 RGB bilinear x1.5 (replicate), 1080x1920 -> 1620x2880",
                  {3, 1080, 1920}, bilinear.params, true, true};
  fractional.ratio = {3, 2};
  cases.push_back(fractional);
  return cases;
}

double median_ms(int warmup, int reps, const std::function<void()>& fn) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> ms;
  for (int i = 0; i < std::max(1, reps); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms.size() % 2 ? ms[ms.size() / 2] : 0.5 * (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]);
}

Tensor random_tensor(Shape3 shape, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(shape.elements()));
  for (float& x : v) x = dist(rng);
  return Tensor(shape, std::move(v));
}

tconv::Weights random_weights(const ConvParams& p, tconv::ConvKind kind) {
  tconv::Weights w;
  w.shape = p.weight_shape(kind);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-0.1f, 0.1f);
  w.values.resize(static_cast<std::size_t>(w.shape.elements()));
  for (float& x : w.values) x = dist(rng);
  w.bias.assign(static_cast<std::size_t>(p.out_channels), 0.01f);
  return w;
}

float max_abs_diff(const Tensor& a, const Tensor& b) {
  float worst = 0.0f;
  for (std::size_t i = 0; i < a.span().size(); ++i) worst = std::max(worst, std::abs(a.span()[i] - b.span()[i]));
  return worst;
}

// Interleaved HWC Mat from a planar tensor (for cv::resize).
cv::Mat to_mat(const Tensor& t, int depth) {
  const Shape3 s = t.shape();
  cv::Mat m(s.h, s.w, CV_MAKETYPE(depth, s.c));
  for (int y = 0; y < s.h; ++y)
    for (int x = 0; x < s.w; ++x)
      for (int c = 0; c < s.c; ++c) {
        const float v = t.at(c, y, x);
        if (depth == CV_8U)
          m.ptr<std::uint8_t>(y)[x * s.c + c] = static_cast<std::uint8_t>(std::lround(v * 255.0f));
        else
          m.ptr<float>(y)[x * s.c + c] = v;
      }
  return m;
}

// Multiply-adds of one run of the case's layer.
double layer_macs(tconv::ConvKind kind, const ConvParams& p, const Shape3& input) {
  const Shape3 out = p.output_shape(kind, input);
  const double pixels = kind == tconv::ConvKind::kConv2d ? double(out.h) * out.w : double(input.h) * input.w;
  return pixels * p.in_channels * (p.out_channels / p.groups) * p.kernel.h * p.kernel.w;
}

// FSRCNN x2 (d 56, s 12, m 4) with random weights, as a model file in
// memory: conv 1->56 k5, PReLU, 56->12 k1, PReLU, 4 x (12->12 k3, PReLU),
// 12->56 k1, PReLU, transposed 56->1 k9 s2 p4 op1. Sets `macs` to the
// network's multiply-adds for `input`.
tconv::Model fsrcnn_x2(const Shape3& input, double& macs) {
  tconv::ModelFileSpec spec;
  spec.scale = 2;
  spec.color = tconv::ModelColor::kY;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-0.05f, 0.05f);
  auto tensor = [&](const std::string& name, std::vector<std::int64_t> shape) {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    std::vector<float> v(static_cast<std::size_t>(n));
    for (float& x : v) x = dist(rng);
    spec.tensors.push_back({name, std::move(shape), std::move(v)});
  };
  macs = 0;
  int index = 0;
  auto add_conv = [&](int ic, int oc, int k) {
    const std::string name = "l" + std::to_string(index++);
    tensor(name + ".weight", {oc, ic, k, k});
    tensor(name + ".bias", {oc});
    tconv::ModelFileLayer l;
    l.op = "conv2d";
    l.weight = name + ".weight";
    l.bias = name + ".bias";
    l.params = conv(ic, oc, k);
    spec.layers.push_back(l);
    macs += double(input.h) * input.w * ic * oc * k * k;
    const std::string slope = "a" + std::to_string(index);
    tensor(slope, {oc});
    tconv::ModelFileLayer act;
    act.op = "prelu";
    act.weight = slope;
    spec.layers.push_back(act);
  };
  add_conv(1, 56, 5);
  add_conv(56, 12, 1);
  for (int m = 0; m < 4; ++m) add_conv(12, 12, 3);
  add_conv(12, 56, 1);
  tensor("deconv.weight", {56, 1, 9, 9});
  tensor("deconv.bias", {1});
  tconv::ModelFileLayer d;
  d.op = "conv_transpose2d";
  d.weight = "deconv.weight";
  d.bias = "deconv.bias";
  d.params = layer(56, 1, 1, 9, 2, 4, 1);
  spec.layers.push_back(d);
  macs += double(input.h) * input.w * 56 * 81;
  const auto bytes = tconv::encode_model(spec);
  return tconv::Model::from_safetensors(tconv::parse_safetensors(bytes, "fsrcnn_x2"), "fsrcnn_x2");
}

// The ISA an impl name says it needs ("avx512", "avx2"; "portable" otherwise).
std::string isa_of(std::string_view impl) {
  if (impl.ends_with("_avx512")) return "avx512";
  if (impl.ends_with("_avx2")) return "avx2";
  return "portable";
}

int isa_rank(std::string_view isa) { return isa == "avx512" ? 2 : isa == "avx2" ? 1 : 0; }

// The first impl of `names` (registry order, best first) that applies and
// needs no ISA above `isa`: what the registry would choose on a CPU with
// that ISA. Empty when none does.
template <typename Applies>
std::string best_impl_up_to(const std::vector<std::string>& names, std::string_view isa,
                            const Applies& applies) {
  for (const std::string& name : names)
    if (isa_rank(isa_of(name)) <= isa_rank(isa) && applies(name)) return name;
  return "";
}

// Options for the interleaved 8-bit RGB bilinear runs on `threads` threads:
// with `isa` set, the impl the registry would choose for `factor` on a CPU
// of that ISA; empty, the registry's own choice.
tconv::ResampleOptions resample_options(int threads, std::string_view isa, tconv::Size2 factor) {
  tconv::ResampleOptions options;
  options.threads = threads;
  if (isa.empty()) return options;
  std::vector<std::string> impls;
  for (const auto n : tconv::upsample_interleaved_impls<std::uint8_t>()) impls.emplace_back(n);
  options.force_impl = best_impl_up_to(impls, isa, [&](const std::string& n) {
    return tconv::upsample_interleaved_applicable<std::uint8_t>(n, tconv::Interpolation::kBilinear,
                                                               factor, 3);
  });
  return options;
}

struct Result {
  std::string name;
  std::string impl;
  double median = 0;
  double gflops = 0;
  double peak_percent = 0;
  std::optional<double> onednn, cv_resize, reference, pytorch;
  std::string note;
};

// PyTorch's median for one case of bench/torch_peer.py (run by its #! line,
// Debian's /usr/bin/python3) on `threads` threads,
// or nothing (with the reason in `note`) when python3 or torch is missing.
std::optional<double> torch_peer_ms(const std::string& peer_case, int threads, int reps, std::string& note) {
#ifdef TCONV_TORCH_PEER
  const std::string command = "'" TCONV_TORCH_PEER "' " + peer_case + " --threads " +
                              std::to_string(threads) + " --reps " + std::to_string(reps) + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) {
    note = "PyTorch peer: cannot start python3";
    return std::nullopt;
  }
  std::string text;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe)) text += buf;
  const int status = pclose(pipe);
  if (status != 0) {
    note = "PyTorch peer: not installed (python3-torch)";
    return std::nullopt;
  }
  const auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.contains("median_ms")) {
    note = "PyTorch peer: unreadable answer";
    return std::nullopt;
  }
  return parsed["median_ms"].get<double>();
#else
  (void)peer_case, (void)threads, (void)reps;
  note = "PyTorch peer: not built in";
  return std::nullopt;
#endif
}

std::string ms_text(const std::optional<double>& v) {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", *v);
  return buf;
}

std::string ratio_text(double ours, const std::optional<double>& peer) {
  if (!peer) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", ours / *peer);
  return buf;
}

// One backward case: the input or weight gradient of c's layer on its
// batch, against the reference weight-gradient impl when reference_reps > 0.
// `isa` non-empty: the best impls of at most that ISA.
void run_backward_case(const Case& c, const Tensor& src, int threads, int reps, int reference_reps,
                       const std::string& isa, Result& r) {
  const tconv::Weights weights = random_weights(c.params, c.kind);
  const tconv::ConvBackward probe = tconv::ConvBackward::create(c.kind, c.params, weights, c.input);
  const Shape3 out = probe.output_shape();
  const Tensor dy = random_tensor({c.batch * out.c, out.h, out.w}, 2);
  const tconv::ConstBatchView x_view{src.data(), c.batch, c.input};
  const tconv::ConstBatchView dy_view{dy.data(), c.batch, out};
  tconv::OpOptions options;
  if (!isa.empty()) {
    const bool adjoint_conv2d = c.kind == tconv::ConvKind::kConvTranspose2d;
    tconv::ConvParams adjoint = c.params.resolved(c.kind, c.input);
    std::swap(adjoint.in_channels, adjoint.out_channels);
    adjoint.output_padding = {0, 0};
    options.force_impl =
        c.pass == Case::Pass::kWeightGrad
            ? best_impl_up_to(tconv::conv_weight_grad_impl_names(), isa,
                              [](const std::string& n) { return tconv::conv_weight_grad_impl_applicable(n); })
        : adjoint_conv2d
            ? best_impl_up_to(tconv::conv2d_impl_names(), isa,
                              [&](const std::string& n) { return tconv::conv2d_impl_applicable(n, adjoint); })
            : best_impl_up_to(tconv::conv_transpose2d_impl_names(), isa, [&](const std::string& n) {
                return tconv::conv_transpose2d_impl_applicable(n, adjoint);
              });
  }
  const tconv::ConvBackward op = tconv::ConvBackward::create(c.kind, c.params, weights, c.input, options);
  const double macs = c.batch * layer_macs(c.kind, c.params, c.input);
  if (c.pass == Case::Pass::kInputGrad) {
    Tensor dx({c.batch * c.input.c, c.input.h, c.input.w});
    r.impl = std::string(op.input_grad_impl());
    r.median = median_ms(2, reps, [&] { op.input_grad(dy_view, {dx.data(), c.batch, c.input}, threads); });
  } else {
    std::vector<float> dw(weights.values.size()), db(weights.bias.size());
    r.impl = std::string(op.weight_grad_impl());
    r.median = median_ms(2, reps, [&] { op.weight_grad(x_view, dy_view, dw, db, threads); });
    if (reference_reps > 0) {
      tconv::OpOptions ref_options;
      ref_options.force_impl = "conv_weight_grad_f32_ref";
      const auto ref = tconv::ConvBackward::create(c.kind, c.params, weights, c.input, ref_options);
      std::vector<float> ref_dw(dw.size()), ref_db(db.size());
      r.reference = median_ms(0, reference_reps, [&] { ref.weight_grad(x_view, dy_view, ref_dw, ref_db, threads); });
      float diff = 0;
      for (std::size_t i = 0; i < dw.size(); ++i)
        diff = std::max(diff, std::abs(dw[i] - ref_dw[i]) / (1.0f + std::abs(ref_dw[i])));
      if (!(diff < 1e-4f)) r.note = "reference differs by " + std::to_string(diff) + " (relative)";
    }
  }
  r.gflops = 2.0 * macs / (r.median * 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tconv-bench: transposed convolution against its peers, medians of repeated runs"};
  std::vector<std::string> names;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int reps = 10;
  int reference_reps = 1;
  bool json = false;
  bool list = false;
  app.add_option("--case", names, "Run only these cases (repeatable); default: all");
  app.add_option("--threads", threads, "Threads for every library")->capture_default_str()->check(CLI::Range(1, 256));
  app.add_option("--reps", reps, "Timed runs per measurement (after 2 warm-up runs)")->capture_default_str()->check(CLI::Range(1, 1000));
  app.add_option("--reference-reps", reference_reps, "Timed runs of the slow reference impl (0: skip it)")->capture_default_str()->check(CLI::Range(0, 100));
  app.add_flag("--json", json, "Print one JSON array instead of a table");
  app.add_flag("--list", list, "List the cases and exit");
  std::string isa_option;
  app.add_option("--isa", isa_option,
                 "Run the impls of at most this ISA (avx512, avx2, portable), as on a CPU that "
                 "has no wider one, and measure its peak; default: this CPU's (the whole-network "
                 "case runs at this CPU's ISA only)")
      ->check(CLI::IsMember({"avx512", "avx2", "portable"}));
  std::string impl_option;
  app.add_option("--impl", impl_option,
                 "Run this conv_transpose2d or conv2d impl (tconv-upsample impls lists them) on "
                 "the cases it takes, and skip the others")
      ->excludes("--isa");
  CLI11_PARSE(app, argc, argv);

  std::vector<Case> cases = all_cases();
  if (list) {
    for (const Case& c : cases) std::printf("%-32s %s\n", c.name.c_str(), c.problem.c_str());
    return 0;
  }
  if (!names.empty()) {
    for (const std::string& n : names)
      if (std::none_of(cases.begin(), cases.end(), [&](const Case& c) { return c.name == n; })) {
        std::fprintf(stderr, "tconv-bench: unknown case %s (see --list)\n", n.c_str());
        return 2;
      }
    std::erase_if(cases, [&](const Case& c) { return std::find(names.begin(), names.end(), c.name) == names.end(); });
  }

  // The yardstick: the FMA peak of the ISA the impls use, on these threads.
  const std::string native_isa(tconv::cpu_isa());
  if (!impl_option.empty()) {
    const auto t = tconv::conv_transpose2d_impl_names();
    const auto c = tconv::conv2d_impl_names();
    if (std::find(t.begin(), t.end(), impl_option) == t.end() &&
        std::find(c.begin(), c.end(), impl_option) == c.end()) {
      std::fprintf(stderr, "tconv-bench: --impl %s: no such impl (tconv-upsample impls lists them)\n", impl_option.c_str());
      return 2;
    }
  }
  // An impl is measured against the peak of its own ISA.
  const std::string isa = !impl_option.empty()  ? std::string(isa_of(impl_option))
                          : isa_option.empty() ? native_isa
                                               : isa_option;
  if (isa_rank(isa) > isa_rank(native_isa)) {
    std::fprintf(stderr, "tconv-bench: --isa %s: this CPU has %s at most\n", isa.c_str(), native_isa.c_str());
    return 2;
  }
  const bool forced_isa = isa != native_isa;
  const double peak = tconv::bench::fma_peak_gflops(isa, threads);
  if (!json) std::fprintf(stderr, "ISA %s: FMA peak %.1f GFLOP/s on %d threads\n", isa.c_str(), peak, threads);

  std::vector<Result> results;
  for (const Case& c : cases) {
    Result r;
    r.name = c.name;
    // A batch is N items back to back: the planar {N C, H, W} tensor has
    // the N x C x H x W layout.
    const Tensor src = random_tensor({c.batch * c.input.c, c.input.h, c.input.w}, 1);
    // The network's layers take the CPU's impls.
    if (c.network && (forced_isa || !impl_option.empty())) continue;
    if (c.network && c.train_step) {
      tconv::ArchitectureOptions arch;
      arch.arch = "fsrcnn";
      tconv::OpOptions options;
      options.threads = threads;
      const tconv::Architecture a = tconv::make_architecture(arch);
      tconv::TrainableNetwork net = tconv::TrainableNetwork::create(a.spec, c.input, c.batch, options);
      for (tconv::TrainParameter& p : net.parameters())
        if (a.lr_scales.count(p.name)) p.lr_scale = a.lr_scales.at(p.name);
      const Shape3 out = net.output_shape();
      const Tensor target = random_tensor({c.batch * out.c, out.h, out.w}, 2);
      std::vector<float> grad(static_cast<std::size_t>(c.batch * out.elements()));
      tconv::Adam adam;
      r.impl = "TrainableNetwork (" + std::to_string(a.spec.layers.size()) + " layers)";
      r.median = median_ms(2, reps, [&] {
        const tconv::ConstBatchView y = net.forward({src.data(), c.batch, c.input}, threads);
        (void)tconv::mse_loss(y, {target.data(), c.batch, out}, {grad.data(), c.batch, out});
        net.backward({grad.data(), c.batch, out}, threads);
        adam.step(net.parameters(), 1e-6);
      });
      r.pytorch = torch_peer_ms("train_step_b16", threads, reps, r.note);
      if (!json) std::fprintf(stderr, "%s: %.2f ms\n", c.name.c_str(), r.median);
      results.push_back(r);
      continue;
    }
    if (c.network) {
      double macs = 0;
      const tconv::Model model = fsrcnn_x2(c.input, macs);
      r.impl = "model (" + std::to_string(model.describe().size()) + " layers)";
      r.median = median_ms(1, std::max(1, reps / 2), [&] { (void)model.run_network(src.view(), threads); });
      r.gflops = 2.0 * macs / (r.median * 1e6);
      r.peak_percent = 100.0 * r.gflops / peak;
      r.pytorch = torch_peer_ms("forward_1080p", threads, std::max(1, reps / 2), r.note);
      if (!json) std::fprintf(stderr, "%s: %.2f ms\n", c.name.c_str(), r.median);
      results.push_back(r);
      continue;
    }
    if (c.pass != Case::Pass::kForward) {
      if (!impl_option.empty()) continue;
      run_backward_case(c, src, threads, reps, reference_reps, forced_isa ? isa : "", r);
      r.peak_percent = 100.0 * r.gflops / peak;
      if (!json) std::fprintf(stderr, "%s: %.2f ms (%s)\n", c.name.c_str(), r.median, r.impl.c_str());
      results.push_back(r);
      continue;
    }
    if (c.ratio.num != 0) {
      // A fractional factor: the one-pass resampler against cv::resize at
      // the same factor, both into preallocated interleaved outputs.
      if (!impl_option.empty()) continue;
      const cv::Mat in = to_mat(src, CV_8U);
      const int oh = static_cast<int>(tconv::resampled_length(in.rows, c.ratio));
      const int ow = static_cast<int>(tconv::resampled_length(in.cols, c.ratio));
      cv::Mat resized(oh, ow, CV_8UC3), ours(oh, ow, CV_8UC3);
      cv::setNumThreads(threads);
      const double f = static_cast<double>(c.ratio.num) / c.ratio.den;
      r.cv_resize = median_ms(2, reps, [&] { cv::resize(in, resized, resized.size(), f, f, cv::INTER_LINEAR); });
      // The float path's impls (bilinear x3 is not dyadic: no fixed point).
      const tconv::ResampleOptions resample = resample_options(threads, forced_isa ? isa : "", {3, 3});
      const tconv::InterleavedView<const std::uint8_t> in_view{
          in.ptr<std::uint8_t>(), in.rows, in.cols, 3, static_cast<std::ptrdiff_t>(in.step1())};
      const tconv::InterleavedView<std::uint8_t> out_view{
          ours.ptr<std::uint8_t>(), oh, ow, 3, static_cast<std::ptrdiff_t>(ours.step1())};
      r.median = median_ms(2, reps, [&] {
        tconv::resample_interleaved(tconv::Interpolation::kBilinear, {c.ratio, c.ratio},
                                    tconv::Border::kReplicate, in_view, out_view, resample);
      });
      // The float path's impl for this CPU (bilinear x3 is not dyadic: no fixed point).
      r.impl = std::string(
          tconv::upsample_interleaved_impl<std::uint8_t>(tconv::Interpolation::kBilinear, {3, 3}, 3, resample));
      const double diff = cv::norm(ours, resized, cv::NORM_INF);
      if (diff > 1.0) r.note = "differs from cv::resize by " + std::to_string(diff) + " LSB";
      if (!json) std::fprintf(stderr, "%s: %.2f ms, cv::resize %.2f ms\n", c.name.c_str(), r.median, *r.cv_resize);
      results.push_back(r);
      continue;
    }
    const tconv::Weights weights = c.bilinear ? tconv::make_upsampler(tconv::Interpolation::kBilinear, {2, 2}, 3).weights
                                              : random_weights(c.params, c.kind);
    tconv::OpOptions options;
    options.threads = threads;
    const bool conv2d = c.kind == tconv::ConvKind::kConv2d;
    if (!impl_option.empty()) {
      const bool takes = conv2d ? tconv::conv2d_impl_applicable(impl_option, c.params)
                                : tconv::conv_transpose2d_impl_applicable(impl_option, c.params);
      if (c.bilinear || !takes) {
        if (!json) std::fprintf(stderr, "%s: skipped (%s does not take it)\n", c.name.c_str(), impl_option.c_str());
        continue;
      }
      options.force_impl = impl_option;
    } else if (forced_isa) {
      options.force_impl = conv2d
          ? best_impl_up_to(tconv::conv2d_impl_names(), isa,
                            [&](const std::string& n) { return tconv::conv2d_impl_applicable(n, c.params); })
          : best_impl_up_to(tconv::conv_transpose2d_impl_names(), isa, [&](const std::string& n) {
              return tconv::conv_transpose2d_impl_applicable(n, c.params);
            });
    }
    // One planned op of either kind behind the same three calls.
    std::optional<tconv::ConvTranspose2d> tconv_op;
    std::optional<tconv::Conv2d> conv_op;
    if (conv2d)
      conv_op.emplace(tconv::Conv2d::create(c.params, weights, options));
    else
      tconv_op.emplace(tconv::ConvTranspose2d::create(c.params, weights, options));
    const Shape3 item_out = c.params.output_shape(c.kind, c.input);
    const Shape3 out_shape{c.batch * item_out.c, item_out.h, item_out.w};
    // One call for the whole batch, a batch of one included.
    const auto run_batch = [&](const auto& op, const Tensor& in, Tensor& out) {
      op.run_batch({in.data(), c.batch, c.input}, {out.data(), c.batch, item_out});
    };
    const auto run_op = [&](const Tensor& in, Tensor& out) {
      if (conv2d) run_batch(*conv_op, in, out);
      else run_batch(*tconv_op, in, out);
    };
    r.impl = std::string(conv2d ? conv_op->impl_name() : tconv_op->impl_name());
    const double macs = c.batch * layer_macs(c.kind, c.params, c.input);
    Tensor dst(out_shape);
    if (c.bilinear) {
      const tconv::ConvTranspose2d& op = *tconv_op;
      // The image path: replicate border, into a preallocated output.
      Tensor out(out_shape);
      r.median = median_ms(2, reps, [&] { tconv::run_with_border(op, src.view(), out.view(), tconv::Border::kReplicate); });
      const int depth = c.u8 ? CV_8U : CV_32F;
      const cv::Mat in = to_mat(src, depth);
      cv::Mat resized(out_shape.h, out_shape.w, CV_MAKETYPE(depth, 3));
      cv::setNumThreads(threads);
      r.cv_resize = median_ms(2, reps, [&] { cv::resize(in, resized, resized.size(), 0, 0, cv::INTER_LINEAR); });
      if (c.u8) {
        // The interleaved integer path, into a preallocated interleaved output.
        cv::Mat ours(out_shape.h, out_shape.w, CV_8UC3);
        const tconv::InterleavedView<const std::uint8_t> in_view{
            in.ptr<std::uint8_t>(), in.rows, in.cols, 3, static_cast<std::ptrdiff_t>(in.step1())};
        const tconv::InterleavedView<std::uint8_t> out_view{
            ours.ptr<std::uint8_t>(), ours.rows, ours.cols, 3, static_cast<std::ptrdiff_t>(ours.step1())};
        const tconv::ResampleOptions resample = resample_options(threads, forced_isa ? isa : "", {2, 2});
        r.median = median_ms(2, reps, [&] {
          tconv::upsample_interleaved(tconv::Interpolation::kBilinear, {2, 2}, tconv::Border::kReplicate,
                                      in_view, out_view, resample);
        });
        r.impl = std::string(tconv::upsample_interleaved_impl<std::uint8_t>(tconv::Interpolation::kBilinear,
                                                                            {2, 2}, 3, resample));
        const double diff = cv::norm(ours, resized, cv::NORM_INF);
        if (diff > 1.0) r.note = "differs from cv::resize by " + std::to_string(diff) + " LSB";
      }
      r.gflops = 2.0 * macs / (r.median * 1e6);
    } else {
      r.median = median_ms(2, reps, [&] { run_op(src, dst); });
      r.gflops = 2.0 * macs / (r.median * 1e6);
#ifdef TCONV_HAVE_ONEDNN
      try {
        tconv::bench::OneDnnConv peer(c.kind, c.params, weights, src, c.batch, c.input, threads);
        r.onednn = median_ms(2, reps, [&] { peer.run(); });
        const float diff = max_abs_diff(peer.output(), dst);
        if (!(diff < 1e-3f)) r.note = "oneDNN result differs by " + std::to_string(diff);
        if (!json) std::fprintf(stderr, "%s: oneDNN impl %s\n", c.name.c_str(), peer.impl_name());
      } catch (const std::exception& e) {
        r.note = std::string("oneDNN failed: ") + e.what();
      }
#endif
    }
    r.peak_percent = 100.0 * r.gflops / peak;
    if (reference_reps > 0 && !c.u8) {
      tconv::OpOptions ref_options = options;
      ref_options.force_impl = conv2d ? "conv2d_f32_ref" : "tconv2d_f32_ref";
      Tensor ref_dst(out_shape);
      if (conv2d) {
        const auto ref = tconv::Conv2d::create(c.params, weights, ref_options);
        r.reference = median_ms(0, reference_reps, [&] { run_batch(ref, src, ref_dst); });
      } else {
        const auto ref = tconv::ConvTranspose2d::create(c.params, weights, ref_options);
        r.reference = median_ms(0, reference_reps, [&] { run_batch(ref, src, ref_dst); });
      }
      run_op(src, dst);
      const float diff = max_abs_diff(ref_dst, dst);
      if (!(diff < 1e-3f)) r.note += " reference differs by " + std::to_string(diff);
    }
    if (!json)
      std::fprintf(stderr, "%s: %.2f ms (%s)\n", c.name.c_str(), r.median, r.impl.c_str());
    results.push_back(r);
  }

  if (json) {
    nlohmann::json out = nlohmann::json::array();
    auto opt = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
    for (const Result& r : results)
      out.push_back({{"case", r.name}, {"threads", threads}, {"isa", isa}, {"fma_peak_gflops", peak},
                     {"impl", r.impl}, {"median_ms", r.median}, {"gflops", r.gflops},
                     {"peak_percent", r.peak_percent},
                     {"peers", {{"onednn", opt(r.onednn)}, {"cv_resize", opt(r.cv_resize)}, {"reference", opt(r.reference)}, {"pytorch", opt(r.pytorch)}}},
                     {"note", r.note}});
    std::printf("%s\n", out.dump(1).c_str());
    return 0;
  }
  std::printf("threads %d, median of %d runs (reference: %d); ISA %s, FMA peak %.1f GFLOP/s\n", threads,
              reps, reference_reps, isa.c_str(), peak);
  std::printf("%-30s %-30s %9s %8s %6s %9s %7s %9s %7s %9s %7s %11s %s\n", "case", "impl", "ms", "GFLOP/s",
              "%peak", "oneDNN", "ratio", "cv", "ratio", "PyTorch", "ratio", "reference", "note");
  for (const Result& r : results)
    std::printf("%-30s %-30s %9.2f %8.1f %6.1f %9s %7s %9s %7s %9s %7s %11s %s\n", r.name.c_str(),
                r.impl.c_str(), r.median, r.gflops, r.peak_percent, ms_text(r.onednn).c_str(),
                ratio_text(r.median, r.onednn).c_str(), ms_text(r.cv_resize).c_str(),
                ratio_text(r.median, r.cv_resize).c_str(), ms_text(r.pytorch).c_str(),
                ratio_text(r.median, r.pytorch).c_str(), ms_text(r.reference).c_str(), r.note.c_str());
  return 0;
}

// tconv-upsample compare INPUT... -s S [--kernel NAME | --weights W.npy] [-o DIR]
//
// For each image: the transposed convolution's result, the resize-
// convolution's result (resize by S, then a 3x3 convolution fitted by least
// squares to reproduce the transposed convolution, or given), the
// checkerboard metrics of both, their PSNR, and pictures.
#include "commands/compare.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <thread>

#include "batch/batch.hpp"
#include "batch/batch_runner.hpp"
#include "batch/file_io.hpp"
#include "cli/exit_codes.hpp"
#include "cli/logging.hpp"
#include "cli/model_lookup.hpp"
#include "commands/inspect.hpp"
#include "image/image_io.hpp"
#include "image/image_reader.hpp"
#include "report/picture_io.hpp"
#include "report/run_report.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/error.hpp"
#include "tconv/io/npy.hpp"
#include "tconv/model/model.hpp"
#include "tconv/resample/border.hpp"
#include "tconv/sr/analysis.hpp"
#include "tconv/sr/quality.hpp"

namespace tconv::app {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxInputBytes = std::uint64_t{1} << 30;
/// Small results are enlarged (nearest neighbour, integer factor) to about this size.
constexpr int kDisplayTarget = 384;
/// Results larger than kDetailAbove on a side show a kDetail-pixel detail in the side-by-side.
constexpr int kDetailAbove = 640;
constexpr int kDetail = 512;
/// The magnified second row shows at most this many pixels per side.
constexpr int kMagnified = 96;
/// Heat maps larger than this on a side are shown reduced.
constexpr int kHeatMapMax = 1024;

/// Flags checked and files loaded once, before any image.
struct Setup {
  Size2 scale{};
  std::optional<Interpolation> kind;  ///< interpolation kernel, or
  std::optional<Layer> learned;       ///< the --weights layer, or
  std::optional<Model> model;         ///< the --model network
  std::optional<PhaseGains> model_gains;  ///< its flat-field response
  std::string layer_name;             ///< for the report
  Interpolation resize = Interpolation::kBilinear;
  std::optional<Weights> conv3x3;     ///< --conv3x3, else fitted per image
  std::optional<Model> against;       ///< --against: the other side as a model
  std::string other_short = "resize-conv";  ///< the other side in labels
  Border border = Border::kReplicate;
};

struct ReferenceScores {
  double psnr_tconv = 0.0;
  double ssim_tconv = 0.0;
  double psnr_resize_conv = 0.0;
  double ssim_resize_conv = 0.0;
};

struct Report {
  std::string input;
  std::string heading;       ///< input description and sizes
  std::string layer;         ///< layer description for the kernel section
  std::string resize_conv;   ///< how the resize-convolution (or the --against model) was made
  std::string other_short = "resize-conv";  ///< the other side's column name
  PhaseGains gains;
  PhaseMetrics tconv;
  PhaseMetrics resize_conv_metrics;
  double psnr_between = 0.0;
  std::optional<ReferenceScores> reference;
  std::vector<std::string> notes;
  std::vector<std::string> pictures;
};

Tensor crop(ConstTensorView t, int y0, int x0, int h, int w) {
  Tensor out(Shape3{t.shape.c, h, w});
  for (int c = 0; c < t.shape.c; ++c)
    for (int y = 0; y < h; ++y) std::copy_n(t.row(c, y0 + y) + x0, w, out.view().row(c, y));
  return out;
}

Tensor scaled(ConstTensorView t, float k) {
  Tensor out(t.shape);
  const auto in = t.span();
  auto o = out.span();
  for (std::size_t i = 0; i < in.size(); ++i) o[i] = in[i] * k;
  return out;
}

Tensor clamped255(ConstTensorView t) {
  Tensor out(t.shape);
  const auto in = t.span();
  auto o = out.span();
  for (std::size_t i = 0; i < in.size(); ++i) o[i] = std::clamp(in[i], 0.0f, 255.0f);
  return out;
}

Tensor grey_to_rgb(ConstTensorView grey) {
  Tensor out(Shape3{3, grey.shape.h, grey.shape.w});
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < grey.shape.h; ++y) std::copy_n(grey.row(0, y), grey.shape.w, out.view().row(c, y));
  return out;
}

// Planar [0, 1] colour of an image file as displayed (alpha dropped: the
// metrics are about colour).
Tensor load_colour(const fs::path& path, std::string* description) {
  const RawImage raw = read_image_file(path, kMaxInputBytes).raw;
  if (description) *description = describe(raw.shape(), raw.type);
  Image image = to_planar(raw);
  require_finite(image.pixels, path.string());
  if (image.pixels.shape().c == 4)  // planar: the first three planes are R, G, B
    return crop(ConstTensorView{image.pixels.data(), {3, raw.height, raw.width}}, 0, 0, raw.height, raw.width);
  return std::move(image.pixels);
}

Tensor upsample_with(Interpolation kind, Size2 scale, ConstTensorView x) {
  Layer l = make_upsampler(kind, scale, x.shape.c);
  const ConvTranspose2d op = ConvTranspose2d::create(l.params, std::move(l.weights));
  return run_with_border(op, x, Border::kReplicate);
}

double max_of(const Tensor& t) {
  const auto s = t.span();
  return s.empty() ? 0.0 : *std::max_element(s.begin(), s.end());
}

std::string db(double v) { return std::isinf(v) ? "inf dB" : fmt::format("{:.2f} dB", v); }
std::string num(double v) { return std::isinf(v) ? "inf" : fmt::format("{:.4g}", v); }

// |a - b| amplified by a power of two that brings the 99th percentile to
// about 200 grey levels (at most x256), so small differences are visible.
Tensor amplified_difference(ConstTensorView a, ConstTensorView b, int* gain) {
  Tensor d(a.shape);
  auto o = d.span();
  const auto x = a.span();
  const auto y = b.span();
  for (std::size_t i = 0; i < o.size(); ++i) o[i] = std::abs(x[i] - y[i]);
  std::vector<float> sorted(o.begin(), o.end());
  const auto k = static_cast<std::ptrdiff_t>(sorted.size() * 99 / 100);
  std::nth_element(sorted.begin(), sorted.begin() + k, sorted.end());
  const double p99 = sorted.empty() ? 0.0 : sorted[static_cast<std::size_t>(k)];
  *gain = 1;
  while (*gain < 256 && p99 * *gain * 2 <= 200.0) *gain *= 2;
  for (float& v : o) v *= static_cast<float>(*gain);
  return d;
}

// Channel c of a planar view as a one-channel view.
ConstTensorView channel(ConstTensorView t, int c) { return {t.row(c, 0), {1, t.shape.h, t.shape.w}}; }

// PSNR over every channel (one MSE for all samples) and SSIM averaged over
// channels, on the 0-255 scale, with tconv/sr/quality.hpp's definitions.
double psnr_all(ConstTensorView reference, ConstTensorView test) {
  double mse = 0.0;
  for (int c = 0; c < reference.shape.c; ++c) mse += mean_squared_error(channel(reference, c), channel(test, c));
  mse /= reference.shape.c;
  return mse == 0.0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(255.0 * 255.0 / mse);
}

double ssim_all(ConstTensorView reference, ConstTensorView test) {
  double sum = 0.0;
  for (int c = 0; c < reference.shape.c; ++c) sum += ssim(channel(reference, c), channel(test, c));
  return sum / reference.shape.c;
}

// `inputs`: every image of the run; a picture never replaces one of them.
void write_picture(const RawImage& picture, const fs::path& path, const CompareOptions& opt,
                   const std::vector<fs::path>& inputs, Report& report) {
  refuse_if_input(path, inputs);
  write_file_atomic(path, encode_raw(picture, ImageFormat::kPng, EncodeOptions{}), opt.overwrite);
  report.pictures.push_back(path.string());
}

Report analyse(const fs::path& path, const Setup& setup, const CompareOptions& opt,
               const std::vector<fs::path>& inputs) {
  Report report;
  report.input = path.string();
  std::string description;
  Tensor x = load_colour(path, &description);

  Tensor tconv;
  Size2 s{};
  Size2 extent{};  // how far one output reaches into the input, in output pixels
  int dy = 0, dx = 0;
  std::string layer_text;
  if (setup.model) {
    // A learned network (with its own colour handling): out = in * s, pixel-centre aligned.
    tconv = setup.model->upsample(x.view());
    s = {setup.model->scale(), setup.model->scale()};
    extent = {4 * s.h, 4 * s.w};
    report.gains = *setup.model_gains;
    layer_text = setup.layer_name;
  } else {
    Layer layer = setup.learned ? *setup.learned : make_upsampler(*setup.kind, setup.scale, x.shape().c);
    // A one-channel layer sees the luma of a colour image; a three-channel layer a grey image thrice.
    if (layer.params.in_channels == 1 && x.shape().c == 3) {
      x = full_range_luma(x.view());
      report.notes.push_back("the layer takes 1 channel: the image's luma (BT.601) is used");
    } else if (layer.params.in_channels == 3 && x.shape().c == 1) {
      x = grey_to_rgb(x.view());
      report.notes.push_back("the layer takes 3 channels: the grey image is used for each");
    }
    const ConvTranspose2d op = ConvTranspose2d::create(layer.params, std::move(layer.weights));
    tconv = run_with_border(op, x.view(), setup.border);
    report.gains = phase_gains(op.params(), op.weights());
    layer_text = setup.layer_name + " (" + op.params().to_string() + ")";
    // Align the two grids. Input pixel i's centre lands on tconv output
    // o = i s + d (k - 1) / 2 - pad_begin and on resize output o = i s + (s - 1) / 2
    // (pixel-centre alignment), so tconv pixel o + delta matches resize pixel o,
    // delta = round(d (k - 1) / 2 - pad_begin - (s - 1) / 2). Both results are
    // compared on the window where both exist.
    const ConvParams r = op.params().resolved(ConvKind::kConvTranspose2d, x.shape());
    auto delta = [](int k, int d, int pad, int stride) {
      return static_cast<int>(std::floor(d * (k - 1) / 2.0 - pad - (stride - 1) / 2.0 + 0.5));
    };
    dy = delta(r.kernel.h, r.dilation.h, r.pad_begin.h, r.stride.h);
    dx = delta(r.kernel.w, r.dilation.w, r.pad_begin.w, r.stride.w);
    s = r.stride;
    extent = {r.dilation.h * (r.kernel.h - 1) + 1, r.dilation.w * (r.kernel.w - 1) + 1};
  }
  Layer resize_layer = make_upsampler(setup.resize, s, x.shape().c);
  const Size2 resize_kernel = resize_layer.params.kernel;
  const Tensor resized = upsample_with(setup.resize, s, x.view());

  const int y0 = std::max(0, -dy), x0 = std::max(0, -dx);
  const int y1 = std::min(resized.shape().h, tconv.shape().h - dy);
  const int x1 = std::min(resized.shape().w, tconv.shape().w - dx);
  if (y1 <= y0 || x1 <= x0)
    throw InputError(report.input + ": the transposed convolution's output " +
                     wxh_text({tconv.shape().h, tconv.shape().w}) +
                     " does not overlap the resized image " +
                     wxh_text({resized.shape().h, resized.shape().w}));
  const int hh = y1 - y0, ww = x1 - x0;
  const Tensor t_win = crop(tconv.view(), y0 + dy, x0 + dx, hh, ww);
  const Tensor z_win = crop(resized.view(), y0, x0, hh, ww);
  if (hh != tconv.shape().h || ww != tconv.shape().w)
    report.notes.push_back(fmt::format(
        "the transposed convolution's {} output is compared on the {} window aligned with the "
        "resize (offset x {}, y {})",
        wxh_text({tconv.shape().h, tconv.shape().w}), wxh_text({hh, ww}), x0 + dx, y0 + dy));

  // The interior leaves out a band as wide as the larger layer's extent
  // (4 s for a model, whose receptive field is not inspected).
  const Size2 border{std::max(extent.h, resize_kernel.h + 2), std::max(extent.w, resize_kernel.w + 2)};

  Tensor rc;
  if (setup.against) {
    // Both sides are models: out = in * s, pixel-centre aligned, the same window.
    const Tensor other = setup.against->upsample(x.view());
    rc = crop(other.view(), y0, x0, hh, ww);
  } else {
    const Weights w3 = setup.conv3x3 ? *setup.conv3x3 : fit_conv3x3(z_win.view(), t_win.view(), border);
    rc = conv3x3_replicate(z_win.view(), w3);
  }
  if (rc.shape().c != t_win.shape().c)
    throw InputError("--conv3x3 " + opt.conv3x3 + ": gives " + std::to_string(rc.shape().c) +
                     " channels, the transposed convolution " + std::to_string(t_win.shape().c));

  // Metrics on the 0-255 scale whatever the bit depth.
  const Tensor t255 = scaled(t_win.view(), 255.0f);
  const Tensor rc255 = scaled(rc.view(), 255.0f);
  report.tconv = phase_metrics(t255.view(), s, border);
  report.resize_conv_metrics = phase_metrics(rc255.view(), s, border);
  const Tensor t_shown = clamped255(t255.view());
  const Tensor rc_shown = clamped255(rc255.view());
  report.psnr_between = psnr_all(t_shown.view(), rc_shown.view());

  report.heading = fmt::format(
      "{}: {} -> {} (x{}), border {}, metrics on the interior without {} px left and right, {} px "
      "top and bottom",
      escape_control_bytes(report.input), description, wxh_text({tconv.shape().h, tconv.shape().w}), scale_text(s),
      to_string(setup.border), border.w, border.h);
  report.layer = layer_text;
  report.other_short = setup.other_short;
  report.resize_conv =
      setup.against ? "the model " + opt.against
                    : fmt::format("{} x{} (replicate border), then a 3x3 convolution {}",
                                  to_string(setup.resize), scale_text(s),
                                  setup.conv3x3 ? "from " + opt.conv3x3
                                                : std::string("fitted by least squares to the transposed "
                                                              "convolution's result"));

  if (!opt.reference.empty()) {
    Tensor ref = load_colour(opt.reference, nullptr);
    if (t_win.shape().c == 1 && ref.shape().c == 3) ref = full_range_luma(ref.view());
    if (ref.shape().h != resized.shape().h || ref.shape().w != resized.shape().w || ref.shape().c != t_win.shape().c)
      throw InputError(fmt::format("--reference {}: CxHxW {}, expected {}x{}x{} (the input x{})", opt.reference,
                                   to_string(ref.shape()), t_win.shape().c, resized.shape().h,
                                   resized.shape().w, scale_text(s)));
    const Tensor ref255 = scaled(crop(ref.view(), y0, x0, hh, ww).view(), 255.0f);
    report.reference = ReferenceScores{psnr_all(ref255.view(), t_shown.view()), ssim_all(ref255.view(), t_shown.view()),
                                       psnr_all(ref255.view(), rc_shown.view()), ssim_all(ref255.view(), rc_shown.view())};
  }

  if (opt.output_dir.empty()) return report;
  const fs::path dir(opt.output_dir);
  const std::string stem = path.stem().string();
  const Size2 window{8 * s.h, 8 * s.w};
  const Tensor map_t = local_phase_mean_spread(t255.view(), s, window);
  const Tensor map_rc = local_phase_mean_spread(rc255.view(), s, window);

  // Side by side: small results enlarged; large ones show the detail around
  // the window with the largest tconv spread (origins on the phase grid).
  // A second row magnifies a smaller detail there so single pixels show.
  const auto sp = map_t.span();
  const auto worst = static_cast<int>(std::max_element(sp.begin(), sp.end()) - sp.begin());
  const int wy = (worst / map_t.shape().w) * window.h + window.h / 2;  // centre of that window
  const int wx = (worst % map_t.shape().w) * window.w + window.w / 2;
  auto around = [](int centre, int size, int length, int stride) {
    return std::clamp(centre - size / 2, 0, length - size) / stride * stride;
  };
  int zoom = std::max(1, kDisplayTarget / std::max(hh, ww));
  int cy0 = 0, cx0 = 0, ch = hh, cw = ww;
  std::string where;
  if (hh > kDetailAbove || ww > kDetailAbove) {
    ch = std::min(hh, kDetail);
    cw = std::min(ww, kDetail);
    cy0 = around(wy, ch, hh, s.h);
    cx0 = around(wx, cw, ww, s.w);
    zoom = 1;
    where = fmt::format(", x {}-{}, y {}-{} of {}", cx0, cx0 + cw, cy0, cy0 + ch, wxh_text({hh, ww}));
  }
  const int dh = std::min(kMagnified, ch) / s.h * s.h, dw = std::min(kMagnified, cw) / s.w * s.w;
  const int dy0 = std::clamp(around(wy, dh, hh, s.h), cy0, cy0 + ch - dh);
  const int dx0 = std::clamp(around(wx, dw, ww, s.w), cx0, cx0 + cw - dw);
  const int magnify = std::max(2, kDisplayTarget / std::max(dh, dw));

  const Tensor near = scaled(upsample_with(Interpolation::kNearest, s, x.view()).view(), 255.0f);
  const Tensor input_win = crop(near.view(), y0, x0, hh, ww);
  int gain = 1;
  const Tensor diff_win = amplified_difference(t_shown.view(), rc_shown.view(), &gain);
  const std::string diff_label = fmt::format("|difference| x{}", gain);
  const std::string rc_label = setup.against ? "model " + fs::path(opt.against).filename().string()
                                             : "resize-conv (" + std::string(to_string(setup.resize)) + " + 3x3)";
  const std::string tconv_label = setup.model ? "model " + fs::path(setup.layer_name).filename().string()
                                              : std::string("transposed conv");
  const std::array<const Tensor*, 4> sources{&input_win, &t_shown, &rc_shown, &diff_win};
  const std::array<std::string, 4> labels{"input (nearest x" + scale_text(s) + ")", tconv_label,
                                          rc_label, diff_label};
  std::vector<Tensor> parts;  // row 1 crops, then row 2 details
  for (const Tensor* t : sources) parts.push_back(crop(t->view(), cy0, cx0, ch, cw));
  for (const Tensor* t : sources) parts.push_back(crop(t->view(), dy0, dx0, dh, dw));
  PanelRow full{{}, zoom}, detail{{}, magnify};
  for (std::size_t i = 0; i < 4; ++i) {
    // The input panel outlines where the magnified detail is.
    full.panels.push_back({labels[i] + (i == 0 ? where : std::string()), parts[i].view(),
                           i == 0 ? std::array<int, 4>{dx0 - cx0, dy0 - cy0, dw, dh} : std::array<int, 4>{}});
    const std::array<std::string, 4> short_names{"input", "tconv", setup.other_short, "|diff|"};
    detail.panels.push_back({fmt::format("{}{}  (shown x{}, at {},{})", short_names[i],
                                         i == 3 ? fmt::format(" x{}", gain) : std::string(), magnify, dx0, dy0),
                             parts[4 + i].view()});
  }
  std::vector<PanelRow> rows{std::move(full)};
  if (magnify > zoom) rows.push_back(std::move(detail));
  write_picture(side_by_side(rows, fmt::format("{} x{}: {}{}  |  phase_mean_spread tconv {}, {} {}  |  "
                                               "PSNR between them {}",
                                               stem, scale_text(s), setup.layer_name,
                                               zoom > 1 ? fmt::format(" (shown x{})", zoom) : std::string(),
                                               num(report.tconv.phase_mean_spread), setup.other_short,
                                               num(report.resize_conv_metrics.phase_mean_spread),
                                               db(report.psnr_between))),
                dir / (stem + "_compare.png"), opt, inputs, report);

  const double vmax = std::max({max_of(map_t), max_of(map_rc), 1e-3});
  const double heat_zoom = std::max(hh, ww) < kDisplayTarget   ? static_cast<double>(zoom)
                           : std::max(hh, ww) > kHeatMapMax ? double{kHeatMapMax} / std::max(hh, ww)
                                                              : 1.0;
  const std::pair<const Tensor*, const char*> maps[] = {{&map_t, "tconv"}, {&map_rc, "resize_conv"}};
  for (const auto& [map, name] : maps) {
    const bool is_t = map == &map_t;
    const double global = is_t ? report.tconv.phase_mean_spread : report.resize_conv_metrics.phase_mean_spread;
    write_picture(
        heat_map(map->view(), window, heat_zoom, vmax, is_t ? t_shown.view() : rc_shown.view(),
                 fmt::format("{} x{}, {}: local phase-mean spread, {} windows (whole image {}; both maps share "
                             "the colour scale)",
                             stem, scale_text(s), is_t ? tconv_label : rc_label, wxh_text(window),
                             num(global)),
                 "grey levels"),
        dir / (stem + "_heatmap_" + name + ".png"), opt, inputs, report);
  }
  return report;
}

nlohmann::ordered_json metrics_json(const PhaseMetrics& m) {
  nlohmann::ordered_json j;
  j["phase_mean_spread"] = number_or_null(m.phase_mean_spread);
  j["phase_energy_ratio"] = number_or_null(m.phase_energy_ratio);
  j["spectral_peak_ratio"] = number_or_null(m.spectral_peak_ratio);
  return j;
}

nlohmann::ordered_json report_json(const Report& r) {
  nlohmann::ordered_json j;
  j["kernel"] = kernel_json(r.gains);
  j["tconv"] = metrics_json(r.tconv);
  j["resize_conv"] = metrics_json(r.resize_conv_metrics);
  j["psnr_tconv_vs_resize_conv"] = number_or_null(r.psnr_between);
  if (r.reference) {
    nlohmann::ordered_json ref;
    ref["psnr_tconv"] = number_or_null(r.reference->psnr_tconv);
    ref["ssim_tconv"] = number_or_null(r.reference->ssim_tconv);
    ref["psnr_resize_conv"] = number_or_null(r.reference->psnr_resize_conv);
    ref["ssim_resize_conv"] = number_or_null(r.reference->ssim_resize_conv);
    j["reference"] = ref;
  } else {
    j["reference"] = nullptr;
  }
  return j;
}

std::string report_table(const Report& r) {
  std::string out = r.heading + "\n";
  for (const auto& note : r.notes) out += "note: " + note + "\n";
  out += kernel_report(r.gains, r.layer);
  out += (r.other_short == "resize-conv" ? "resize-convolution: " : "other side: ") + r.resize_conv + "\n";
  out += fmt::format("  {:<28} {:>12} {:>12}\n", "metric", "tconv", r.other_short);
  auto row = [&out](const char* name, double a, double b) {
    out += fmt::format("  {:<28} {:>12} {:>12}\n", name, num(a), num(b));
  };
  row("phase_mean_spread", r.tconv.phase_mean_spread, r.resize_conv_metrics.phase_mean_spread);
  row("phase_energy_ratio", r.tconv.phase_energy_ratio, r.resize_conv_metrics.phase_energy_ratio);
  row("spectral_peak_ratio", r.tconv.spectral_peak_ratio, r.resize_conv_metrics.spectral_peak_ratio);
  out += fmt::format("  {:<28} {:>12}\n", "PSNR tconv vs " + r.other_short, db(r.psnr_between));
  if (r.reference) {
    out += fmt::format("  {:<28} {:>12} {:>12}\n", "PSNR vs reference", db(r.reference->psnr_tconv),
                       db(r.reference->psnr_resize_conv));
    out += fmt::format("  {:<28} {:>12.4f} {:>12.4f}\n", "SSIM vs reference", r.reference->ssim_tconv,
                       r.reference->ssim_resize_conv);
  }
  for (const auto& p : r.pictures) out += "wrote " + p + "\n";
  return out;
}

// Images named by the inputs: files as given, directories' images
// (list_directory() with Listing::kImages, not recursive). Missing paths and
// unlistable directories count as failed.
std::vector<fs::path> list_inputs(const std::vector<std::string>& inputs,
                                  std::vector<std::pair<std::string, std::string>>& errors) {
  std::vector<fs::path> files;
  for (const auto& in : inputs) {
    std::error_code ec;
    const fs::path p(in);
    if (fs::is_directory(p, ec)) {
      for (const ListedFile& f : list_directory(p, false, Listing::kImages)) {
        if (f.error.empty()) {
          files.emplace_back(f.path);
        } else {
          errors.emplace_back(in, in + ": " + f.error);
        }
      }
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else {
      errors.emplace_back(in, in + ": no such file or directory");
    }
  }
  return files;
}

Setup make_setup(const CompareOptions& opt) {
  Setup setup;
  setup.model = load_model(opt.layer, OpOptions{});  // checks --model's conflicts
  if (setup.model) {
    setup.scale = {setup.model->scale(), setup.model->scale()};
    setup.model_gains = model_phase_gains(*setup.model);
    setup.layer_name = opt.layer.model;
  } else {
    setup.scale = scale_of(opt.layer);
    setup.kind = interpolation_of(opt.layer);
    if (setup.kind) {
      (void)make_layer(opt.layer, 1);  // checks the flags that apply only with --weights
      setup.layer_name = std::string(to_string(*setup.kind));
    } else {
      setup.learned = make_layer(opt.layer, 1);
      (void)ConvTranspose2d::create(setup.learned->params, setup.learned->weights);  // validates once
      setup.layer_name = opt.layer.weights;
    }
  }
  if (!opt.against.empty()) {
    if (!setup.model) throw UsageError("--against " + opt.against + ": needs --model on the first side");
    if (!opt.conv3x3.empty()) throw UsageError("--against and --conv3x3: choose one for the other side");
    LayerFlags other;
    other.model = resolve_model(opt.against, "--against");
    setup.against = load_model(other, OpOptions{});
    if (setup.against->scale() != setup.model->scale() || setup.against->color() != setup.model->color())
      throw UsageError(fmt::format("--against {}: x{} {}, --model x{} {}; both sides need the same scale and colour",
                                   opt.against, setup.against->scale(), to_string(setup.against->color()),
                                   setup.model->scale(), to_string(setup.model->color())));
    setup.other_short = "other model";
  }
  setup.resize = opt.resize == "nearest" ? Interpolation::kNearest : Interpolation::kBilinear;
  setup.border = border_of(opt.layer, Border::kReplicate);
  if (!opt.conv3x3.empty()) {
    NpyArray a = read_npy(opt.conv3x3);
    if (a.shape.size() != 4 || a.shape[2] != 3 || a.shape[3] != 3 || a.shape[0] < 1 || a.shape[1] < 1 ||
        a.shape[0] > kMaxChannels || a.shape[1] > kMaxChannels)
      throw UsageError("--conv3x3 " + opt.conv3x3 + ": expected shape (C, C, 3, 3) or (C, 1, 3, 3)");
    Weights w;
    w.shape = {static_cast<int>(a.shape[0]), static_cast<int>(a.shape[1]), 3, 3};
    w.values = std::move(a.values);
    setup.conv3x3 = std::move(w);
  }
  return setup;
}

}  // namespace

void setup_compare(CLI::App& app) {
  auto opt = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "Transposed convolution against resize-convolution: checkerboard metrics and pictures");
  cmd->footer(R"(Examples:
  tconv-upsample compare photo.png -s 2 -k bilinear -o report/     metrics and pictures
  tconv-upsample compare photo.png -s 2 --weights w.npy -o report/ a learned layer
  tconv-upsample compare photos/ -s 2 --model my_x2.safetensors -o report/)");
  cmd->add_option("inputs", opt->inputs, "Images or directories of images (not recursive)")->required();
  cmd->add_option("-o,--output", opt->output_dir,
                  "Directory for the pictures (<stem>_compare.png, <stem>_heatmap_tconv.png, "
                  "<stem>_heatmap_resize_conv.png); none without it");
  cmd->add_option("--resize", opt->resize, "Resize of the resize-convolution: bilinear or nearest")
      ->capture_default_str()
      ->check(CLI::IsMember({"bilinear", "nearest"}));
  cmd->add_option("--conv3x3", opt->conv3x3,
                  "3x3 convolution weights W.npy (C, C, 3, 3) or depthwise (C, 1, 3, 3); "
                  "default: least-squares fit to the transposed convolution");
  cmd->add_option("--against", opt->against,
                  "The other side as a learned model M.safetensors (e.g. a resize-convolution "
                  "network) instead of resize + 3x3; needs --model");
  cmd->add_option("--reference", opt->reference, "High-resolution reference image: PSNR/SSIM of both results");
  cmd->add_flag("--json", opt->json, "Print the report as JSON");
  cmd->add_option("--fail-above", opt->fail_above,
                  "Exit 4 when the transposed convolution's phase_mean_spread exceeds this")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--overwrite", opt->overwrite, "Replace existing pictures (and an existing --report)");
  cmd->add_option("-j,--jobs", opt->jobs,
                  "Images analysed at once (0: number of cores); tables come in input order")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  cmd->add_flag("--fail-fast", opt->fail_fast, "Stop starting new images after the first failure");
  cmd->add_option("--report", opt->report,
                  "Write per-file results to FILE.json (the main command's rules and format)");
  add_layer_flags(*cmd, opt->layer);
  cmd->callback([opt] { run_compare(*opt); });
}

void run_compare(const CompareOptions& opt) {
  const Setup setup = make_setup(opt);  // usage errors before any input
  std::vector<std::pair<std::string, std::string>> errors;
  const std::vector<fs::path> files = list_inputs(opt.inputs, errors);
  if (files.empty() && errors.empty())
    throw NothingToDoError("compare: no image found in " + fmt::format("{}", fmt::join(opt.inputs, ", ")));
  if (!opt.reference.empty() && files.size() + errors.size() != 1)
    throw UsageError("--reference applies to a single input image");
  // The inputs that could not be listed fail first, with their own message,
  // then the images in order; a table is printed as each image is done.
  std::vector<BatchItem> items;
  for (const auto& [in, message] : errors) items.push_back({in, {}, {}, message, {}});
  const std::size_t first_file = items.size();
  for (BatchItem& item : file_items(files)) items.push_back(std::move(item));
  std::vector<std::optional<Report>> per_item(items.size());
  std::vector<ItemResult> results;
  const ReportTarget report_target = plan_report(opt.report, items, opt.overwrite);
  if (!opt.output_dir.empty()) {
    std::error_code ec;
    fs::create_directories(opt.output_dir, ec);
    if (ec) throw InputError("-o " + opt.output_dir + ": cannot create the directory: " + ec.message());
  }
  RunnerOptions runner;
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  runner.jobs = std::max(1, std::min(opt.jobs > 0 ? opt.jobs : cores, static_cast<int>(items.size())));
  runner.fail_fast = opt.fail_fast;
  // Tables printed on the terminal as they come would run into a progress
  // bar on the same terminal: no bar then.
  runner.progress = !opt.json && ::isatty(STDOUT_FILENO) ? ProgressMode::kNone : ProgressMode::kAuto;
  // One job prints each table as its image is done; several print them in
  // input order once all are done.
  const bool stream = !opt.json && runner.jobs == 1;
  const BatchSummary batch = run_files(items, [&](std::size_t i, const BatchItem&) {
    per_item[i] = analyse(files[i - first_file], setup, opt, files);
    if (stream) std::cout << report_table(*per_item[i]) << "\n" << std::flush;
  }, results, runner);
  if (!opt.json && !stream)
    for (const auto& r : per_item)
      if (r) std::cout << report_table(*r) << "\n";
  if (!report_target.path.empty()) write_report(report_target, items, results, batch);
  stop_if_interrupted(batch);
  const std::size_t failed = batch.failed;
  std::vector<Report> reports;
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (per_item[i]) {
      entries.push_back({{"input", items[i].input}, {"report", report_json(*per_item[i])}});
      reports.push_back(std::move(*per_item[i]));
    } else {
      entries.push_back({{"input", items[i].input}, {"error", results[i].reason}});
    }
  }

  const std::size_t total = files.size() + errors.size();
  std::vector<const Report*> over;
  if (opt.fail_above >= 0.0)
    for (const auto& r : reports)
      if (!(r.tconv.phase_mean_spread <= opt.fail_above)) over.push_back(&r);

  if (opt.json) {
    if (total == 1 && reports.size() == 1) {
      std::cout << report_json(reports.front()).dump(2) << "\n";
    } else {
      nlohmann::ordered_json j;
      j["reports"] = entries;
      nlohmann::ordered_json summary;
      summary["images"] = total;
      summary["compared"] = reports.size();
      summary["failed"] = failed;
      summary["over_fail_above"] = opt.fail_above >= 0.0 ? nlohmann::ordered_json(over.size()) : nullptr;
      double worst = 0.0;
      for (const auto& r : reports) worst = std::max(worst, r.tconv.phase_mean_spread);
      summary["max_tconv_phase_mean_spread"] = reports.empty() ? nullptr : number_or_null(worst);
      j["summary"] = summary;
      std::cout << j.dump(2) << "\n";
    }
  } else if (total > 1) {
    std::cout << fmt::format("summary: {} images, {} compared, {} failed\n", total, reports.size(), failed);
    if (!reports.empty()) {
      auto stats = [&reports](auto get) {
        double sum = 0.0, worst = 0.0;
        const Report* at = nullptr;
        for (const auto& r : reports) {
          const double v = get(r);
          sum += v;
          if (!at || v > worst) worst = v, at = &r;
        }
        return fmt::format("mean {}, max {} ({})", num(sum / static_cast<double>(reports.size())), num(worst),
                           at->input);
      };
      std::cout << "  tconv phase_mean_spread:       "
                << stats([](const Report& r) { return r.tconv.phase_mean_spread; }) << "\n";
      std::cout << "  resize-conv phase_mean_spread: "
                << stats([](const Report& r) { return r.resize_conv_metrics.phase_mean_spread; }) << "\n";
    }
  }

  finish_batch(batch);  // a failed input (exit 1) wins over the quality gate
  if (!over.empty())
    throw QualityGateError(fmt::format(
        "compare --fail-above {}: the transposed convolution's phase_mean_spread is {} in {}{}", opt.fail_above,
        num(over.front()->tconv.phase_mean_spread), over.front()->input,
        over.size() > 1 ? fmt::format(" (and {} more)", over.size() - 1) : ""));
}

}  // namespace tconv::app

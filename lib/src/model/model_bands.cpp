// A network in row bands (docs/internals.md#models-in-row-bands): no feature
// map is ever held whole. The layers are grouped into stages, each a
// producer (conv2d, conv_transpose2d, pixel_shuffle, upsample; the first
// stage: rows copied from the input) and the element-wise layers after it.
// The output is made band by band; for each band a backward pass asks every
// stage for the rows its consumer reads (detail::band_input_rows() for a
// convolution, [a / r, (b - 1) / r] for pixel_shuffle,
// detail::upsample_input_rows() for upsample: the rows of a's and (b - 1)'s
// taps), and a forward pass computes in each stage only the rows it has not
// computed yet, keeping the rows its consumer still needs (the halo) from the
// previous band: line-buffered, nothing computed twice. Every row is computed
// by the layer's planned impl (or the row function of pixel_shuffle and
// upsample) from the same terms as in the whole run (detail::run_rows()), so
// the result is bit-identical to the whole run for any band height and
// thread count.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <memory>

#include "core/parallel.hpp"
#include "model/model_internal.hpp"
#include "tconv/core/error.hpp"

namespace tconv::detail {

namespace {

// Float storage allocated once per run, at the size the schedule needs.
struct Floats {
  std::unique_ptr<float[]> data;
  std::size_t size = 0;
  void reserve(std::size_t n) {
    if (n <= size) return;
    data.reset();
    data = std::make_unique_for_overwrite<float[]>(n);
    size = n;
  }
};

// One producer and the element-wise layers after it.
struct Stage {
  const NetLayer* producer = nullptr;  // null: rows of the network input
  const Plan* plan = nullptr;          // conv2d, conv_transpose2d
  Problem full;                        // the plan's problem on the whole map
  std::vector<const NetLayer*> pointwise;
  Shape3 shape;   // the stage's whole output
  int align = 1;  // new rows start at multiples of it (conv_transpose2d: sh)
  // Per band: the rows held in `rows` ({c, held.size(), w}, contiguous), the
  // rows computed in this band and the rows the next stage (or the output)
  // reads in this band.
  RowRange held;
  RowRange fresh;
  RowRange need;
  Floats rows;
  [[nodiscard]] std::size_t row_floats() const noexcept {
    return static_cast<std::size_t>(shape.c) * static_cast<std::size_t>(shape.w);
  }
};

// Input rows of stage s's producer for its output rows `out`.
RowRange producer_input(const Stage& s, RowRange out) noexcept {
  if (s.plan != nullptr) return band_input_rows(s.plan->kind, s.full, out);
  const int r = s.producer->factor;
  if (s.producer->op == Op::kUpsample) return upsample_input_rows(*s.producer, s.shape.h / r, out);
  return {out.begin / r, (out.end - 1) / r + 1};
}

const Plan* plan_of(const NetLayer& l) noexcept {
  if (l.conv) return &PlanAccess::of(*l.conv);
  if (l.tconv) return &PlanAccess::of(*l.tconv);
  return nullptr;
}

// The stages of `layers` for an input of `src`; throws as running the
// layers whole would for a size they cannot take.
std::vector<Stage> make_stages(const std::vector<NetLayer>& layers, const Shape3& src) {
  std::vector<Stage> stages(1);
  stages[0].shape = src;
  for (const NetLayer& l : layers) {
    if (is_pointwise(l.op)) {
      stages.back().pointwise.push_back(&l);
      continue;
    }
    Stage s;
    s.producer = &l;
    s.plan = plan_of(l);
    if (s.plan != nullptr) {
      s.full = resolve_problem(*s.plan, stages.back().shape);
      s.shape = s.full.dst;
      if (l.tconv) s.align = s.full.params.stride.h;
    } else {
      s.shape = layer_output(l, stages.back().shape);
    }
    stages.push_back(std::move(s));
  }
  return stages;
}

// Output rows of the last stage per band: the rows of a band of every stage
// together within kBandBytes, at least kMinBandRows output rows (so that the
// threads of each layer's run share enough rows), a multiple of the last
// stage's alignment.
int auto_band_rows(const std::vector<Stage>& stages) {
  constexpr double kBandBytes = 24 << 20;
  constexpr int kMinBandRows = 8;
  const double out_h = stages.back().shape.h;
  double per_row = 0;
  for (const Stage& s : stages) per_row += double(s.row_floats()) * kFloatBytes * s.shape.h / out_h;
  const int align = stages.back().align;
  const double rows = std::clamp(std::floor(kBandBytes / per_row), double(kMinBandRows), out_h);
  return (static_cast<int>(rows) + align - 1) / align * align;
}

// Sets fresh and need of every stage for output rows `out` of the last.
void schedule_band(std::vector<Stage>& stages, RowRange out) {
  RowRange need = out;
  for (std::size_t j = stages.size(); j-- > 0;) {
    Stage& s = stages[j];
    s.need = need;
    s.fresh = {};
    if (!need.empty() && need.end > s.held.end) {
      const int begin = std::max(s.held.end, need.begin / s.align * s.align);
      const int end = std::min(s.shape.h, (need.end + s.align - 1) / s.align * s.align);
      s.fresh = {begin, end};
    }
    need = j > 0 && !s.fresh.empty() ? producer_input(s, s.fresh) : RowRange{};
  }
}

// The rows stage s holds after this band: the rows its consumer reads now
// and the new ones (later bands read rows at or after these).
RowRange held_after(const Stage& s) noexcept {
  if (s.fresh.empty()) return s.held;
  return {std::min(s.need.begin, s.fresh.begin), s.fresh.end};
}

// Walks the bands of `band_rows` output rows: for each band, schedule, then
// step(j, next) for every stage with new rows in order (before its held
// rows become `next`), then done(out).
template <typename Step, typename Done>
void walk(std::vector<Stage>& stages, int band_rows, const Step& step, const Done& done) {
  for (Stage& s : stages) s.held = {};
  const int out_h = stages.back().shape.h;
  for (int a = 0; a < out_h; a += band_rows) {
    const RowRange out{a, std::min(out_h, a + band_rows)};
    schedule_band(stages, out);
    for (std::size_t j = 0; j < stages.size(); ++j) {
      Stage& s = stages[j];
      if (s.fresh.empty()) continue;
      const RowRange next = held_after(s);
      assert(next.begin == s.fresh.begin ||
             (next.begin >= s.held.begin && s.held.end == s.fresh.begin));
      step(j, next);
      s.held = next;
    }
    done(out);
  }
}

// What a run holds besides src and dst: each stage's rows, one buffer for a
// stage's new rows, one for the rows it keeps, one for a consumer's rows
// when they are not all the rows held, and the convolutions' scratch.
struct BandSizes {
  std::vector<std::size_t> held;  // floats, per stage
  std::size_t fresh = 0;
  std::size_t kept = 0;
  std::size_t staged = 0;
  std::int64_t scratch = 0;
  [[nodiscard]] std::int64_t bytes() const {
    std::size_t floats = fresh + kept + staged;
    for (std::size_t h : held) floats += h;
    return static_cast<std::int64_t>(floats) * kFloatBytes + scratch;
  }
};

BandSizes size_bands(std::vector<Stage>& stages, int band_rows, int threads) {
  BandSizes z;
  z.held.assign(stages.size(), 0);
  walk(
      stages, band_rows,
      [&](std::size_t j, RowRange next) {
        Stage& s = stages[j];
        const std::size_t row = s.row_floats();
        z.held[j] = std::max(z.held[j], next.size() * row);
        if (next.begin < s.fresh.begin) {
          z.fresh = std::max(z.fresh, s.fresh.size() * row);
          z.kept = std::max(z.kept, std::size_t(s.fresh.begin - next.begin) * row);
        }
        if (j > 0) {
          const Stage& prev = stages[j - 1];
          if (prev.need != prev.held && !prev.need.empty())
            z.staged = std::max(z.staged, prev.need.size() * prev.row_floats());
          if (s.plan != nullptr)
            z.scratch = std::max(z.scratch, band_scratch_bytes(*s.plan, s.full, s.fresh, threads));
        }
      },
      [](RowRange) {});
  return z;
}

// fn(begin, end) over the rows [0, rows) of `floats_per_row` floats, split
// over up to `threads` threads (a few thousand floats each at least).
template <typename Fn>
void split_rows(int threads, std::int64_t rows, std::int64_t floats_per_row, const Fn& fn) {
  const std::int64_t work = rows * floats_per_row / 16384 + 1;
  const int n = thread_count(threads, std::min(work, rows));
  parallel_for(n, [&](int t) { fn(rows * t / n, rows * (t + 1) / n); });
}

// Copies rows [first, first + count) of every channel of `from` (rows
// `from_rows` per channel) to rows [0, count) of `to` (`to_rows` per
// channel, starting at row `to_first`).
void copy_rows(int threads, const float* from, int from_rows, int first, float* to, int to_rows,
               int to_first, int count, int channels, int w) {
  const std::size_t width = static_cast<std::size_t>(w);
  split_rows(threads, std::int64_t{channels}, std::int64_t{count} * w,
             [&](std::int64_t c0, std::int64_t c1) {
               for (std::int64_t c = c0; c < c1; ++c)
                 std::memcpy(to + (c * to_rows + to_first) * width,
                             from + (c * from_rows + first) * width,
                             static_cast<std::size_t>(count) * width * sizeof(float));
             });
}

int default_threads(const std::vector<NetLayer>& layers) noexcept {
  for (const NetLayer& l : layers)
    if (const Plan* p = plan_of(l)) return p->options.threads;
  return 1;
}

}  // namespace

bool bandable(const std::vector<NetLayer>& layers) noexcept {
  return std::none_of(layers.begin(), layers.end(),
                      [](const NetLayer& l) { return l.op == Op::kPad; });
}

std::int64_t banded_bytes(const std::vector<NetLayer>& layers, const Shape3& src, int threads,
                          int band_rows) {
  std::vector<Stage> stages = make_stages(layers, src);
  const int rows = band_rows > 0 ? band_rows : auto_band_rows(stages);
  return size_bands(stages, rows, threads < 0 ? default_threads(layers) : threads).bytes() + 64;
}

void run_banded(const std::vector<NetLayer>& layers, ConstTensorView src, TensorView dst, bool add,
                int threads, int band_rows) {
  std::vector<Stage> stages = make_stages(layers, src.shape);
  if (stages.back().shape != dst.shape)
    throw ShapeMismatch("network output " + to_string(dst.shape) + ": the layers give " +
                        to_string(stages.back().shape));
  const int rows = band_rows > 0 ? band_rows : auto_band_rows(stages);
  const int thread_option = threads < 0 ? default_threads(layers) : threads;
  // Every buffer at its largest size first: the run allocates nothing else.
  const BandSizes z = size_bands(stages, rows, thread_option);
  for (std::size_t j = 0; j < stages.size(); ++j) stages[j].rows.reserve(z.held[j]);
  Floats fresh;
  Floats kept;
  Floats staged;
  fresh.reserve(z.fresh);
  kept.reserve(z.kept);
  staged.reserve(z.staged);
  ScratchBuffer scratch;
  scratch.storage =
      std::make_unique_for_overwrite<std::byte[]>(static_cast<std::size_t>(z.scratch));
  scratch.size = static_cast<std::size_t>(z.scratch);

  // The rows of stage j - 1 its consumer reads, contiguous.
  auto input_of = [&](std::size_t j) -> ConstTensorView {
    const Stage& prev = stages[j - 1];
    const Shape3 shape{prev.shape.c, prev.need.size(), prev.shape.w};
    if (prev.need == prev.held) return {prev.rows.data.get(), shape};
    if (prev.need.empty()) return {nullptr, shape};
    copy_rows(thread_option, prev.rows.data.get(), prev.held.size(),
              prev.need.begin - prev.held.begin, staged.data.get(), prev.need.size(), 0,
              prev.need.size(), prev.shape.c, prev.shape.w);
    return {staged.data.get(), shape};
  };

  walk(
      stages, rows,
      [&](std::size_t j, RowRange next) {
        Stage& s = stages[j];
        const int c = s.shape.c;
        const int w = s.shape.w;
        const int keep = s.fresh.begin - next.begin;
        // Rows kept from the previous band go aside; new rows are computed
        // straight into the stage's rows when none are kept.
        if (keep > 0)
          copy_rows(thread_option, s.rows.data.get(), s.held.size(), next.begin - s.held.begin,
                    kept.data.get(), keep, 0, keep, c, w);
        float* out = keep > 0 ? fresh.data.get() : s.rows.data.get();
        const TensorView view{out, {c, s.fresh.size(), w}};
        if (j == 0) {
          copy_rows(thread_option, src.data, src.shape.h, s.fresh.begin, out, s.fresh.size(), 0,
                    s.fresh.size(), c, w);
        } else if (s.plan != nullptr) {
          run_rows(*s.plan, s.full, s.fresh, input_of(j), view, thread_option, scratch);
        } else if (s.producer->op == Op::kUpsample) {
          upsample_rows(*s.producer, input_of(j), stages[j - 1].need.begin, stages[j - 1].shape.h,
                        view, s.fresh);
        } else {
          pixel_shuffle_rows(*s.producer, input_of(j), stages[j - 1].need.begin, view, s.fresh);
        }
        const std::int64_t channel_rows = std::int64_t{c} * s.fresh.size();
        for (const NetLayer* l : s.pointwise)
          split_rows(thread_option, channel_rows, w,
                     [&](std::int64_t r0, std::int64_t r1) { pointwise(*l, view, r0, r1); });
        if (keep > 0) {
          copy_rows(thread_option, kept.data.get(), keep, 0, s.rows.data.get(), next.size(), 0,
                    keep, c, w);
          copy_rows(thread_option, out, s.fresh.size(), 0, s.rows.data.get(), next.size(), keep,
                    s.fresh.size(), c, w);
        }
      },
      [&](RowRange out) {
        const Stage& last = stages.back();
        const std::size_t w = static_cast<std::size_t>(last.shape.w);
        const std::size_t plane = static_cast<std::size_t>(last.shape.h) * w;
        const std::size_t count = static_cast<std::size_t>(out.size()) * w;
        split_rows(thread_option, last.shape.c, std::int64_t(count),
                   [&](std::int64_t c0, std::int64_t c1) {
                     for (std::int64_t c = c0; c < c1; ++c) {
                       const float* from = last.rows.data.get() +
                                           (c * last.held.size() + out.begin - last.held.begin) * w;
                       float* to = dst.data + c * plane + out.begin * w;
                       if (add) {
                         for (std::size_t i = 0; i < count; ++i) to[i] = from[i] + to[i];
                       } else {
                         std::memcpy(to, from, count * sizeof(float));
                       }
                     }
                   });
      });
}

}  // namespace tconv::detail

// conv_weight_grad_f32_flat: the weight gradient as a few long dot products
// per item and dW value, register-blocked. Included by one file per ISA,
// which defines TCONV_WGRAD_FN (the impl name), TCONV_TARGET (a GCC target
// attribute, or nothing for the portable build), TCONV_WGRAD_LANES (floats
// per vector) and TCONV_WGRAD_BLOCK_A / _B (the register block).
//
// A and B come in the flat layout (flat_layout() in conv_weight_grad.hpp):
//   dW[a][b][ty][tx] = sum_n sum_r dot(A''[n][a] + r a_pitch, B'[n][b'] + o(ty, tx) + r P)
// over runs r of run_length floats, b' = g(a) * b_per_group + b and
// o = flat_tap_offset(). Number the dW values of one A channel
// s = b * kh * kw + ty * kw + tx (their order in the weight) and call
// B'[n][b'] + o the segment of s. A register block is M A channels of one
// group x N consecutive segments: per vector step it loads M + N vectors for
// M N multiply-adds (the N segments of one B channel overlap, so their loads
// mostly hit the same lines).
//
// Each dW value is one sum over items, runs and vectors of a run in that
// order, in lane i mod L of its own accumulator, the L lanes then added
// pairwise in a fixed order: the same whichever block computes it, so the
// result does not depend on the thread split. When A is copied, its zero
// columns multiply real B values, so a non-finite B value that no tap
// reaches can still reach the sum.
#include <array>
#include <cstring>
#include <utility>

#include "impl/conv_weight_grad.hpp"

namespace tconv::detail {

namespace {

constexpr int kLanes = TCONV_WGRAD_LANES;
constexpr int kBlockA = TCONV_WGRAD_BLOCK_A;
constexpr int kBlockB = TCONV_WGRAD_BLOCK_B;
static_assert(kFlatAlign % kLanes == 0, "every dot is whole vectors");

typedef float Vec __attribute__((vector_size(4 * kLanes)));

TCONV_TARGET inline Vec load_vec(const float* p) noexcept {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// One register block, item 0's addresses: value (i, j) is
// sum_n sum_r dot(a[i] + n a_item + r a_pitch, b[j] + n b_item + r b_pitch)
// over run_length floats, for i < m, j < n, written to out[i] + j; its lane
// accumulators are acc[i * n + j] of its panel, from vector `first` on.
struct Tile {
  const float* a[kBlockA];
  const float* b[kBlockB];
  float* out[kBlockA];
  int m, n, first;
};
struct Strides {
  std::int64_t a_item, b_item, a_pitch, b_pitch, runs, run_length;
};

// Adds item `item`'s products to a tile's accumulators.
template <int M, int N>
TCONV_TARGET void add_item(const Tile& tile, const Strides& st, std::int64_t item, Vec* acc) noexcept {
  Vec sum[M][N];
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) sum[i][j] = acc[i * N + j];
  const float* a[M];
  const float* b[N];
  for (int i = 0; i < M; ++i) a[i] = tile.a[i] + item * st.a_item;
  for (int j = 0; j < N; ++j) b[j] = tile.b[j] + item * st.b_item;
  for (std::int64_t r = 0; r < st.runs; ++r) {
    const std::int64_t ar = r * st.a_pitch, br = r * st.b_pitch;
    for (std::int64_t k = 0; k < st.run_length; k += kLanes) {
      Vec av[M];
      for (int i = 0; i < M; ++i) av[i] = load_vec(a[i] + ar + k);
      for (int j = 0; j < N; ++j) {
        const Vec bv = load_vec(b[j] + br + k);
        for (int i = 0; i < M; ++i) sum[i][j] += av[i] * bv;
      }
    }
  }
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) acc[i * N + j] = sum[i][j];
}

using AddItemFn = void (*)(const Tile&, const Strides&, std::int64_t, Vec*) noexcept;

// kAddItem[M - 1][N - 1] = add_item<M, N>.
template <int M, std::size_t... J>
constexpr std::array<AddItemFn, kBlockB> add_item_row(std::index_sequence<J...>) {
  return {&add_item<M, static_cast<int>(J) + 1>...};
}
template <std::size_t... I>
constexpr std::array<std::array<AddItemFn, kBlockB>, kBlockA> add_item_table(std::index_sequence<I...>) {
  return {add_item_row<static_cast<int>(I) + 1>(std::make_index_sequence<kBlockB>())...};
}
constexpr auto kAddItem = add_item_table(std::make_index_sequence<kBlockA>());

// A panel: tiles whose accumulators fit 32 KB, run item by item (items
// outermost, so one item's A and B planes are reused from cache by every
// tile), then reduced: lanes added pairwise in a fixed order.
constexpr int kPanelVectors = 32768 / static_cast<int>(sizeof(Vec));
constexpr int kPanelTiles = 128;
static_assert(kPanelVectors >= kBlockA * kBlockB, "a panel holds a whole tile");
struct Panel {
  Vec acc[kPanelVectors];
  Tile tiles[kPanelTiles];
  int tiles_used = 0, vectors_used = 0;
};

TCONV_TARGET void run_panel(Panel& panel, const Strides& st, std::int64_t count) noexcept {
  for (int v = 0; v < panel.vectors_used; ++v) panel.acc[v] = Vec{};
  for (std::int64_t item = 0; item < count; ++item)
    for (int t = 0; t < panel.tiles_used; ++t) {
      const Tile& tile = panel.tiles[t];
      kAddItem[tile.m - 1][tile.n - 1](tile, st, item, panel.acc + tile.first);
    }
  for (int t = 0; t < panel.tiles_used; ++t) {
    const Tile& tile = panel.tiles[t];
    for (int i = 0; i < tile.m; ++i)
      for (int j = 0; j < tile.n; ++j) {
        float lanes[kLanes];
        std::memcpy(lanes, &panel.acc[tile.first + i * tile.n + j], sizeof lanes);
        for (int width = kLanes / 2; width >= 1; width /= 2)
          for (int l = 0; l < width; ++l) lanes[l] += lanes[l + width];
        tile.out[i][j] = lanes[0];
      }
  }
  panel.tiles_used = panel.vectors_used = 0;
}

// Adds the tiles of A channels [a0, a0 + m) (one group) x segments
// [s_begin, s_end), the segments in chunks of at most kBlockB of balanced
// sizes, running the panel whenever it is full.
struct Channels {
  std::int64_t a0;
  int m;
  std::int64_t s_begin, s_end;
};

TCONV_TARGET void add_tiles(const WeightGradProblem& pb, const FlatLayout& l, const float* a, const float* b,
                            float* dweight, const Channels& ch, const Strides& st, Panel& panel) noexcept {
  const int taps = pb.kernel.h * pb.kernel.w;
  const std::int64_t values = std::int64_t{pb.b_per_group} * taps;  // per A channel
  const std::int64_t b_channel = std::int64_t{pb.stride.h} * pb.stride.w * l.b_plane;
  const std::int64_t g = ch.a0 / (pb.a.c / pb.groups);
  const std::int64_t span = ch.s_end - ch.s_begin;
  const std::int64_t chunks = (span + kBlockB - 1) / kBlockB;
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t s0 = ch.s_begin + span * c / chunks;
    const std::int64_t s1 = ch.s_begin + span * (c + 1) / chunks;
    const int n = static_cast<int>(s1 - s0);
    if (panel.tiles_used == kPanelTiles || panel.vectors_used + ch.m * n > kPanelVectors)
      run_panel(panel, st, pb.count);
    Tile& tile = panel.tiles[panel.tiles_used++];
    tile.m = ch.m;
    tile.n = n;
    tile.first = panel.vectors_used;
    panel.vectors_used += ch.m * n;
    for (int i = 0; i < ch.m; ++i) {
      tile.a[i] = a + (ch.a0 + i) * l.a_plane;
      tile.out[i] = dweight + (ch.a0 + i) * values + s0;
    }
    for (std::int64_t s = s0; s < s1; ++s) {
      const std::int64_t bc = g * pb.b_per_group + s / taps;
      const int t = static_cast<int>(s % taps);
      tile.b[s - s0] = b + bc * b_channel + flat_tap_offset(pb, l, t / pb.kernel.w, t % pb.kernel.w);
    }
  }
}

}  // namespace

TCONV_TARGET void TCONV_WGRAD_FN(const WeightGradProblem& pb, const float* a, const float* b,
                                 float* dweight, std::int64_t begin, std::int64_t end) noexcept {
  const FlatLayout l = flat_layout(pb);
  const int taps = pb.kernel.h * pb.kernel.w;
  const std::int64_t values = std::int64_t{pb.b_per_group} * taps;  // per A channel
  const std::int64_t a_per_group = pb.a.c / pb.groups;
  const Strides st{pb.a.c * l.a_plane, pb.b.c * std::int64_t{pb.stride.h} * pb.stride.w * l.b_plane,
                   l.a_pitch, l.pitch, l.runs, l.run_length};
  Panel panel;
  // Weight rows [begin, end) are dW values [begin taps, end taps); A channel
  // ac holds [ac values, (ac + 1) values).
  const std::int64_t first = begin * taps, last = end * taps;
  std::int64_t ac = begin / pb.b_per_group;
  while (ac * values < last) {
    const std::int64_t s_begin = std::max<std::int64_t>(0, first - ac * values);
    const std::int64_t s_end = std::min(values, last - ac * values);
    if (s_begin > 0 || s_end < values) {
      add_tiles(pb, l, a, b, dweight, {ac, 1, s_begin, s_end}, st, panel);
      ++ac;
      continue;
    }
    // Whole channels of one group, up to kBlockA of them.
    int m = 1;
    while (m < kBlockA && (ac + m) * values + values <= last && (ac + m) / a_per_group == ac / a_per_group) ++m;
    add_tiles(pb, l, a, b, dweight, {ac, m, 0, values}, st, panel);
    ac += m;
  }
  run_panel(panel, st, pb.count);
}

}  // namespace tconv::detail

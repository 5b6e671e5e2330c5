// The register tile shared by the tiled impls (conv2d_f32_tile.inl,
// tconv2d_f32_phase_tile.inl): R <= kOcb channels x V vectors of L pixels
// over packed input rows. Included inside an anonymous namespace of a
// translation unit that defines TCONV_TARGET, TCONV_TILE_LANES and
// TCONV_TILE_VECTORS.
//
// micro_kernel<R, V> at chunk column j computes, for o < R and pixel
// j + i (i < V L),
//   acc = bias[o] + sum_{icl < icg, ky in [ky_lo, ky_hi), kx < kw}
//           w[((icl kh + ky) kw + kx) kOcb + o] * row(icl, ky)[j + i + kx dw]
// in that order, one FMA a term, and stores the first `valid` pixels to
// out[o] + ox.

constexpr int kLanes = TCONV_TILE_LANES;
constexpr int kVectors = TCONV_TILE_VECTORS;
constexpr int kOcb = kTileChannels;
static_assert(kTileChunkStep % (kLanes * kVectors) == 0, "chunks hold whole tiles");
static_assert(kLanes <= kTileRowSlack, "packed rows have a vector of slack");
static_assert(kOcb == 4, "channel_block() covers tails of 1..3 channels");

typedef float TileVec __attribute__((vector_size(4 * kLanes)));

TCONV_TARGET inline TileVec load_vec(const float* p) noexcept {
  TileVec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// row[q] = in[first + q] for q in [lo, hi), zero for the rest of [0, pw):
// an input row with the zero columns of the padding, for edge chunks.
TCONV_TARGET inline void copy_padded_row(float* row, const float* in, int first, int lo, int hi,
                                         int pw) noexcept {
  std::fill(row, row + lo, 0.0f);
  std::memcpy(row + lo, in + first + lo, static_cast<std::size_t>(hi - lo) * sizeof(float));
  std::fill(row + hi, row + pw, 0.0f);
}

// Where a tile reads its input: the rows of taps ky in [ky_lo, ky_hi) of
// each icl, row (icl, ky) at first + icl * ic_stride + (ky - ky_lo) * ky_stride
// (column j of the chunk at + j). Packed rows (ic_stride = kh * pw,
// ky_stride = pw) or, for a chunk inside the input, the source rows.
struct TileRow {
  const float* first;
  std::ptrdiff_t ic_stride, ky_stride;
  int icg, kh, kw, ky_lo, ky_hi, dw;
};

// R (<= kOcb) channels x V vectors at chunk column j: out[o] + ox receives
// pixels ox .. ox + valid of channel o (valid <= V * L).
template <int R, int V>
TCONV_TARGET inline void micro_kernel(const TileRow& r, int j, const float* w, const float* bias,
                                      float* const* out, int ox, int valid) noexcept {
  TileVec acc[R][V];
  for (int o = 0; o < R; ++o)
    for (int v = 0; v < V; ++v) acc[o][v] = TileVec{} + bias[o];
  const int kw = r.kw;
  for (int icl = 0; icl < r.icg; ++icl) {
    for (int ky = r.ky_lo; ky < r.ky_hi; ++ky) {
      const float* in = r.first + icl * r.ic_stride + (ky - r.ky_lo) * r.ky_stride + j;
      const float* wk = w + static_cast<std::ptrdiff_t>((icl * r.kh + ky) * kw) * kOcb;
      for (int kx = 0; kx < kw; ++kx) {
        TileVec x[V];
        for (int v = 0; v < V; ++v) x[v] = load_vec(in + kx * r.dw + v * kLanes);
        for (int o = 0; o < R; ++o) {
          const float wo = wk[kx * kOcb + o];
          for (int v = 0; v < V; ++v) acc[o][v] += wo * x[v];
        }
      }
    }
  }
  for (int o = 0; o < R; ++o) {
    float* dst = out[o] + ox;
    if (valid == V * kLanes) {
      for (int v = 0; v < V; ++v) std::memcpy(dst + v * kLanes, &acc[o][v], sizeof(TileVec));
    } else {
      for (int v = 0; v < V; ++v) {
        const int n = std::min(kLanes, valid - v * kLanes);
        if (n <= 0) break;
        std::memcpy(dst + v * kLanes, &acc[o][v], static_cast<std::size_t>(n) * sizeof(float));
      }
    }
  }
}

// One channel block (R channels) over the chunk's `count` pixels from ox:
// full V-vector tiles, then one-vector tiles for the rest.
template <int R>
TCONV_TARGET inline void block(const TileRow& r, const float* w, const float* bias,
                               float* const* out, int ox, int count) noexcept {
  int j = 0;
  for (; j + kVectors * kLanes <= count; j += kVectors * kLanes)
    micro_kernel<R, kVectors>(r, j, w, bias, out, ox + j, kVectors * kLanes);
  for (; j < count; j += kLanes)
    micro_kernel<R, 1>(r, j, w, bias, out, ox + j, std::min(kLanes, count - j));
}


// `channels` (1..kOcb) channels of one block over `count` pixels from ox.
TCONV_TARGET inline void channel_block(int channels, const TileRow& r, const float* w,
                                       const float* bias, float* const* out, int ox,
                                       int count) noexcept {
  switch (channels) {
    case 1: block<1>(r, w, bias, out, ox, count); break;
    case 2: block<2>(r, w, bias, out, ox, count); break;
    case 3: block<3>(r, w, bias, out, ox, count); break;
    default: block<kOcb>(r, w, bias, out, ox, count); break;
  }
}

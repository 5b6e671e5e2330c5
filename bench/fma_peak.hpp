// The machine's measured multiply-add peak, the yardstick of tconv-bench's
// "% of peak" column.
#pragma once

#include <string_view>

namespace tconv::bench {

/// The FMA peak in GFLOP/s (2 flops per lane per fused multiply-add) for
/// `isa` ("avx512": 16-float vectors, "avx2": 8-float FMA, "portable": 4-float
/// SSE multiply plus add) on `threads` threads running at once: each thread
/// runs 12 independent multiply-add chains in registers, enough to cover the
/// latency of two FMA pipes, for about `seconds`; the best of 5 such runs.
/// Clock changes under wide vectors are part of what it measures.
[[nodiscard]] double fma_peak_gflops(std::string_view isa, int threads, double seconds = 0.2);

}  // namespace tconv::bench

// The probe of the cpu ceiling and the worker-thread count it shares with the
// cpu backend: measurements for `manynets bench`, not part of the API.
#pragma once

namespace manynets {
namespace cpu {

// The worker threads `threads` asks for: itself when positive, else one per
// core the system reports (at least 1). The backend and the probe below count
// threads so.
int worker_threads(int threads);
// Vector fused multiply-adds per second that `threads` threads (0: every core)
// issue together on this machine, in vectors of vector_width() lanes, measured
// over ~25 ms: the "vector instructions per second" of the cpu ceiling
// (docs/perf.md), in place of a nominal clock.
double vector_fma_per_second(int threads);

}  // namespace cpu
}  // namespace manynets

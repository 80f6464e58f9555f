// How many vector fused multiply-adds per second this machine's cores issue,
// measured: the "ops per cycle x clock" of the cpu ceiling (docs/perf.md). A
// VM's /proc/cpuinfo gives a nominal clock that can be far from the one the
// cores run vector code at, and some cores issue one 512-bit FMA per cycle, not
// two; timing the instructions themselves answers both. Compiled with the cpu
// backend's flags, so the vectors are the backend's.
#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "manynets/cpu.hpp"
#include "manynets/detail/cpu_probe.hpp"
#include "host/backends/cpu/simd_math.hpp"

namespace manynets {
namespace cpu {

namespace {

// Independent accumulators: more than an FMA's latency times the FMA ports
// (4 x 2 on current x86 cores), so the loop is bound by issue, not latency.
constexpr int kChains = 12;

// FMAs per second of one thread over `iterations` rounds of kChains FMAs.
double fma_rate(long iterations) {
  simd::Vec acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = simd::Vec(1.0f + 0.001f * static_cast<float>(c));
  // x -> 0.999999 x + 1e-7 stays finite and never becomes subnormal.
  const simd::Vec scale(0.999999f), add(1e-7f);
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < iterations; ++i)
    for (int c = 0; c < kChains; ++c) acc[c] = simd::fused_multiply_add(acc[c], scale, add);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  simd::Vec sum = acc[0];
  for (int c = 1; c < kChains; ++c) sum += acc[c];
  // The sum is used, so the chains cannot be dropped.
  volatile float sink = xsimd::hadd(sum);
  (void)sink;
  return seconds > 0 ? static_cast<double>(iterations) * kChains / seconds : 0;
}

}  // namespace

int worker_threads(int threads) {
  return threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

double vector_fma_per_second(int threads) {
  threads = worker_threads(threads);
  // Five rounds of ~5 ms (1e6 x 12 FMAs at ~5e9 a second per core), all
  // threads at once so the cores run at the clock they keep under load; the
  // fastest round of each thread counts (interruptions only slow a round down).
  constexpr long kIterations = 1000000;
  constexpr int kRounds = 5;
  std::vector<double> best(static_cast<std::size_t>(threads), 0.0);
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&best, t] { best[t] = std::max(best[t], fma_rate(kIterations)); });
    for (std::thread& w : workers) w.join();
  }
  double total = 0;
  for (double rate : best) total += rate;
  return total;
}

}  // namespace cpu
}  // namespace manynets

// Google Benchmark: the CUDA backends side by side with the cpu backend.
// Fused vs staged on the seed workload; refill on vs off on a sweep whose
// networks stop at widely different steps. GPU times are CUDA events around
// the training kernels (the backend's last_run()), reported as manual time;
// net_steps_per_second counts the steps the networks really ran, and
// fraction_of_ceiling compares it with DESIGN.md's H200 ceiling. Every GPU
// benchmark skips, with the reason, when no device is present.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "manynets/backend.hpp"
#include "manynets/init.hpp"
#include "manynets/presets.hpp"
#include "manynets/version.hpp"
#include "manynets/devices.hpp"

namespace {

using namespace manynets;

// DESIGN.md: about 0.5 T net-steps/s on an H200 with exp + reciprocal per
// sigmoid (special-function bound).
constexpr double kH200Ceiling = 0.5e12;

// The worked example, learning rates 0.1 .. 2.0 across the networks (the seed
// sweep of bench_reference), no early stop: every network runs every step.
Batch seed_sweep(std::size_t n, std::int32_t steps, MathMode mode) {
  return seed_sweep_batch(n, steps, mode);
}

// Networks that stop at widely different steps: learning rates log-spaced over
// 0.01 .. 20 in shuffled order (so every warp mixes fast and slow ones), a
// target loss of 1e-4 and random starts; many converge in a few hundred
// steps, some run all `steps`.
Batch mixed_stop_sweep(std::size_t n, std::int32_t steps, MathMode mode) {
  const Preset seed = make_preset("seed");
  Batch batch(seed.shape, n);
  NetworkConfig c = seed.config;
  c.max_steps = steps;
  c.target_loss = 1e-4;
  c.train_biases = true;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(1));
  for (std::size_t i = 0; i < n; ++i) {
    c.learning_rate = 0.01 * std::pow(2000.0, static_cast<double>(order[i]) /
                                                  static_cast<double>(std::max<std::size_t>(n - 1, 1)));
    batch.set_config(i, c);
  }
  initialize(batch, parse_init("uniform:1"));
  batch.math_mode = mode;
  return batch;
}

bool skip_without_device(benchmark::State& state) {
  std::string why;
  if (!cuda_devices(&why).empty()) return false;
  state.SkipWithError(("no CUDA device: " + why).c_str());
  return true;
}

void report(benchmark::State& state, const Results& r, double seconds_per_iteration) {
  double net_steps = 0;
  for (const std::int32_t s : r.steps) net_steps += s;
  state.counters["net_steps"] = net_steps;
  state.counters["net_steps_per_second"] = net_steps / seconds_per_iteration;
  state.counters["fraction_of_ceiling"] = net_steps / seconds_per_iteration / kH200Ceiling;
  state.counters["converged"] = static_cast<double>(r.summary.converged);
}

// Args: networks, steps, math mode (0 precise, 1 fast), refill (0/1).
void run_cuda(benchmark::State& state, const char* backend_name, bool mixed) {
  if (skip_without_device(state)) return;
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto steps = static_cast<std::int32_t>(state.range(1));
  const MathMode mode = state.range(2) != 0 ? MathMode::fast : MathMode::precise;
  BackendOptions options;
  options.refill = state.range(3) != 0;
  const Batch batch = mixed ? mixed_stop_sweep(n, steps, mode) : seed_sweep(n, steps, mode);
  const Preset seed = make_preset("seed");
  const std::unique_ptr<Backend> backend = make_backend(backend_name, options);
  backend->train(batch, seed.data);  // warm-up: module load, allocations
  Results r;
  double seconds = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    r = backend->train(batch, seed.data);
    const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
    state.SetIterationTime(backend->last_kernel_seconds());
    seconds += backend->last_kernel_seconds();
    state.counters["wall_seconds"] = wall.count();
  }
  report(state, r, seconds / static_cast<double>(state.iterations()));
}

void BM_CudaFusedSeed(benchmark::State& state) {
  run_cuda(state, "cuda", false);
}
void BM_CudaStagedSeed(benchmark::State& state) {
  run_cuda(state, "cuda-staged", false);
}
void BM_CudaFusedMixedStops(benchmark::State& state) {
  run_cuda(state, "cuda", true);
}

// The cpu backend on the same workload, for the side-by-side (wall time).
void BM_CpuSeed(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto steps = static_cast<std::int32_t>(state.range(1));
  const Batch batch = seed_sweep(n, steps, MathMode::precise);
  const Preset seed = make_preset("seed");
  const std::vector<std::string> names = available_backends();
  const bool have_cpu = std::find(names.begin(), names.end(), "cpu") != names.end();
  const std::unique_ptr<Backend> backend = make_backend(have_cpu ? "cpu" : "reference");
  Results r;
  for (auto _ : state) r = backend->train(batch, seed.data);
  state.counters["net_steps_per_second"] =
      benchmark::Counter(static_cast<double>(n) * steps, benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_CudaFusedSeed)
    ->ArgNames({"networks", "steps", "fast", "refill"})
    ->Args({1 << 20, 10000, 1, 1})
    ->Args({1 << 20, 10000, 0, 1})
    ->Args({1 << 20, 10000, 1, 0})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK(BM_CudaStagedSeed)
    ->ArgNames({"networks", "steps", "fast", "refill"})
    ->Args({1 << 20, 1000, 1, 0})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2);
BENCHMARK(BM_CudaFusedMixedStops)
    ->ArgNames({"networks", "steps", "fast", "refill"})
    ->Args({1 << 20, 20000, 1, 1})
    ->Args({1 << 20, 20000, 1, 0})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK(BM_CpuSeed)
    ->ArgNames({"networks", "steps"})
    ->Args({1 << 16, 1000})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

// Google Benchmark: the cpu backend on the seed sweep workload
// (shared/peers/README.md): N worked-example networks, network i with learning
// rate 0.1 + 1.9 i / (N - 1), biases fixed, S steps of plain gradient descent,
// in both math modes, on every core. Items processed = net-steps.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "manynets/cpu.hpp"
#include "manynets/presets.hpp"

namespace {

manynets::Batch seed_sweep(std::size_t n, std::int32_t steps, manynets::MathMode mode) {
  return manynets::seed_sweep_batch(n, steps, mode);
}

// Args: networks, steps, math mode (0 precise, 1 fast), threads (0 = every core).
void BM_CpuSeedSweep(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto steps = static_cast<std::int32_t>(state.range(1));
  const auto mode = state.range(2) != 0 ? manynets::MathMode::fast : manynets::MathMode::precise;
  const manynets::Preset seed = manynets::make_preset("seed");
  const manynets::Batch batch = seed_sweep(n, steps, mode);
  manynets::BackendOptions options;
  options.threads = static_cast<int>(state.range(3));
  auto backend = manynets::cpu::make_backend(options);
  for (auto _ : state) {
    manynets::Results r = backend->train(batch, seed.data);
    benchmark::DoNotOptimize(r.loss.data());
  }
  const double net_steps = static_cast<double>(n) * steps;
  state.SetItemsProcessed(static_cast<std::int64_t>(net_steps) * state.iterations());
  state.counters["net_steps_per_second"] =
      benchmark::Counter(net_steps, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(manynets::cpu::instruction_set() + " x" + std::to_string(manynets::cpu::vector_width()) +
                 ", " + std::to_string(manynets::cpu::block_lanes()) + " lanes per block");
}

BENCHMARK(BM_CpuSeedSweep)
    ->ArgNames({"networks", "steps", "fast", "threads"})
    ->Args({1000, 1000, 0, 0})
    ->Args({10000, 1000, 0, 0})
    ->Args({100000, 1000, 0, 0})
    ->Args({1000000, 1000, 0, 0})
    ->Args({1000000, 1000, 1, 0})
    ->Args({1000000, 1000, 0, 1})
    ->Args({10000000, 20, 0, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

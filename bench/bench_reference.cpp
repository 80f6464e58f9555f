// Google Benchmark: the double-precision reference backend on the seed sweep
// workload (shared/peers/README.md): N worked-example networks, network i with
// learning rate 0.1 + 1.9 i / (N - 1), S steps. Items processed = net-steps.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "manynets/presets.hpp"
#include "manynets/reference.hpp"

namespace {

manynets::Batch seed_sweep(std::size_t n, std::int32_t steps) {
  return manynets::seed_sweep_batch(n, steps);
}

void BM_ReferenceSeedSweep(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto steps = static_cast<std::int32_t>(state.range(1));
  const manynets::Preset seed = manynets::make_preset("seed");
  const manynets::Batch batch = seed_sweep(n, steps);
  auto backend = manynets::reference::make_backend();
  for (auto _ : state) {
    manynets::Results r = backend->train(batch, seed.data);
    benchmark::DoNotOptimize(r.loss.data());
  }
  const double net_steps = static_cast<double>(n) * steps;
  state.SetItemsProcessed(static_cast<std::int64_t>(net_steps) * state.iterations());
  state.counters["net_steps_per_second"] =
      benchmark::Counter(net_steps, benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_ReferenceSeedSweep)
    ->ArgNames({"networks", "steps"})
    ->Args({100, 1000})
    ->Args({1000, 1000})
    ->Args({10000, 100})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

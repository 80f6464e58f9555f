// Google Benchmark: the sweep's own costs for a million networks, which must not
// dominate training: expanding a spec into batches (initial weights included),
// the checks and result arrays of Backend::train, the summary, and writing
// runs.csv (bytes processed = the file's size). Each reports its host time per
// network (ns_per_network): what a GPU sweep pays on the host beside its
// kernels, a few nanoseconds per network per step.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "manynets/backend.hpp"
#include "manynets/summary.hpp"
#include "manynets/sweep.hpp"
#include "manynets/writers.hpp"

namespace {

constexpr double kNetworks = 1e6;

// Host time per network, printed in seconds with an SI prefix ("580n": 580 ns).
benchmark::Counter per_network() {
  return benchmark::Counter(kNetworks,
                            benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// The worked example over 1000 log-spaced rates x 1000 uniform:1 draws: 10^6 networks.
manynets::SweepSpec million_spec() {
  return manynets::make_sweep_spec(
      {{"preset", "seed"}, {"lr", "0.01:10:1000:log"}, {"init", "uniform:1"}, {"seeds", "1000"}});
}

void BM_ExpandMillionNetworks(benchmark::State& state) {
  const manynets::SweepSpec spec = million_spec();
  for (auto _ : state) {
    manynets::SweepPlan plan = manynets::expand(spec);
    benchmark::DoNotOptimize(plan.groups[0].batch.init_params.data());
  }
  state.SetItemsProcessed(1000000 * state.iterations());
  state.counters["ns_per_network"] = per_network();
}
BENCHMARK(BM_ExpandMillionNetworks)->Unit(benchmark::kMillisecond)->UseRealTime();

// Results that look trained: every status, losses and parameters of full precision.
manynets::SweepResults fake_results(const manynets::SweepPlan& plan) {
  manynets::SweepResults r;
  r.backend = "fake";
  const manynets::SweepGroup& g = plan.groups[0];
  manynets::Results res;
  res.allocate(g.shape, g.batch.size(), 0, 0);
  for (std::size_t i = 0; i < res.n; ++i) {
    res.status[i] = static_cast<manynets::Status>(i % 3);
    res.steps[i] = static_cast<std::int32_t>(i % 5000);
    res.loss[i] = 1e-4 * std::exp(std::sin(static_cast<double>(i)));
    res.abs_error[i] = std::sqrt(res.loss[i]);
  }
  for (std::size_t k = 0; k < res.params.size(); ++k) res.params[k] = g.batch.init_params[k] * 1.37 + 0.01;
  r.results.push_back(std::move(res));
  return r;
}

void BM_WriteRunsCsvMillionNetworks(benchmark::State& state) {
  const manynets::SweepPlan plan = manynets::expand(million_spec());
  const manynets::SweepResults results = fake_results(plan);
  const std::string path = "/tmp/manynets_bench_runs_" + std::to_string(getpid()) + ".csv";
  std::size_t bytes = 0;
  for (auto _ : state) bytes = manynets::write_runs_csv(path, plan, results);
  std::remove(path.c_str());
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
  state.counters["file_MB"] = static_cast<double>(bytes) / 1e6;
  state.counters["ns_per_network"] = per_network();
}
BENCHMARK(BM_WriteRunsCsvMillionNetworks)->Unit(benchmark::kMillisecond)->UseRealTime();

// What Backend::train does before any backend trains: the input checks and
// the double Results the backend fills.
void BM_CheckAndAllocateMillionNetworks(benchmark::State& state) {
  const manynets::SweepPlan plan = manynets::expand(million_spec());
  const manynets::SweepGroup& g = plan.groups[0];
  for (auto _ : state) {
    manynets::check_training_input(g.batch, g.data);
    manynets::Results r;
    r.allocate(g.shape, g.batch.size(), g.batch.curve_every, g.batch.longest_run());
    benchmark::DoNotOptimize(r.params.data());
  }
  state.counters["ns_per_network"] = per_network();
}
BENCHMARK(BM_CheckAndAllocateMillionNetworks)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SummarizeMillionNetworks(benchmark::State& state) {
  const manynets::SweepPlan plan = manynets::expand(million_spec());
  const manynets::SweepResults results = fake_results(plan);
  for (auto _ : state) {
    manynets::SweepSummary summary = manynets::summarize(plan, results);
    benchmark::DoNotOptimize(summary);
  }
  state.counters["ns_per_network"] = per_network();
}
BENCHMARK(BM_SummarizeMillionNetworks)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

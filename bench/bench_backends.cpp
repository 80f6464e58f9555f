// Google Benchmark: every backend of this build x every compiled shape and three
// shapes that run the general path (2-8-1, 2-16-1, 8-32-4) x network
// counts 1e3 ... 1e7 x step counts, and every backend on datasets of 200 ...
// 20000 samples (samples/*), through the public API (make_backend), wall time.
// Items processed = net-steps. Rows that need more memory than the machine
// can spare skip with the reason, and so do CUDA rows without a device; cases too
// slow for a backend (the reference at a million networks) are not registered.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "manynets/backend.hpp"
#include "manynets/init.hpp"
#include "manynets/presets.hpp"
#include "manynets/shapes.hpp"
#include "manynets/version.hpp"
#include "manynets/devices.hpp"

namespace {

using namespace manynets;

// The workload of one shape. 2-2-2 is the seed sweep that `manynets bench`, the
// other benchmarks and the peer programs share. Other shapes get the same kind of
// job, generalised: one sample (inputs 0.05, 0.10, ..., targets alternating 0.01
// and 0.99), the worked example's hyperparameters, learning rates 0.1 ... 2.0,
// uniform random starts; so a net-step is one forward + backward + update on one
// sample for every shape, as in the performance model (DESIGN.md).
struct Workload {
  Batch batch;
  Dataset data;
};

Dataset one_sample_dataset(const Shape& s) {
  Dataset d;
  d.name = "one sample, " + to_string(s);
  d.inputs = s.inputs;
  d.outputs = s.outputs;
  for (int i = 0; i < s.inputs; ++i) d.x.push_back(0.05 * (i + 1));
  for (int k = 0; k < s.outputs; ++k) d.t.push_back(k % 2 == 0 ? 0.01 : 0.99);
  return d;
}

Workload make_workload(const Shape& s, std::size_t n, std::int32_t steps) {
  const Preset seed = make_preset("seed");
  if (s == seed.shape) return {seed_sweep_batch(n, steps), seed.data};
  Workload w{Batch(s, n), one_sample_dataset(s)};
  NetworkConfig c = seed.config;
  c.max_steps = steps;
  c.target_loss = 0;
  for (std::size_t i = 0; i < n; ++i) {
    c.learning_rate = n > 1 ? 0.1 + 1.9 * static_cast<double>(i) / static_cast<double>(n - 1) : 0.5;
    w.batch.set_config(i, c);
  }
  initialize(w.batch, parse_init("uniform:0.5"));
  return w;
}

bool is_gpu_backend(const std::string& name) {
  return name.rfind("cu", 0) == 0;
}

// Host bytes one network costs while it trains: the Batch's hyperparameters and
// initial parameters (double), the Results' parameters, losses and steps, and the
// backend's own float copy of parameters, gradients and optimizer state. An
// estimate on the high side, so a row skips rather than swaps.
double host_bytes_per_network(const Shape& s) {
  const double params = s.num_params();
  return 128 + params * (8 + 8 + 3 * 4);
}

double physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page_size > 0 ? static_cast<double>(pages) * static_cast<double>(page_size) : 0;
}

// Net-steps of one run above which a backend's case is not registered: the
// reference runs ~4 M net-steps/s (one double thread) and the cpu backend a few
// hundred M on a small machine; at these caps no case takes much over ten seconds.
double max_net_steps(const std::string& backend) {
  if (backend == "reference") return 1e6;
  if (is_gpu_backend(backend)) return 1e13;
  return 1e9;
}

// Skips a GPU backend's case, saying why, on a machine without a device.
bool skipped_without_device(benchmark::State& state, const std::string& backend_name) {
  std::string why;
  if (!is_gpu_backend(backend_name) || !cuda_devices(&why).empty()) return false;
  state.SkipWithError(("no CUDA device: " + why).c_str());
  return true;
}

// The timed loop: trains the workload once per iteration; items processed and
// net_steps_per_second count the steps that ran (no network stops early in
// these workloads unless it diverges). Returns the net-steps of one run.
double time_training(benchmark::State& state, Backend& backend, const Workload& w) {
  double applied = 0;
  for (auto _ : state) {
    Results r = backend.train(w.batch, w.data);
    applied = 0;
    for (const std::int32_t s : r.steps) applied += s;
    benchmark::DoNotOptimize(r.loss.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(applied) * state.iterations());
  state.counters["net_steps_per_second"] =
      benchmark::Counter(applied, benchmark::Counter::kIsIterationInvariantRate);
  return applied;
}

// `general`: the backend's general path on a compiled shape (BackendOptions::
// general_path), whose ratio to the shape's compiled code says what the shapes
// that are not compiled in give up.
void run_train(benchmark::State& state, const std::string& backend_name, Shape shape, bool general) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto steps = static_cast<std::int32_t>(state.range(1));
  if (skipped_without_device(state, backend_name)) return;
  const double needed = host_bytes_per_network(shape) * static_cast<double>(n);
  const double memory = physical_memory_bytes();
  if (memory > 0 && needed > memory / 4) {
    state.SkipWithError(("needs about " + std::to_string(static_cast<long long>(needed / 1e6)) +
                         " MB of host memory, more than a quarter of this machine's " +
                         std::to_string(static_cast<long long>(memory / 1e6)) + " MB")
                            .c_str());
    return;
  }
  std::unique_ptr<Backend> backend;
  Workload w;
  try {
    BackendOptions options;
    options.general_path = general;
    backend = make_backend(backend_name, options);
    w = make_workload(shape, n, steps);
    // GPU backends load modules and allocate on their first run; keep that out of
    // the timing (the CPU backends have nothing to warm).
    if (is_gpu_backend(backend_name)) backend->train(w.batch, w.data);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  time_training(state, *backend, w);
  state.SetLabel(to_string(shape) + (general || !is_compiled_shape(shape) ? " general path" : ""));
}

// Many samples (issue 9): the moons preset (2-3-1, tanh hidden units) on a
// moons dataset of `samples` points shared by every network, full batch, no
// early stop. Where fusion stops paying: every network reads every sample each
// step, so the fused kernel's per-thread loop grows with the samples while the
// cublas backend turns them into the GEMMs' N dimension.
void run_samples(benchmark::State& state, const std::string& backend_name) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto samples = static_cast<std::size_t>(state.range(1));
  const auto steps = static_cast<std::int32_t>(state.range(2));
  if (skipped_without_device(state, backend_name)) return;
  std::unique_ptr<Backend> backend;
  Workload w;
  try {
    const Preset moons = make_preset("moons");
    w.data = make_two_class_dataset("moons", samples, moons.shape.outputs);
    w.batch = Batch(moons.shape, n);
    NetworkConfig c = moons.config;
    c.max_steps = steps;
    c.target_loss = 0;
    w.batch.set_config_all(c);
    initialize(w.batch, moons.init);
    backend = make_backend(backend_name);
    if (is_gpu_backend(backend_name)) backend->train(w.batch, w.data);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  const double applied = time_training(state, *backend, w);
  state.counters["sample_steps_per_second"] =
      benchmark::Counter(applied * static_cast<double>(samples), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel("moons, " + std::to_string(samples) + " samples");
}

void register_all() {
  const std::vector<long> network_counts = {1000, 10000, 100000, 1000000, 10000000};
  const std::vector<long> step_counts = {100, 1000};
  // (shape, general path): every compiled shape by its own code and, on the
  // backends that have a general path, by it; then shapes that are not compiled in.
  std::vector<std::pair<Shape, bool>> shapes;
#define MANYNETS_ADD_SHAPE(I, H, O) shapes.push_back({Shape{I, H, O}, false});
  MANYNETS_FOR_EACH_SHAPE(MANYNETS_ADD_SHAPE)
#undef MANYNETS_ADD_SHAPE
#define MANYNETS_ADD_GENERAL(I, H, O) shapes.push_back({Shape{I, H, O}, true});
  MANYNETS_FOR_EACH_SHAPE(MANYNETS_ADD_GENERAL)
#undef MANYNETS_ADD_GENERAL
  for (const Shape s : {Shape{2, 8, 1}, Shape{2, 16, 1}, Shape{8, 32, 4}}) shapes.push_back({s, false});
  for (const std::string& backend : available_backends()) {
    const bool has_general_path = backend == "cpu" || backend == "cuda" || backend == "reference";
    for (const auto& [shape, general] : shapes) {
      if (!is_compiled_shape(shape) && !has_general_path) continue;
      if (general && (backend == "reference" || !has_general_path)) continue;
      const std::string name = "train/" + backend + "/" + to_string(shape) + (general ? "/general" : "");
      auto* b = benchmark::RegisterBenchmark(name.c_str(), [backend, shape = shape, general = general](
                                                               benchmark::State& state) {
        run_train(state, backend, shape, general);
      });
      b->ArgNames({"networks", "steps"})->Unit(benchmark::kMillisecond)->UseRealTime();
      // Work per net-step grows with the activations; the caps count 2-2-2 net-steps.
      const double scale = (shape.hidden + shape.outputs) / 4.0;
      for (const long n : network_counts) {
        for (const long s : step_counts) {
          if (static_cast<double>(n) * static_cast<double>(s) * scale <= max_net_steps(backend))
            b->Args({n, s});
        }
      }
    }
    // A net-step on S samples costs about S one-sample net-steps of 2-3-1.
    const std::string name = "samples/" + backend + "/moons";
    auto* b = benchmark::RegisterBenchmark(name.c_str(),
                                           [backend](benchmark::State& state) { run_samples(state, backend); });
    b->ArgNames({"networks", "samples", "steps"})->Unit(benchmark::kMillisecond)->UseRealTime();
    for (const long n : {1000L, 10000L, 100000L}) {
      for (const long samples : {200L, 2000L, 20000L}) {
        const long steps = 100;
        if (static_cast<double>(n) * static_cast<double>(samples) * steps <= max_net_steps(backend))
          b->Args({n, samples, steps});
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// `manynets bench`: trains the same batch (the seed sweep by default: N networks
// of a preset at learning rates 0.1 ... 2.0, S steps each) on every backend, one
// warm-up run then R timed runs, and prints the median net-steps per second, the
// spread, the fraction of the backend's ceiling (DESIGN.md's performance model)
// and the ratios between backends.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "manynets/cpu.hpp"
#include "manynets/devices.hpp"
#include "manynets/detail/cpu_probe.hpp"

namespace manynets {
namespace cli {

namespace {

// The performance model (DESIGN.md, docs/perf.md). CPU: a vector-step of a 2-2-2
// network on one sample (forward + backward + update on every lane, 4 exp and 4
// divisions) is ~92 vector instructions, issued at the rate this machine's cores
// issue vector fused multiply-adds (measured: cpu::vector_fma_per_second). GPU:
// 16 special-function ops per SM per cycle and 8 per net-step (exp + reciprocal
// per sigmoid) in precise mode; 128 FMA lanes per SM per cycle and ~40 FMA-lane
// ops per net-step with one tanh.approx per sigmoid in fast mode.
constexpr double cpu_instructions_per_vector_step = 92;
constexpr double gpu_sfu_per_sm_cycle = 16, gpu_sfu_per_net_step = 8;
constexpr double gpu_fma_per_sm_cycle = 128, gpu_fma_per_net_step = 40;

struct Ceiling {
  double net_steps_per_second = 0;  // 0: unknown
  std::string how;
};

// The model counts a 2-2-2 network on one sample; other workloads scale by their
// activations per step (samples x (hidden + outputs)) against its 4.
Ceiling ceiling_for(const std::string& backend, const SweepGroup& group, int threads, MathMode mode) {
  const Shape s = group.shape;
  const double work = static_cast<double>(group.data.samples()) * (s.hidden + s.outputs) / 4.0;
  Ceiling c;
  if (backend == "cpu" || backend == "reference") {
    // cpu: every worker thread's vectors; reference: one thread, one double per
    // instruction (a scalar FMA issues at the vector rate on these cores).
    const bool simd = backend == "cpu";
    const int cores = simd ? cpu::worker_threads(threads) : 1;
    const int lanes = simd ? cpu::vector_width() : 1;
    const double fma_per_second = cpu::vector_fma_per_second(cores);
    if (!(fma_per_second > 0)) {
      c.how = "n/a: the FMA rate could not be measured";
      return c;
    }
    c.net_steps_per_second = fma_per_second * lanes / cpu_instructions_per_vector_step / work;
    c.how = format_g(fma_per_second / 1e9, 3) + " G " + (simd ? "vector " : "") + "FMAs/s measured on " +
            std::to_string(cores) + (cores == 1 ? " core" : " cores") + " x " + std::to_string(lanes) +
            (lanes == 1 ? " lane" : " lanes") +
            (simd ? " (" + cpu::instruction_set() + ")" : " (scalar double)") + " / " +
            format_g(cpu_instructions_per_vector_step, 3) + " instructions per net-step";
    return c;
  }
  if (backend.rfind("cu", 0) == 0) {  // cuda, cuda-staged, cublas
    const std::vector<CudaDevice> devices = cuda_devices();
    if (devices.empty() || devices[0].multiprocessors <= 0 || devices[0].clock_khz <= 0) {
      c.how = "n/a: device SM count or clock unknown";
      return c;
    }
    const CudaDevice& d = devices[0];
    const double sm_clock = d.multiprocessors * d.clock_khz * 1e3;
    const bool fast = mode == MathMode::fast;
    c.net_steps_per_second = (fast ? sm_clock * gpu_fma_per_sm_cycle / gpu_fma_per_net_step
                                   : sm_clock * gpu_sfu_per_sm_cycle / gpu_sfu_per_net_step) /
                             work;
    c.how = d.name + ": " + std::to_string(d.multiprocessors) + " SMs x " + format_g(d.clock_khz / 1e6, 3) +
            " GHz x " +
            (fast ? "128 FMA lanes / 40 per net-step" : "16 special-function units / 8 per net-step");
    return c;
  }
  c.how = "n/a: no model for this backend";
  return c;
}

std::string rate_text(double v) {
  if (v >= 1e9) return format_g(v / 1e9, 3) + " G";
  if (v >= 1e6) return format_g(v / 1e6, 3) + " M";
  if (v >= 1e3) return format_g(v / 1e3, 3) + " k";
  return format_g(v, 3);
}

struct BenchResult {
  std::string backend;
  std::size_t networks = 0;
  std::int32_t steps = 0;
  double net_steps = 0;         // updates applied per run
  std::vector<double> seconds;  // per timed run, wall time
  // Per timed run, device kernels only (CUDA events); empty on a host backend.
  std::vector<double> kernel_seconds;
  double median_seconds = 0, median_rate = 0, min_rate = 0, max_rate = 0;
  double median_kernel_rate = NAN;  // net-steps per second of kernel time
  Ceiling ceiling;
  double fraction() const {
    return ceiling.net_steps_per_second > 0 ? median_rate / ceiling.net_steps_per_second : NAN;
  }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t comma = text.find(',', pos);
    items.push_back(text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return items;
}

// The numeric options, checked, or their defaults.
struct BenchSettings {
  std::size_t networks = 100000;
  std::int32_t steps = 1000;
  int repeats = 5;
  BackendOptions backend_options;
  MathMode mode = MathMode::precise;
};

BenchSettings parse_bench_settings(const BenchCommandOptions& options) {
  BenchSettings s;
  if (options.networks.given())
    s.networks = static_cast<std::size_t>(
        parse_whole_number("--networks", options.networks.value, 1, max_sweep_networks));
  if (options.steps.given())
    s.steps =
        static_cast<std::int32_t>(parse_whole_number("--steps", options.steps.value, 1, max_allowed_steps));
  if (options.repeats.given())
    s.repeats = static_cast<int>(parse_whole_number("--repeats", options.repeats.value, 1, 1000));
  if (options.threads.given())
    s.backend_options.threads =
        static_cast<int>(parse_whole_number("--threads", options.threads.value, 0, 4096));
  if (options.math.given()) s.mode = parse_math_mode(options.math.value);
  return s;
}

// --backends, else every available backend that can run here, without the
// reference past 1000 networks, where it would take minutes.
std::vector<std::string> bench_backend_names(const BenchCommandOptions& options, std::size_t networks) {
  std::vector<std::string> backends;
  if (options.backends.given()) {
    backends = split_list(options.backends.value);
    for (const std::string& name : backends) {
      if (name.empty()) throw input_error("--backends has an empty name in '" + options.backends.value + "'");
    }
    return backends;
  }
  const bool have_gpu = !cuda_devices().empty();
  for (const std::string& name : available_backends()) {
    if (name == "reference" && networks > 1000) continue;
    if (name.rfind("cu", 0) == 0 && !have_gpu) continue;
    backends.push_back(name);
  }
  return backends;
}

// A sweep of N learning rates from 0.1 to 2.0 with no early stop, so that every
// network runs every step; its one group is the batch every backend trains.
SweepPlan bench_workload(const BenchCommandOptions& options, const BenchSettings& settings) {
  SweepSpec spec;
  spec.preset = options.preset.given() ? options.preset.value : "seed";
  spec.learning_rate = settings.networks > 1
                           ? NumberAxis::linear(0.1, 2.0, static_cast<int>(settings.networks))
                           : NumberAxis::single(0.5);
  spec.max_steps = NumberAxis::single(settings.steps);
  spec.target_loss = NumberAxis::single(0.0);
  SweepPlan plan = expand(spec);
  if (plan.groups.size() != 1) throw input_error("bench needs a workload of one shape");
  SweepGroup& group = plan.groups.front();
  group.batch.math_mode = settings.mode;
  group.batch.curve_every = 0;
  return plan;
}

// One warm-up run, then settings.repeats timed runs.
BenchResult time_backend(Backend& backend, const std::string& name, const SweepGroup& group,
                         const BenchSettings& settings) {
  BenchResult r;
  r.backend = name;
  r.networks = group.batch.size();
  r.steps = settings.steps;
  backend.train(group.batch, group.data);  // warm-up
  for (int k = 0; k < settings.repeats; ++k) {
    const auto start = std::chrono::steady_clock::now();
    const Results out = backend.train(group.batch, group.data);
    r.seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (backend.last_kernel_seconds() >= 0) r.kernel_seconds.push_back(backend.last_kernel_seconds());
    double applied = 0;
    for (std::int32_t s : out.steps) applied += s;
    r.net_steps = applied;
  }
  r.median_seconds = median(r.seconds);
  r.median_rate = r.net_steps / r.median_seconds;
  r.min_rate = r.net_steps / *std::max_element(r.seconds.begin(), r.seconds.end());
  r.max_rate = r.net_steps / *std::min_element(r.seconds.begin(), r.seconds.end());
  if (!r.kernel_seconds.empty()) r.median_kernel_rate = r.net_steps / median(r.kernel_seconds);
  r.ceiling = ceiling_for(r.backend, group, settings.backend_options.threads, settings.mode);
  return r;
}

void print_bench_json(const std::string& workload, const BenchSettings& settings,
                      const std::vector<BenchResult>& results) {
  nlohmann::json j;
  j["workload"] = workload + ", learning rates 0.1 ... 2.0";
  j["math_mode"] = to_string(settings.mode);
  j["repeats"] = settings.repeats;
  j["results"] = nlohmann::json::array();
  for (const BenchResult& r : results) {
    const double f = r.fraction();
    j["results"].push_back(
        {{"backend", r.backend},
         {"networks", r.networks},
         {"steps", r.steps},
         {"seconds", r.median_seconds},
         {"net_steps_per_second", r.median_rate},
         {"fraction_of_ceiling", std::isfinite(f) ? nlohmann::json(f) : nlohmann::json(nullptr)},
         {"min_net_steps_per_second", r.min_rate},
         {"max_net_steps_per_second", r.max_rate},
         {"all_seconds", r.seconds},
         {"kernel_net_steps_per_second", std::isfinite(r.median_kernel_rate)
                                             ? nlohmann::json(r.median_kernel_rate)
                                             : nlohmann::json(nullptr)},
         {"all_kernel_seconds", r.kernel_seconds},
         {"ceiling_net_steps_per_second", r.ceiling.net_steps_per_second > 0
                                              ? nlohmann::json(r.ceiling.net_steps_per_second)
                                              : nlohmann::json(nullptr)},
         {"ceiling_model", r.ceiling.how}});
  }
  std::cout << j.dump() << "\n";
}

void print_bench_table(const std::string& workload, std::size_t networks, const BenchSettings& settings,
                       const std::vector<BenchResult>& results) {
  std::cout << "bench: " << workload << ", " << networks << " networks (learning rates 0.1 ... 2.0) x "
            << settings.steps << " steps, math " << to_string(settings.mode) << "; median of "
            << settings.repeats
            << " timed runs after one warm-up (wall time, transfers included; kernels: CUDA-event time of "
               "the device kernels alone)\n\n";
  std::cout << pad_right("backend", 14) << pad_left("net-steps/s", 14) << pad_left("min", 10)
            << pad_left("max", 10) << pad_left("seconds", 10) << pad_left("ceiling", 10)
            << pad_left("of ceiling", 12) << pad_left("kernels", 12) << "\n";
  for (const BenchResult& r : results) {
    const double f = r.fraction();
    std::cout << pad_right(r.backend, 14) << pad_left(rate_text(r.median_rate), 14)
              << pad_left(rate_text(r.min_rate), 10) << pad_left(rate_text(r.max_rate), 10)
              << pad_left(format_g(r.median_seconds, 3), 10)
              << pad_left(
                     r.ceiling.net_steps_per_second > 0 ? rate_text(r.ceiling.net_steps_per_second) : "n/a",
                     10)
              << pad_left(std::isfinite(f) ? format_g(100 * f, 3) + "%" : "n/a", 12)
              << pad_left(std::isfinite(r.median_kernel_rate) ? rate_text(r.median_kernel_rate) : "-", 12)
              << "\n";
  }
  std::cout << "\nceilings:\n";
  for (const BenchResult& r : results) std::cout << "  " << r.backend << ": " << r.ceiling.how << "\n";
}

// Every pair of backends, the faster over the slower.
void print_ratios(const std::vector<BenchResult>& results) {
  std::cout << "\nratios (median rates):\n";
  for (std::size_t a = 0; a < results.size(); ++a) {
    for (std::size_t b = a + 1; b < results.size(); ++b) {
      const bool a_faster = results[a].median_rate >= results[b].median_rate;
      const BenchResult& fast = a_faster ? results[a] : results[b];
      const BenchResult& slow = a_faster ? results[b] : results[a];
      std::cout << "  " << fast.backend << " / " << slow.backend << " = "
                << format_g(fast.median_rate / slow.median_rate, 3) << "x\n";
    }
  }
}

}  // namespace

CLI::App* add_bench_command(CLI::App& app, BenchCommandOptions& options) {
  CLI::App* b =
      app.add_subcommand("bench", "net-steps per second per backend on the same batch, side by side");
  auto add = [b](TextOption& t, const std::string& flag, const std::string& help, const std::string& type) {
    t.option = b->add_option(flag, t.value, help)->type_name(type);
  };
  add(options.backends, "--backends",
      "backends to time, a,b,c (default: every available one; reference only when asked or N <= 1000)",
      "LIST");
  add(options.preset, "--preset", "workload preset (default seed)", "NAME");
  add(options.networks, "--networks", "networks in the batch, learning rates 0.1 ... 2.0 (default 100000)",
      "N");
  add(options.steps, "--steps", "steps per network (default 1000)", "S");
  add(options.repeats, "--repeats", "timed runs per backend after one warm-up (default 5)", "R");
  add(options.threads, "--threads", "worker threads of the cpu backend (default 0: every core)", "N");
  add(options.math, "--math", "math mode: precise (default) or fast", "precise|fast");
  b->add_flag("--json", options.json, "print one JSON object instead of the table");
  b->footer("Example: manynets bench --backends reference,cpu --networks 1000 --steps 1000");
  return b;
}

int run_bench_command(const BenchCommandOptions& options) {
  const BenchSettings settings = parse_bench_settings(options);
  const std::vector<std::string> backends = bench_backend_names(options, settings.networks);
  std::vector<std::unique_ptr<Backend>> made;
  for (const std::string& name : backends)
    made.push_back(make_backend(name, settings.backend_options));  // bad names fail here
  const SweepPlan plan = bench_workload(options, settings);
  const SweepGroup& group = plan.groups.front();

  std::vector<BenchResult> results;
  for (std::size_t b = 0; b < made.size(); ++b)
    results.push_back(time_backend(*made[b], backends[b], group, settings));
  if (options.json) {
    print_bench_json(plan.workload, settings, results);
    return 0;
  }
  print_bench_table(plan.workload, group.batch.size(), settings, results);
  if (results.size() > 1) print_ratios(results);
  return 0;
}

}  // namespace cli
}  // namespace manynets

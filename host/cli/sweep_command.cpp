// `manynets sweep`: builds a SweepSpec from the shared workload options (read as
// lists and ranges), an optional JSON config file under them, and the sweep's
// own flags; expands it, trains it in chunks with progress on a terminal, and
// prints the summary (or its JSON), writing files and plots with --out. With
// --out DIR the trained chunks and the options are saved in DIR/.partial until
// the files are complete, and --resume DIR continues from them.
// run_sweep_job is also the default job's runner.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <tuple>
#include <vector>

#include "cli/commands.hpp"
#include "cli/format.hpp"

namespace manynets {
namespace cli {

namespace {

// Keys a config file may hold besides the spec's own.
const std::vector<std::string> job_keys = {"backend", "threads", "out", "curves", "curve-every"};

// The saved options of an unfinished sweep, in its state directory.
constexpr char saved_options_name[] = "sweep.json";

std::vector<std::string> config_keys() {
  std::vector<std::string> keys = sweep_spec_keys();
  keys.insert(keys.end(), job_keys.begin(), job_keys.end());
  return keys;
}

// The options saved by the unfinished sweep in `dir`, for --resume DIR.
std::map<std::string, std::string> saved_sweep_options(const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path saved = fs::path(sweep_state_dir(dir)) / saved_options_name;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw input_error("--resume: '" + dir +
                      "' is not a directory; give the --out directory of the sweep to continue");
  }
  if (!fs::exists(saved, ec)) {
    if (fs::exists(fs::path(dir) / "runs.csv", ec) && fs::exists(fs::path(dir) / "summary.json", ec)) {
      throw input_error("--resume: the sweep in '" + dir +
                        "' has finished and its files are complete; there is nothing to resume");
    }
    throw input_error("--resume: '" + dir + "' holds no unfinished sweep (no " + saved.string() +
                      "); start the sweep with 'manynets sweep ... --out " + dir + "'");
  }
  return read_sweep_config(saved.string(), config_keys());
}

// Whether two paths name the same directory (either may not exist yet).
bool same_directory(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool same = fs::equivalent(a, b, ec);
  if (!ec) return same;
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

// Most networks per chunk: unbounded unless MANYNETS_MAX_CHUNK says otherwise
// (chunks are the unit a killed sweep resumes from; tests make them small).
std::size_t max_chunk_from_environment() {
  const char* text = std::getenv("MANYNETS_MAX_CHUNK");
  if (text == nullptr || *text == '\0') return 0;
  return static_cast<std::size_t>(
      parse_whole_number("MANYNETS_MAX_CHUNK", text, 1, static_cast<std::int64_t>(max_sweep_networks)));
}

// Shards of a sweep: at most this many, so that K/N reads as small numbers.
constexpr std::int64_t max_shards = 1000000;

// "K/N" with 0 <= K < N.
std::pair<std::uint64_t, std::uint64_t> parse_shard(const std::string& text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string::npos) {
    throw input_error("--shard expects K/N, shard K (from 0) of N, such as 0/4; got '" + text + "'");
  }
  const auto n =
      static_cast<std::uint64_t>(parse_whole_number("--shard", text.substr(slash + 1), 1, max_shards));
  const auto k = static_cast<std::uint64_t>(
      parse_whole_number("--shard", text.substr(0, slash), 0, static_cast<std::int64_t>(n) - 1));
  return {k, n};
}

// The shard of a Slurm job array's task: task id minus the array's first id, of
// the array's task count. False outside a job array.
bool slurm_array_shard(std::uint64_t* k, std::uint64_t* n) {
  const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
  const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
  if (id == nullptr || count == nullptr || *id == '\0' || *count == '\0') return false;
  const char* min = std::getenv("SLURM_ARRAY_TASK_MIN");
  const std::int64_t first = min && *min ? parse_whole_number("SLURM_ARRAY_TASK_MIN", min, 0, INT32_MAX) : 0;
  *n = static_cast<std::uint64_t>(parse_whole_number("SLURM_ARRAY_TASK_COUNT", count, 1, max_shards));
  const std::int64_t task = parse_whole_number("SLURM_ARRAY_TASK_ID", id, first, INT32_MAX);
  if (task - first >= static_cast<std::int64_t>(*n)) {
    throw input_error(
        "SLURM_ARRAY_TASK_ID " + std::string(id) + " is past the job array's " + count + " tasks from " +
        std::to_string(first) +
        ": shards are the array's tasks numbered without gaps (--array=0-N); or give --shard K/N");
  }
  *k = static_cast<std::uint64_t>(task - first);
  return true;
}

std::string percent(std::size_t part, std::size_t whole) {
  return whole ? format_g(100.0 * static_cast<double>(part) / static_cast<double>(whole), 3) + "%" : "-";
}

std::string rate_text(double per_second) {
  if (per_second >= 1e9) return format_g(per_second / 1e9, 3) + " G net-steps/s";
  if (per_second >= 1e6) return format_g(per_second / 1e6, 3) + " M net-steps/s";
  if (per_second >= 1e3) return format_g(per_second / 1e3, 3) + " k net-steps/s";
  return format_g(per_second, 3) + " net-steps/s";
}

// A number shown with 4 significant digits; other text as it is.
std::string short_value(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size() ? format_g(v, 4) : text;
}

std::string duration_text(double seconds) {
  if (seconds < 90) return format_g(std::ceil(seconds), 3) + " s";
  if (seconds < 5400) return format_g(std::ceil(seconds / 60), 3) + " min";
  return format_g(seconds / 3600, 2) + " h";
}

// Which networks keep their loss curve: all, none, K spread evenly, or a list of ids.
std::vector<std::uint64_t> curve_ids(const std::string& text, std::size_t networks) {
  if (text == "all") return sample_ids(networks, networks);
  if (text == "none") return {};
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  if (digits) {
    return sample_ids(networks, static_cast<std::size_t>(parse_whole_number("--curves", text, 0, 100000000)));
  }
  std::string list = text.rfind("ids:", 0) == 0 ? text.substr(4) : text;
  if (list.find(',') == std::string::npos && text.rfind("ids:", 0) != 0) {
    throw input_error(
        "--curves expects all, none, a count K, or network ids as a list a,b,c (ids:a for one); got '" +
        text + "'");
  }
  std::vector<std::uint64_t> ids;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t comma = list.find(',', pos);
    const std::string cell = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    const std::uint64_t id = static_cast<std::uint64_t>(
        parse_whole_number("--curves", cell, 0, static_cast<std::int64_t>(networks ? networks - 1 : 0)));
    if (networks == 0) throw input_error("--curves lists ids but the sweep has no networks");
    ids.push_back(id);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return ids;
}

// Prints "  trained N/M networks (p%), rate, time left" over itself on a terminal.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}
  void update(std::size_t done, std::size_t total, double net_steps, double seconds) {
    if (!enabled_) return;
    std::string line = "  trained " + std::to_string(done) + "/" + std::to_string(total) + " networks (" +
                       percent(done, total) + ")";
    if (seconds > 0) line += ", " + rate_text(net_steps / seconds);
    if (done > 0 && done < total && seconds > 2) {
      line += ", about " +
              duration_text(seconds * static_cast<double>(total - done) / static_cast<double>(done)) +
              " left";
    }
    width_ = std::max(width_, line.size());
    std::cerr << "\r" << pad_right(line, width_) << std::flush;
  }
  void clear() {
    if (enabled_ && width_ > 0) std::cerr << "\r" << std::string(width_, ' ') << "\r" << std::flush;
  }

 private:
  bool enabled_;
  std::size_t width_ = 0;
};

std::string median_cell(double v, int digits) {
  return std::isfinite(v) ? format_g(v, digits) : "-";
}

// The `manynets train` line that retrains the sweep's network `id` exactly.
std::string reproduce_command(const SweepPlan& plan, const BestNetwork& best) {
  std::map<std::string, std::string> hp(best.hyperparameters.begin(), best.hyperparameters.end());
  const SweepSpec& s = plan.spec;
  std::string line = "manynets train ";
  line += s.data_path.empty() ? "--preset " + s.preset : "--data '" + s.data_path + "'";
  for (int k = 0; k < hyperparameter_count; ++k) {
    const auto h = static_cast<Hyperparameter>(k);
    const std::string& value = hp[to_string(h)];
    // Values that change nothing stay off the line.
    if (h == Hyperparameter::momentum && hp["optimizer"] != "momentum") continue;
    if (h == Hyperparameter::weight_decay && value == "0") continue;
    line += std::string(" --") + option_name(h) + " " + value;
  }
  if (s.rule != Rule::backprop) line += std::string(" --rule ") + to_string(s.rule);
  if (s.math_mode != MathMode::precise) line += std::string(" --math ") + to_string(s.math_mode);
  return line + " --seed " + std::to_string(s.seed) + " --id " + std::to_string(best.id);
}

void print_report(const SweepJob& job, const SweepPlan& plan, const SweepSummary& sum,
                  std::size_t configurations) {
  const std::vector<Hyperparameter> swept = swept_hyperparameters(plan);
  std::string shapes;
  for (const SweepGroup& g : plan.groups) shapes += (shapes.empty() ? "" : ", ") + to_string(g.shape);
  if (!job.title.empty()) std::cout << job.title << "\n";
  std::cout << "sweep of " << plan.workload << " (shape " << shapes << "): " << configurations
            << (plan.spec.random > 0 ? " random configurations" : " configurations");
  if (plan.spec.seeds > 1) std::cout << " x up to " << plan.spec.seeds << " seeds";
  std::cout << " = " << sum.networks << " networks, backend " << sum.backend
            << (sum.math_mode == MathMode::fast ? ", math fast" : "") << "\n";
  if (sum.networks > 0) {
    std::string fixed;
    for (int h = 0; h < hyperparameter_count; ++h) {
      const auto hp = static_cast<Hyperparameter>(h);
      if (std::find(swept.begin(), swept.end(), hp) != swept.end() || hp == Hyperparameter::shape) continue;
      if (hp == Hyperparameter::momentum && plan.groups[0].batch.optimizer[0] != Optimizer::momentum)
        continue;
      if (hp == Hyperparameter::weight_decay && plan.groups[0].batch.weight_decay[0] == 0) continue;
      fixed += (fixed.empty() ? "" : ", ") + std::string(to_string(hp)) + " " +
               hyperparameter_text(plan, 0, 0, hp);
    }
    if (!fixed.empty()) std::cout << "  fixed: " << fixed << ", run seed " << plan.spec.seed << "\n";
  }
  std::cout << "  trained in " << format_g(sum.seconds, 3) << " s ("
            << rate_text(sum.seconds > 0 ? sum.net_steps / sum.seconds : 0) << ")\n\n";
  std::cout << sum.networks << " networks: converged " << sum.converged << " ("
            << percent(sum.converged, sum.networks) << "), ran out of steps " << sum.ran_out << " ("
            << percent(sum.ran_out, sum.networks) << "), diverged " << sum.diverged << " ("
            << percent(sum.diverged, sum.networks) << ")\n";

  for (const HyperparameterTable& t : sum.tables) {
    std::size_t width = std::string(to_string(t.hyperparameter)).size();
    for (const ValueStats& v : t.rows) width = std::max(width, short_value(v.value).size());
    width += 2;
    std::cout << "\n"
              << pad_right(to_string(t.hyperparameter), width) << pad_left("networks", 10)
              << pad_left("converged", 12) << pad_left("diverged", 10) << pad_left("median loss", 14)
              << pad_left("median steps to target", 24) << "\n";
    for (const ValueStats& v : t.rows) {
      std::cout << pad_right(short_value(v.value), width) << pad_left(std::to_string(v.networks), 10)
                << pad_left(percent(v.converged, v.networks), 12)
                << pad_left(percent(v.diverged, v.networks), 10)
                << pad_left(median_cell(v.median_loss, 4), 14)
                << pad_left(median_cell(v.median_steps_to_target, 6), 24) << "\n";
    }
  }

  if (!sum.best_configurations.empty() && !swept.empty()) {
    std::cout << "\nbest configurations (highest success rate, then fewest median steps to target):\n";
    int rank = 1;
    for (const ConfigurationStats& c : sum.best_configurations) {
      std::string what;
      for (const auto& kv : c.hyperparameters) {
        what += (what.empty() ? "" : ", ") + kv.first + " " + short_value(kv.second);
      }
      std::cout << "  " << rank++ << ". " << what << ": " << c.stats.converged << "/" << c.stats.networks
                << " converged, median " << median_cell(c.stats.median_steps_to_target, 6)
                << " steps to target, median loss " << median_cell(c.stats.median_loss, 4) << "\n";
    }
  }
  if (sum.has_best) {
    std::cout << "\nbest network: id " << sum.best.id << ", loss " << format_g(sum.best.loss, 4) << " after "
              << sum.best.steps << " steps (" << to_string(sum.best.status) << ")\n"
              << "  reproduce: " << reproduce_command(plan, sum.best) << "\n";
  }
}

}  // namespace

CLI::App* add_sweep_command(CLI::App& app, SweepOptions& options) {
  CLI::App* sweep = app.add_subcommand(
      "sweep", "train a grid (or random sample) of networks over lists and ranges of hyperparameters");
  add_network_options(*sweep, options.network);
  auto add = [sweep](TextOption& t, const std::string& flag, const std::string& help,
                     const std::string& type) {
    t.option = sweep->add_option(flag, t.value, help)->type_name(type);
  };
  add(options.seeds, "--seeds", "replicates per configuration, each with its own random draws (default 1)",
      "K");
  add(options.random, "--random", "draw N configurations from the lists and ranges instead of the grid", "N");
  add(options.config, "--config", "JSON file of options ({\"lr\": \"0.1:8:12:log\", ...}); flags override it",
      "FILE");
  add(options.out, "--out", "write runs.csv, summary.json, curves.csv and PNG plots into DIR", "DIR");
  add(options.curves, "--curves", "loss curves to keep: all, none, K (a sample; default 24) or ids a,b,c",
      "all|K|ids");
  add(options.curve_every, "--curve-every", "record curves every R steps (default: about 300 points)", "R");
  add(options.resume, "--resume",
      "finish the sweep a killed or failed run left in DIR (its --out) from its saved chunks", "DIR");
  add(options.shard, "--shard",
      "train only shard K of N (0 <= K < N) into DIR/shard-K-of-N of --out DIR; once all are done, "
      "'manynets merge DIR' writes the files (default under a Slurm job array: its task)",
      "K/N");
  sweep->add_flag("--json", options.json, "print the summary as one JSON object instead of the report");
  sweep->footer(
      "Lists are a,b,c; ranges a:b:n (n values from a to b, linear; a > b runs downwards) or a:b:n:log.\n"
      "Example: manynets sweep --preset xor --shape 2-2-1 --lr 0.1:8:12:log --init uniform:1 --seeds 500 \\\n"
      "           --steps 5000 --target-loss 0.01 --out xor-sweep\n"
      "With --out DIR, trained chunks are saved in DIR/.partial until the files are complete; if the run\n"
      "is killed, 'manynets sweep --resume DIR' finishes it with the same options and gives the same files.");
  return sweep;
}

std::map<std::string, std::string> sweep_option_texts(const NetworkOptions& o,
                                                      const std::vector<NamedTextOption>& more,
                                                      const TextOption& config,
                                                      const std::vector<std::string>& extra_keys) {
  std::vector<std::string> known = sweep_spec_keys();
  known.insert(known.end(), extra_keys.begin(), extra_keys.end());
  std::map<std::string, std::string> texts;
  if (config.given()) texts = read_sweep_config(config.value, known);
  for (const auto& [key, text] : network_option_texts(o)) texts[key] = text;  // flags override the file
  for (const auto& [key, option] : more) {
    if (option->given()) texts[key] = option->value;
  }
  return texts;
}

std::string sweep_state_dir(const std::string& out_dir) {
  return (std::filesystem::path(out_dir) / ".partial").string();
}

int mpi_launched_size() {
  // Open MPI's mpirun; MPICH's and Intel's mpiexec (PMI); srun with PMIx, where
  // one task is a plain run rather than an MPI job.
  const char* const variables[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS"};
  for (const char* name : variables) {
    const char* text = std::getenv(name);
    if (text == nullptr || *text == '\0') continue;
    const int size = std::atoi(text);
    if (std::strcmp(name, "SLURM_NTASKS") == 0 && (size < 2 || std::getenv("PMIX_RANK") == nullptr)) continue;
    if (size > 0) return size;
  }
  return 0;
}

#if !MANYNETS_WITH_MPI
int run_sweep_under_mpi(const SweepJob&, bool) {
  throw input_error(
      "this manynets was built without MPI, so its ranks would each run the whole sweep; install MPI "
      "(scripts/setup.sh installs Open MPI) and build again, or run one shard per process with --shard K/N");
}
#endif

namespace {

// The job that the option texts (flags, a config file, or a state's saved
// options) describe.
SweepJob make_sweep_job(std::map<std::string, std::string> texts) {
  SweepJob job;
  job.spec = make_sweep_spec(texts);
  job.options = texts;
  job.options.erase("out");
  if (texts.count("data")) {  // a resumed run or a shard may start in another directory
    std::error_code ec;
    const std::filesystem::path data = std::filesystem::absolute(texts["data"], ec);
    if (!ec) job.options["data"] = data.string();
  }
  if (texts.count("backend")) job.backend = texts["backend"];
  if (texts.count("threads")) {
    job.backend_options.threads =
        static_cast<int>(parse_whole_number("--threads", texts["threads"], 0, 4096));
  }
  if (texts.count("out")) job.out_dir = texts["out"];
  if (texts.count("curves")) job.curves = texts["curves"];
  if (texts.count("curve-every")) {
    job.curve_every = static_cast<std::int32_t>(
        parse_whole_number("--curve-every", texts["curve-every"], 1, max_allowed_steps));
  }
  return job;
}

}  // namespace

int run_sweep_command(const SweepOptions& options) {
  const std::map<std::string, std::string> given = sweep_option_texts(options.network,
                                                                      {{"seeds", &options.seeds},
                                                                       {"random", &options.random},
                                                                       {"out", &options.out},
                                                                       {"curves", &options.curves},
                                                                       {"curve-every", &options.curve_every}},
                                                                      options.config, job_keys);

  // --resume DIR: the options the sweep in DIR saved, with any given ones on top
  // (a plan they change is refused when the saved chunks are read).
  std::map<std::string, std::string> texts;
  if (options.resume.given()) {
    const std::string& dir = options.resume.value;
    if (given.count("out") && !same_directory(given.at("out"), dir)) {
      throw input_error("--resume " + dir + " continues the sweep writing into " + dir + ", but --out is '" +
                        given.at("out") + "'; leave out --out");
    }
    texts = saved_sweep_options(dir);
    for (const auto& kv : given) texts[kv.first] = kv.second;
    texts["out"] = dir;
  } else {
    texts = given;
  }

  SweepJob job = make_sweep_job(texts);
  job.resume = options.resume.given();
  job.json = options.json;
  if (mpi_launched_size() > 0) return run_sweep_under_mpi(job, options.shard.given());
  if (options.shard.given()) {
    if (options.resume.given()) {
      throw input_error(
          "--shard and --resume exclude each other: run the shard command again to continue it, "
          "or 'manynets merge DIR --resume' to finish every shard");
    }
    std::tie(job.shard, job.shard_count) = parse_shard(options.shard.value);
  } else if (!options.resume.given() && !job.out_dir.empty() &&
             slurm_array_shard(&job.shard, &job.shard_count)) {
    std::cerr << "manynets: note: Slurm job array task: training shard " << job.shard << "/"
              << job.shard_count << " (give --shard K/N to choose another)\n";
  }
  if (job.shard_count > 0 && job.out_dir.empty()) {
    throw input_error(
        "--shard needs --out DIR: the shards keep their results under DIR for 'manynets merge DIR'");
  }
  return run_sweep_job(job);
}

int run_sweep_job(const SweepJob& job) {
  namespace fs = std::filesystem;
  // Every check of the input comes before the output directory is touched.
  const SweepPlan plan = expand(job.spec);
  const bool shard = job.shard_count > 0;
  const bool merge = job.merge.has_value();
  // A merge trains nothing: its backend is the name the shards trained on.
  const std::unique_ptr<Backend> backend = merge ? nullptr : make_backend(job.backend, job.backend_options);
  const std::string backend_name = merge ? job.backend : backend->name();
  const std::size_t networks = plan.networks();
  SweepRunOptions run;
  run.curve_ids = curve_ids(job.curves, networks);
  run.curve_every = job.curve_every;
  run.max_chunk = max_chunk_from_environment();

  // The saved options that continue this sweep, or a shard of it.
  std::map<std::string, std::string> saved = job.options;
  saved["backend"] = backend_name;  // what "auto" chose, so a resumed run matches it
  if (!job.out_dir.empty()) {       // fail on an unusable directory before training, not after
    std::error_code ec;
    fs::create_directories(job.out_dir, ec);
    if (!fs::is_directory(job.out_dir) || access(job.out_dir.c_str(), W_OK) != 0) {
      throw input_error("cannot write into the output directory '" + job.out_dir + "'" +
                        (ec ? ": " + ec.message() : std::string()) + "; give --out a writable directory");
    }
    remove_stale_temporaries(job.out_dir);
    if (!merge && !shard) run.checkpoint_dir = sweep_state_dir(job.out_dir);
    if (!job.resume && !merge && !shard) {
      if (fs::exists(run.checkpoint_dir, ec)) {
        std::cerr << "manynets: note: starting over: removed the unfinished sweep left in '" << job.out_dir
                  << "' (to continue one instead, run 'manynets sweep --resume " << job.out_dir << "')\n";
        fs::remove_all(run.checkpoint_dir, ec);
      }
      fs::create_directories(run.checkpoint_dir, ec);
      if (ec) {
        throw runtime_error("cannot create '" + run.checkpoint_dir + "': " + ec.message() +
                            "; check the --out directory");
      }
      // Saved before the first chunk, so every saved chunk can be resumed.
      write_text_file((fs::path(run.checkpoint_dir) / saved_options_name).string(), sweep_config_json(saved));
    }
  }

  Progress progress(isatty(STDERR_FILENO) != 0 && !job.silent);
  run.progress = [&progress](std::size_t done, std::size_t total, double net_steps, double seconds) {
    progress.update(done, total, net_steps, seconds);
  };
  SweepResults results;
  if (shard) {
    results = run_shard(plan, *backend, job.out_dir, job.shard, job.shard_count, saved, run);
  } else if (merge) {
    results = merge_shards(plan, backend_name, *job.merge, run);
  } else {
    results = run_sweep(plan, *backend, run);
  }
  progress.clear();
  if (shard) {
    const IdRange ids = shard_range(networks, job.shard, job.shard_count);
    const std::string dir = shard_dir(job.out_dir, job.shard, job.shard_count);
    if (job.silent) return 0;
    if (job.quiet) {
      std::cerr << "manynets: note: trained shard " << job.shard << "/" << job.shard_count
                << " here: " << results.trained << " of its " << ids.size()
                << " networks (the rest were saved)\n";
      return 0;
    }
    if (job.json) {
      nlohmann::json j = {{"shard", job.shard},         {"shards", job.shard_count},
                          {"first_id", ids.begin},      {"end_id", ids.end},
                          {"networks", ids.size()},     {"trained", results.trained},
                          {"seconds", results.seconds}, {"directory", dir}};
      std::cout << j.dump() << "\n";
      return 0;
    }
    std::cout << "shard " << job.shard << "/" << job.shard_count << " of the sweep of " << plan.workload
              << ": networks " << ids.begin << ".." << ids.end - 1 << " of " << networks << " ("
              << results.trained << " trained now), " << format_g(results.seconds, 3) << " s of training, "
              << "backend " << backend_name << "\n"
              << "  saved in " << dir << "; once every shard is done: manynets merge " << job.out_dir << "\n";
    return 0;
  }
  if (job.resume) {
    std::cerr << "manynets: note: resumed the sweep in '" << job.out_dir
              << "': " << networks - std::min(results.trained, networks) << " of " << networks
              << " networks came from its saved chunks\n";
  }
  const SweepSummary summary = summarize(plan, results);

  std::size_t configurations = 0;
  for (const SweepGroup& g : plan.groups) {
    for (std::size_t i = 0; i < g.batch.size(); ++i)
      configurations += i == 0 || g.configuration[i] != g.configuration[i - 1];
  }

  std::vector<std::string> files;
  PlotOutcome plots;
  if (!job.out_dir.empty()) {
    files = write_sweep_files(job.out_dir, plan, results, summary);
    std::error_code ec;  // the files are complete: the saved chunks have done their job
    if (!run.checkpoint_dir.empty()) fs::remove_all(run.checkpoint_dir, ec);
    plots = make_plots(job.out_dir, default_plot_python(), default_plot_script());
  }

  if (job.json) {
    std::cout << summary_json(summary) << "\n";
    if (!job.out_dir.empty() && !plots.ok)
      std::cerr << "manynets: note: plots skipped: " << plots.message << "\n";
    return 0;
  }
  print_report(job, plan, summary, configurations);
  if (!job.out_dir.empty()) {
    std::cout << "\nfiles: " << join(files) << "\n";
    if (plots.ok) {
      std::cout << "plots: "
                << (plots.files.empty() ? std::string("none (nothing to draw)") : join(plots.files)) << "\n";
    } else {
      std::cout << "plots: skipped: " << plots.message << "\n";
    }
  }
  return 0;
}

CLI::App* add_merge_command(CLI::App& app, MergeOptions& options) {
  CLI::App* merge = app.add_subcommand(
      "merge", "write the files of a sweep run as shards (manynets sweep ... --out DIR --shard K/N)");
  merge->add_option("DIR", options.dir, "the --out directory the shards wrote into")
      ->required()
      ->type_name("DIR");
  merge->add_flag("--resume", options.resume, "train the shards that are not done here first");
  merge->add_flag("--json", options.json, "print the summary as one JSON object instead of the report");
  merge->footer(
      "Every shard must be of the same sweep (the same options, data, backend and curve settings).\n"
      "The files are those one process writes: runs.csv, summary.json, curves.csv and plots.");
  return merge;
}

int run_merge_command(const MergeOptions& options) {
  const std::string& dir = options.dir;
  ShardSet shards = find_shards(dir, config_keys());
  if (!shards.missing.empty() && !options.resume) {
    const bool many = shards.missing.size() > 1;
    throw input_error("merge: " + missing_shards_text(shards) + " in '" + dir + "'; run " +
                      (many ? "them" : "it") + " ('manynets sweep --config " + shards.dirs.front() +
                      "/sweep.json --out " + dir + " --shard " + std::to_string(shards.missing.front()) +
                      "/" + std::to_string(shards.count) + "'), or train " + (many ? "them" : "it") +
                      " here with 'manynets merge " + dir + " --resume'");
  }
  for (std::uint64_t k : shards.missing) {
    SweepJob job = make_sweep_job(shards.options);
    job.out_dir = dir;
    job.shard = k;
    job.shard_count = shards.count;
    job.quiet = true;
    run_sweep_job(job);
  }
  shards.missing.clear();
  SweepJob job = make_sweep_job(shards.options);
  job.out_dir = dir;
  job.merge = shards;
  job.json = options.json;
  return run_sweep_job(job);
}

}  // namespace cli
}  // namespace manynets

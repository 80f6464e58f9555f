// The subcommands of `manynets`: each registers its flags on a CLI11 subcommand
// and runs from the values parsed into its options struct, returning the exit
// status. They throw manynets::Error on bad input or a failed run; main()
// turns every exception into one error line and an exit status.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/options.hpp"

namespace manynets {
namespace cli {

// `manynets train`: one network, its loss at chosen steps, final parameters, outputs.
struct TrainOptions {
  NetworkOptions network;
  std::string curve_path;  // empty: no curve file
  std::string plot_path;   // empty: no plot
  bool json = false;
  std::uint64_t id = 0;  // network id keying the random draws (a sweep's id reproduces that network)
};
CLI::App* add_train_command(CLI::App& app, TrainOptions& options);
int run_train_command(const TrainOptions& options);

// `manynets info`: version, build options, SIMD, CUDA devices, backends, shapes, presets.
struct InfoOptions {
  bool json = false;
};
CLI::App* add_info_command(CLI::App& app, InfoOptions& options);
int run_info_command(const InfoOptions& options);

// `manynets sweep`: a grid or random sweep; the workload options take lists and ranges.
struct SweepOptions {
  NetworkOptions network;
  TextOption seeds, random, config, out, curves, curve_every, resume, shard;
  bool json = false;
};
CLI::App* add_sweep_command(CLI::App& app, SweepOptions& options);
int run_sweep_command(const SweepOptions& options);

// A sweep ready to run: what `manynets sweep` builds from its options and the
// default job from its embedded spec; both run it with run_sweep_job.
struct SweepJob {
  SweepSpec spec;
  std::string backend = "auto";
  BackendOptions backend_options;
  std::string out_dir;           // empty: no files
  std::string curves = "24";     // all, K (a sample of K networks), or ids (a list a,b,c or ids:a)
  std::int32_t curve_every = 0;  // 0: about 300 points per curve
  bool json = false;
  std::string title;  // the report's first line; empty: one made from the spec
  // The option texts that make this sweep (as a --config file holds them), saved
  // in the output directory's state so that `manynets sweep --resume DIR` can
  // continue it; `resume` says this run continues the state found there.
  std::map<std::string, std::string> options;
  bool resume = false;
  // A shard (shard_count > 0): trains only shard `shard` of `shard_count` into
  // its directory under out_dir (shard_dir), continuing what it holds, and
  // writes no files but the shard's; `manynets merge` writes them.
  std::uint64_t shard = 0, shard_count = 0;
  // A merge: the shards whose saved chunks hold every network.
  std::optional<ShardSet> merge;
  bool quiet = false;   // a shard that a merge trains: a one-line note instead of the report
  bool silent = false;  // a shard of an MPI rank: nothing
};
int run_sweep_job(const SweepJob& job);

// The number of processes an MPI launcher (mpirun, mpiexec, srun) started this
// one among, read from the environment it sets; 0 when none did.
int mpi_launched_size();
// Runs `job` as one shard per MPI rank and merges on rank 0 (mpi_sweep.cpp);
// every rank returns the exit status, and rank 0 prints the report or the error.
// In a build without MPI it throws an invalid_input Error saying so.
int run_sweep_under_mpi(const SweepJob& job, bool shard_given);

// `manynets merge DIR`: the files of a sweep run as shards, once every shard is done.
struct MergeOptions {
  std::string dir;
  bool resume = false;  // train the shards that are not done here first
  bool json = false;
};
CLI::App* add_merge_command(CLI::App& app, MergeOptions& options);
int run_merge_command(const MergeOptions& options);

// Where a sweep writing into `out_dir` keeps the chunks it has trained, and the
// options that continue it, until its files are complete: DIR/.partial.
std::string sweep_state_dir(const std::string& out_dir);

// A sweep's option texts keyed as make_sweep_spec reads them: the JSON config
// file's (when `config` is given; keys outside the spec's and `extra_keys` are
// rejected), then the workload flags and `more` on top.
using NamedTextOption = std::pair<const char*, const TextOption*>;
std::map<std::string, std::string> sweep_option_texts(const NetworkOptions& network,
                                                      const std::vector<NamedTextOption>& more,
                                                      const TextOption& config,
                                                      const std::vector<std::string>& extra_keys);

// `manynets validate`: the sweep's batch on a backend and on the reference, compared.
struct ValidateCommandOptions {
  NetworkOptions network;
  TextOption seeds, random, config, worst;
  bool json = false;
};
CLI::App* add_validate_command(CLI::App& app, ValidateCommandOptions& options);
int run_validate_command(const ValidateCommandOptions& options);

// `manynets bench`: net-steps per second per backend on the same batch, side by side.
struct BenchCommandOptions {
  TextOption backends, preset, networks, steps, repeats, threads, math;
  bool json = false;
};
CLI::App* add_bench_command(CLI::App& app, BenchCommandOptions& options);
int run_bench_command(const BenchCommandOptions& options);

// `manynets` with no arguments: a sweep of the worked example over learning rates
// and initialisations on the best backend, summarised, with files and plots.
int run_default_command();

}  // namespace cli
}  // namespace manynets

// The subcommands of `manynets`: each registers its flags on a CLI11 subcommand
// and runs from the values parsed into its options struct, returning the exit
// status. They throw manynets::Error on bad input or a failed run; main()
// turns every exception into one error line and an exit status.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/options.hpp"

namespace manynets {
namespace cli {

// `manynets train`: one network, its loss at chosen steps, final parameters, outputs.
struct TrainOptions {
  NetworkOptions network;
  std::string curve_path;  // empty: no curve file
  bool json = false;
};
CLI::App* add_train_command(CLI::App& app, TrainOptions& options);
int run_train_command(const TrainOptions& options);

// `manynets info`: version, build options, SIMD, CUDA devices, backends, shapes, presets.
struct InfoOptions {
  bool json = false;
};
CLI::App* add_info_command(CLI::App& app, InfoOptions& options);
int run_info_command(const InfoOptions& options);

// `manynets` with no arguments: a sweep of the worked example over learning rates
// and initialisations on the best backend, summarised.
int run_default_command();

}  // namespace cli
}  // namespace manynets

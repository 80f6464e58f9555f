// `manynets`: sets up the subcommands, dispatches to the one given (or to the
// default job), and turns every error into one line on stderr and an exit status:
// 0 ok, 2 bad usage or input, 1 a failure while running.
#include <CLI/CLI.hpp>
#include <cctype>
#include <csignal>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "manynets/manynets.hpp"

namespace {

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

int fail(int status, std::string message) {
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!message.empty() && message.back() == ' ') message.pop_back();
  std::cerr << "manynets: error: " << message << std::endl;
  return status;
}

int parse_error(const CLI::App& app, const CLI::ParseError& e) {
  if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success))
    return app.exit(e);  // --help, --version
  std::string command = "manynets";
  for (const CLI::App* sub : app.get_subcommands()) command += " " + sub->get_name();
  std::string what = e.what();
  if (!what.empty()) what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
  return fail(exit_usage, what + "; see '" + command + " --help'");
}

int run(int argc, char** argv) {
  using namespace manynets::cli;
  CLI::App app{
      "manynets trains huge batches of tiny independent neural networks (I-H-O MLPs) at once.\n"
      "With no command it runs a learning-rate x initialisation sweep of the worked example.",
      "manynets"};
  app.set_version_flag("--version", "manynets " + manynets::version());
  app.require_subcommand(0, 1);
  TrainOptions train;
  CLI::App* train_app = add_train_command(app, train);
  SweepOptions sweep;
  CLI::App* sweep_app = add_sweep_command(app, sweep);
  ValidateCommandOptions validate;
  CLI::App* validate_app = add_validate_command(app, validate);
  BenchCommandOptions bench;
  CLI::App* bench_app = add_bench_command(app, bench);
  MergeOptions merge;
  CLI::App* merge_app = add_merge_command(app, merge);
  InfoOptions info;
  CLI::App* info_app = add_info_command(app, info);

  // Set after the subcommands, which would otherwise inherit it.
  app.footer(
      "Examples:\n"
      "  manynets                          sweep the worked example, print a summary\n"
      "  manynets train --preset seed      the worked example, step by step\n"
      "  manynets train --preset xor --hidden-activation tanh --steps 20000\n"
      "  manynets sweep --preset xor --shape 2-2-1 --lr 0.1:8:12:log --seeds 500 --out xor-sweep\n"
      "  manynets sweep ... --out DIR --shard 1/4   a quarter of a sweep; 'manynets merge DIR' joins them\n"
      "  manynets validate --backend cpu --preset xor --seeds 10000\n"
      "  manynets bench --backends reference,cpu --networks 1000\n"
      "  manynets info                     version, SIMD, CUDA devices, backends\n"
      "Run 'manynets <command> --help' for a command's options.");

  // CLI11 would call an unknown command "an argument that was not expected".
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const char* name : {"train", "sweep", "merge", "validate", "bench", "info"})
      known = known || std::strcmp(argv[1], name) == 0;
    if (!known) {
      return fail(exit_usage,
                  std::string("unknown command '") + argv[1] +
                      "'; commands: train, sweep, merge, validate, bench, info; see 'manynets --help'");
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return parse_error(app, e);
  }

  int status = exit_ok;
  if (train_app->parsed()) {
    status = run_train_command(train);
  } else if (sweep_app->parsed()) {
    status = run_sweep_command(sweep);
  } else if (validate_app->parsed()) {
    status = run_validate_command(validate);
  } else if (bench_app->parsed()) {
    status = run_bench_command(bench);
  } else if (merge_app->parsed()) {
    status = run_merge_command(merge);
  } else if (info_app->parsed()) {
    status = run_info_command(info);
  } else {
    status = run_default_command();
  }
  std::cout.flush();
  if (!std::cout) return fail(exit_failure, "cannot write to standard output");
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  // A write past the file size limit (ulimit -f) then fails with EFBIG and is
  // reported like a full disk, instead of killing the process mid-file.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    return run(argc, argv);
  } catch (const manynets::Error& e) {
    return fail(e.kind() == manynets::ErrorKind::invalid_input ? exit_usage : exit_failure, e.what());
  } catch (const std::bad_alloc&) {
    return fail(exit_failure, "out of memory; try fewer networks, steps or samples");
  } catch (const std::exception& e) {
    return fail(exit_failure, e.what());
  } catch (...) {
    return fail(exit_failure, "unknown failure (an exception that is not a std::exception)");
  }
}

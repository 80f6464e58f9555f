// `manynets validate`: builds the batch from the same options as `manynets sweep`
// (lists, ranges, --seeds, --random, --config), trains it on --backend and on the
// double-precision reference with manynets::validate(), and prints the report:
// the tolerances in force, per quantity the deviations, the networks compared
// by status only, and the networks that differ most. Exit status 1 past tolerance.
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "manynets/validate.hpp"

namespace manynets {
namespace cli {

namespace {

const std::vector<std::string> validate_job_keys = {"backend", "threads"};

// The default workload: the worked example over learning rates 0.1 ... 2.0, from
// its own start and from 8 random starts each (72 networks of 5000 steps).
const std::map<std::string, std::string> default_workload = {{"preset", "seed"},
                                                             {"lr", "0.1:2:8"},
                                                             {"init", "seed,uniform:1"},
                                                             {"seeds", "8"},
                                                             {"target-loss", "1e-4"}};

std::string cell(double v) {
  return std::isfinite(v) ? format_g(v, 3) : "inf";
}

void print_report(const ValidationReport& r) {
  const ValidationTolerances& t = r.tolerances;
  std::cout << "validate " << r.backend << " against reference: " << r.workload << ", " << r.networks
            << " networks, math " << to_string(r.math_mode) << "\n";
  std::cout << "  tolerances (" << to_string(r.math_mode) << "): one step " << format_g(t.step_relative, 3)
            << " x max(1, |p|); whole runs " << format_g(t.run_relative, 3) << " relative (Adam "
            << format_g(t.adam_run_relative, 3) << "), loss floor " << format_g(t.loss_floor, 3)
            << ", output floor " << format_g(t.output_floor, 3) << ", steps to target +-" << t.steps_slack
            << " + " << format_g(t.run_relative, 3) << " x steps\n";
  std::cout << "  chaos check: " << nudge_variants << " reference starts nudged by " << format_g(t.nudge, 3)
            << ", with noise of " << format_g(t.step_noise, 3)
            << " at every step; chaotic when it moves by more than " << format_g(t.chaos_threshold, 3)
            << "; Adam above learning rate " << format_g(t.adam_noise_learning_rate, 3)
            << " by status (its steps follow rounding noise)\n";
  std::cout << "  flat directions: parameters up to " << format_g(t.flat_param_factor, 3)
            << " x their tolerance when the loss and outputs stay within theirs at " << t.flat_path_points
            << " points on the way from the reference's parameters (compared by function)\n";
  std::cout << "  trained in " << format_g(r.reference_seconds, 3) << " s (reference, and from "
            << nudge_variants << " nudged starts) and " << format_g(r.backend_seconds, 3) << " s ("
            << r.backend << ")\n\n";
  std::cout << "compared by value: " << r.compared_by_value << " networks";
  if (r.compared_by_function > 0)
    std::cout << " (" << r.compared_by_function
              << " of them by outputs: parameters differ along a flat direction)";
  std::cout << "; by status only: " << r.compared_by_status << " (" << r.diverged << " diverged, "
            << r.chaotic << " chaotic, " << r.adam_noise << " of them Adam above learning rate "
            << format_g(t.adam_noise_learning_rate, 3) << ")\n";
  std::cout << "status mismatches: " << r.status_mismatches;
  if (r.status_mismatches_tolerated > 0)
    std::cout << " (" << r.status_mismatches_tolerated
              << " tolerated: chaotic, converged in one and out of steps in the other)";
  std::cout << "\n\n";

  std::cout << pad_right("quantity", 24) << pad_left("networks", 10) << pad_left("values", 10)
            << pad_left("max abs", 12) << pad_left("max rel", 12) << pad_left("/ tolerance", 13)
            << pad_left("failed", 8) << "\n";
  for (const QuantityDeviation* q : r.quantities()) {
    std::cout << pad_right(q->name, 24) << pad_left(std::to_string(q->networks), 10)
              << pad_left(std::to_string(q->values), 10) << pad_left(cell(q->max_abs), 12)
              << pad_left(cell(q->max_rel), 12) << pad_left(cell(q->worst_ratio), 13)
              << pad_left(std::to_string(q->failed), 8) << "\n";
  }
  if (!r.worst.empty()) {
    std::cout << "\nnetworks that differ most (deviation / tolerance):\n";
    for (const NetworkDeviation& d : r.worst) {
      std::cout << "  id " << d.id << " (" << d.shape << ", lr " << format_g(d.learning_rate, 4)
                << "): " << d.quantity << " " << cell(d.ratio) << " (abs " << cell(d.abs) << "), status "
                << to_string(d.status) << " vs " << to_string(d.reference_status) << ", loss "
                << format_g(d.loss, 4) << " vs " << format_g(d.reference_loss, 4)
                << (d.by_status_only ? ", compared by status only" : "")
                << (d.by_function ? ", compared by outputs: flat direction" : "") << "\n";
    }
  }
  std::cout << "\n"
            << (r.passed ? "PASSED" : "FAILED") << ": " << r.backend << " "
            << (r.passed ? "agrees with" : "is past tolerance against") << " the reference\n";
}

}  // namespace

CLI::App* add_validate_command(CLI::App& app, ValidateCommandOptions& options) {
  CLI::App* v = app.add_subcommand(
      "validate", "train the same batch on a backend and on the double reference; print the deviations");
  add_network_options(*v, options.network);
  auto add = [v](TextOption& t, const std::string& flag, const std::string& help, const std::string& type) {
    t.option = v->add_option(flag, t.value, help)->type_name(type);
  };
  add(options.seeds, "--seeds", "replicates per configuration, each with its own random draws (default 1)",
      "K");
  add(options.random, "--random", "draw N configurations from the lists and ranges instead of the grid", "N");
  add(options.config, "--config", "JSON file of sweep options; flags override it", "FILE");
  add(options.worst, "--worst", "how many of the most different networks to list (default 5)", "K");
  v->add_flag("--json", options.json, "print one JSON object instead of the report");
  v->footer(
      "Workload options are those of 'manynets sweep' (lists a,b,c and ranges a:b:n). Without any, it\n"
      "validates the worked example at 8 learning rates 0.1 ... 2.0 from its own and 8 random starts.\n"
      "Exit status: 0 passed, 1 past tolerance, 2 bad input.\n"
      "Example: manynets validate --backend cpu --preset xor --seeds 10000");
  return v;
}

int run_validate_command(const ValidateCommandOptions& options) {
  std::map<std::string, std::string> texts =
      sweep_option_texts(options.network, {{"seeds", &options.seeds}, {"random", &options.random}},
                         options.config, validate_job_keys);
  bool workload_given = false;
  for (const auto& kv : texts)
    workload_given = workload_given || (kv.first != "backend" && kv.first != "threads" && kv.first != "math");
  if (!workload_given) texts.insert(default_workload.begin(), default_workload.end());

  const std::string backend_name = texts.count("backend") ? texts["backend"] : "auto";
  if (backend_name == "reference")
    throw input_error(
        "validate compares a backend with the reference; give --backend cpu, cuda, ... or auto");
  BackendOptions backend_options;
  if (texts.count("threads"))
    backend_options.threads = static_cast<int>(parse_whole_number("--threads", texts["threads"], 0, 4096));
  manynets::ValidateOptions run;
  if (options.worst.given())
    run.worst_count = static_cast<std::size_t>(parse_whole_number("--worst", options.worst.value, 0, 1000));
  if (const char* inject = std::getenv("MANYNETS_VALIDATE_INJECT")) {  // testing hook, see validate.hpp
    run.inject_relative_error = parse_number("MANYNETS_VALIDATE_INJECT", inject);
  }

  SweepPlan plan = expand(make_sweep_spec(texts));
  const std::unique_ptr<Backend> backend = make_backend(backend_name, backend_options);
  const ValidationReport report = validate(plan, *backend, run);
  if (options.json) {
    std::cout << validation_json(report) << "\n";
  } else {
    print_report(report);
  }
  return report.passed ? 0 : 1;
}

}  // namespace cli
}  // namespace manynets

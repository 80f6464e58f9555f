// `manynets train`: trains one network (a preset or a CSV dataset) and reports
// the loss at chosen steps, how it stopped, the final parameters and the
// outputs for every sample, as a human report or one JSON object; optionally
// writes the loss curve as CSV and draws it as a PNG. Under rule seed-blog it
// also prints what the seed program printed.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/format.hpp"

namespace manynets {
namespace cli {

namespace {

// One network's curve costs 8 bytes a point; past this many points the curve is
// recorded every few steps instead of every step, so memory stays near 80 MB.
constexpr std::int64_t max_curve_points = 10000000;
// The human report lists at most this many samples; --json has them all.
constexpr std::size_t max_report_samples = 20;

std::int32_t curve_every_for(std::int32_t max_steps) {
  return static_cast<std::int32_t>(
      std::max<std::int64_t>(1, (max_steps + max_curve_points - 1) / max_curve_points));
}

// Steps for the loss table: 0, the powers of ten, about five evenly spaced round
// steps, and the last; each moved down to a step that the curve recorded.
std::vector<std::int32_t> table_steps(std::int32_t last, std::int32_t every) {
  std::set<std::int64_t> steps{0, last};
  for (std::int64_t p = 1; p < last; p *= 10) steps.insert(p);
  std::int64_t stride = 1;  // the smallest of 1, 2, 5, 10, 20, 50, ... that gives at most 5 rows
  for (std::int64_t decade = 1; last / stride > 5; decade *= 10) {
    for (std::int64_t m : {1, 2, 5}) {
      if (last / stride > 5) stride = m * decade;
    }
  }
  for (std::int64_t s = stride; s < last; s += stride) steps.insert(s);
  std::set<std::int32_t> recorded;
  for (std::int64_t s : steps) recorded.insert(static_cast<std::int32_t>(s / every * every));
  return {recorded.begin(), recorded.end()};
}

std::string optimizer_text(const NetworkConfig& c) {
  switch (c.optimizer) {
    case Optimizer::momentum:
      return "momentum (" + number_text(c.momentum) + ")";
    case Optimizer::adam:
      return "adam (beta1 " + number_text(c.adam_beta1) + ", beta2 " + number_text(c.adam_beta2) + ")";
    case Optimizer::sgd:
    default:
      return to_string(c.optimizer);
  }
}

std::string status_text(const Results& r, const NetworkConfig& c) {
  const std::string loss = "loss " + format_g(r.loss[0], 9) + ", abs error " + format_g(r.abs_error[0], 9);
  switch (r.status[0]) {
    case Status::converged:
      return "converged at step " + std::to_string(r.steps[0]) + " (target loss " +
             number_text(c.target_loss) + "): " + loss;
    case Status::diverged:
      return "diverged at step " + std::to_string(r.steps[0]) +
             " (the loss or a parameter stopped being finite); try a smaller --lr";
    case Status::max_steps:
    default:
      return "ran all " + std::to_string(r.steps[0]) + " steps" +
             (c.target_loss > 0 ? " without reaching the target loss " + number_text(c.target_loss) : "") +
             ": " + loss;
  }
}

// What the seed program printed at its end: the weights after its last update,
// the targets, and the outputs of its last forward pass, which came before that
// update (so they are the outputs one update earlier than the final parameters').
struct SeedProgramPrintout {
  std::vector<double> weights;
  std::vector<double> targets;
  std::vector<double> outputs;
};

SeedProgramPrintout seed_program_printout(const TrainSpec& spec, Backend& backend, const Batch& batch,
                                          const Results& r) {
  SeedProgramPrintout out;
  const Shape s = r.shape;
  const int weights = s.hidden * s.inputs + s.outputs * s.hidden;
  for (int q = 0; q < weights; ++q) out.weights.push_back(r.param(0, q));
  out.targets = spec.data.t;
  std::vector<double> before_last = r.params;
  if (r.steps[0] > 0) {
    Batch earlier = batch;
    earlier.max_steps[0] = r.steps[0] - 1;
    before_last = backend.train(earlier, spec.data).params;
  }
  const NetworkConfig& c = spec.config;
  out.outputs = reference::outputs(s, before_last.data(), c.hidden_activation, c.output_activation, spec.data,
                                   Rule::seed_blog);
  return out;
}

// As Python prints a list of floats: [0.01, 0.99].
std::string python_list(const std::vector<double>& values) {
  std::string text = "[";
  for (std::size_t i = 0; i < values.size(); ++i) text += (i ? ", " : "") + number_text(values[i]);
  return text + "]";
}

void print_seed_program_printout(const SeedProgramPrintout& p, std::int32_t steps) {
  std::cout << "\nwhat the seed program printed after " << steps
            << " updates (its last forward pass came before its last update)\n";
  std::cout << "  weights  " << python_list(p.weights) << "\n";
  std::cout << "  targets  " << python_list(p.targets) << "\n";
  std::cout << "  outputs  " << python_list(p.outputs) << "\n";
}

void print_report(const TrainSpec& spec, const std::string& backend, const Results& r,
                  const std::vector<double>& outputs) {
  const NetworkConfig& c = spec.config;
  std::cout << spec.source << (spec.description.empty() ? "" : ": " + spec.description) << "\n";
  std::cout << "  shape " << to_string(spec.shape) << ", " << to_string(c.hidden_activation) << " hidden, "
            << to_string(c.output_activation) << " output, " << optimizer_text(c) << ", learning rate "
            << number_text(c.learning_rate)
            << (c.weight_decay != 0 ? ", weight decay " + number_text(c.weight_decay) : std::string())
            << ", rule " << to_string(spec.rule) << (spec.math_mode == MathMode::fast ? ", math fast" : "")
            << ", backend " << backend << "\n";
  std::cout << "  init " << to_string(spec.init) << ", run seed " << spec.seed << ", up to " << c.max_steps
            << " steps, target loss " << number_text(c.target_loss) << ", biases "
            << (c.train_biases ? "trained" : "fixed") << ", "
            << (c.mode == Mode::online ? "online (one sample per step)" : "full-batch gradient") << ", "
            << spec.data.samples() << (spec.data.samples() == 1 ? " sample" : " samples") << "\n\n";

  const std::size_t step_width = std::max<std::size_t>(6, std::to_string(r.steps[0]).size() + 2);
  std::cout << pad_left("step", step_width) << pad_left("loss", 16) << pad_left("abs error", 16) << "\n";
  const std::int32_t every = std::max(1, r.curve_every);
  for (std::int32_t s : table_steps(r.steps[0], every)) {
    const std::size_t slot = static_cast<std::size_t>(s / every);
    if (slot >= r.curve_points) break;
    std::cout << pad_left(std::to_string(s), step_width)
              << pad_left(format_g(static_cast<double>(r.curve_loss_at(slot, 0)), 7), 16)
              << pad_left(format_g(static_cast<double>(r.curve_abs_error_at(slot, 0)), 7), 16) << "\n";
  }
  std::cout << "\n" << status_text(r, c) << "\n\n";

  std::cout << "final parameters\n";
  std::size_t name_width = 0;
  for (int p = 0; p < r.shape.num_params(); ++p)
    name_width = std::max(name_width, param_name(r.shape, p).size());
  for (int p = 0; p < r.shape.num_params(); ++p) {
    std::cout << "  " << pad_right(param_name(r.shape, p), name_width) << " = " << format_g(r.param(0, p), 10)
              << "\n";
  }

  std::cout << "\ntargets and outputs of the final parameters\n";
  const Dataset& d = spec.data;
  const std::size_t shown = std::min(d.samples(), max_report_samples);
  const std::string sample_label = "sample ";
  for (std::size_t s = 0; s < shown; ++s) {
    const std::string label = pad_right("  " + sample_label + std::to_string(s + 1), 14);
    std::cout << label << pad_right("inputs", 9);
    for (int i = 0; i < d.inputs; ++i) std::cout << pad_left(format_g(d.input(s, i), 8), 16);
    std::cout << "\n" << std::string(label.size(), ' ') << pad_right("targets", 9);
    for (int k = 0; k < d.outputs; ++k) std::cout << pad_left(format_g(d.target(s, k), 8), 16);
    std::cout << "\n" << std::string(label.size(), ' ') << pad_right("outputs", 9);
    for (int k = 0; k < d.outputs; ++k) {
      std::cout << pad_left(format_g(outputs[s * static_cast<std::size_t>(d.outputs) + k], 10), 16);
    }
    std::cout << "\n";
  }
  if (shown < d.samples()) {
    std::cout << "  ... and " << d.samples() - shown << " more samples (--json lists them all)\n";
  }
}

// One sample: a flat array of `width` numbers; several: an array of such arrays.
nlohmann::json per_sample(const std::vector<double>& values, std::size_t samples, int width) {
  auto row = [&](std::size_t s) {
    return std::vector<double>(values.begin() + static_cast<std::ptrdiff_t>(s * width),
                               values.begin() + static_cast<std::ptrdiff_t>((s + 1) * width));
  };
  if (samples == 1) return row(0);
  nlohmann::json rows = nlohmann::json::array();
  for (std::size_t s = 0; s < samples; ++s) rows.push_back(row(s));
  return rows;
}

void print_json(const TrainSpec& spec, const std::string& backend, const Results& r,
                const std::vector<double>& outputs, const SeedProgramPrintout* printout) {
  const NetworkConfig& c = spec.config;
  const int n_params = r.shape.num_params();
  std::vector<double> params(static_cast<std::size_t>(n_params));
  std::vector<std::string> names;
  for (int p = 0; p < n_params; ++p) {
    params[static_cast<std::size_t>(p)] = r.param(0, p);
    names.push_back(param_name(r.shape, p));
  }
  nlohmann::json j;
  if (spec.preset.empty()) {
    j["data"] = spec.data.name;
  } else {
    j["preset"] = spec.preset;
  }
  j["shape"] = to_string(spec.shape);
  j["backend"] = backend;
  j["rule"] = to_string(spec.rule);
  j["math_mode"] = to_string(spec.math_mode);
  j["learning_rate"] = c.learning_rate;
  j["optimizer"] = to_string(c.optimizer);
  j["weight_decay"] = c.weight_decay;
  j["hidden_activation"] = to_string(c.hidden_activation);
  j["output_activation"] = to_string(c.output_activation);
  j["init"] = to_string(spec.init);
  j["seed"] = spec.seed;
  j["max_steps"] = c.max_steps;
  j["target_loss"] = c.target_loss;
  j["train_biases"] = c.train_biases;
  j["mode"] = to_string(c.mode);
  j["status"] = to_string(r.status[0]);
  j["steps"] = r.steps[0];
  j["loss"] = r.loss[0];
  j["abs_error"] = r.abs_error[0];
  j["param_names"] = names;
  j["params"] = params;
  j["targets"] = per_sample(spec.data.t, spec.data.samples(), spec.data.outputs);
  j["outputs"] = per_sample(outputs, spec.data.samples(), spec.data.outputs);
  if (printout != nullptr) {
    j["seed_program"] = {{"weights", printout->weights},
                         {"targets", per_sample(printout->targets, spec.data.samples(), spec.data.outputs)},
                         {"outputs", per_sample(printout->outputs, spec.data.samples(), spec.data.outputs)}};
  }
  std::cout << j.dump() << "\n";
}

}  // namespace

CLI::App* add_train_command(CLI::App& app, TrainOptions& options) {
  CLI::App* train =
      app.add_subcommand("train", "train one network and show its loss, parameters and outputs");
  add_network_options(*train, options.network);
  train
      ->add_option("--curve", options.curve_path,
                   "write the loss of every step to FILE as CSV (step,loss,abs_error)")
      ->type_name("FILE");
  train
      ->add_option("--plot", options.plot_path,
                   "draw the abs error and loss of every step into FILE.png, like the seed program's figure")
      ->type_name("FILE.png");
  train->add_flag("--json", options.json, "print one JSON object instead of the report");
  train
      ->add_option("--id", options.id,
                   "network id that keys the random draws (default 0); a sweep's id retrains that network")
      ->type_name("ID");
  return train;
}

namespace {

// The plot's title: what was trained, and how.
std::string plot_title(const TrainSpec& spec, const Results& r) {
  return spec.source + ", rule " + to_string(spec.rule) + ", " + to_string(spec.config.optimizer) +
         " at learning rate " + number_text(spec.config.learning_rate) + ": " + std::to_string(r.steps[0]) +
         " updates";
}

// Draws the curve into plot_path from the --curve file, or from a temporary one
// beside the plot; throws a runtime Error when it cannot.
void draw_plot(const TrainOptions& options, const TrainSpec& spec, const Results& r) {
  std::string csv = options.curve_path;
  const bool temporary = csv.empty();
  if (temporary) {
    csv = options.plot_path + ".curve.tmp-" + std::to_string(getpid());
    write_curve_csv(csv, r);
  }
  const PlotOutcome plot =
      plot_curve(csv, options.plot_path, plot_title(spec, r), default_plot_python(), default_plot_script());
  std::string message = plot.message;
  if (temporary) {
    std::remove(csv.c_str());
    // The by-hand command names the temporary, which is gone: name the file
    // that --curve would keep instead.
    for (std::size_t at; (at = message.find(csv)) != std::string::npos;)
      message.replace(at, csv.size(), "CURVE.csv");
    if (!plot.ok) message += " (write CURVE.csv with --curve CURVE.csv)";
  }
  if (!plot.ok) throw runtime_error("cannot draw --plot " + options.plot_path + ": " + message);
}

}  // namespace

int run_train_command(const TrainOptions& options) {
  const TrainSpec spec = make_train_spec(options.network);
  std::string backend_name = spec.backend, auto_note;
  if (backend_name == "auto") backend_name = resolve_auto_backend(&auto_note);
  if (!auto_note.empty()) std::cerr << "manynets: note: " << auto_note << std::endl;
  const std::unique_ptr<Backend> backend = make_backend(backend_name, make_backend_options(options.network));

  Batch batch(spec.shape, 1);
  batch.set_config(0, spec.config);
  batch.seed = spec.seed;
  batch.first_id = options.id;  // a sweep's network id, to retrain that network exactly
  batch.rule = spec.rule;
  batch.math_mode = spec.math_mode;
  batch.curve_every = curve_every_for(spec.config.max_steps);  // the report reads losses from the curve
  initialize(batch, spec.init);

  // Refused before any training, so a bad path costs nothing.
  if (!options.curve_path.empty()) check_output_file(options.curve_path, "--curve");
  if (!options.plot_path.empty()) check_output_file(options.plot_path, "--plot");

  const Results results = backend->train(batch, spec.data);
  if (results.n != 1 || results.curve_points == 0) {
    throw runtime_error("backend " + backend->name() + " returned results for " + std::to_string(results.n) +
                        " networks and " + std::to_string(results.curve_points) +
                        " curve points; expected 1 network with a curve");
  }
  if (!options.curve_path.empty()) write_curve_csv(options.curve_path, results);

  const NetworkConfig& cfg = spec.config;
  const std::vector<double> outputs = reference::outputs(
      spec.shape, results.params.data(), cfg.hidden_activation, cfg.output_activation, spec.data);
  std::unique_ptr<SeedProgramPrintout> printout;
  if (spec.rule == Rule::seed_blog) {
    printout = std::make_unique<SeedProgramPrintout>(seed_program_printout(spec, *backend, batch, results));
  }
  if (options.json) {
    print_json(spec, backend->name(), results, outputs, printout.get());
  } else {
    print_report(spec, backend->name(), results, outputs);
    if (printout) print_seed_program_printout(*printout, results.steps[0]);
  }
  if (!options.plot_path.empty()) draw_plot(options, spec, results);
  return 0;
}

}  // namespace cli
}  // namespace manynets

// The workload options of the `manynets` command: their flags, their texts as
// the sweep parser reads them, and the TrainSpec of train, a sweep of one
// network. The few values outside a workload (--threads, bench's counts) have
// strict single-value parsers here.
#include "cli/options.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "cli/format.hpp"
#include "manynets/limits.hpp"
#include "manynets/types.hpp"

namespace manynets {
namespace cli {

namespace {

std::string quoted(const std::string& text) {
  return "'" + text + "'";
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

void reject_value_list(const std::string& option, const std::string& text, bool numeric) {
  if (text.find(',') != std::string::npos || (numeric && text.find(':') != std::string::npos)) {
    throw input_error(option + " takes a single value here, got " + quoted(text) +
                      "; value lists ('a,b,c') and ranges ('a:b:n') belong to 'manynets sweep'");
  }
}

double parse_number(const std::string& option, const std::string& text) {
  reject_value_list(option, text, true);
  const std::string l = lower(text);
  if (l.find("nan") != std::string::npos || l.find("inf") != std::string::npos) {
    throw input_error(option + " must be a finite number, got " + quoted(text));
  }
  // Plain decimals only: strtod alone would also take hex floats and leading spaces.
  const bool plain = !text.empty() && text.find_first_not_of("0123456789+-.eE") == std::string::npos;
  errno = 0;
  char* end = nullptr;
  const double v = plain ? std::strtod(text.c_str(), &end) : 0.0;
  if (!plain || end != text.c_str() + text.size()) {
    throw input_error(option + " expects a number such as 0.5, got " + quoted(text));
  }
  if (!std::isfinite(v)) throw input_error(option + " must be a finite number, got " + quoted(text));
  return v;
}

std::int64_t parse_whole_number(const std::string& option, const std::string& text, std::int64_t min,
                                std::int64_t max) {
  reject_value_list(option, text, true);
  const std::string range = "between " + std::to_string(min) + " and " + std::to_string(max);
  const std::size_t digits_from = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
  if (text.size() == digits_from || text.find_first_not_of("0123456789", digits_from) != std::string::npos) {
    throw input_error(option + " expects a whole number " + range + ", got " + quoted(text));
  }
  errno = 0;
  const long long v = std::strtoll(text.c_str(), nullptr, 10);
  if (errno == ERANGE || v < min || v > max) {
    throw input_error(option + " must be " + range + ", got " + text);
  }
  return v;
}

void add_network_options(CLI::App& app, NetworkOptions& o) {
  auto add = [&app](TextOption& t, const std::string& flag, const std::string& help,
                    const std::string& type) {
    t.option = app.add_option(flag, t.value, help)->type_name(type);
  };
  add(o.preset, "--preset", "built-in workload: " + join(preset_names()) + " (default seed)", "NAME");
  add(o.data, "--data", "CSV dataset with header x1..xI,t1..tO (needs --shape or --hidden)", "FILE.csv");
  add(o.shape, "--shape",
      "network shape I-H-O with " + shape_limits() + "; with --preset it picks a preset's variant", "I-H-O");
  add(o.hidden, "--hidden",
      "hidden width(s) 1.." + std::to_string(max_network_hidden) +
          " replacing the shape's: with --data and no --shape the header gives I and O; a sweep takes a "
          "list or range (1:16:16)",
      "W");
  add(o.steps, "--steps",
      "most updates to apply (default: the preset's; 5000 for --data; 5001 under --rule seed-blog, as the "
      "seed program ran)",
      "N");
  add(o.learning_rate, "--lr", "learning rate (default: the preset's; 0.5 for --data)", "X");
  add(o.optimizer, "--optimizer", "sgd, momentum or adam", "NAME");
  add(o.momentum, "--momentum", "momentum coefficient in [0, 1) for --optimizer momentum", "X");
  add(o.weight_decay, "--weight-decay",
      "L2 weight decay >= 0: each step's gradient of a weight w gains X * w; biases have none (default 0)",
      "X");
  add(o.hidden_activation, "--hidden-activation", "sigmoid, tanh, relu or identity", "A");
  add(o.output_activation, "--output-activation", "sigmoid, tanh, relu or identity", "A");
  add(o.init, "--init", "initial parameters: seed, uniform:A, normal:S or xavier", "SPEC");
  add(o.seed, "--seed", "run seed for random initialisation and online shuffles (default 1)", "K");
  add(o.target_loss, "--target-loss", "stop early once the loss is <= X (default: the preset's)", "X");
  add(o.train_biases, "--train-biases", "train the biases too: on or off", "on|off");
  add(o.mode, "--mode", "full (mean gradient over all samples) or online (one sample per step)",
      "full|online");
  add(o.rule, "--rule", "backprop, or seed-blog to replay the seed program's flawed update", "NAME");
  add(o.math, "--math",
      "precise (default) or fast: the float backends' exp and division (cpu, cuda); the reference is "
      "double either way",
      "precise|fast");
  add(o.backend, "--backend", "backend to train on: " + join(available_backends()) + " or auto", "NAME");
  add(o.threads, "--threads", "worker threads of the cpu backend (default 0: every core)", "N");
}

BackendOptions make_backend_options(const NetworkOptions& o) {
  BackendOptions b;
  if (o.threads.given())
    b.threads = static_cast<int>(parse_whole_number("--threads", o.threads.value, 0, 4096));
  return b;
}

std::map<std::string, std::string> network_option_texts(const NetworkOptions& o) {
  const std::pair<const char*, const TextOption*> flags[] = {
      {"preset", &o.preset},
      {"data", &o.data},
      {"shape", &o.shape},
      {"hidden", &o.hidden},
      {"lr", &o.learning_rate},
      {"momentum", &o.momentum},
      {"weight-decay", &o.weight_decay},
      {"optimizer", &o.optimizer},
      {"hidden-activation", &o.hidden_activation},
      {"output-activation", &o.output_activation},
      {"init", &o.init},
      {"steps", &o.steps},
      {"target-loss", &o.target_loss},
      {"train-biases", &o.train_biases},
      {"mode", &o.mode},
      {"seed", &o.seed},
      {"rule", &o.rule},
      {"math", &o.math},
      {"backend", &o.backend},
      {"threads", &o.threads},
  };
  std::map<std::string, std::string> texts;
  for (const auto& [key, option] : flags) {
    if (option->given()) texts[key] = option->value;
  }
  return texts;
}

TrainSpec make_train_spec(const NetworkOptions& o) {
  const std::map<std::string, std::string> texts = network_option_texts(o);
  // One value each: a ',' anywhere, or a ':' in a number, is a sweep's list or
  // range (an init spec and a shape have their own ':' and '-').
  for (const auto& [key, text] : texts) {
    const bool numeric = key == "lr" || key == "momentum" || key == "weight-decay" || key == "steps" ||
                         key == "target-loss" || key == "seed" || key == "threads" || key == "hidden";
    reject_value_list("--" + key, text, numeric);
  }
  const SweepPlan plan = expand(make_sweep_spec(texts));
  if (plan.networks() != 1) {
    throw input_error("these options describe " + std::to_string(plan.networks()) +
                      " networks; train trains one (use 'manynets sweep' for more)");
  }
  const SweepGroup& g = plan.groups.front();
  TrainSpec spec;
  spec.shape = g.shape;
  spec.data = g.data;
  spec.config = g.batch.config(0);
  spec.init = plan.spec.inits[g.init[0]];
  spec.seed = plan.spec.seed;
  spec.rule = plan.spec.rule;
  spec.math_mode = plan.spec.math_mode;
  spec.source = plan.workload;
  if (plan.spec.data_path.empty()) {
    const Preset preset = make_preset(plan.spec.preset, &spec.shape);
    spec.preset = preset.name;
    spec.source = "preset " + preset.name;
    spec.description = preset.description;
  }
  if (texts.count("backend")) spec.backend = texts.at("backend");
  return spec;
}

}  // namespace cli
}  // namespace manynets

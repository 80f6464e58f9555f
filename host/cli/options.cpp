// The workload options of the `manynets` command: their flags, strict value
// parsing, and the TrainSpec they describe (preset or CSV defaults, then every
// given option on top).
#include "cli/options.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "cli/format.hpp"

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

// A single name-like value (activation, optimizer, ...): no lists.
std::string single_value(const std::string& option, const std::string& text) {
  reject_value_list(option, text, false);
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

std::uint64_t parse_unsigned(const std::string& option, const std::string& text) {
  reject_value_list(option, text, true);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    throw input_error(option + " expects a whole number >= 0, got " + quoted(text));
  }
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
  if (errno == ERANGE) throw input_error(option + " must be below 2^64, got " + text);
  return v;
}

bool parse_on_off(const std::string& option, const std::string& text) {
  reject_value_list(option, text, false);
  if (text == "on") return true;
  if (text == "off") return false;
  throw input_error(option + " expects on or off, got " + quoted(text));
}

void add_network_options(CLI::App& app, NetworkOptions& o) {
  auto add = [&app](TextOption& t, const std::string& flag, const std::string& help,
                    const std::string& type) {
    t.option = app.add_option(flag, t.value, help)->type_name(type);
  };
  add(o.preset, "--preset", "built-in workload: " + join(preset_names()) + " (default seed)", "NAME");
  add(o.data, "--data", "CSV dataset with header x1..xI,t1..tO (needs --shape)", "FILE.csv");
  add(o.shape, "--shape", "network shape; with --preset it picks a gate preset's variant", "I-H-O");
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
  add(o.backend, "--backend", "backend to train on: " + join(available_backends()) + " or auto", "NAME");
  add(o.threads, "--threads", "worker threads of the cpu backend (default 0: every core)", "N");
}

BackendOptions make_backend_options(const NetworkOptions& o) {
  BackendOptions b;
  if (o.threads.given())
    b.threads = static_cast<int>(parse_whole_number("--threads", o.threads.value, 0, 4096));
  return b;
}

TrainSpec make_train_spec(const NetworkOptions& o) {
  TrainSpec spec;
  Shape shape{};
  if (o.shape.given()) {
    shape = parse_shape(single_value("--shape", o.shape.value));
    if (!is_compiled_shape(shape)) {
      throw input_error("--shape " + o.shape.value + " is not compiled into this build; compiled shapes: " +
                        compiled_shapes() + " (add it to MANYNETS_FOR_EACH_SHAPE in manynets/shapes.hpp)");
    }
  }

  if (o.data.given()) {
    if (o.preset.given()) throw input_error("--preset and --data exclude each other; give one of them");
    if (!o.shape.given()) {
      throw input_error("--data needs --shape I-H-O to know its columns (e.g. --shape 2-2-1 for x1,x2,t1)");
    }
    spec.shape = shape;
    spec.data = load_csv(o.data.value, shape.inputs, shape.outputs);
    spec.source = "data " + o.data.value;
    spec.config = NetworkConfig{};  // the worked example's: sigmoid/sigmoid, sgd, lr 0.5, 5000 steps
    spec.init = InitSpec{InitSpec::Kind::uniform, 1.0};
  } else {
    const std::string name = o.preset.given() ? single_value("--preset", o.preset.value) : "seed";
    Preset preset = make_preset(name, o.shape.given() ? &shape : nullptr);
    spec.preset = preset.name;
    spec.source = "preset " + preset.name;
    spec.description = preset.description;
    spec.shape = preset.shape;
    spec.data = std::move(preset.data);
    spec.config = preset.config;
    spec.init = preset.init;
  }

  NetworkConfig& c = spec.config;
  if (o.steps.given()) {
    c.max_steps =
        static_cast<std::int32_t>(parse_whole_number("--steps", o.steps.value, 1, max_allowed_steps));
  }
  if (o.learning_rate.given()) {
    c.learning_rate = parse_number("--lr", o.learning_rate.value);
    if (c.learning_rate < 0) {
      throw input_error("--lr must be >= 0, got " + o.learning_rate.value +
                        "; give a learning rate such as 0.5");
    }
  }
  if (o.optimizer.given()) c.optimizer = parse_optimizer(single_value("--optimizer", o.optimizer.value));
  if (o.momentum.given()) {
    c.momentum = parse_number("--momentum", o.momentum.value);
    if (c.momentum < 0 || c.momentum >= 1) {
      throw input_error("--momentum must be in [0, 1), got " + o.momentum.value + "; 0.9 is usual");
    }
  }
  if (o.weight_decay.given()) {
    c.weight_decay = parse_number("--weight-decay", o.weight_decay.value);
    if (c.weight_decay < 0) {
      throw input_error("--weight-decay must be >= 0, got " + o.weight_decay.value +
                        "; give 0 for none, or e.g. 1e-4");
    }
  }
  if (o.hidden_activation.given()) {
    c.hidden_activation = parse_activation(single_value("--hidden-activation", o.hidden_activation.value));
  }
  if (o.output_activation.given()) {
    c.output_activation = parse_activation(single_value("--output-activation", o.output_activation.value));
  }
  if (o.init.given()) spec.init = parse_init(single_value("--init", o.init.value));
  if (o.seed.given()) spec.seed = parse_unsigned("--seed", o.seed.value);
  if (o.target_loss.given()) {
    c.target_loss = parse_number("--target-loss", o.target_loss.value);
    if (c.target_loss < 0) {
      throw input_error("--target-loss must be >= 0, got " + o.target_loss.value +
                        "; give 0 to train for all --steps");
    }
  }
  if (o.train_biases.given()) c.train_biases = parse_on_off("--train-biases", o.train_biases.value);
  if (o.mode.given()) c.mode = parse_mode(single_value("--mode", o.mode.value));
  if (o.rule.given()) spec.rule = parse_rule(single_value("--rule", o.rule.value));
  // Without --steps, rule seed-blog replays the seed program's whole run.
  if (spec.rule == Rule::seed_blog && !o.steps.given()) c.max_steps = seed_example::program_updates;
  if (o.backend.given()) spec.backend = single_value("--backend", o.backend.value);
  return spec;
}

}  // namespace cli
}  // namespace manynets

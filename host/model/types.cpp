// Names of manynets' vocabulary types as the command line and output files spell
// them, the parsers back from those names, and parameter names in DESIGN.md's order.
#include "manynets/types.hpp"

#include <cstdlib>
#include <string>
#include <vector>

#include "manynets/error.hpp"
#include "manynets/limits.hpp"
#include "manynets/shapes.hpp"

namespace manynets {

namespace {

// Finds `name` among `names` (the enum's values in order) or throws listing them.
template <class Enum, std::size_t N>
Enum parse_enum(const std::string& name, const char* what, const Enum (&values)[N]) {
  std::string choices;
  for (std::size_t k = 0; k < N; ++k) {
    if (name == to_string(values[k])) return values[k];
    choices += (k ? ", " : "");
    choices += to_string(values[k]);
  }
  throw input_error("unknown " + std::string(what) + " '" + name + "'; use one of " + choices);
}

}  // namespace

const char* to_string(Activation a) {
  switch (a) {
    case Activation::sigmoid:
      return "sigmoid";
    case Activation::tanh:
      return "tanh";
    case Activation::relu:
      return "relu";
    case Activation::identity:
      return "identity";
  }
  return "unknown";
}

const char* to_string(Optimizer o) {
  switch (o) {
    case Optimizer::sgd:
      return "sgd";
    case Optimizer::momentum:
      return "momentum";
    case Optimizer::adam:
      return "adam";
  }
  return "unknown";
}

const char* to_string(Mode m) {
  switch (m) {
    case Mode::full:
      return "full";
    case Mode::online:
      return "online";
  }
  return "unknown";
}

const char* to_string(Status s) {
  switch (s) {
    case Status::max_steps:
      return "max_steps";
    case Status::converged:
      return "converged";
    case Status::diverged:
      return "diverged";
  }
  return "unknown";
}

const char* to_string(MathMode m) {
  switch (m) {
    case MathMode::precise:
      return "precise";
    case MathMode::fast:
      return "fast";
  }
  return "unknown";
}

const char* to_string(Rule r) {
  switch (r) {
    case Rule::backprop:
      return "backprop";
    case Rule::seed_blog:
      return "seed-blog";
  }
  return "unknown";
}

std::string to_string(const Shape& s) {
  return std::to_string(s.inputs) + "-" + std::to_string(s.hidden) + "-" + std::to_string(s.outputs);
}

Activation parse_activation(const std::string& name) {
  static const Activation values[] = {Activation::sigmoid, Activation::tanh, Activation::relu,
                                      Activation::identity};
  return parse_enum(name, "activation", values);
}

Optimizer parse_optimizer(const std::string& name) {
  static const Optimizer values[] = {Optimizer::sgd, Optimizer::momentum, Optimizer::adam};
  return parse_enum(name, "optimizer", values);
}

Mode parse_mode(const std::string& name) {
  static const Mode values[] = {Mode::full, Mode::online};
  return parse_enum(name, "mode", values);
}

MathMode parse_math_mode(const std::string& name) {
  static const MathMode values[] = {MathMode::precise, MathMode::fast};
  return parse_enum(name, "math mode", values);
}

Rule parse_rule(const std::string& name) {
  static const Rule values[] = {Rule::backprop, Rule::seed_blog};
  return parse_enum(name, "rule", values);
}

Shape parse_shape(const std::string& text) {
  const std::string usage = "; write it as I-H-O with " + shape_limits() + ", e.g. 2-2-2";
  std::vector<std::string> cells;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t end = text.find('-', pos);
    cells.push_back(text.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  if (cells.size() != 3) {
    throw input_error("bad shape '" + text + "': it needs exactly three sizes separated by '-'" + usage);
  }
  static const int largest[3] = {max_network_inputs, max_network_hidden, max_network_outputs};
  static const char* const layer[3] = {"inputs", "hidden units", "outputs"};
  int sizes[3] = {0, 0, 0};
  for (int k = 0; k < 3; ++k) {
    const std::string& cell = cells[k];
    bool digits = !cell.empty();
    for (char c : cell) digits = digits && c >= '0' && c <= '9';
    if (!digits) {
      throw input_error("bad shape '" + text + "': '" + cell + "' is not a positive integer" + usage);
    }
    // Nine digits cannot overflow a long; longer numbers are out of range anyway.
    const long value = cell.size() > 9 ? largest[k] + 1L : std::strtol(cell.c_str(), nullptr, 10);
    if (value < 1 || value > largest[k]) {
      throw input_error("bad shape '" + text + "': " + cell + " " + layer[k] + " is out of range" + usage);
    }
    sizes[k] = static_cast<int>(value);
  }
  return Shape{sizes[0], sizes[1], sizes[2]};
}

std::string shape_limits() {
  return "1.." + std::to_string(max_network_inputs) + " inputs, 1.." + std::to_string(max_network_hidden) +
         " hidden units and 1.." + std::to_string(max_network_outputs) + " outputs";
}

void check_shape_limits(const Shape& s) {
  if (s.inputs < 1 || s.inputs > max_network_inputs || s.hidden < 1 || s.hidden > max_network_hidden ||
      s.outputs < 1 || s.outputs > max_network_outputs) {
    throw input_error("shape " + to_string(s) + " is beyond the limits of " + shape_limits());
  }
}

std::string param_name(const Shape& s, int p) {
  const int weights = s.hidden * s.inputs + s.outputs * s.hidden;
  if (p < 0 || p >= s.num_params()) {
    throw input_error("parameter index " + std::to_string(p) + " is out of range for shape " + to_string(s) +
                      " (it has " + std::to_string(s.num_params()) + " parameters)");
  }
  if (p < weights) return "w" + std::to_string(p + 1);
  if (p < weights + s.hidden) return "b1[" + std::to_string(p - weights) + "]";
  return "b2[" + std::to_string(p - weights - s.hidden) + "]";
}

std::string compiled_shapes() {
  std::string list;
#define MANYNETS_APPEND_SHAPE(I, H, O) list += (list.empty() ? "" : ", ") + to_string(Shape{I, H, O});
  MANYNETS_FOR_EACH_SHAPE(MANYNETS_APPEND_SHAPE)
#undef MANYNETS_APPEND_SHAPE
  return list;
}

void require_compiled_shape(const Shape& s, const char* backend) {
  check_shape_limits(s);
  if (!is_compiled_shape(s)) {
    throw input_error("the " + std::string(backend) + " backend trains the compiled shapes only (" +
                      compiled_shapes() + "), not " + to_string(s) +
                      "; the reference, cpu, cuda and cuda-staged backends train every shape with " +
                      shape_limits());
  }
}

}  // namespace manynets

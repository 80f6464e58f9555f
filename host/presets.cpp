// Built-in workloads: the worked example (`seed`) exactly as published, and the
// logic gates xor/and/or on the four points of {0,1}^2, as 2-2-1 (t = gate output)
// or 2-2-2 (one-hot targets).
#include "manynets/presets.hpp"

#include <string>

#include "manynets/error.hpp"

namespace manynets {

namespace {

Preset seed_preset() {
  Preset p;
  p.name = "seed";
  p.description = "the worked example: one 2-2-2 sigmoid network, one sample, 5000 steps of gradient descent";
  p.shape = Shape{2, 2, 2};
  p.data.name = p.name;
  p.data.inputs = 2;
  p.data.outputs = 2;
  p.data.x = {seed_example::x1, seed_example::x2};
  p.data.t = {seed_example::t1, seed_example::t2};
  p.config.learning_rate = seed_example::learning_rate;
  p.config.optimizer = Optimizer::sgd;
  p.config.hidden_activation = Activation::sigmoid;
  p.config.output_activation = Activation::sigmoid;
  p.config.max_steps = seed_example::steps;
  p.config.target_loss = 0.0;
  p.config.train_biases = false;
  p.config.mode = Mode::full;
  p.init.kind = InitSpec::Kind::seed;
  return p;
}

// Learning rate 2, full-batch gradient descent from uniform:1 weights, 10000
// steps, target loss 1e-3. Measured on 1000 initialisations: xor 2-2-1 converges in 82%
// of runs (median 2600 steps, 90th percentile 4000), 2-2-2 in 83% (median 3500);
// and/or in all runs (median under 1500). The xor runs that fail sit in its
// well-known local minima, which is what a sweep over seeds is for. Lower rates
// converge less often within the steps (lr 0.5: 29%), higher ones only faster.
Preset gate_preset(const std::string& name, bool (*gate)(int, int), const Shape& shape) {
  Preset p;
  p.name = name;
  p.shape = shape;
  p.description =
      "the " + name + " gate on {0,1}^2, " +
      (shape.outputs == 1 ? std::string("one output") : std::string("one-hot targets over two outputs"));
  p.data.name = name;
  p.data.inputs = 2;
  p.data.outputs = shape.outputs;
  for (int a = 0; a <= 1; ++a) {
    for (int b = 0; b <= 1; ++b) {
      const bool out = gate(a, b);
      p.data.x.push_back(a);
      p.data.x.push_back(b);
      if (shape.outputs == 1) {
        p.data.t.push_back(out ? 1.0 : 0.0);
      } else {
        p.data.t.push_back(out ? 0.0 : 1.0);
        p.data.t.push_back(out ? 1.0 : 0.0);
      }
    }
  }
  p.config.learning_rate = 2.0;
  p.config.optimizer = Optimizer::sgd;
  p.config.hidden_activation = Activation::sigmoid;
  p.config.output_activation = Activation::sigmoid;
  p.config.max_steps = 10000;
  p.config.target_loss = 1e-3;
  p.config.train_biases = true;
  p.config.mode = Mode::full;
  p.init.kind = InitSpec::Kind::uniform;
  p.init.scale = 1.0;
  return p;
}

bool xor_gate(int a, int b) {
  return (a ^ b) != 0;
}
bool and_gate(int a, int b) {
  return (a & b) != 0;
}
bool or_gate(int a, int b) {
  return (a | b) != 0;
}

}  // namespace

std::vector<std::string> preset_names() {
  return {"seed", "xor", "and", "or"};
}

Preset make_preset(const std::string& name, const Shape* shape) {
  if (name == "seed") {
    if (shape && *shape != Shape{2, 2, 2}) {
      throw input_error("preset seed has only shape 2-2-2 (the worked example), not " + to_string(*shape) +
                        "; drop the shape or use a gate preset or --data");
    }
    return seed_preset();
  }
  bool (*gate)(int, int) = name == "xor"   ? xor_gate
                           : name == "and" ? and_gate
                           : name == "or"  ? or_gate
                                           : nullptr;
  if (!gate) {
    std::string choices;
    for (const std::string& n : preset_names()) choices += (choices.empty() ? "" : ", ") + n;
    throw input_error("unknown preset '" + name + "'; use one of " + choices);
  }
  const Shape chosen = shape ? *shape : Shape{2, 2, 1};
  if (chosen != Shape{2, 2, 1} && chosen != Shape{2, 2, 2}) {
    throw input_error("preset " + name + " has no shape " + to_string(chosen) +
                      "; its variants are 2-2-1 (gate output) and 2-2-2 (one-hot targets)");
  }
  return gate_preset(name, gate, chosen);
}

Batch seed_sweep_batch(std::size_t n, std::int32_t max_steps, MathMode mode) {
  const Preset seed = make_preset("seed");
  Batch batch(seed.shape, n);
  NetworkConfig c = seed.config;
  c.max_steps = max_steps;
  for (std::size_t i = 0; i < n; ++i) {
    c.learning_rate = n > 1 ? 0.1 + 1.9 * static_cast<double>(i) / static_cast<double>(n - 1) : 0.5;
    batch.set_config(i, c);
  }
  initialize(batch, seed.init);
  batch.math_mode = mode;
  return batch;
}

}  // namespace manynets

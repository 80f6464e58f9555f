// A Batch: many independent networks of one shape, each with its own
// hyperparameters and initial parameters, stored as structure of arrays
// (value of network i at [i], parameter p of network i at [p * n + i]).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "manynets/limits.hpp"  // max_allowed_steps
#include "manynets/types.hpp"

namespace manynets {

// One network's hyperparameters, for building a batch row by row.
struct NetworkConfig {
  double learning_rate = 0.5;
  Optimizer optimizer = Optimizer::sgd;
  double momentum = 0.9;       // momentum optimizer: v = momentum * v + g; p -= lr * v
  double adam_beta1 = 0.9;     // Adam's first-moment decay
  double adam_beta2 = 0.999;   // Adam's second-moment decay
  double adam_epsilon = 1e-8;  // Adam's denominator guard
  Activation hidden_activation = Activation::sigmoid;
  Activation output_activation = Activation::sigmoid;
  std::int32_t max_steps = 5000;
  double target_loss = 0.0;  // stop when the loss is <= this; 0 only stops at an exact fit
  bool train_biases = true;
  Mode mode = Mode::full;
};

class Batch {
 public:
  Batch() = default;
  Batch(Shape shape, std::size_t n);

  Shape shape() const { return shape_; }
  std::size_t size() const { return n_; }
  int num_params() const { return shape_.num_params(); }

  void set_config(std::size_t i, const NetworkConfig& c);
  NetworkConfig config(std::size_t i) const;
  void set_config_all(const NetworkConfig& c);

  // Initial parameter p of network i.
  double& param(std::size_t i, int p) { return init_params[static_cast<std::size_t>(p) * n_ + i]; }
  double param(std::size_t i, int p) const { return init_params[static_cast<std::size_t>(p) * n_ + i]; }
  // Sets network i's initial parameters from an array in DESIGN.md's order.
  void set_params(std::size_t i, const double* values);

  // The largest max_steps of any network (0 for an empty batch).
  std::int32_t longest_run() const;

  // Throws an invalid_input Error naming the first network and value that is out of
  // range (negative or non-finite learning rate, momentum outside [0, 1), ...).
  void validate() const;

  // Per-network hyperparameters, (n) each.
  std::vector<double> learning_rate;
  std::vector<Optimizer> optimizer;
  std::vector<double> momentum;
  std::vector<double> adam_beta1;
  std::vector<double> adam_beta2;
  std::vector<double> adam_epsilon;
  std::vector<Activation> hidden_activation;
  std::vector<Activation> output_activation;
  std::vector<std::int32_t> max_steps;
  std::vector<double> target_loss;
  std::vector<std::uint8_t> train_biases;  // 0 or 1
  std::vector<Mode> mode;

  std::vector<double> init_params;  // (params, n)

  // Run-wide settings.
  std::uint64_t seed = 1;        // keys the online-mode shuffles (and initialisation)
  std::uint64_t first_id = 0;    // global id of network 0, so chunks of a batch shuffle alike
  std::int32_t curve_every = 0;  // record the loss every R steps; 0 records no curve
  Rule rule = Rule::backprop;
  MathMode math_mode = MathMode::precise;

 private:
  Shape shape_{};
  std::size_t n_ = 0;
};

}  // namespace manynets

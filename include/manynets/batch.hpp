// A Batch: many independent networks of one shape, each with its own
// hyperparameters and initial parameters, stored as structure of arrays
// (value of network i at [i], parameter p of network i at [p * n + i]).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "manynets/hyperparameters.hpp"
#include "manynets/limits.hpp"  // max_allowed_steps
#include "manynets/types.hpp"

namespace manynets {

// One network's hyperparameters (hyperparameters.hpp), for building a batch row
// by row:
// - learning_rate: the step size of every optimizer;
// - momentum: momentum's v = momentum * v + g; p -= lr * v;
// - adam_beta1, adam_beta2, adam_epsilon: Adam's moment decays and denominator guard;
// - weight_decay: L2 on the weights, not the biases: each step's gradient of a
//   weight w gains weight_decay * w (the loss reported stays the data's loss);
// - max_steps, target_loss: stop after max_steps updates or once the loss is
//   <= target_loss (0 only stops at an exact fit);
// - train_biases: off keeps the biases at their initial values;
// - mode: full-batch gradients or one sample per step (online).
struct NetworkConfig {
#define MANYNETS_CONFIG_FIELD(name, type, default_value) type name = default_value;
  MANYNETS_HYPERPARAMETERS(MANYNETS_CONFIG_FIELD)
#undef MANYNETS_CONFIG_FIELD
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

  // Per-network hyperparameters, (n) each: learning_rate, optimizer, momentum, ...
  // in the order of MANYNETS_HYPERPARAMETERS, bool ones as 0 or 1.
#define MANYNETS_BATCH_COLUMN(name, type, default_value) std::vector<stored_t<type>> name;
  MANYNETS_HYPERPARAMETERS(MANYNETS_BATCH_COLUMN)
#undef MANYNETS_BATCH_COLUMN

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

// Calls f(name, &NetworkConfig::name, &Batch::name) for every hyperparameter, in
// the table's order, so that code treating them all alike (copying, slicing,
// hashing, checking sizes) names none of them.
template <class F>
void for_each_hyperparameter(F&& f) {
#define MANYNETS_VISIT_HYPERPARAMETER(name, type, default_value) f(#name, &NetworkConfig::name, &Batch::name);
  MANYNETS_HYPERPARAMETERS(MANYNETS_VISIT_HYPERPARAMETER)
#undef MANYNETS_VISIT_HYPERPARAMETER
}

}  // namespace manynets

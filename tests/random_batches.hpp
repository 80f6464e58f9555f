// Test helper: random datasets and random batches of networks with mixed
// hyperparameters, built so that every status occurs (converged, ran out of
// steps, diverged), for the kernel-body and CUDA backend tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

#include "manynets/batch.hpp"
#include "manynets/dataset.hpp"

namespace manynets {
namespace testing {

constexpr Activation kActivations[] = {Activation::sigmoid, Activation::tanh, Activation::relu,
                                       Activation::identity};
constexpr Optimizer kOptimizers[] = {Optimizer::sgd, Optimizer::momentum, Optimizer::adam};

// Network i of `b` alone in a batch of one, with the same id (online shuffles
// are keyed by it), stopped after `max_steps` updates (< 0: its own budget).
inline Batch network_alone(const Batch& b, std::size_t i, std::int32_t max_steps = -1) {
  Batch one(b.shape(), 1);
  NetworkConfig c = b.config(i);
  if (max_steps >= 0) c.max_steps = max_steps;
  one.set_config(0, c);
  for (int q = 0; q < b.num_params(); ++q) one.param(0, q) = b.param(i, q);
  one.seed = b.seed;
  one.first_id = b.first_id + i;
  one.curve_every = b.curve_every;
  one.rule = b.rule;
  one.math_mode = b.math_mode;
  return one;
}

inline Dataset random_dataset(std::mt19937& rng, Shape shape, int samples) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Dataset d;
  d.name = "random";
  d.inputs = shape.inputs;
  d.outputs = shape.outputs;
  d.x.resize(static_cast<std::size_t>(samples) * shape.inputs);
  d.t.resize(static_cast<std::size_t>(samples) * shape.outputs);
  for (double& v : d.x) v = u(rng);
  for (double& v : d.t) v = 0.5 * (u(rng) + 1.0);
  return d;
}

// Every activation pair and optimizer, full and online mode, biases trained or
// not, two networks in five with weight decay (0.01 or 0.1), random learning
// rates and starts; every third network stops at a loss
// of 0.02 (converged), every seventh has a learning rate that blows it up
// (diverged), the rest run out of steps. Step budgets differ per network.
inline Batch random_batch(std::mt19937& rng, Shape shape, std::size_t n, std::int32_t steps) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::uniform_real_distribution<double> log_lr(std::log(0.01), std::log(1.0));
  std::uniform_int_distribution<std::int32_t> budget(steps / 2, steps);
  Batch b(shape, n);
  for (std::size_t i = 0; i < n; ++i) {
    NetworkConfig c;
    c.hidden_activation = kActivations[i % 4];
    c.output_activation = kActivations[(i / 4) % 4];
    c.optimizer = kOptimizers[(i / 16) % 3];
    c.learning_rate = std::exp(log_lr(rng));
    c.momentum = 0.5;
    c.train_biases = (i / 48) % 2 == 0;
    c.mode = (i / 3) % 2 == 0 ? Mode::full : Mode::online;
    c.max_steps = budget(rng);
    c.target_loss = i % 3 == 0 ? 0.02 : 0.0;
    c.weight_decay = i % 5 == 1 ? 0.01 : i % 5 == 3 ? 0.1 : 0.0;
    if (i % 7 == 6) {
      c.hidden_activation = c.output_activation = Activation::identity;
      c.optimizer = Optimizer::sgd;
      c.learning_rate = 40.0;
    }
    b.set_config(i, c);
    for (int q = 0; q < b.num_params(); ++q) b.param(i, q) = u(rng);
  }
  b.seed = 5;
  b.first_id = 1000;
  b.curve_every = 7;
  return b;
}

}  // namespace testing
}  // namespace manynets

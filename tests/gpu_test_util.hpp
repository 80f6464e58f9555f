// What the GPU backend tests (test_cuda_backend.cpp, test_cublas_backend.cpp)
// share: the workloads they train, built here once so that the host tests of
// the same kernels (test_kernel_bodies.cpp, test_layered_bodies.cpp) can train
// the very same batches. They compare with the double reference as `manynets
// validate` does, with validate.hpp's tolerances (validation_check.hpp).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

#include "manynets/backend.hpp"
#include "manynets/init.hpp"
#include "manynets/presets.hpp"
#include "random_batches.hpp"

namespace manynets {
namespace testing {

inline Results train_on(const std::string& backend, const Batch& batch, const Dataset& data,
                        BackendOptions o = {}) {
  return make_backend(backend, o)->train(batch, data);
}

// The worked example over learning rates 0.05 .. 5 (50 log-spaced, repeated),
// from its own weights (n <= 50) or uniform:1 random starts, target loss 1e-4,
// curves every 100 steps.
inline Batch seed_sweep(std::size_t n, std::int32_t steps, MathMode mode) {
  const Preset seed = make_preset("seed");
  Batch batch(seed.shape, n);
  NetworkConfig c = seed.config;
  c.max_steps = steps;
  c.target_loss = 1e-4;
  for (std::size_t i = 0; i < n; ++i) {
    c.learning_rate = 0.05 * std::pow(100.0, static_cast<double>(i % 50) / 49.0);
    batch.set_config(i, c);
  }
  initialize(batch, parse_init(n > 50 ? "uniform:1" : "seed"));
  batch.math_mode = mode;
  batch.curve_every = 100;
  return batch;
}

// A two-input preset (xor, moons) over learning rates 0.1 .. 2.1, sigmoid and
// tanh hidden units, sgd and momentum, full and online mode, uniform:1 starts.
inline Batch preset_sweep(const Preset& p, std::size_t n, std::int32_t steps, MathMode mode) {
  Batch batch(p.shape, n);
  NetworkConfig c = p.config;
  c.max_steps = steps;
  for (std::size_t i = 0; i < n; ++i) {
    c.learning_rate = 0.1 + 2.0 * static_cast<double>(i) / static_cast<double>(n);
    c.hidden_activation = i % 2 == 0 ? Activation::sigmoid : Activation::tanh;
    c.optimizer = i % 3 == 0 ? Optimizer::momentum : Optimizer::sgd;
    c.mode = i % 5 == 4 ? Mode::online : Mode::full;
    batch.set_config(i, c);
  }
  batch.seed = 3;
  initialize(batch, parse_init("uniform:1"));
  batch.math_mode = mode;
  batch.curve_every = 50;
  return batch;
}

// Random hyperparameters of every kind and all three statuses (random_batch):
// 2-3-1 networks on 5 random samples, 1037 of them (not a multiple of a block),
// up to 300 steps.
struct Workload {
  Dataset data;
  Batch batch;
};
inline Workload random_hyperparameters_workload(MathMode mode) {
  std::mt19937 rng(2024);
  const Shape shape{2, 3, 1};
  Workload w;
  w.data = random_dataset(rng, shape, 5);
  w.batch = random_batch(rng, shape, 1037, 300);
  w.batch.math_mode = mode;
  return w;
}

}  // namespace testing
}  // namespace manynets

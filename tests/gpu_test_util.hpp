// What the GPU backend tests (test_cuda_backend.cpp, test_cublas_backend.cpp)
// share: their tolerances against the double reference, with the reason for
// each, and the workloads they train.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "manynets/backend.hpp"
#include "manynets/init.hpp"
#include "manynets/presets.hpp"

namespace manynets {
namespace testing {

// Precise mode: expf and IEEE division, FMA contraction by nvcc (and, for
// cublas, sums in cuBLAS's order); rounding of 1e-7 per operation stays near
// 1e-5 relative on a convergent run, and 1e-3 relative on the final loss is
// what float affords over 10000 steps (the same figure as math.hpp in float on
// the host, test_math_vs_reference).
constexpr double kPreciseLossTolerance = 1e-3;
// Fast mode: __expf and __fdividef are within a few ulps, but tanh.approx has a
// relative error near 2^-11 per call; a tanh network's trajectory then drifts by
// up to a few percent of its final loss.
constexpr double kFastLossTolerance = 5e-2;
// A converged network may cross its target a few steps earlier or later in
// float: steps agree to 2 % (+2).
constexpr double kStepsRelativeTolerance = 0.02;
// Random hyperparameters include chaotic and borderline networks (a loss that
// crosses its target by rounding); they are compared by status, and up to 2 %
// of them may land on another status. Diverged networks: status only.
constexpr double kStatusMismatchShare = 0.02;

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

}  // namespace testing
}  // namespace manynets

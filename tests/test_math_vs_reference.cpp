// math.hpp (the fast paths' training math) against the independent
// double-precision reference backend: single steps in float on random networks,
// whole runs in double with mixed hyperparameters, and the worked example in float.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "double_run_check.hpp"
#include "manynets/presets.hpp"
#include "manynets/reference.hpp"
#include "manynets/shapes.hpp"
#include "manynets/validate.hpp"
#include "math_driver.hpp"
#include "random_batches.hpp"

namespace manynets {
namespace {

// Tolerances, and why: those of `manynets validate` in precise mode
// (validate.hpp), as math.hpp in float on the host is what the float backends run:
// - one float step: step_relative of each parameter's scale;
// - the worked example in float over 10000 steps: worked_example_relative on
//   the final loss.
// - whole runs in double: see double_run_check.hpp.
const ValidationTolerances kTolerances = validation_tolerances(MathMode::precise);

using testing::kActivations;
using testing::kOptimizers;

using testing::random_dataset;

// A batch cycling through every activation pair and optimizer, with random
// learning rates, biases trained or not, weight decay in two networks of five,
// and random initial parameters.
Batch random_batch(std::mt19937& rng, Shape shape, std::size_t n, std::int32_t steps) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::uniform_real_distribution<double> log_lr(std::log(0.01), std::log(1.0));
  Batch b(shape, n);
  for (std::size_t i = 0; i < n; ++i) {
    NetworkConfig c;
    c.hidden_activation = kActivations[i % 4];
    c.output_activation = kActivations[(i / 4) % 4];
    c.optimizer = kOptimizers[(i / 16) % 3];
    c.learning_rate = std::exp(log_lr(rng));
    c.momentum = 0.5;
    c.train_biases = (i / 48) % 2 == 0;
    c.weight_decay = i % 5 == 1 ? 0.01 : i % 5 == 3 ? 0.1 : 0.0;
    c.max_steps = steps;
    c.target_loss = 0.0;
    b.set_config(i, c);
    for (int q = 0; q < b.num_params(); ++q) b.param(i, q) = u(rng);
  }
  return b;
}

void expect_single_float_step_matches(Shape shape) {
  std::mt19937 rng(1234 + shape.hidden);
  const Dataset data = random_dataset(rng, shape, 3);
  const Batch batch = random_batch(rng, shape, 96 + 5, 1);
  const Results ref = reference::make_backend()->train(batch, data);
  const Results fast = testing::train_with_math<float>(batch, data);
  double worst = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    ASSERT_EQ(fast.status[i], ref.status[i]) << "network " << i;
    EXPECT_EQ(fast.steps[i], ref.steps[i]);
    for (int q = 0; q < batch.num_params(); ++q) {
      // Scale: the parameter itself, or the step when Adam moves a tiny parameter.
      const double scale = std::max({1.0, std::abs(ref.param(i, q)), std::abs(batch.param(i, q))});
      const double err = std::abs(fast.param(i, q) - ref.param(i, q)) / scale;
      worst = std::max(worst, err);
      EXPECT_LE(err, kTolerances.step_relative)
          << "shape " << to_string(shape) << " network " << i << " param " << q << " ("
          << to_string(batch.hidden_activation[i]) << "/" << to_string(batch.output_activation[i]) << ", "
          << to_string(batch.optimizer[i]) << ")";
    }
    EXPECT_LE(std::abs(fast.loss[i] - ref.loss[i]), kTolerances.step_relative * std::max(1.0, ref.loss[i]));
  }
  ::testing::Test::RecordProperty("worst_relative_error_" + to_string(shape), std::to_string(worst));
}

TEST(MathVsReference, OneFloatStepMatchesForEveryShapeActivationAndOptimizer) {
#define MANYNETS_CHECK_SHAPE(I, H, O) expect_single_float_step_matches(Shape{I, H, O});
  MANYNETS_FOR_EACH_SHAPE(MANYNETS_CHECK_SHAPE)
#undef MANYNETS_CHECK_SHAPE
}

TEST(MathVsReference, WholeDoubleRunsMatchWithMixedHyperparameters) {
  for (Mode mode : {Mode::full, Mode::online}) {
    std::mt19937 rng(99);
    const Shape shape{2, 3, 1};
    const Dataset data = random_dataset(rng, shape, 5);
    Batch batch = random_batch(rng, shape, 96 + 3, 300);
    batch.curve_every = 7;
    batch.seed = 5;
    batch.first_id = 1000;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch.mode[i] = mode;
      batch.target_loss[i] = i % 3 == 0 ? 0.02 : 0.0;  // some stop early
    }
    const Results fast = testing::train_with_math<double>(batch, data);
    const std::size_t compared = testing::expect_double_run_matches_reference(fast, batch, data);
    EXPECT_GE(compared, batch.size() * 9 / 10) << "too few networks compared by value";
  }
}

TEST(MathVsReference, WorkedExampleInFloatStaysCloseOverTenThousandSteps) {
  const Preset seed = make_preset("seed");
  Batch batch(seed.shape, 1);
  NetworkConfig c = seed.config;
  c.max_steps = 10000;
  batch.set_config(0, c);
  initialize(batch, seed.init);
  const Results ref = reference::make_backend()->train(batch, seed.data);
  const Results fast = testing::train_with_math<float>(batch, seed.data);
  EXPECT_NEAR(ref.loss[0] / 3.5101878e-05, 1.0, 1e-6);
  EXPECT_NEAR(fast.loss[0] / ref.loss[0], 1.0, kTolerances.worked_example_relative);
  EXPECT_EQ(fast.status[0], Status::max_steps);
}

}  // namespace
}  // namespace manynets

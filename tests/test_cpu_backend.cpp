// The cpu backend (float, SIMD lanes across networks, every core) against the
// double-precision reference: the worked example, xor, random hyperparameters
// mixed in one block for every shape, both modes and math modes, curves; and
// its own promises: any batch size, bit-identical results for any thread
// count and chunk size, and a diverging network that leaves its block-mates alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "host/backends/cpu/simd_math.hpp"
#include "manynets/cpu.hpp"
#include "manynets/detail/cpu_probe.hpp"
#include "manynets/init.hpp"
#include "manynets/presets.hpp"
#include "manynets/reference.hpp"
#include "manynets/shapes.hpp"
#include "manynets/validate.hpp"
#include "math_driver.hpp"
#include "random_batches.hpp"
#include "test_util.hpp"
#include "validation_check.hpp"

namespace manynets {
namespace {

// Tolerances, and why:
// - whole float runs against the double reference: those of `manynets validate`
//   in precise mode (validate.hpp, with their reasons), in both math modes: this
//   backend's fast exp and division are within a few ulps (tested below), so it
//   owes precise accuracy in either. Networks are compared by value or by status
//   as validate classifies them (tests/validation_check.hpp). Beyond validate's
//   checks this backend must also give the reference's steps exactly, its status
//   for every network compared by value, and abs errors and curve points within
//   the run tolerance (floors: the output floors, as abs error is a sum of
//   output errors, and the loss floors).
// - exp_cephes against std::exp: a degree-5 polynomial after a range
//   reduction by ln2 rounded to float, 3.4 x 2^-23 at worst over every float
//   in [-87, 88] (at x = -86.4; measured once, exhaustively); we allow 4 ulp
//   of float (2^-23 each).
constexpr double kExpUlps = 4.0;

const ValidationTolerances kTolerances = validation_tolerances(MathMode::precise);

using testing::kActivations;
using testing::kOptimizers;

Results train_cpu(const Batch& batch, const Dataset& data, int threads = 0,
                  std::size_t chunk = cpu::default_chunk_networks, bool general_path = false) {
  BackendOptions options;
  options.threads = threads;
  options.general_path = general_path;
  return cpu::make_backend(options, chunk)->train(batch, data);
}

using testing::random_dataset;

// Neighbouring networks differ in activations, optimizer, trained biases, mode,
// weight decay (two in five have some), learning rate, step budget and target
// loss, so every block mixes them.
Batch random_batch(std::mt19937& rng, Shape shape, std::size_t n, std::int32_t steps) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::uniform_real_distribution<double> log_lr(std::log(0.01), std::log(1.0));
  Batch b(shape, n);
  for (std::size_t i = 0; i < n; ++i) {
    NetworkConfig c;
    c.hidden_activation = kActivations[rng() % 4];
    c.output_activation = kActivations[rng() % 4];
    c.optimizer = kOptimizers[rng() % 3];
    c.learning_rate = std::exp(log_lr(rng));
    c.momentum = 0.5;
    c.train_biases = rng() % 2 == 0;
    c.mode = rng() % 2 == 0 ? Mode::full : Mode::online;
    c.max_steps = steps - static_cast<std::int32_t>(rng() % 7);
    c.target_loss = rng() % 3 == 0 ? 0.02 : 0.0;  // some stop early
    c.weight_decay = i % 5 == 1 ? 0.01 : i % 5 == 3 ? 0.1 : 0.0;
    b.set_config(i, c);
    for (int q = 0; q < b.num_params(); ++q) b.param(i, q) = u(rng);
  }
  return b;
}

struct Tolerance {
  double relative;
  double loss_floor;
  double abs_error_floor;
};

Tolerance tolerance_for(Optimizer o) {
  const ValidationTolerances& t = kTolerances;
  if (o == Optimizer::adam) return {t.adam_run_relative, t.adam_loss_floor, t.adam_output_floor};
  return {t.run_relative, t.loss_floor, t.output_floor};
}

bool close(double a, double b, double relative, double floor) {
  return std::abs(a - b) <= relative * std::abs(b) + floor;
}

// Expects `fast` to pass validate's comparison with the reference (precise
// tolerances), and more (see the tolerances above); returns how many networks
// were compared by value (the rest by status).
std::size_t expect_matches_reference(const Batch& batch, const Dataset& data, const Results& fast,
                                     const std::string& what) {
  const testing::ReferenceRuns refs = testing::reference_runs(batch, data, kTolerances);
  const Results& ref = refs.reference;
  EXPECT_EQ(fast.backend, "cpu");
  EXPECT_EQ(fast.n, batch.size());
  EXPECT_EQ(fast.curve_points, ref.curve_points);
  EXPECT_EQ(fast.curve_every, ref.curve_every);
  testing::expect_validates(batch, data, refs, fast, what);
  std::size_t compared = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (refs.comparison[i] != RunComparison::by_value) continue;
    ++compared;
    const Tolerance tol = tolerance_for(batch.optimizer[i]);
    EXPECT_EQ(fast.status[i], ref.status[i]) << what << " network " << i;
    EXPECT_EQ(fast.steps[i], ref.steps[i]) << what << " network " << i;
    EXPECT_PRED4(close, fast.abs_error[i], ref.abs_error[i], tol.relative, tol.abs_error_floor)
        << what << " network " << i;
    for (std::size_t t = 0; t < ref.curve_points; ++t) {
      const float a = fast.curve_loss_at(t, i), b = ref.curve_loss_at(t, i);
      if (std::isnan(b)) {
        EXPECT_TRUE(std::isnan(a)) << what << " slot " << t << " network " << i;
      } else {
        EXPECT_PRED4(close, a, b, tol.relative, tol.loss_floor) << what << " slot " << t << " network " << i;
        EXPECT_PRED4(close, fast.curve_abs_error_at(t, i), ref.curve_abs_error_at(t, i), tol.relative,
                     tol.abs_error_floor)
            << what << " slot " << t << " network " << i;
      }
    }
  }
  return compared;
}

void expect_bit_identical(const Results& a, const Results& b, const std::string& what) {
  ASSERT_EQ(a.n, b.n) << what;
  EXPECT_EQ(a.status, b.status) << what;
  EXPECT_EQ(a.steps, b.steps) << what;
  auto same_bits = [](const auto& x, const auto& y) {
    return x.size() == y.size() &&
           (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(x[0])) == 0);
  };
  EXPECT_TRUE(same_bits(a.params, b.params)) << what;
  EXPECT_TRUE(same_bits(a.loss, b.loss)) << what;
  EXPECT_TRUE(same_bits(a.abs_error, b.abs_error)) << what;
  EXPECT_TRUE(same_bits(a.curve_loss, b.curve_loss)) << what;
  EXPECT_TRUE(same_bits(a.curve_abs_error, b.curve_abs_error)) << what;
}

// The seed sweep: worked-example networks at learning rates 0.1 ... 2.0.
Batch seed_sweep(std::size_t n, std::int32_t steps) {
  return seed_sweep_batch(n, steps);
}

// ---- against the reference

TEST(CpuBackend, SeedSweepMatchesReferenceInBothMathModesWithCurves) {
  const Preset seed = make_preset("seed");
  for (MathMode m : {MathMode::precise, MathMode::fast}) {
    Batch batch = seed_sweep(37, 2000);
    batch.math_mode = m;
    batch.curve_every = 100;
    const std::size_t compared = expect_matches_reference(batch, seed.data, train_cpu(batch, seed.data),
                                                          std::string("seed ") + to_string(m));
    EXPECT_EQ(compared, batch.size());  // plain gradient descent on the worked example is not chaotic
  }
}

TEST(CpuBackend, WorkedExampleAfterTenThousandStepsHasThePublishedLoss) {
  const Preset seed = make_preset("seed");
  Batch batch = seed_sweep(1, 10000);
  const Results r = train_cpu(batch, seed.data);
  EXPECT_NEAR(r.loss[0] / 3.5101878e-05, 1.0, kTolerances.worked_example_relative);
  EXPECT_EQ(r.steps[0], 10000);
  EXPECT_EQ(r.status[0], Status::max_steps);
}

TEST(CpuBackend, XorWithMixedHyperparametersMatchesReference) {
  const Preset xor_preset = make_preset("xor");
  std::mt19937 rng(7);
  for (Mode mode : {Mode::full, Mode::online}) {
    Batch batch = random_batch(rng, xor_preset.shape, 53, 1500);
    initialize(batch, InitSpec{InitSpec::Kind::uniform, 1.0});
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch.mode[i] = mode;
      batch.target_loss[i] = i % 2 == 0 ? 0.05 : 0.0;
    }
    batch.curve_every = 50;
    batch.seed = 11;
    const std::size_t compared = expect_matches_reference(
        batch, xor_preset.data, train_cpu(batch, xor_preset.data), std::string("xor ") + to_string(mode));
    EXPECT_GT(compared, batch.size() / 2);
  }
}

TEST(CpuBackend, RandomHyperparametersMatchReferenceForEveryShapeAndMathMode) {
  std::mt19937 rng(2024);
  for (MathMode m : {MathMode::precise, MathMode::fast}) {
    for (const Shape shape : {Shape{2, 2, 2}, Shape{2, 2, 1}, Shape{2, 3, 1}, Shape{4, 8, 3}}) {
      ASSERT_TRUE(is_compiled_shape(shape));
      const Dataset data = random_dataset(rng, shape, 5);
      Batch batch = random_batch(rng, shape, 101, 300);
      batch.math_mode = m;
      batch.curve_every = 7;
      batch.seed = 5;
      batch.first_id = 1000;
      const std::string what = to_string(shape) + " " + to_string(m);
      const std::size_t compared = expect_matches_reference(batch, data, train_cpu(batch, data), what);
      EXPECT_GT(compared, batch.size() / 2) << what;
    }
  }
}

// The general path, the code of every shape that is not compiled in, gives
// on a compiled shape what the shape's own code gives, bit for bit.
TEST(CpuBackend, GeneralPathEqualsCompiledCodeBitForBitInEveryCompiledShape) {
  std::mt19937 rng(2025);
  for (MathMode m : {MathMode::precise, MathMode::fast}) {
    for (const Shape shape : {Shape{2, 2, 2}, Shape{2, 2, 1}, Shape{2, 3, 1}, Shape{4, 8, 3}}) {
      const Dataset data = random_dataset(rng, shape, shape.hidden == 3 ? 1 : 4);
      Batch batch = random_batch(rng, shape, 77, 200);
      batch.math_mode = m;
      batch.curve_every = 9;
      const std::string what = to_string(shape) + " " + to_string(m);
      expect_bit_identical(train_cpu(batch, data, 2, cpu::default_chunk_networks, true),
                           train_cpu(batch, data, 2), what);
    }
  }
  // The worked example's kinds, compiled with their choices as constants.
  const Preset seed = make_preset("seed");
  Batch batch = seed_sweep_batch(40, 500, MathMode::precise);
  for (std::size_t i = 0; i < batch.size(); i += 2) batch.train_biases[i] = 1;
  expect_bit_identical(train_cpu(batch, seed.data, 2, cpu::default_chunk_networks, true),
                       train_cpu(batch, seed.data, 2), "seed sweep");
}

// Shapes that are not compiled in, up to the largest, match the reference.
TEST(CpuBackend, ShapesThatAreNotCompiledMatchReference) {
  std::mt19937 rng(2026);
  for (const Shape shape :
       {Shape{1, 1, 1}, Shape{2, 5, 1}, Shape{3, 7, 2}, Shape{2, 40, 2}, Shape{16, 64, 16}}) {
    ASSERT_FALSE(is_compiled_shape(shape));
    const bool largest = shape.hidden == 64;
    const Dataset data = random_dataset(rng, shape, largest ? 3 : 5);
    Batch batch = random_batch(rng, shape, largest ? 21 : 101, largest ? 40 : 300);
    batch.curve_every = 7;
    batch.first_id = 300;
    const std::string what = to_string(shape);
    const std::size_t compared = expect_matches_reference(batch, data, train_cpu(batch, data), what);
    EXPECT_GT(compared, batch.size() / 3) << what;
  }
}

TEST(CpuBackend, BatchSizesThatAreNotMultiplesOfTheBlockMatchReference) {
  const Preset seed = make_preset("seed");
  const std::size_t lanes = static_cast<std::size_t>(cpu::block_lanes());
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{17}, lanes - 1,
                        lanes + 1, std::size_t{1003}}) {
    Batch batch = seed_sweep(n, 200);
    for (std::size_t i = 0; i < n; ++i) batch.max_steps[i] = 150 + static_cast<std::int32_t>(i % 51);
    const Results r = train_cpu(batch, seed.data, 3);
    EXPECT_EQ(expect_matches_reference(batch, seed.data, r, "n=" + std::to_string(n)), n);
  }
}

// ---- its own promises

TEST(CpuBackend, OneThreadAndManyThreadsAreBitIdentical) {
  std::mt19937 rng(31);
  const Shape shape{2, 3, 1};
  const Dataset data = random_dataset(rng, shape, 4);
  Batch batch = random_batch(rng, shape, 1000 + 3, 200);
  batch.curve_every = 9;
  const Results one = train_cpu(batch, data, 1);
  for (int threads : {2, 3, 7, 0})
    expect_bit_identical(one, train_cpu(batch, data, threads), std::to_string(threads));
}

TEST(CpuBackend, ChunkBoundariesDoNotChangeResults) {
  std::mt19937 rng(32);
  const Shape shape{2, 2, 2};
  const Dataset data = random_dataset(rng, shape, 3);
  Batch batch = random_batch(rng, shape, 777, 150);
  batch.curve_every = 10;
  const Results whole = train_cpu(batch, data, 2);
  for (std::size_t chunk : {std::size_t{1}, std::size_t{5}, std::size_t{24}, std::size_t{100}})
    expect_bit_identical(whole, train_cpu(batch, data, 2, chunk), "chunk " + std::to_string(chunk));
}

TEST(CpuBackend, ADivergingNetworkLeavesItsBlockMatesBitIdentical) {
  const Preset seed = make_preset("seed");
  Batch calm = seed_sweep(17, 500);  // one block, one kind: tanh hidden, linear output
  calm.curve_every = 25;
  for (std::size_t i = 0; i < calm.size(); ++i) {
    calm.hidden_activation[i] = Activation::tanh;
    calm.output_activation[i] = Activation::identity;
    calm.learning_rate[i] = 0.01 + 0.01 * static_cast<double>(i);
  }
  Batch wild = calm;
  wild.learning_rate[5] = 1e3;  // a linear output layer overflows within a few steps
  const Results a = train_cpu(calm, seed.data);
  const Results b = train_cpu(wild, seed.data);
  EXPECT_EQ(b.status[5], Status::diverged);
  EXPECT_EQ(a.status[5], Status::max_steps);
  for (std::size_t i = 0; i < calm.size(); ++i) {
    if (i == 5) continue;
    EXPECT_EQ(a.status[i], b.status[i]);
    EXPECT_EQ(a.steps[i], b.steps[i]);
    EXPECT_EQ(a.loss[i], b.loss[i]) << "network " << i;
    for (int q = 0; q < calm.num_params(); ++q) EXPECT_EQ(a.param(i, q), b.param(i, q));
    for (std::size_t t = 0; t < a.curve_points; ++t) EXPECT_EQ(a.curve_loss_at(t, i), b.curve_loss_at(t, i));
  }
  // The diverged network's curve ends where it stopped.
  const std::size_t stopped_slot = static_cast<std::size_t>(b.steps[5] / calm.curve_every) + 1;
  for (std::size_t t = stopped_slot; t < b.curve_points; ++t) EXPECT_TRUE(std::isnan(b.curve_loss_at(t, 5)));
  EXPECT_EQ(expect_matches_reference(wild, seed.data, b, "wild"), wild.size() - 1);
}

// Between checkpoints the block tests only the loss; a lane whose parameters
// went infinite while its loss stayed finite is found later and its block
// replayed from the checkpoint. Recording a curve point at every step tests
// every step in full, with no replay: both runs must give the same bits, and
// the curve recorded every 7th step (events and replays mixed) must read as
// every 7th point of the every-step curve, NaN after each network's stop.
TEST(CpuBackend, DivergenceFoundAfterUntestedStepsIsReportedAtItsFirstStep) {
  const Preset seed = make_preset("seed");
  Batch batch = seed_sweep(150, 400);  // several blocks, a partial last one
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch.optimizer[i] = Optimizer::adam;
    // Adam moves every parameter by about the learning rate per step, so
    // 1e38 overflows float within a few steps; the saturated output sigmoids
    // keep the loss finite meanwhile.
    batch.learning_rate[i] = i % 3 == 1 ? 1e38 : 0.01 * static_cast<double>(1 + i % 7);
    if (i % 3 == 1) batch.hidden_activation[i] = i % 2 == 0 ? Activation::tanh : Activation::identity;
    batch.max_steps[i] = 300 + static_cast<std::int32_t>(i % 50);
  }
  Batch every_step = batch;
  every_step.curve_every = 1;
  Batch every_seventh = batch;
  every_seventh.curve_every = 7;
  const Results sparse = train_cpu(batch, seed.data, 2);
  const Results dense = train_cpu(every_step, seed.data, 2);
  const Results mixed = train_cpu(every_seventh, seed.data, 1);

  std::size_t found_late = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    SCOPED_TRACE("network " + std::to_string(i));
    EXPECT_EQ(sparse.status[i], dense.status[i]);
    EXPECT_EQ(sparse.steps[i], dense.steps[i]);
    EXPECT_EQ(mixed.status[i], dense.status[i]);
    EXPECT_EQ(mixed.steps[i], dense.steps[i]);
    for (const Results* r : {&sparse, &mixed}) {
      EXPECT_EQ(std::memcmp(&r->loss[i], &dense.loss[i], sizeof(float)), 0);
      EXPECT_EQ(std::memcmp(&r->abs_error[i], &dense.abs_error[i], sizeof(float)), 0);
      for (int q = 0; q < batch.num_params(); ++q) {
        const float a = r->param(i, q), b = dense.param(i, q);
        EXPECT_TRUE(std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b))) << "param " << q;
      }
    }
    for (std::size_t t = 0; t < mixed.curve_points; ++t) {
      const float a = mixed.curve_loss_at(t, i), b = dense.curve_loss_at(7 * t, i);
      EXPECT_TRUE(std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b))) << "slot " << t;
    }
    if (i % 3 == 1) {
      EXPECT_EQ(dense.status[i], Status::diverged);
      if (dense.status[i] == Status::diverged && std::isfinite(dense.loss[i])) ++found_late;
    }
  }
  // The case the replay exists for happened: diverged with a finite loss.
  EXPECT_GE(found_late, 10u);
}

// The steps between events test the loss of sigmoid and tanh outputs against
// the target alone, not for infinity: with |o| <= 1 and two outputs a float
// loss is infinite at every step or at none, and step 0 is tested in full.
// Targets whose loss overflows float (3e19: every network diverges at step 0)
// or stays just below FLT_MAX (1.5e19: the saturated sigmoids keep the steps
// finite) must give the bits of testing every step (a curve point at every
// step), in both math modes.
TEST(CpuBackend, HugeTargetsStopAsWhenEveryStepIsTested) {
  const Preset seed = make_preset("seed");
  for (double target : {3e19, 1.5e19}) {
    for (MathMode m : {MathMode::precise, MathMode::fast}) {
      SCOPED_TRACE("target " + std::to_string(target) + ", " + to_string(m));
      Dataset data = seed.data;
      data.t[0] = target;
      Batch batch = seed_sweep(300, 400);  // several blocks of each output activation
      batch.math_mode = m;
      for (std::size_t i = 0; i < batch.size(); ++i)
        if (i % 2 == 1) batch.output_activation[i] = Activation::tanh;
      Batch every_step = batch;
      every_step.curve_every = 1;
      const Results sparse = train_cpu(batch, data);
      const Results dense = train_cpu(every_step, data);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        ASSERT_EQ(sparse.status[i], dense.status[i]) << "network " << i;
        ASSERT_EQ(sparse.steps[i], dense.steps[i]) << "network " << i;
        const float a = sparse.loss[i], b = dense.loss[i];
        EXPECT_TRUE(std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b)))
            << "network " << i;
        if (target > 2e19) {
          EXPECT_EQ(sparse.status[i], Status::diverged) << "network " << i;
          EXPECT_EQ(sparse.steps[i], 0) << "network " << i;
        } else {
          EXPECT_EQ(sparse.status[i], Status::max_steps) << "network " << i;
          EXPECT_TRUE(std::isfinite(sparse.loss[i])) << "network " << i;
          EXPECT_GT(sparse.loss[i], 1e38) << "network " << i;
        }
      }
    }
  }
}

TEST(CpuBackend, EarlyStoppedLanesStopAtTheirOwnStep) {
  const Preset seed = make_preset("seed");
  Batch batch = seed_sweep(24 + 5, 3000);
  for (std::size_t i = 0; i < batch.size(); ++i) batch.target_loss[i] = i % 2 == 0 ? 1e-3 : 0.0;
  const Results r = train_cpu(batch, seed.data);
  std::vector<std::int32_t> stops;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (i % 2 == 1) {
      EXPECT_EQ(r.status[i], Status::max_steps) << i;
    }
    if (r.status[i] == Status::converged) stops.push_back(r.steps[i]);
  }
  std::sort(stops.begin(), stops.end());
  EXPECT_GE(stops.size(), 10u);
  EXPECT_GE(std::unique(stops.begin(), stops.end()) - stops.begin(), 10);  // each at its own step
  EXPECT_EQ(expect_matches_reference(batch, seed.data, r, "early stop"), batch.size());
}

// A lane whose network stops takes the next network at once (when recording
// curves, at the next slot's step), which then counts its own steps from
// there. Networks that stop at steps spread from 0 to their budget (targets
// reached early or late, budgets of 0 and more, divergence found after
// untested steps) keep every lane refilling; each network must end with the
// bits it gets in a batch of its own, curve included, for the fused kind (one
// sample) and generic ones (momentum, Adam with online shuffles), on one
// thread (whose blocks refill each kind's last networks) and two.
TEST(CpuBackend, RefilledLanesGiveEachNetworkTheBitsOfTrainingItAlone) {
  std::mt19937 rng(41);
  const Shape shape{2, 2, 2};
  // 293 networks with 16 lanes per vector, and as many with fewer lanes, so
  // that the counts checked below hold for every instruction set.
  const std::size_t n = std::max<std::size_t>(2 * static_cast<std::size_t>(cpu::block_lanes()) + 37, 293);
  for (int samples : {1, 4}) {
    for (MathMode m : {MathMode::precise, MathMode::fast}) {
      SCOPED_TRACE(std::to_string(samples) + " samples, " + to_string(m));
      const Dataset data = random_dataset(rng, shape, samples);
      Batch batch = random_batch(rng, shape, n, 400);
      std::normal_distribution<double> init(0.0, 1.5);
      for (std::size_t i = 0; i < n; ++i) {
        // Three kinds, each with more networks than a block has lanes.
        if (i % 2 == 0) {  // the worked example's kind, fused on one sample
          batch.hidden_activation[i] = batch.output_activation[i] = Activation::sigmoid;
          batch.optimizer[i] = Optimizer::sgd;
          batch.mode[i] = Mode::full;
          batch.train_biases[i] = 0;
          batch.learning_rate[i] = 0.2 + 0.05 * static_cast<double>(i % 37);
        } else if (i % 4 == 1) {  // Adam's state, online shuffles
          batch.hidden_activation[i] = Activation::tanh;
          batch.output_activation[i] = Activation::sigmoid;
          batch.optimizer[i] = Optimizer::adam;
          batch.mode[i] = Mode::online;
          batch.train_biases[i] = 1;
        } else {  // momentum's state
          batch.hidden_activation[i] = Activation::sigmoid;
          batch.output_activation[i] = Activation::identity;
          batch.optimizer[i] = Optimizer::momentum;
          batch.mode[i] = Mode::full;
          batch.train_biases[i] = 0;
        }
        for (int q = 0; q < batch.num_params(); ++q) batch.param(i, q) = init(rng);
        batch.target_loss[i] = i % 3 == 0 ? 0.0 : (i % 3 == 1 ? 0.02 : 0.08);
        batch.max_steps[i] = static_cast<std::int32_t>(rng() % 401);
        if (i % 41 == 7) batch.max_steps[i] = 0;
        if (i % 13 == 3) {  // overflows after some steps
          batch.learning_rate[i] = 1e38;
          batch.target_loss[i] = 0.0;
        }
      }
      batch.math_mode = m;
      batch.curve_every = m == MathMode::fast ? 7 : 0;
      const Results together = train_cpu(batch, data, 2);
      expect_bit_identical(together, train_cpu(batch, data, 1), "one thread");
      std::vector<std::int32_t> stops;
      for (std::size_t i = 0; i < n; ++i) {
        const Results alone = train_cpu(testing::network_alone(batch, i), data, 1);
        ASSERT_EQ(together.status[i], alone.status[0]) << "network " << i;
        ASSERT_EQ(together.steps[i], alone.steps[0]) << "network " << i;
        const auto same = [](float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; };
        EXPECT_TRUE(same(together.loss[i], alone.loss[0])) << "network " << i;
        EXPECT_TRUE(same(together.abs_error[i], alone.abs_error[0])) << "network " << i;
        for (int q = 0; q < batch.num_params(); ++q)
          EXPECT_TRUE(same(together.param(i, q), alone.param(0, q))) << "network " << i << " param " << q;
        ASSERT_LE(alone.curve_points, together.curve_points);
        for (std::size_t t = 0; t < together.curve_points; ++t) {
          const float a = together.curve_loss_at(t, i);
          if (t < alone.curve_points && !std::isnan(alone.curve_loss_at(t, 0))) {
            EXPECT_TRUE(same(a, alone.curve_loss_at(t, 0))) << "network " << i << " slot " << t;
            EXPECT_TRUE(same(together.curve_abs_error_at(t, i), alone.curve_abs_error_at(t, 0)))
                << "network " << i << " slot " << t;
          } else {
            EXPECT_TRUE(std::isnan(a)) << "network " << i << " slot " << t;
          }
        }
        stops.push_back(together.steps[i]);
      }
      // The stops are spread, so lanes were refilled at many steps.
      std::sort(stops.begin(), stops.end());
      EXPECT_GE(std::unique(stops.begin(), stops.end()) - stops.begin(), 100);
      EXPECT_GT(std::count(together.status.begin(), together.status.end(), Status::converged), 20);
      EXPECT_GT(std::count(together.status.begin(), together.status.end(), Status::diverged), 5);
    }
  }
}

TEST(CpuBackend, RejectsWhatItDoesNotImplement) {
  const Preset seed = make_preset("seed");
  Batch batch = seed_sweep(3, 10);
  batch.rule = Rule::seed_blog;
  testing::expect_input_error([&] { train_cpu(batch, seed.data); }, {"cpu", "reference"});
  BackendOptions options;
  options.threads = -1;
  testing::expect_input_error([&] { cpu::make_backend(options); }, {"threads", "-1"});
}

TEST(CpuBackend, IsTheAutoBackendOfAHostBuild) {
  const std::vector<std::string> names = available_backends();
  ASSERT_FALSE(names.empty());
  const auto cpu_at = std::find(names.begin(), names.end(), "cpu");
  const auto ref_at = std::find(names.begin(), names.end(), "reference");
  ASSERT_NE(cpu_at, names.end());
  EXPECT_LT(cpu_at, ref_at);
  EXPECT_EQ(make_backend("cpu")->name(), "cpu");
}

// The rate behind the cpu ceiling: finite and positive for one thread and for
// every core (its size is the machine's; no test times anything).
TEST(CpuProbe, MeasuresAFiniteFmaRateForOneThreadAndForEveryCore) {
  for (int threads : {1, 0}) {
    const double rate = cpu::vector_fma_per_second(threads);
    EXPECT_TRUE(std::isfinite(rate)) << threads;
    EXPECT_GT(rate, 0) << threads;
  }
}

TEST(CpuProbe, WorkerThreadsAreTheRequestOrEveryCore) {
  EXPECT_EQ(cpu::worker_threads(1), 1);
  EXPECT_EQ(cpu::worker_threads(5), 5);
  const int every_core = cpu::worker_threads(0);
  EXPECT_GE(every_core, 1);
  EXPECT_EQ(every_core, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

TEST(CpuBackend, CommandLineTrainAgreesWithReference) {
  auto run = [](const std::string& backend) {
    const std::string command = "'" + std::string(MANYNETS_EXE) + "' train --preset seed --backend " +
                                backend + " --steps 10000 --json";
    std::FILE* pipe = popen(command.c_str(), "r");
    std::string out;
    char buffer[4096];
    for (std::size_t got; (got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, got);
    EXPECT_EQ(pclose(pipe), 0) << command;
    return nlohmann::json::parse(out);
  };
  const nlohmann::json cpu = run("cpu"), ref = run("reference");
  EXPECT_EQ(cpu["steps"], ref["steps"]);
  EXPECT_NEAR(cpu["loss"].get<double>() / ref["loss"].get<double>(), 1.0,
              kTolerances.worked_example_relative);
  ASSERT_EQ(cpu["params"].size(), ref["params"].size());
  for (std::size_t q = 0; q < ref["params"].size(); ++q)
    EXPECT_NEAR(cpu["params"][q].get<double>(), ref["params"][q].get<double>(),
                kTolerances.worked_example_relative);
}

// ---- math.hpp on Pack<K> against math.hpp on float, lane by lane

// exp, tanh and sqrt lane by lane through the scalar std functions PreciseMath
// calls, so that the two differ only in NumberOps and the arithmetic operators.
struct LanewiseMath {
  template <int K, class F>
  static simd::Pack<K> lanewise(const simd::Pack<K>& x, F f) {
    alignas(64) float v[simd::Pack<K>::lanes];
    x.store(v);
    for (float& a : v) a = f(a);
    return simd::Pack<K>::load(v);
  }
  template <int K>
  static simd::Pack<K> exp(const simd::Pack<K>& x) {
    return lanewise(x, [](float a) { return std::exp(a); });
  }
  template <int K>
  static simd::Pack<K> tanh(const simd::Pack<K>& x) {
    return lanewise(x, [](float a) { return std::tanh(a); });
  }
  template <int K>
  static simd::Pack<K> div(const simd::Pack<K>& a, const simd::Pack<K>& b) {
    return a / b;
  }
  template <int K>
  static simd::Pack<K> sqrt(const simd::Pack<K>& x) {
    return lanewise(x, [](float a) { return std::sqrt(a); });
  }
};

// Every lane of a Pack<3> network, trained by the fused plain gradient step
// and by loss_and_gradient + update with sgd and momentum, equals the same
// network trained by math.hpp on float, bit for bit: NumberOps<Pack>::fma and
// fnma round once, as std::fma does, wherever the compiler puts the products.
// (With xsimd's own AVX-512 fma, which leaves the fusing to g++, the fused
// sigmoid-sigmoid step already fails.) Adam is left out: its moment updates
// are plain products and sums, which each compiler fuses as it chooses.
// Without an FMA instruction (the baseline x86-64 build) a multiply-add
// rounds twice, and the lanes agree with the scalar steps to 1e-3 relative
// instead (the identity networks' parameters grow to hundreds in three steps,
// and their rounding differences with them).
TEST(CpuSimdMath, PackStepsEqualScalarStepsLaneByLaneForEveryActivationPair) {
  using P = simd::Pack<3>;
  constexpr int L = P::lanes, I = 2, H = 3, O = 2, S = 2;
  using NetP = math::Mlp<I, H, O, P>;
  using NetF = math::Mlp<I, H, O, float>;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-1.5f, 1.5f), rate(0.05f, 1.0f);
  alignas(64) float params[NetP::num_params][L], lr[L], xs[S * I], ts[S * O];
  for (auto& row : params)
    for (float& v : row) v = u(rng);
  for (float& v : lr) v = rate(rng);
  for (float& v : xs) v = u(rng);
  for (float& v : ts) v = 0.5f + 0.4f * u(rng) / 1.5f;
  auto agree = [](float a, float b) {
    if (simd::kSingleRoundingFma) return std::memcmp(&a, &b, sizeof a) == 0;
    return std::abs(a - b) <= 1e-3f * std::max(1.0f, std::abs(b));
  };
  for (Activation f : kActivations) {
    for (Activation g : kActivations) {
      for (int variant = 0; variant < 3; ++variant) {  // the fused sgd step, then sgd and momentum
        const Optimizer opt = variant == 2 ? Optimizer::momentum : Optimizer::sgd;
        NetP net_p;
        for (int q = 0; q < NetP::num_params; ++q) net_p.p[q] = P::load(params[q]);
        math::OptState<I, H, O, P> state_p;
        state_p.reset();
        NetworkConfig c;
        c.optimizer = opt;
        c.hidden_activation = f;
        c.output_activation = g;
        c.max_steps = 0;
        math::Hyper<P> hp_p = testing::hyper_of<P>(c);
        hp_p.learning_rate = P::load(lr);
        P xs_p[S * I], ts_p[S * O];
        for (int i = 0; i < S * I; ++i) xs_p[i] = P(xs[i]);
        for (int k = 0; k < S * O; ++k) ts_p[k] = P(ts[k]);
        for (int step = 0; step < 3; ++step) {
          if (variant == 0) {
            P h[H], o[O];
            math::forward<LanewiseMath>(net_p, xs_p, f, g, h, o);
            math::sgd_backward_update(net_p, xs_p, ts_p, h, o, f, g, hp_p.learning_rate, true);
          } else {
            NetP grad;
            math::loss_and_gradient<LanewiseMath>(net_p, xs_p, ts_p, S, f, g, grad);
            math::update<LanewiseMath>(net_p, grad, state_p, hp_p);
          }
        }
        alignas(64) float got[NetP::num_params][L];
        for (int q = 0; q < NetP::num_params; ++q) net_p.p[q].store(got[q]);
        for (int l = 0; l < L; ++l) {
          NetF net;
          for (int q = 0; q < NetF::num_params; ++q) net.p[q] = params[q][l];
          math::OptState<I, H, O, float> state;
          state.reset();
          math::Hyper<float> hp = testing::hyper_of<float>(c);
          hp.learning_rate = lr[l];
          for (int step = 0; step < 3; ++step) {
            if (variant == 0) {
              float h[H], o[O];
              math::forward<math::PreciseMath>(net, xs, f, g, h, o);
              math::sgd_backward_update(net, xs, ts, h, o, f, g, hp.learning_rate, true);
            } else {
              NetF grad;
              math::loss_and_gradient<math::PreciseMath>(net, xs, ts, S, f, g, grad);
              math::update<math::PreciseMath>(net, grad, state, hp);
            }
          }
          for (int q = 0; q < NetF::num_params; ++q)
            ASSERT_PRED2(agree, got[q][l], net.p[q]) << to_string(f) << "-" << to_string(g) << " variant "
                                                     << variant << " lane " << l << " param " << q;
        }
      }
    }
  }
}

// ---- the fast-mode exp

TEST(CpuExpCephes, IsWithinFourUlpOfExpAndPassesNaN) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-87.0f, 88.0f);
  alignas(64) float in[simd::vector_width], out[simd::vector_width];
  double worst = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    for (float& v : in) v = trial < 10 ? static_cast<float>(trial - 5) * 0.25f : u(rng);
    simd::exp_cephes(simd::Vec::load_unaligned(in)).store_unaligned(out);
    for (int l = 0; l < simd::vector_width; ++l) {
      const double exact = std::exp(static_cast<double>(in[l]));
      worst = std::max(worst, std::abs(out[l] - exact) / exact);
    }
  }
  ::testing::Test::RecordProperty("worst_error_in_float_epsilons",
                                  std::to_string(worst / std::ldexp(1.0, -23)));
  EXPECT_LE(worst, kExpUlps * std::ldexp(1.0, -23));
  // Outside the clamp: finite at the top, tiny at the bottom, NaN stays NaN.
  in[0] = std::numeric_limits<float>::quiet_NaN();
  in[1] = 1000.0f;
  in[2] = -1000.0f;
  simd::exp_cephes(simd::Vec::load_unaligned(in)).store_unaligned(out);
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_GT(out[1], 1e38f);
  EXPECT_LT(out[2], 1e-37f);
  EXPECT_GE(out[2], 0.0f);
}

// ---- the precise-mode exp

// Precise mode's exp is xsimd::exp's value for every float; with AVX-512 it is
// computed by exp_xsimd_steps, which a change in either could part from
// xsimd::exp without any tolerance test noticing. The floats checked: both
// sides of every boundary between two values of k (x near (n + 1/2) ln2, where
// the two ways of rounding x log2(e) can disagree), the range ends, special
// values, and a stride through every bit pattern.
TEST(CpuPreciseExp, IsWithinOneUlpOfXsimdExp) {
#if !XSIMD_WITH_AVX512F
  GTEST_SKIP() << "without AVX-512 precise mode calls xsimd::exp itself (" << simd::instruction_set() << ")";
#endif
  std::vector<float> xs = {0.0f,
                           -0.0f,
                           std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity(),
                           std::numeric_limits<float>::quiet_NaN(),
                           std::numeric_limits<float>::max(),
                           -std::numeric_limits<float>::max(),
                           std::numeric_limits<float>::denorm_min(),
                           -std::numeric_limits<float>::denorm_min()};
  auto around = [&](float centre) {
    float below = centre, above = centre;
    xs.push_back(centre);
    for (int i = 0; i < 64; ++i) {
      below = std::nextafter(below, -std::numeric_limits<float>::infinity());
      above = std::nextafter(above, std::numeric_limits<float>::infinity());
      xs.push_back(below);
      xs.push_back(above);
    }
  };
  for (int n = -130; n <= 130; ++n) around(static_cast<float>((n + 0.5) * std::log(2.0)));
  around(xsimd::constants::maxlog<float>());
  around(xsimd::constants::minlog<float>());
  for (std::uint64_t bits = 0; bits < (std::uint64_t{1} << 32); bits += 4093) {
    const auto u = static_cast<std::uint32_t>(bits);
    float x;
    std::memcpy(&x, &u, sizeof x);
    xs.push_back(x);
  }
  // xsimd 10 writes its multiply-adds as a * b + c and leaves the fusing to
  // the compiler; the project compiles with -ffp-contract=off (CMakeLists.txt),
  // so xsimd::exp rounds them twice where exp_xsimd_steps writes the FMAs. The
  // two may then differ in the last bit (seen: 1 ulp, on subnormal results).
  constexpr std::int64_t kUlpsApart = 1;
  using P = simd::Pack<3>;
  while (xs.size() % P::lanes != 0) xs.push_back(1.0f);
  alignas(64) float got[P::lanes], want[simd::vector_width];
  int checked = 0;
  std::int64_t worst = 0;
  for (std::size_t at = 0; at < xs.size(); at += P::lanes) {
    simd::SimdPreciseMath::exp(P::load(&xs[at])).store(got);
    for (int v = 0; v < 3; ++v) {
      xsimd::exp(simd::Vec::load_unaligned(&xs[at + v * simd::vector_width])).store_unaligned(want);
      for (int l = 0; l < simd::vector_width; ++l) {
        const float g = got[v * simd::vector_width + l], w = want[l];
        const float x = xs[at + v * simd::vector_width + l];
        if (std::isnan(w)) {
          ASSERT_TRUE(std::isnan(g)) << "exp(" << x << ")";
        } else {
          // exp is never negative, so the bit patterns order the values.
          std::int32_t gb, wb;
          std::memcpy(&gb, &g, sizeof g);
          std::memcpy(&wb, &w, sizeof w);
          const std::int64_t apart = std::abs(std::int64_t{gb} - std::int64_t{wb});
          worst = std::max(worst, apart);
          ASSERT_LE(apart, kUlpsApart) << std::hexfloat << "exp(" << x << "): " << g << ", xsimd::exp " << w;
        }
        ++checked;
      }
    }
  }
  ::testing::Test::RecordProperty("floats_checked", checked);
  ::testing::Test::RecordProperty("worst_ulps_apart", static_cast<int>(worst));
}

// The fast division: one Newton step on the hardware's reciprocal estimate.
constexpr double kReciprocalUlps = 2.0;

TEST(CpuFastDivision, IsWithinTwoUlpOfTheQuotient) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> mantissa(1.0f, 2.0f);
  std::uniform_int_distribution<int> exponent(-60, 60);
  alignas(64) float a[simd::vector_width], b[simd::vector_width], out[simd::vector_width];
  double worst = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    for (int l = 0; l < simd::vector_width; ++l) {
      a[l] = std::ldexp(mantissa(rng), exponent(rng)) * (l % 2 ? -1.0f : 1.0f);
      b[l] = std::ldexp(mantissa(rng), exponent(rng)) * (l % 3 ? 1.0f : -1.0f);
    }
    simd::divide_fast(simd::Vec::load_unaligned(a), simd::Vec::load_unaligned(b)).store_unaligned(out);
    for (int l = 0; l < simd::vector_width; ++l) {
      const double exact = static_cast<double>(a[l]) / static_cast<double>(b[l]);
      worst = std::max(worst, std::abs((out[l] - exact) / exact));
    }
  }
  ::testing::Test::RecordProperty("worst_error_in_float_epsilons",
                                  std::to_string(worst / std::ldexp(1.0, -23)));
  EXPECT_LE(worst, kReciprocalUlps * std::ldexp(1.0, -23));
}

}  // namespace
}  // namespace manynets

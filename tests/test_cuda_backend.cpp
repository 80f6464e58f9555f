// The cuda and cuda-staged backends on a GPU: each against the double
// reference, against each other, refill on and off, chunked and whole, and the
// device summary; every such test skips, saying why, without a device. Also,
// on every machine: asking for cuda without a device is a clear input error,
// and auto falls back with a note.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "gpu_test_util.hpp"
#include "manynets/backend.hpp"
#include "manynets/devices.hpp"
#include "manynets/init.hpp"
#include "manynets/presets.hpp"
#include "manynets/reference.hpp"
#include "manynets/validate.hpp"
#include "manynets/version.hpp"
#include "random_batches.hpp"
#include "test_util.hpp"
#include "validation_check.hpp"

namespace manynets {
namespace {

// Tolerances, and why:
// - each backend against the double reference: as `manynets validate` compares
//   them, with validate.hpp's tolerances for the batch's math mode; chaotic,
//   Adam-noise and diverged networks by status only (validation_check.hpp,
//   which also checks that a wrong network fails).
// - the worked example alone over 10000 steps: validate.hpp's
//   worked_example_relative on the final loss and every curve point.
// - fused against staged on the same GPU: the same math.hpp code on values
//   kept in float registers or float memory; only nvcc's FMA contraction can
//   differ between the two kernels, so 1e-4 relative on the loss of networks
//   compared by value, and their steps within one.
constexpr double kFusedStagedTolerance = 1e-4;
// - refill on/off and chunked/whole: the same compiled body per network, so bit for bit.

bool have_device(std::string* why) {
  return !cuda_devices(why).empty();
}

#define MANYNETS_SKIP_WITHOUT_DEVICE()                                 \
  do {                                                                 \
    std::string why;                                                   \
    if (!have_device(&why)) GTEST_SKIP() << "no CUDA device: " << why; \
  } while (0)

using manynets::testing::expect_validates;
using manynets::testing::reference_runs;
using manynets::testing::ReferenceRuns;
using manynets::testing::seed_sweep;
using manynets::testing::train_on;

// preset_sweep of xor in full-batch mode only, stopping at loss 1e-3.
Batch xor_sweep(std::size_t n, std::int32_t steps, MathMode mode) {
  Batch batch = testing::preset_sweep(make_preset("xor"), n, steps, mode);
  for (std::size_t i = 0; i < n; ++i) {
    batch.target_loss[i] = 1e-3;
    batch.mode[i] = Mode::full;
  }
  return batch;
}

void expect_bitwise_equal(const Results& a, const Results& b, const std::string& what) {
  ASSERT_EQ(a.n, b.n);
  EXPECT_EQ(a.status, b.status) << what;
  EXPECT_EQ(a.steps, b.steps) << what;
  EXPECT_EQ(std::memcmp(a.params.data(), b.params.data(), a.params.size() * sizeof(double)), 0) << what;
  EXPECT_EQ(std::memcmp(a.loss.data(), b.loss.data(), a.loss.size() * sizeof(double)), 0) << what;
  EXPECT_EQ(std::memcmp(a.curve_loss.data(), b.curve_loss.data(), a.curve_loss.size() * sizeof(float)), 0)
      << what;
}

void expect_summary_matches(const Results& r) {
  ASSERT_TRUE(r.summary.valid);
  const Summary host = summarize(r);
  EXPECT_EQ(r.summary.converged, host.converged);
  EXPECT_EQ(r.summary.max_steps, host.max_steps);
  EXPECT_EQ(r.summary.diverged, host.diverged);
  EXPECT_EQ(r.summary.best, host.best);
  if (host.best < r.n) {
    EXPECT_EQ(r.summary.best_loss, host.best_loss);
  }
}

// ---- every machine

TEST(CudaBackendWithoutDevice, AskingForCudaIsAClearInputError) {
  std::string why;
  if (have_device(&why)) GTEST_SKIP() << "a CUDA device is present";
  for (const char* name : {"cuda", "cuda-staged"}) {
    testing::expect_input_error([&] { make_backend(name); },
                                {"no CUDA device is available", why, "use --backend cpu or reference"});
  }
}

TEST(CudaBackendWithoutDevice, AutoFallsBackToABackendThatNeedsNoDeviceWithANote) {
  std::string why;
  if (have_device(&why)) GTEST_SKIP() << "a CUDA device is present";
  std::string note;
  const std::string resolved = resolve_auto_backend(&note);
  EXPECT_NE(resolved, "cuda");
  EXPECT_NE(resolved, "cuda-staged");
  EXPECT_NE(note.find("no CUDA device is available"), std::string::npos) << note;
  EXPECT_NE(note.find(resolved), std::string::npos) << note;
  EXPECT_EQ(note.find('\n'), std::string::npos);
  EXPECT_EQ(make_backend("auto")->name(), resolved);
}

// ---- with a device

class CudaBackendTest : public ::testing::TestWithParam<MathMode> {
 protected:
  void SetUp() override { MANYNETS_SKIP_WITHOUT_DEVICE(); }
  ValidationTolerances tolerances() const { return validation_tolerances(GetParam()); }
};

TEST_P(CudaBackendTest, FusedAndStagedMatchReferenceOnSeed) {
  const Batch batch = seed_sweep(200, 5000, GetParam());
  const Preset seed = make_preset("seed");
  const ReferenceRuns refs = reference_runs(batch, seed.data);
  for (const char* name : {"cuda", "cuda-staged"}) {
    const Results got = train_on(name, batch, seed.data);
    EXPECT_EQ(got.backend, name);
    expect_validates(batch, seed.data, refs, got, std::string(name) + " seed");
    expect_summary_matches(got);
  }
}

TEST_P(CudaBackendTest, FusedAndStagedMatchReferenceOnXor) {
  const Batch batch = xor_sweep(123, 3000, GetParam());
  const Preset xr = make_preset("xor");
  const ReferenceRuns refs = reference_runs(batch, xr.data);
  for (const char* name : {"cuda", "cuda-staged"})
    expect_validates(batch, xr.data, refs, train_on(name, batch, xr.data), std::string(name) + " xor");
}

// The H200 run of 2026-12-04 compared every network here by value and failed
// on chaotic and Adam-noise ones; test_kernel_bodies.cpp runs this batch on the
// host and checks that validate compares those by status.
TEST_P(CudaBackendTest, FusedAndStagedMatchReferenceOnRandomHyperparameters) {
  const testing::Workload w = testing::random_hyperparameters_workload(GetParam());
  const ReferenceRuns refs = reference_runs(w.batch, w.data);
  for (const char* name : {"cuda", "cuda-staged"}) {
    const Results got = train_on(name, w.batch, w.data);
    expect_validates(w.batch, w.data, refs, got, std::string(name) + " random");
    expect_summary_matches(got);
  }
}

// Shapes that are not compiled in run the fused kernel's general path (up to
// 16-64-16); the staged and cublas backends have compiled shapes only and say so.
TEST_P(CudaBackendTest, GeneralPathMatchesReferenceOnShapesThatAreNotCompiled) {
  std::mt19937 rng(77);
  for (const Shape shape : {Shape{2, 5, 1}, Shape{3, 17, 2}, Shape{16, 64, 16}}) {
    const bool largest = shape.hidden == 64;
    const Dataset data = testing::random_dataset(rng, shape, 5);
    Batch batch = testing::random_batch(rng, shape, largest ? 31 : 157, largest ? 60 : 300);
    batch.math_mode = GetParam();
    const ReferenceRuns refs = reference_runs(batch, data);
    for (const char* name : {"cuda", "cuda-staged"}) {
      const Results got = train_on(name, batch, data);
      expect_validates(batch, data, refs, got, name + (" " + to_string(shape)));
      expect_summary_matches(got);
    }
    EXPECT_THROW(train_on("cublas", batch, data), Error) << to_string(shape);
  }
  // The general path on a compiled shape, against the reference too.
  const Batch seed = seed_sweep(300, 2000, GetParam());
  const Preset preset = make_preset("seed");
  BackendOptions options;
  options.general_path = true;
  const ReferenceRuns seed_refs = reference_runs(seed, preset.data);
  for (const char* name : {"cuda", "cuda-staged"}) {
    expect_validates(seed, preset.data, seed_refs, make_backend(name, options)->train(seed, preset.data),
                     name + std::string(" general path, seed"));
  }
}

TEST_P(CudaBackendTest, FusedMatchesStaged) {
  const Batch batch = xor_sweep(301, 2000, GetParam());
  const Preset xr = make_preset("xor");
  const Results fused = train_on("cuda", batch, xr.data);
  const Results staged = train_on("cuda-staged", batch, xr.data);
  // Which networks rounding can move, as validate classifies them.
  const ReferenceRuns refs = reference_runs(batch, xr.data);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(fused.status[i] == Status::diverged, staged.status[i] == Status::diverged) << "network " << i;
    if (refs.comparison[i] != RunComparison::by_value) continue;
    EXPECT_EQ(fused.status[i], staged.status[i]) << "network " << i;
    EXPECT_LE(std::abs(fused.steps[i] - staged.steps[i]), 1) << "network " << i;
    if (fused.status[i] == Status::max_steps && staged.status[i] == Status::max_steps) {
      EXPECT_NEAR(fused.loss[i], staged.loss[i], kFusedStagedTolerance * std::max(1e-6, staged.loss[i]))
          << "network " << i;
    }
  }
}

TEST_P(CudaBackendTest, RefillOnAndOffGiveIdenticalResults) {
  std::mt19937 rng(7);
  const Shape shape{2, 2, 2};
  const Dataset data = testing::random_dataset(rng, shape, 4);
  Batch batch = testing::random_batch(rng, shape, 5001, 400);
  batch.math_mode = GetParam();
  BackendOptions on, off;
  on.refill = true;
  off.refill = false;
  expect_bitwise_equal(train_on("cuda", batch, data, on), train_on("cuda", batch, data, off), "refill");
}

TEST_P(CudaBackendTest, ChunkedRunsEqualOneChunkAndSummariesAgree) {
  std::mt19937 rng(8);
  const Shape shape{2, 3, 1};
  const Dataset data = testing::random_dataset(rng, shape, 5);  // online mode shuffles by global id
  Batch batch = testing::random_batch(rng, shape, 2000, 200);
  batch.math_mode = GetParam();
  for (const char* name : {"cuda", "cuda-staged"}) {
    const Results whole = train_on(name, batch, data);
    BackendOptions chunked;
    chunked.chunk_networks = 333;
    const Results parts = train_on(name, batch, data, chunked);
    expect_bitwise_equal(parts, whole, std::string(name) + " chunked");
    expect_summary_matches(whole);
    expect_summary_matches(parts);
  }
}

TEST_P(CudaBackendTest, EmptyAndSingleNetworkBatches) {
  const Preset seed = make_preset("seed");
  for (const char* name : {"cuda", "cuda-staged"}) {
    Batch empty(seed.shape, 0);
    empty.math_mode = GetParam();
    const Results none = train_on(name, empty, seed.data);
    EXPECT_EQ(none.n, 0u);
    EXPECT_TRUE(none.summary.valid);
    EXPECT_EQ(none.summary.best, 0u);
    const Batch one = seed_sweep(1, 10000, GetParam());  // the worked example
    const Results r = train_on(name, one, seed.data);
    const Results ref = train_on("reference", one, seed.data);
    ASSERT_EQ(r.n, 1u);
    EXPECT_EQ(r.status[0], ref.status[0]);
    const double tolerance = tolerances().worked_example_relative;
    EXPECT_NEAR(r.loss[0] / ref.loss[0], 1.0, tolerance);
    for (std::size_t t = 0; t < ref.curve_points; ++t) {
      if (std::isnan(ref.curve_loss_at(t, 0))) {
        EXPECT_TRUE(std::isnan(r.curve_loss_at(t, 0))) << name << " slot " << t;
      } else {
        EXPECT_NEAR(r.curve_loss_at(t, 0) / ref.curve_loss_at(t, 0), 1.0, tolerance) << name << " slot " << t;
      }
    }
  }
}

// Moons of 20000 samples (234 KB as 2-3-1 floats) do not fit in a block's
// 48 KB of shared memory, so the fused kernel streams them in tiles: its
// networks train in lockstep rounds, and those that stop early hand their
// thread to the next network (refill) or idle while their block mates train.
Batch many_moons_batch(std::size_t n, MathMode mode) {
  const Preset moons = make_preset("moons");
  Batch batch(moons.shape, n);
  for (std::size_t i = 0; i < n; ++i) {
    NetworkConfig c = moons.config;
    const double spread = static_cast<double>(i % 10) / 9.0;
    c.optimizer = testing::kOptimizers[(i / 10) % 3];
    c.learning_rate = c.optimizer == Optimizer::sgd        ? 0.5 + 3.0 * spread
                      : c.optimizer == Optimizer::momentum ? 0.1 + 0.5 * spread
                                                           : 0.005 + 0.05 * spread;
    c.momentum = 0.9;
    c.mode = i % 5 == 4 ? Mode::online : Mode::full;
    c.max_steps = 30 + static_cast<std::int32_t>(i % 7) * 10;
    c.target_loss = i % 2 == 0 ? 0.05 : 0.0;
    batch.set_config(i, c);
  }
  batch.seed = 9;
  initialize(batch, moons.init);
  batch.math_mode = mode;
  batch.curve_every = 25;
  return batch;
}

TEST_P(CudaBackendTest, FusedMatchesReferenceOnMoonsTooLargeForSharedMemory) {
  const Dataset data = make_two_class_dataset("moons", 20000, 1);
  ASSERT_GT(data.samples() * static_cast<std::size_t>(data.inputs + data.outputs) * sizeof(float),
            std::size_t{48 * 1024});
  const Batch batch = many_moons_batch(30, GetParam());
  BackendOptions on, off;
  on.refill = true;
  off.refill = false;
  const Results refill = train_on("cuda", batch, data, on);
  expect_validates(batch, data, refill, "cuda moons 20000");
  expect_summary_matches(refill);
  expect_bitwise_equal(train_on("cuda", batch, data, off), refill, "moons 20000 refill on and off");
}

TEST(CudaBackendErrors, SeedBlogRuleAndBadDeviceAreInputErrors) {
  MANYNETS_SKIP_WITHOUT_DEVICE();
  const Preset seed = make_preset("seed");
  Batch batch(seed.shape, 1);
  batch.rule = Rule::seed_blog;
  initialize(batch, seed.init);
  testing::expect_input_error([&] { train_on("cuda", batch, seed.data); }, {"rule backprop only"});
  BackendOptions o;
  o.device = 999;
  testing::expect_input_error([&] { make_backend("cuda", o); }, {"CUDA device 999 does not exist"});
}

// A dataset just too large for shared memory (5000 samples, 60 KB) and a
// few short runs: the case scripts/gpu-check.sh runs under compute-sanitizer
// (memcheck, racecheck, synccheck), where the 20000-sample one is too slow.
TEST_P(CudaBackendTest, TiledKernelOnASmallBatchMatchesReference) {
  const Dataset data = make_two_class_dataset("moons", 5000, 1);
  ASSERT_GT(data.samples() * static_cast<std::size_t>(data.inputs + data.outputs) * sizeof(float),
            std::size_t{48 * 1024});
  Batch batch = many_moons_batch(12, GetParam());
  for (std::size_t i = 0; i < batch.size(); ++i) batch.max_steps[i] = 3 + static_cast<std::int32_t>(i % 4);
  batch.curve_every = 2;
  const ReferenceRuns refs = reference_runs(batch, data);
  for (const bool refill : {true, false}) {
    BackendOptions options;
    options.refill = refill;
    expect_validates(batch, data, refs, train_on("cuda", batch, data, options),
                     refill ? "tiled, refill" : "tiled");
  }
}

INSTANTIATE_TEST_SUITE_P(MathModes, CudaBackendTest, ::testing::Values(MathMode::precise, MathMode::fast),
                         [](const ::testing::TestParamInfo<MathMode>& mode) {
                           return std::string(to_string(mode.param));
                         });

}  // namespace
}  // namespace manynets

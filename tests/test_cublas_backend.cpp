// The cublas backend on a GPU: against the double reference on the worked
// example, xor, moons and random hyperparameters (every optimizer, activation,
// full and online mode), the fused cuda backend beside it, on many samples,
// chunked and whole, run twice; every such test skips, saying why, without a
// device or without cuBLAS. On every machine: asking for cublas without a
// device is a clear input error. Its step sequence is tested on the host in
// test_layered_bodies.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>

#include "gpu_test_util.hpp"
#include "manynets/backend.hpp"
#include "manynets/error.hpp"
#include "manynets/init.hpp"
#include "manynets/presets.hpp"
#include "manynets/validate.hpp"
#include "manynets/version.hpp"
#include "manynets/devices.hpp"
#include "random_batches.hpp"
#include "test_util.hpp"
#include "validation_check.hpp"

namespace manynets {
namespace {

// Tolerances, and why:
// - cublas, and the fused cuda backend beside it, against the double reference:
//   as `manynets validate` compares them, with validate.hpp's tolerances for the
//   batch's math mode; chaotic, Adam-noise and diverged networks by status only
//   (validation_check.hpp, which also checks that a wrong network fails). Both
//   within the run tolerance of the reference keeps them within twice it of
//   each other, so they are not compared with each other directly (a bug both
//   shared would pass that).
// - loss curves of networks compared by value: the run tolerance and loss floor.
// - the worked example alone over 10000 steps: worked_example_relative.
// - chunked against whole: cuBLAS may pick another algorithm for another batch
//   count, so a few ulps per step: 1e-4 relative on the final loss of a
//   network compared by value that ran out of steps, and steps within one.
constexpr double kChunkTolerance = 1e-4;
// - the same batch twice: cuBLAS routines give the same bits on every run on
//   one GPU (no atomics mode, one stream), so bit for bit.

// Skips the test when there is no device, or when cuBLAS cannot be loaded on
// this machine (the backend then says so as an input error; other backends run).
#define MANYNETS_SKIP_WITHOUT_CUBLAS()                                            \
  do {                                                                            \
    std::string why;                                                              \
    if (cuda_devices(&why).empty()) GTEST_SKIP() << "no CUDA device: " << why;    \
    try {                                                                         \
      make_backend("cublas");                                                     \
    } catch (const Error& e) {                                                    \
      if (std::string(e.what()).find("needs cuBLAS") == std::string::npos) throw; \
      GTEST_SKIP() << e.what();                                                   \
    }                                                                             \
  } while (0)

using manynets::testing::expect_validates;
using manynets::testing::preset_sweep;
using manynets::testing::reference_runs;
using manynets::testing::ReferenceRuns;
using manynets::testing::seed_sweep;
using manynets::testing::train_on;

// ---- every machine

TEST(CublasBackendWithoutDevice, AskingForCublasIsAClearInputError) {
  std::string why;
  if (!cuda_devices(&why).empty()) GTEST_SKIP() << "a CUDA device is present";
  testing::expect_input_error([] { make_backend("cublas"); },
                              {"no CUDA device is available", why, "use --backend cpu or reference"});
}

// ---- with a device

class CublasBackendTest : public ::testing::TestWithParam<MathMode> {
 protected:
  void SetUp() override { MANYNETS_SKIP_WITHOUT_CUBLAS(); }
  ValidationTolerances tolerances() const { return validation_tolerances(GetParam()); }

  // cublas and the fused cuda backend on `batch`, each as validate compares it.
  void expect_cublas_and_fused_validate(const Batch& batch, const Dataset& data, const std::string& what) {
    const ReferenceRuns refs = reference_runs(batch, data);
    const Results got = train_on("cublas", batch, data);
    EXPECT_EQ(got.backend, "cublas");
    expect_validates(batch, data, refs, got, "cublas " + what);
    expect_validates(batch, data, refs, train_on("cuda", batch, data), "cuda " + what);
  }
};

TEST_P(CublasBackendTest, MatchesReferenceAndFusedOnSeed) {
  const Batch batch = seed_sweep(200, 5000, GetParam());
  const Preset seed = make_preset("seed");
  const ReferenceRuns refs = reference_runs(batch, seed.data);
  const Results got = train_on("cublas", batch, seed.data);
  EXPECT_EQ(got.backend, "cublas");
  expect_validates(batch, seed.data, refs, got, "cublas seed");
  expect_validates(batch, seed.data, refs, train_on("cuda", batch, seed.data), "cuda seed");
  // Curve slots: the loss after every 100th step, as the reference has them,
  // up to where the first of the two stopped (they may stop a step apart).
  const ValidationTolerances t = tolerances();
  for (std::size_t i = 0; i < batch.size(); i += 17) {
    if (refs.comparison[i] != RunComparison::by_value) continue;
    const std::int32_t last = std::min(got.steps[i], refs.reference.steps[i]);
    for (std::size_t t_slot = 0; t_slot * batch.curve_every <= static_cast<std::size_t>(last); ++t_slot) {
      const double want = refs.reference.curve_loss_at(t_slot, i);
      EXPECT_NEAR(got.curve_loss_at(t_slot, i), want, t.run_relative * want + t.loss_floor)
          << "network " << i << " slot " << t_slot;
    }
  }
}

TEST_P(CublasBackendTest, MatchesReferenceAndFusedOnXor) {
  const Preset xr = make_preset("xor");
  expect_cublas_and_fused_validate(preset_sweep(xr, 123, 3000, GetParam()), xr.data, "xor");
}

TEST_P(CublasBackendTest, MatchesReferenceAndFusedOnMoons) {
  const Preset moons = make_preset("moons");
  expect_cublas_and_fused_validate(preset_sweep(moons, 67, 2000, GetParam()), moons.data, "moons");
}

// Every optimizer, activation pair, bias setting and mode, and all three
// statuses. The H200 run of 2026-12-04 compared every network here by value and
// failed on chaotic and Adam-noise ones; test_layered_bodies.cpp runs this
// batch on the host and checks that validate compares those by status.
TEST_P(CublasBackendTest, MatchesReferenceOnRandomHyperparameters) {
  const testing::Workload w = testing::random_hyperparameters_workload(GetParam());
  expect_validates(w.batch, w.data, train_on("cublas", w.batch, w.data), "cublas random");
}

// Many samples shared by every network (the GEMMs' long dimension, many loss
// tiles), full and online mode, in the 4-8-3 shape as well.
TEST_P(CublasBackendTest, ManySamplesMatchReference) {
  const Shape two{2, 2, 2};
  const Dataset moons = make_two_class_dataset("moons", 20011, 2, 5);
  const Batch batch = preset_sweep(make_preset("moons", &two), 25, 40, GetParam());
  expect_validates(batch, moons, train_on("cublas", batch, moons), "many samples 2-2-2");
  std::mt19937 rng(9);
  const Shape wide{4, 8, 3};
  const Dataset data = testing::random_dataset(rng, wide, 3001);
  Batch wide_batch = testing::random_batch(rng, wide, 50, 30);
  wide_batch.math_mode = GetParam();
  expect_validates(wide_batch, data, train_on("cublas", wide_batch, data), "many samples 4-8-3");
}

// Online networks in later chunks shuffle by their global id, as in one chunk.
TEST_P(CublasBackendTest, ChunkedRunsMatchOneChunkAndRepeatBitForBit) {
  const Preset xr = make_preset("xor");
  const Batch batch = preset_sweep(xr, 2000, 500, GetParam());
  const Dataset& data = xr.data;
  const Results whole = train_on("cublas", batch, data);
  const Results again = train_on("cublas", batch, data);
  EXPECT_EQ(whole.status, again.status);
  EXPECT_EQ(whole.steps, again.steps);
  EXPECT_EQ(std::memcmp(whole.params.data(), again.params.data(), whole.params.size() * sizeof(double)), 0);
  BackendOptions chunked;
  chunked.chunk_networks = 333;
  const Results parts = train_on("cublas", batch, data, chunked);
  // Which networks rounding can move, as validate classifies them.
  const ReferenceRuns refs = reference_runs(batch, data);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(parts.status[i] == Status::diverged, whole.status[i] == Status::diverged) << "network " << i;
    if (refs.comparison[i] != RunComparison::by_value) continue;
    EXPECT_EQ(parts.status[i], whole.status[i]) << "network " << i;
    EXPECT_LE(std::abs(parts.steps[i] - whole.steps[i]), 1) << "network " << i;
    if (parts.status[i] == Status::max_steps && whole.status[i] == Status::max_steps) {
      EXPECT_NEAR(parts.loss[i], whole.loss[i], kChunkTolerance * std::max(1e-6, whole.loss[i]))
          << "network " << i;
    }
  }
}

TEST_P(CublasBackendTest, EmptyAndSingleNetworkBatches) {
  const Preset seed = make_preset("seed");
  Batch empty(seed.shape, 0);
  empty.math_mode = GetParam();
  EXPECT_EQ(train_on("cublas", empty, seed.data).n, 0u);
  const Batch one = seed_sweep(1, 10000, GetParam());  // the worked example
  const Results r = train_on("cublas", one, seed.data);
  const Results ref = train_on("reference", one, seed.data);
  ASSERT_EQ(r.n, 1u);
  EXPECT_EQ(r.status[0], ref.status[0]);
  EXPECT_NEAR(r.loss[0] / ref.loss[0], 1.0, tolerances().worked_example_relative);
}

TEST(CublasBackendErrors, SeedBlogRuleAndBadDeviceAreInputErrors) {
  MANYNETS_SKIP_WITHOUT_CUBLAS();
  const Preset seed = make_preset("seed");
  Batch batch(seed.shape, 1);
  batch.rule = Rule::seed_blog;
  initialize(batch, seed.init);
  testing::expect_input_error([&] { train_on("cublas", batch, seed.data); }, {"rule backprop only"});
  BackendOptions o;
  o.device = 999;
  testing::expect_input_error([&] { make_backend("cublas", o); }, {"CUDA device 999 does not exist"});
}

INSTANTIATE_TEST_SUITE_P(MathModes, CublasBackendTest, ::testing::Values(MathMode::precise, MathMode::fast),
                         [](const ::testing::TestParamInfo<MathMode>& mode) {
                           return std::string(to_string(mode.param));
                         });

}  // namespace
}  // namespace manynets

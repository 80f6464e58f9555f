// The cublas backend on a GPU: against the double reference on the worked
// example, xor, moons and random hyperparameters (every optimizer, activation,
// full and online mode), against the fused cuda backend, on many samples,
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

#include "manynets/backend.hpp"
#include "manynets/error.hpp"
#include "manynets/init.hpp"
#include "manynets/presets.hpp"
#include "manynets/version.hpp"
#include "gpu_test_util.hpp"
#include "random_batches.hpp"
#include "test_util.hpp"

namespace manynets {
namespace {

// The shared GPU tolerances (kPreciseLossTolerance, kFastLossTolerance,
// kStepsRelativeTolerance, kStatusMismatchShare) are in gpu_test_util.hpp,
// with their reasons; this file's own follow.
using manynets::testing::kFastLossTolerance;
using manynets::testing::kPreciseLossTolerance;
using manynets::testing::kStatusMismatchShare;
using manynets::testing::kStepsRelativeTolerance;

// - cublas against the fused cuda backend: both float, sums in other orders
//   (GEMMs against a register loop), so the precise-mode figure again.
// - chunked against whole: cuBLAS may pick another algorithm for another batch
//   count, so a few ulps per step: 1e-4 relative on the final loss of a
//   network that ran out of steps (on xor, where networks are not chaotic).
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

using manynets::testing::seed_sweep;
using manynets::testing::train_on;

// A two-input preset (xor, moons) over learning rates, sigmoid and tanh hidden
// units, sgd and momentum, full and online mode.
Batch preset_sweep(const Preset& p, std::size_t n, std::int32_t steps, MathMode mode) {
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

// Float results against other results of the same batch: statuses equal but
// for a share, steps close, and the final loss to `loss_tolerance` relative
// for networks that ran out of steps (a converged one stops at its target).
void expect_close(const Results& got, const Results& want, double loss_tolerance, double status_share,
                  const std::string& what) {
  ASSERT_EQ(got.n, want.n) << what;
  std::size_t status_mismatches = 0;
  for (std::size_t i = 0; i < want.n; ++i) {
    if (got.status[i] != want.status[i]) {
      ++status_mismatches;
      continue;
    }
    if (want.status[i] == Status::diverged) continue;
    const double step_slack = kStepsRelativeTolerance * want.steps[i] + 2;
    EXPECT_LE(std::abs(got.steps[i] - want.steps[i]), step_slack) << what << " network " << i;
    if (want.status[i] == Status::max_steps) {
      EXPECT_NEAR(got.loss[i], want.loss[i], loss_tolerance * std::max(want.loss[i], 1e-6))
          << what << " network " << i;
    }
  }
  EXPECT_LE(static_cast<double>(status_mismatches), status_share * static_cast<double>(want.n))
      << what << ": " << status_mismatches << " networks stopped with another status";
}

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
  double loss_tolerance() const {
    return GetParam() == MathMode::fast ? kFastLossTolerance : kPreciseLossTolerance;
  }
};

TEST_P(CublasBackendTest, MatchesReferenceAndFusedOnSeed) {
  const Batch batch = seed_sweep(200, 5000, GetParam());
  const Preset seed = make_preset("seed");
  const Results got = train_on("cublas", batch, seed.data);
  EXPECT_EQ(got.backend, "cublas");
  const Results ref = train_on("reference", batch, seed.data);
  expect_close(got, ref, loss_tolerance(), 0.0, "cublas vs reference");
  expect_close(got, train_on("cuda", batch, seed.data), loss_tolerance(), 0.0, "cublas vs cuda");
  // Curve slots: the loss after every 100th step, as the reference has them,
  // up to where the first of the two stopped (they may stop a step apart).
  for (std::size_t i = 0; i < batch.size(); i += 17) {
    const std::int32_t last = std::min(got.steps[i], ref.steps[i]);
    for (std::size_t t = 0; t * batch.curve_every <= static_cast<std::size_t>(last); ++t) {
      EXPECT_NEAR(got.curve_loss_at(t, i) / ref.curve_loss_at(t, i), 1.0, loss_tolerance())
          << "network " << i << " slot " << t;
    }
  }
}

TEST_P(CublasBackendTest, MatchesReferenceAndFusedOnXor) {
  const Preset xr = make_preset("xor");
  const Batch batch = preset_sweep(xr, 123, 3000, GetParam());
  const Results got = train_on("cublas", batch, xr.data);
  expect_close(got, train_on("reference", batch, xr.data), loss_tolerance(), kStatusMismatchShare,
               "cublas vs reference xor");
  expect_close(got, train_on("cuda", batch, xr.data), loss_tolerance(), kStatusMismatchShare,
               "cublas vs cuda xor");
}

TEST_P(CublasBackendTest, MatchesReferenceAndFusedOnMoons) {
  const Preset moons = make_preset("moons");
  const Batch batch = preset_sweep(moons, 67, 2000, GetParam());
  const Results got = train_on("cublas", batch, moons.data);
  expect_close(got, train_on("reference", batch, moons.data), loss_tolerance(), kStatusMismatchShare,
               "cublas vs reference moons");
  expect_close(got, train_on("cuda", batch, moons.data), loss_tolerance(), kStatusMismatchShare,
               "cublas vs cuda moons");
}

// Every optimizer, activation pair, bias setting and mode, and all three statuses.
TEST_P(CublasBackendTest, MatchesReferenceOnRandomHyperparameters) {
  std::mt19937 rng(2024);
  const Shape shape{2, 3, 1};
  const Dataset data = testing::random_dataset(rng, shape, 5);
  Batch batch = testing::random_batch(rng, shape, 1037, 300);  // not a multiple of a block
  batch.math_mode = GetParam();
  expect_close(train_on("cublas", batch, data), train_on("reference", batch, data), loss_tolerance(),
               kStatusMismatchShare, "cublas random");
}

// Many samples shared by every network (the GEMMs' long dimension, many loss
// tiles), full and online mode, in the 4-8-3 shape as well.
TEST_P(CublasBackendTest, ManySamplesMatchReference) {
  const Shape two{2, 2, 2};
  const Dataset moons = make_two_class_dataset("moons", 20011, 2, 5);
  const Batch batch = preset_sweep(make_preset("moons", &two), 25, 40, GetParam());
  expect_close(train_on("cublas", batch, moons), train_on("reference", batch, moons), loss_tolerance(), 0.0,
               "many samples 2-2-2");
  std::mt19937 rng(9);
  const Shape wide{4, 8, 3};
  const Dataset data = testing::random_dataset(rng, wide, 3001);
  Batch wide_batch = testing::random_batch(rng, wide, 50, 30);
  wide_batch.math_mode = GetParam();
  expect_close(train_on("cublas", wide_batch, data), train_on("reference", wide_batch, data),
               loss_tolerance(), kStatusMismatchShare, "many samples 4-8-3");
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
  expect_close(parts, whole, kChunkTolerance, kStatusMismatchShare, "chunked");
}

TEST_P(CublasBackendTest, EmptyAndSingleNetworkBatches) {
  const Preset seed = make_preset("seed");
  Batch empty(seed.shape, 0);
  empty.math_mode = GetParam();
  EXPECT_EQ(train_on("cublas", empty, seed.data).n, 0u);
  const Batch one = seed_sweep(1, 10000, GetParam());
  const Results r = train_on("cublas", one, seed.data);
  const Results ref = train_on("reference", one, seed.data);
  ASSERT_EQ(r.n, 1u);
  EXPECT_EQ(r.status[0], ref.status[0]);
  EXPECT_NEAR(r.loss[0] / ref.loss[0], 1.0, loss_tolerance());
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

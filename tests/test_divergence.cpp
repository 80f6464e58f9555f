// Divergence isolation on every backend this machine has: a network whose
// learning rate blows it up is marked diverged at the first step whose loss or
// parameters are not finite and stops there; the other networks of its batch
// train bit for bit as they would without it; and no NaN reaches the summary
// statistics of the others. Backends: reference, cpu, the CUDA kernels' bodies
// launched on the host (fused, staged, and the cublas backend's layered steps;
// float and double), and the CUDA backends themselves when a device is present.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "host/backends/cuda/staging.hpp"
#include "kernels/layered_steps.hpp"
#include "kernels/train_bodies.hpp"
#include "manynets/backend.hpp"
#include "manynets/cpu.hpp"
#include "manynets/devices.hpp"
#include "manynets/reference.hpp"
#include "manynets/shapes.hpp"
#include "manynets/summary.hpp"
#include "manynets/sweep.hpp"
#include "manynets/version.hpp"
#include "random_batches.hpp"

namespace manynets {
namespace {

// No tolerances: every comparison here is a backend against itself, the same
// networks trained in two batches, so every bit must agree (NaN equals NaN).

// Every hundredth network, from this index on, is planted to diverge: 1%.
constexpr std::size_t kPlantedPhase = 37;
bool planted(std::size_t i) {
  return i % 100 == kPlantedPhase;
}

// ---- trainers: one per backend form

using Trainer = std::function<Results(const Batch&, const Dataset&)>;

// The CUDA kernels' bodies run on the host for every network index (a plain
// grid, or the staged start / forward / backward / update sequence), through
// the staging the CUDA backend uses, as tests/test_kernel_bodies.cpp does.
template <class T>
Results host_launch(const Batch& batch, const Dataset& data, bool staged) {
  Results r;
  r.allocate(batch.shape(), batch.size(), batch.curve_every, batch.longest_run());
  r.backend = staged ? "host staged" : "host fused";
  const std::vector<T> xs(data.x.begin(), data.x.end()), ts(data.t.begin(), data.t.end());
  const kernels::DatasetView<T> dv{xs.data(), ts.data(), static_cast<int>(data.samples())};
  const std::size_t n = batch.size();
  const cuda::InputLayout<T> il(batch.num_params(), n);
  const cuda::OutputLayout<T> ol(batch.num_params(), n, r.curve_points);
  std::vector<double> in_block(il.bytes / sizeof(double) + 1), out_block(ol.bytes / sizeof(double) + 1);
  cuda::pack_inputs<T>(in_block.data(), batch, 0, n);
  const kernels::TrainView<T> v =
      cuda::chunk_view<T>(batch, 0, n, r.curve_points, in_block.data(), out_block.data());
  dispatch_compiled_shape(batch.shape(), "test", [&](auto tag) {
    using Tag = decltype(tag);
    constexpr int I = Tag::inputs, H = Tag::hidden, O = Tag::outputs;
    using Math = math::PreciseMath;
    if (!staged) {
      for (std::size_t i = 0; i < n; ++i) kernels::train_network_body<Math, I, H, O>(v, dv, i);
      return;
    }
    const cuda::WorkspaceLayout<T> wl(batch.shape(), n, data.samples());
    std::vector<double> ws_block(wl.bytes / sizeof(double) + 1);
    const kernels::StagedWorkspace<T> ws = wl.view(ws_block.data());
    for (std::size_t i = 0; i < n; ++i) kernels::staged_start_body<I, H, O>(v, ws, i);
    for (std::int32_t step = 0;; ++step) {
      for (std::size_t i = 0; i < n; ++i) kernels::staged_forward_body<Math, I, H, O>(v, ws, dv, step, i);
      if (step >= batch.longest_run()) break;
      for (std::size_t i = 0; i < n; ++i) kernels::staged_backward_body<I, H, O>(v, ws, dv, step, i);
      for (std::size_t i = 0; i < n; ++i) kernels::staged_update_body<Math, I, H, O>(v, ws, i);
    }
  });
  cuda::unpack_outputs<T>(r, out_block.data(), 0, n);
  return r;
}

// The cublas backend's step sequence (kernels/layered_steps.hpp) on the host:
// HostGemm for the batched matrix products, plain loops for the elementwise
// bodies, as tests/test_layered_bodies.cpp runs it.
struct HostElementLaunch {
  template <class Body>
  void operator()(const char*, std::size_t count, const Body& body) const {
    for (std::size_t e = 0; e < count; ++e) body(e);
  }
};

template <class T>
Results layered_host_launch(const Batch& batch, const Dataset& data) {
  Results r;
  r.allocate(batch.shape(), batch.size(), batch.curve_every, batch.longest_run());
  r.backend = "host layered";
  const std::vector<T> xs(data.x.begin(), data.x.end()), ts(data.t.begin(), data.t.end());
  const std::vector<T> ones(data.samples(), T(1));
  const kernels::LayeredData<T> dv{xs.data(), ts.data(), ones.data(), static_cast<int>(data.samples())};
  const std::size_t n = batch.size();
  const cuda::InputLayout<T> il(batch.num_params(), n);
  const cuda::OutputLayout<T> ol(batch.num_params(), n, r.curve_points);
  const kernels::LayeredWorkspaceLayout<T> wl(batch.shape(), n, data.samples());
  std::vector<double> in_block(il.bytes / sizeof(double) + 1), out_block(ol.bytes / sizeof(double) + 1),
      ws_block(wl.bytes / sizeof(double) + 1);
  cuda::pack_inputs<T>(in_block.data(), batch, 0, n);
  const kernels::TrainView<T> v =
      cuda::chunk_view<T>(batch, 0, n, r.curve_points, in_block.data(), out_block.data());
  const kernels::LayeredWorkspace<T> ws = wl.view(ws_block.data());
  kernels::HostGemm<T> gemm;
  dispatch_compiled_shape(batch.shape(), "test", [&](auto tag) {
    using Tag = decltype(tag);
    kernels::run_layered_steps<math::PreciseMath, Tag::inputs, Tag::hidden, Tag::outputs>(
        v, ws, dv, batch.longest_run(), gemm, HostElementLaunch{});
  });
  cuda::unpack_outputs<T>(r, out_block.data(), 0, n);
  return r;
}

Trainer host_trainer(const std::string& name) {
  if (name == "reference") {
    return [](const Batch& b, const Dataset& d) { return reference::make_backend()->train(b, d); };
  }
  if (name == "cpu") {
    return [](const Batch& b, const Dataset& d) { return cpu::make_backend()->train(b, d); };
  }
  if (name == "cpu_one_thread_small_chunks") {
    return [](const Batch& b, const Dataset& d) {
      BackendOptions o;
      o.threads = 1;
      return cpu::make_backend(o, 40)->train(b, d);
    };
  }
  if (name == "host_fused_float")
    return [](const Batch& b, const Dataset& d) { return host_launch<float>(b, d, false); };
  if (name == "host_fused_double") {
    return [](const Batch& b, const Dataset& d) { return host_launch<double>(b, d, false); };
  }
  if (name == "host_staged_float")
    return [](const Batch& b, const Dataset& d) { return host_launch<float>(b, d, true); };
  if (name == "host_layered_float") {
    return [](const Batch& b, const Dataset& d) { return layered_host_launch<float>(b, d); };
  }
  if (name == "host_layered_double") {
    return [](const Batch& b, const Dataset& d) { return layered_host_launch<double>(b, d); };
  }
  throw std::logic_error("unknown trainer " + name);
}

// ---- batches

// Calm networks of every activation pair, optimizer and mode, with learning
// rates that train them without blowing up (the test checks none diverges).
Batch calm_batch(std::mt19937& rng, Shape shape, std::size_t n, std::int32_t steps, bool online_too) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::uniform_real_distribution<double> log_lr(std::log(0.02), std::log(0.5));
  Batch b(shape, n);
  for (std::size_t i = 0; i < n; ++i) {
    NetworkConfig c;
    c.hidden_activation = testing::kActivations[rng() % 4];
    c.output_activation = rng() % 2 == 0 ? Activation::sigmoid : Activation::tanh;
    c.optimizer = testing::kOptimizers[rng() % 3];
    c.learning_rate = std::exp(log_lr(rng));
    c.momentum = 0.5;
    c.train_biases = rng() % 2 == 0;
    c.mode = online_too && rng() % 2 == 0 ? Mode::online : Mode::full;
    c.max_steps = steps - static_cast<std::int32_t>(rng() % 9);
    c.target_loss = rng() % 3 == 0 ? 0.05 : 0.0;
    b.set_config(i, c);
    for (int q = 0; q < b.num_params(); ++q) b.param(i, q) = u(rng);
  }
  b.seed = 9;
  b.first_id = 500;
  b.curve_every = 5;
  return b;
}

// Plants the diverging networks: linear output layers at learning rates that
// overflow them within a few steps, by plain and by momentum updates.
Batch with_planted(Batch b) {
  int k = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (!planted(i)) continue;
    NetworkConfig c = b.config(i);
    c.output_activation = Activation::identity;
    c.hidden_activation = k % 2 == 0 ? Activation::identity : Activation::tanh;
    c.optimizer = testing::kOptimizers[k % 2];  // sgd, momentum
    c.learning_rate = k % 2 == 0 ? 1e3 : 1e4;
    c.target_loss = 0.0;
    b.set_config(i, c);
    ++k;
  }
  return b;
}

// ---- comparisons

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b));
}

// Network i of `got` equals network j of `want` in every output, bit for bit.
bool same_network(const Results& got, std::size_t i, const Results& want, std::size_t j) {
  bool same = got.status[i] == want.status[j] && got.steps[i] == want.steps[j] &&
              same_bits(got.loss[i], want.loss[j]) && same_bits(got.abs_error[i], want.abs_error[j]);
  for (int q = 0; q < want.shape.num_params(); ++q)
    same = same && same_bits(got.param(i, q), want.param(j, q));
  for (std::size_t t = 0; t < want.curve_points && t < got.curve_points; ++t) {
    same = same && same_bits(got.curve_loss_at(t, i), want.curve_loss_at(t, j)) &&
           same_bits(got.curve_abs_error_at(t, i), want.curve_abs_error_at(t, j));
  }
  return same;
}

std::size_t count_status(const Results& r, Status s) {
  std::size_t c = 0;
  for (const Status x : r.status) c += x == s;
  return c;
}

// The planted networks diverged, each at the first step whose loss or parameters
// are not finite: trained alone for one update fewer, the same backend leaves it
// finite. Its curve is NaN after that step and not before (a double backend's
// loss may already be past what the float curve holds, so inf is allowed).
void expect_diverged_at_first_bad_step(const Trainer& train, const Batch& batch, const Dataset& data,
                                       const Results& r) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!planted(i)) continue;
    SCOPED_TRACE("planted network " + std::to_string(i));
    ASSERT_EQ(r.status[i], Status::diverged);
    const std::int32_t s = r.steps[i];
    ASSERT_GT(s, 0) << "diverged before its first update: the learning rate, not the start, must do it";
    ASSERT_LT(s, batch.max_steps[i]) << "it ran all its steps: not stopped";
    bool finite = std::isfinite(r.loss[i]);
    for (int q = 0; q < batch.num_params(); ++q) finite = finite && std::isfinite(r.param(i, q));
    EXPECT_FALSE(finite) << "diverged with a finite loss and finite parameters";

    const Results before = train(testing::network_alone(batch, i, s - 1), data);
    EXPECT_EQ(before.status[0], Status::max_steps)
        << "one update earlier it was already " << to_string(before.status[0]);
    EXPECT_EQ(before.steps[0], s - 1);
    EXPECT_TRUE(std::isfinite(before.loss[0])) << before.loss[0];
    // Alone, for its full budget, it diverges at the same step (isolation works both ways).
    const Results solo = train(testing::network_alone(batch, i, batch.max_steps[i]), data);
    EXPECT_TRUE(same_network(solo, 0, r, i))
        << "alone it stopped at " << solo.steps[0] << ", in the batch at " << s;

    const std::size_t every = static_cast<std::size_t>(batch.curve_every);
    for (std::size_t t = 0; t < r.curve_points; ++t) {
      const float loss = r.curve_loss_at(t, i);
      const std::int32_t step = static_cast<std::int32_t>(t * every);
      if (step < s) {
        EXPECT_FALSE(std::isnan(loss)) << "curve slot " << t << " (step " << step << ") = " << loss;
      } else if (step > s) {
        EXPECT_TRUE(std::isnan(loss))
            << "curve slot " << t << " (step " << step << ") after the stop at " << s;
      }
    }
  }
}

// ---- tests on the host backends

class DivergenceOnHost : public ::testing::TestWithParam<std::string> {};

TEST_P(DivergenceOnHost, OnePercentDivergingLeavesTheOtherNinetyNineBitIdentical) {
  const Trainer train = host_trainer(GetParam());
  for (const Shape shape : {Shape{2, 2, 2}, Shape{2, 3, 1}}) {
    SCOPED_TRACE(to_string(shape));
    std::mt19937 rng(31 + shape.hidden);
    const Dataset data = testing::random_dataset(rng, shape, 4);
    const Batch calm = calm_batch(rng, shape, 301, 120, true);  // not a multiple of any block
    const Batch wild = with_planted(calm);
    const Results a = train(calm, data);
    const Results b = train(wild, data);
    EXPECT_EQ(count_status(a, Status::diverged), 0u) << "a calm network diverged: the test's batch is wrong";
    EXPECT_EQ(count_status(b, Status::diverged), 3u);
    EXPECT_GT(count_status(a, Status::converged), 0u);
    EXPECT_GT(count_status(a, Status::max_steps), 0u);
    std::size_t differ = 0;
    for (std::size_t i = 0; i < calm.size(); ++i) {
      if (planted(i)) continue;
      if (!same_network(b, i, a, i) && ++differ <= 5) {
        ADD_FAILURE() << "network " << i << " changed beside diverging networks: status "
                      << to_string(b.status[i]) << " vs " << to_string(a.status[i]) << ", loss " << b.loss[i]
                      << " vs " << a.loss[i];
      }
    }
    EXPECT_EQ(differ, 0u);
    expect_diverged_at_first_bad_step(train, wild, data, b);
  }
}

// Without the diverging networks at all (not replaced: removed, so every later
// network moves to another index and block). Full mode only, as online shuffles
// are keyed by a network's position.
TEST_P(DivergenceOnHost, RemovingTheDivergingNetworksChangesNoOtherResult) {
  const Trainer train = host_trainer(GetParam());
  std::mt19937 rng(47);
  const Shape shape{2, 2, 2};
  const Dataset data = testing::random_dataset(rng, shape, 3);
  const Batch wild = with_planted(calm_batch(rng, shape, 250, 100, false));
  Batch kept(shape, wild.size() - 3);
  std::vector<std::size_t> from;
  for (std::size_t i = 0; i < wild.size(); ++i) {
    if (planted(i)) continue;
    kept.set_config(from.size(), wild.config(i));
    for (int q = 0; q < wild.num_params(); ++q) kept.param(from.size(), q) = wild.param(i, q);
    from.push_back(i);
  }
  ASSERT_EQ(from.size(), kept.size());
  kept.seed = wild.seed;
  kept.first_id = wild.first_id;
  kept.curve_every = wild.curve_every;
  const Results with = train(wild, data);
  const Results without = train(kept, data);
  EXPECT_EQ(count_status(with, Status::diverged), 3u);
  EXPECT_EQ(count_status(without, Status::diverged), 0u);
  for (std::size_t k = 0; k < kept.size(); ++k) {
    EXPECT_TRUE(same_network(with, from[k], without, k)) << "network " << from[k];
  }
}

TEST_P(DivergenceOnHost, EverythingDivergingStillStopsEachAtItsOwnStep) {
  const Trainer train = host_trainer(GetParam());
  std::mt19937 rng(5);
  const Shape shape{2, 2, 1};
  const Dataset data = testing::random_dataset(rng, shape, 2);
  Batch b = calm_batch(rng, shape, 9, 200, true);
  for (std::size_t i = 0; i < b.size(); ++i) {
    b.output_activation[i] = b.hidden_activation[i] = Activation::identity;
    b.optimizer[i] = Optimizer::sgd;
    b.learning_rate[i] = 100.0 * static_cast<double>(i + 1);  // faster blow-up for later networks
    b.target_loss[i] = 0.0;
  }
  const Results r = train(b, data);
  EXPECT_EQ(count_status(r, Status::diverged), b.size());
  for (std::size_t i = 0; i < b.size(); ++i) {
    const Results solo = train(testing::network_alone(b, i, b.max_steps[i]), data);
    EXPECT_TRUE(same_network(solo, 0, r, i)) << "network " << i;
  }
  const Summary s = summarize(r);
  EXPECT_EQ(s.diverged, b.size());
  EXPECT_EQ(s.best, r.n);  // nobody to name
  EXPECT_TRUE(std::isnan(s.best_loss));
}

INSTANTIATE_TEST_SUITE_P(Backends, DivergenceOnHost,
                         ::testing::Values("reference", "cpu", "cpu_one_thread_small_chunks",
                                           "host_fused_float", "host_fused_double", "host_staged_float",
                                           "host_layered_float", "host_layered_double"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// ---- summaries

// A sweep over learning rates where one value blows every network up: the
// other values' rows, the counts of the rest and the best network are exactly
// those of the same sweep without that value, every statistic of a row that
// mixes diverged and trained networks is finite, and the JSON holds no NaN.
void expect_summary_isolated(const std::string& backend) {
  std::map<std::string, std::string> texts = {{"preset", "seed"},
                                              {"hidden-activation", "tanh,identity"},
                                              {"train-biases", "on"},
                                              {"output-activation", "identity"},
                                              {"init", "uniform:0.5"},
                                              {"steps", "150"},
                                              {"target-loss", "0.001"},
                                              {"seeds", "4"},
                                              {"seed", "3"}};
  texts["lr"] = "0.05,0.3";
  const SweepPlan calm = expand(make_sweep_spec(texts));
  texts["lr"] = "0.05,0.3,5000";
  const SweepPlan wild = expand(make_sweep_spec(texts));
  const auto be = make_backend(backend);
  const SweepResults calm_results = run_sweep(calm, *be);
  const SweepResults wild_results = run_sweep(wild, *be);
  const SweepSummary a = summarize(calm, calm_results);
  // As many best configurations as the calm sweep has: none of them may be a blown-up one.
  const SweepSummary b = summarize(wild, wild_results, 4);

  EXPECT_EQ(a.diverged, 0u);
  EXPECT_EQ(b.diverged, b.networks / 3);
  EXPECT_EQ(b.networks, a.networks + b.diverged);
  EXPECT_EQ(b.converged, a.converged);
  EXPECT_EQ(b.ran_out, a.ran_out);
  ASSERT_TRUE(a.has_best && b.has_best);
  EXPECT_EQ(b.best.loss, a.best.loss);
  EXPECT_EQ(b.best.steps, a.best.steps);
  EXPECT_EQ(b.best.status, a.best.status);

  const auto table = [](const SweepSummary& s, Hyperparameter h) -> const HyperparameterTable* {
    for (const HyperparameterTable& t : s.tables)
      if (t.hyperparameter == h) return &t;
    return nullptr;
  };
  const HyperparameterTable* lr_a = table(a, Hyperparameter::learning_rate);
  const HyperparameterTable* lr_b = table(b, Hyperparameter::learning_rate);
  ASSERT_TRUE(lr_a && lr_b);
  ASSERT_EQ(lr_a->rows.size(), 2u);
  ASSERT_EQ(lr_b->rows.size(), 3u);
  for (std::size_t k = 0; k < 2; ++k) {
    const ValueStats &x = lr_a->rows[k], &y = lr_b->rows[k];
    EXPECT_EQ(y.value, x.value);
    EXPECT_EQ(y.networks, x.networks);
    EXPECT_EQ(y.converged, x.converged);
    EXPECT_EQ(y.diverged, 0u);
    EXPECT_TRUE(same_bits(y.median_loss, x.median_loss))
        << y.value << ": " << y.median_loss << " vs " << x.median_loss;
    EXPECT_TRUE(same_bits(y.median_steps_to_target, x.median_steps_to_target)) << y.value;
    EXPECT_TRUE(std::isfinite(y.median_loss)) << y.value;
  }
  const ValueStats& blown = lr_b->rows[2];
  EXPECT_EQ(blown.diverged, blown.networks);
  EXPECT_TRUE(std::isnan(blown.median_loss));  // no finite loss to take a median of: none invented

  // Rows that mix diverged and trained networks: statistics over the trained ones only.
  const HyperparameterTable* hidden = table(b, Hyperparameter::hidden_activation);
  ASSERT_TRUE(hidden);
  for (const ValueStats& row : hidden->rows) {
    EXPECT_GT(row.diverged, 0u) << row.value;
    EXPECT_LT(row.diverged, row.networks) << row.value;
    EXPECT_TRUE(std::isfinite(row.median_loss)) << row.value;
  }
  for (const ConfigurationStats& c : b.best_configurations) {
    EXPECT_EQ(c.stats.diverged, 0u) << "a blown-up configuration listed among the best";
    EXPECT_TRUE(std::isfinite(c.stats.median_loss));
  }
  const std::string json = summary_json(b);
  for (const char* bad : {"nan", "NaN", "inf", "Infinity"})
    EXPECT_EQ(json.find(bad), std::string::npos) << bad;
  for (const Results& r : wild_results.results) {
    const Summary s = summarize(r);
    EXPECT_TRUE(std::isfinite(s.best_loss));
    EXPECT_NE(r.status[s.best], Status::diverged);
  }
}

TEST(DivergenceSummary, NoNaNReachesTheStatisticsOfOthersOnReference) {
  expect_summary_isolated("reference");
}

TEST(DivergenceSummary, NoNaNReachesTheStatisticsOfOthersOnCpu) {
  expect_summary_isolated("cpu");
}

// ---- the CUDA backends (need a device)

bool has_backend(const std::string& name) {
  for (const std::string& b : available_backends())
    if (b == name) return true;
  return false;
}

TEST(DivergenceOnDevice, CudaBackendsIsolateDivergingNetworks) {
  if (!has_backend("cuda")) GTEST_SKIP() << "this build has no CUDA backends (configured without CUDA)";
  std::string why;
  if (cuda_devices(&why).empty()) GTEST_SKIP() << "no CUDA device: " << why;
  for (const std::string name : {"cuda", "cuda-staged", "cublas"}) {
    if (!has_backend(name)) continue;
    SCOPED_TRACE(name);
    const Trainer train = [&](const Batch& b, const Dataset& d) { return make_backend(name)->train(b, d); };
    std::mt19937 rng(31);
    const Shape shape{2, 2, 2};
    const Dataset data = testing::random_dataset(rng, shape, 4);
    const Batch calm = calm_batch(rng, shape, 301, 120, true);
    const Batch wild = with_planted(calm);
    const Results a = train(calm, data);
    const Results b = train(wild, data);
    EXPECT_EQ(count_status(a, Status::diverged), 0u);
    EXPECT_EQ(count_status(b, Status::diverged), 3u);
    for (std::size_t i = 0; i < calm.size(); ++i) {
      if (!planted(i)) {
        EXPECT_TRUE(same_network(b, i, a, i)) << "network " << i;
      }
    }
    expect_diverged_at_first_bad_step(train, wild, data, b);
  }
  expect_summary_isolated("cuda");
}

}  // namespace
}  // namespace manynets

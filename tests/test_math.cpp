// Tests of include/manynets/detail/math.hpp on the host, in double: the gradient
// against finite differences for every shape and activation pair, the
// optimizers against hand-worked recurrences, and the training loop's
// stopping, recording and online rules.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "manynets/detail/math.hpp"
#include "manynets/shapes.hpp"
#include "math_driver.hpp"

namespace manynets {
namespace {

using math::PreciseMath;

constexpr Activation kActivations[] = {Activation::sigmoid, Activation::tanh, Activation::relu,
                                       Activation::identity};

template <int I, int H, int O>
struct Problem {
  math::Mlp<I, H, O, double> net;
  std::vector<double> xs, ts;
  int samples = 0;
};

// A random network and dataset. For relu, points within 1e-3 of a kink are
// redrawn, since a finite difference across the kink measures neither side.
template <int I, int H, int O>
Problem<I, H, O> random_problem(std::mt19937& rng, int samples, Activation f, Activation g) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (;;) {
    Problem<I, H, O> pr;
    pr.samples = samples;
    for (double& v : pr.net.p) v = u(rng);
    pr.xs.resize(static_cast<std::size_t>(samples) * I);
    pr.ts.resize(static_cast<std::size_t>(samples) * O);
    for (double& v : pr.xs) v = u(rng);
    for (double& v : pr.ts) v = 0.5 * (u(rng) + 1.0);
    bool near_kink = false;
    for (int s = 0; s < samples; ++s) {
      double h[H];
      for (int j = 0; j < H; ++j) {
        double z = pr.net.b1(j);
        for (int i = 0; i < I; ++i) z += pr.net.w1(j, i) * pr.xs[s * I + i];
        near_kink |= f == Activation::relu && std::abs(z) < 1e-3;
        h[j] = math::activate<PreciseMath>(f, z);
      }
      for (int k = 0; k < O; ++k) {
        double z = pr.net.b2(k);
        for (int j = 0; j < H; ++j) z += pr.net.w2(k, j) * h[j];
        near_kink |= g == Activation::relu && std::abs(z) < 1e-3;
      }
    }
    if (!near_kink) return pr;
  }
}

template <int I, int H, int O>
void check_gradient_for_all_activations(std::mt19937& rng) {
  for (Activation f : kActivations) {
    for (Activation g : kActivations) {
      for (int trial = 0; trial < 3; ++trial) {
        auto pr = random_problem<I, H, O>(rng, 3, f, g);
        math::Mlp<I, H, O, double> grad;
        const auto e =
            math::loss_and_gradient<PreciseMath>(pr.net, pr.xs.data(), pr.ts.data(), pr.samples, f, g, grad);
        EXPECT_DOUBLE_EQ(
            e.loss, math::evaluate<PreciseMath>(pr.net, pr.xs.data(), pr.ts.data(), pr.samples, f, g).loss);
        for (int q = 0; q < math::Mlp<I, H, O, double>::num_params; ++q) {
          // Central differences: truncation error ~h^2 * f''' and rounding ~eps / h,
          // both far below 1e-7 at h = 1e-6 for these smooth, O(1) functions.
          const double step = 1e-6;
          auto shifted = pr.net;
          shifted.p[q] += step;
          const double up =
              math::evaluate<PreciseMath>(shifted, pr.xs.data(), pr.ts.data(), pr.samples, f, g).loss;
          shifted.p[q] -= 2 * step;
          const double down =
              math::evaluate<PreciseMath>(shifted, pr.xs.data(), pr.ts.data(), pr.samples, f, g).loss;
          const double numeric = (up - down) / (2 * step);
          EXPECT_NEAR(grad.p[q], numeric, 1e-7 + 1e-6 * std::abs(numeric))
              << "shape " << I << "-" << H << "-" << O << " param " << q << " activations " << to_string(f)
              << "/" << to_string(g);
        }
      }
    }
  }
}

TEST(MathGradient, MatchesFiniteDifferencesForEveryShapeAndActivationPair) {
  std::mt19937 rng(20261129);
#define MANYNETS_CHECK_SHAPE(I, H, O) check_gradient_for_all_activations<I, H, O>(rng);
  MANYNETS_FOR_EACH_SHAPE(MANYNETS_CHECK_SHAPE)
#undef MANYNETS_CHECK_SHAPE
}

TEST(MathLoss, IsHalfSquaredErrorAndAbsErrorMeanOverSamples) {
  const double o[2] = {0.25, 0.5}, t[2] = {0.5, 0.0};
  const auto e = math::sample_eval(o, t, 2);
  EXPECT_DOUBLE_EQ(e.loss, 0.5 * 0.0625 + 0.5 * 0.25);
  EXPECT_DOUBLE_EQ(e.abs_error, 0.75);

  // Identity network with zero weights: outputs equal the biases for every sample.
  math::Mlp<1, 1, 1, double> net{};
  net.b2(0) = 1.0;
  const double xs[2] = {3.0, -4.0}, ts[2] = {0.0, 3.0};
  const auto mean = math::evaluate<PreciseMath>(net, xs, ts, 2, Activation::identity, Activation::identity);
  EXPECT_DOUBLE_EQ(mean.loss, (0.5 * 1.0 + 0.5 * 4.0) / 2);
  EXPECT_DOUBLE_EQ(mean.abs_error, (1.0 + 2.0) / 2);
}

TEST(MathActivations, ValuesAndSlopes) {
  EXPECT_DOUBLE_EQ(math::activate<PreciseMath>(Activation::sigmoid, 0.0), 0.5);
  EXPECT_DOUBLE_EQ(math::activate<PreciseMath>(Activation::tanh, 0.5), std::tanh(0.5));
  EXPECT_DOUBLE_EQ(math::activate<PreciseMath>(Activation::relu, -2.0), 0.0);
  EXPECT_DOUBLE_EQ(math::activate<PreciseMath>(Activation::relu, 2.0), 2.0);
  EXPECT_DOUBLE_EQ(math::activate<PreciseMath>(Activation::identity, -2.0), -2.0);
  EXPECT_DOUBLE_EQ(math::activation_slope(Activation::sigmoid, 0.25), 0.1875);
  EXPECT_DOUBLE_EQ(math::activation_slope(Activation::tanh, 0.5), 0.75);
  EXPECT_DOUBLE_EQ(math::activation_slope(Activation::relu, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(math::activation_slope(Activation::relu, 0.1), 1.0);
  EXPECT_DOUBLE_EQ(math::activation_slope(Activation::identity, 7.0), 1.0);
}

// In float the sigmoid's and the tanh's slopes are rounded once: y - y y and
// 1 - y y are exact in double for these y, so each must equal its double value
// rounded to float (the product forms y (1 - y) and 1 - y * y round twice and
// miss that for some y).
TEST(MathActivations, FloatSlopesAreRoundedOnce) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> sigmoid_out(1.0f / 64, 1.0f), tanh_out(-1.0f, 1.0f);
  int sigmoid_checked = 0, tanh_checked = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    const float y = sigmoid_out(rng);
    const double yd = y;
    ASSERT_EQ(math::activation_slope(Activation::sigmoid, y), static_cast<float>(yd - yd * yd)) << y;
    ++sigmoid_checked;
    const float u = tanh_out(rng);
    if (std::abs(u) < 0.125f) continue;  // 1 - u u needs more than a double's bits below that
    const double ud = u;
    ASSERT_EQ(math::activation_slope(Activation::tanh, u), static_cast<float>(1.0 - ud * ud)) << u;
    ++tanh_checked;
  }
  EXPECT_EQ(sigmoid_checked, 20000);
  EXPECT_GT(tanh_checked, 15000);
}

math::Hyper<double> sgd_hyper(double lr) {
  NetworkConfig c;
  c.learning_rate = lr;
  c.max_steps = 1;
  return testing::hyper_of<double>(c);
}

TEST(MathUpdate, SgdLeavesBiasesAloneWhenTheyAreNotTrained) {
  using Net = math::Mlp<2, 2, 2, double>;
  Net net, grad;
  for (int q = 0; q < Net::num_params; ++q) {
    net.p[q] = 0.1 * q;
    grad.p[q] = 1.0 + q;
  }
  math::OptState<2, 2, 2, double> state;
  state.reset();
  auto hp = sgd_hyper(0.5);
  hp.train_biases = false;
  Net trained = net;
  math::update<PreciseMath>(trained, grad, state, hp);
  for (int q = 0; q < Net::num_weights; ++q) EXPECT_DOUBLE_EQ(trained.p[q], net.p[q] - 0.5 * grad.p[q]);
  for (int q = Net::num_weights; q < Net::num_params; ++q) EXPECT_EQ(trained.p[q], net.p[q]);

  hp.train_biases = true;
  trained = net;
  math::update<PreciseMath>(trained, grad, state, hp);
  for (int q = 0; q < Net::num_params; ++q) EXPECT_DOUBLE_EQ(trained.p[q], net.p[q] - 0.5 * grad.p[q]);
}

TEST(MathUpdate, MomentumFollowsItsRecurrence) {
  using Net = math::Mlp<1, 1, 1, double>;
  Net net{}, grad{};
  grad.p[0] = 2.0;
  math::OptState<1, 1, 1, double> state;
  state.reset();
  auto hp = sgd_hyper(0.1);
  hp.optimizer = Optimizer::momentum;
  hp.momentum = 0.5;
  math::update<PreciseMath>(net, grad, state, hp);  // v = 2, p = -0.2
  EXPECT_DOUBLE_EQ(net.p[0], -0.2);
  math::update<PreciseMath>(net, grad, state, hp);  // v = 0.5 * 2 + 2 = 3, p = -0.2 - 0.3
  EXPECT_DOUBLE_EQ(net.p[0], -0.5);
}

TEST(MathUpdate, AdamFirstStepsMoveByAboutTheLearningRate) {
  using Net = math::Mlp<1, 1, 1, double>;
  Net net{}, grad{};
  grad.p[0] = 3.0;
  grad.p[1] = -1e-3;
  math::OptState<1, 1, 1, double> state;
  state.reset();
  auto hp = sgd_hyper(0.01);
  hp.optimizer = Optimizer::adam;
  math::update<PreciseMath>(net, grad, state, hp);
  // After bias correction m_hat = g and v_hat = g^2, so the step is lr * g / (|g| + eps).
  EXPECT_NEAR(net.p[0], -0.01, 1e-9);
  EXPECT_NEAR(net.p[1], 0.01, 1e-7);
  // Second step with the same gradient: again m_hat = g, v_hat = g^2.
  math::update<PreciseMath>(net, grad, state, hp);
  EXPECT_NEAR(net.p[0], -0.02, 1e-9);
  const double m = 0.9 * 0.1 * 3.0 + 0.1 * 3.0, v = 0.999 * 0.001 * 9.0 + 0.001 * 9.0;
  EXPECT_NEAR(state.m[0], m, 1e-12);
  EXPECT_NEAR(state.v[0], v, 1e-12);
}

// The worked example in math.hpp's own double instantiation.
struct WorkedExample {
  math::Mlp<2, 2, 2, double> net;
  double xs[2] = {0.05, 0.10};
  double ts[2] = {0.01, 0.99};
  math::Hyper<double> hp = sgd_hyper(0.5);
  WorkedExample() {
    const double p[12] = {0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55, 0.35, 0.35, 0.60, 0.60};
    for (int q = 0; q < 12; ++q) net.p[q] = p[q];
    hp.train_biases = false;
  }
  math::Outcome<double> run(std::int32_t steps) {
    math::OptState<2, 2, 2, double> state;
    state.reset();
    hp.max_steps = steps;
    return math::train_network<PreciseMath>(net, state, hp, xs, ts, 1, 1, 0, 0, math::NoCurve{});
  }
};

TEST(MathWorkedExample, ReproducesThePublishedNumbers) {
  WorkedExample one;
  const auto first =
      math::evaluate<PreciseMath>(one.net, one.xs, one.ts, 1, Activation::sigmoid, Activation::sigmoid);
  EXPECT_NEAR(first.loss, 0.298371109, 1e-9);
  one.run(1);
  EXPECT_NEAR(one.net.w2(0, 0), 0.35891648, 5e-9);  // w5
  EXPECT_NEAR(one.net.w1(0, 0), 0.14978072, 5e-9);  // w1
  EXPECT_EQ(one.net.b1(0), 0.35);                   // the example does not train biases

  WorkedExample many;
  const auto out = many.run(10000);
  EXPECT_EQ(out.status, Status::max_steps);
  EXPECT_EQ(out.steps, 10000);
  EXPECT_NEAR(out.loss / 3.5101878e-05, 1.0, 1e-6);
}

// Records (slot, loss) pairs.
struct CurveLog {
  std::vector<std::pair<int, double>>* slots;
  void operator()(std::int32_t slot, double loss, double) const { slots->push_back({slot, loss}); }
};

TEST(MathTrainLoop, StopsWhenTheTargetLossIsReached) {
  WorkedExample ex;
  ex.hp.target_loss = 1e-3;
  ex.hp.max_steps = 100000;
  math::OptState<2, 2, 2, double> state;
  state.reset();
  std::vector<std::pair<int, double>> slots;
  const auto out =
      math::train_network<PreciseMath>(ex.net, state, ex.hp, ex.xs, ex.ts, 1, 1, 0, 1, CurveLog{&slots});
  ASSERT_EQ(out.status, Status::converged);
  EXPECT_LE(out.loss, 1e-3);
  ASSERT_EQ(slots.size(), static_cast<std::size_t>(out.steps) + 1);
  EXPECT_GT(slots[slots.size() - 2].second, 1e-3) << "it must stop at the first step at or below target";
  EXPECT_EQ(slots.back().second, out.loss);

  // Replaying steps - 1 updates gives a loss above target: steps counts updates.
  WorkedExample replay;
  EXPECT_GT(replay.run(out.steps - 1).loss, 1e-3);
}

TEST(MathTrainLoop, RecordsEveryRStepsAndTheFinalSlot) {
  for (int every : {1, 3, 7}) {
    WorkedExample ex;
    ex.hp.max_steps = 21;
    math::OptState<2, 2, 2, double> state;
    state.reset();
    std::vector<std::pair<int, double>> slots;
    math::train_network<PreciseMath>(ex.net, state, ex.hp, ex.xs, ex.ts, 1, 1, 0, every, CurveLog{&slots});
    ASSERT_EQ(slots.size(), static_cast<std::size_t>(21 / every + 1)) << "every " << every;
    for (std::size_t t = 0; t < slots.size(); ++t) {
      EXPECT_EQ(slots[t].first, static_cast<int>(t));
      WorkedExample replay;
      EXPECT_DOUBLE_EQ(slots[t].second, replay.run(static_cast<std::int32_t>(t) * every).loss);
    }
  }
}

TEST(MathTrainLoop, ZeroStepsEvaluatesTheInitialNetwork) {
  WorkedExample ex;
  const auto out = ex.run(0);
  EXPECT_EQ(out.status, Status::max_steps);
  EXPECT_EQ(out.steps, 0);
  EXPECT_NEAR(out.loss, 0.298371109, 1e-9);
}

TEST(MathTrainLoop, MarksDivergenceAtTheStepItHappens) {
  // Identity layers with a huge learning rate: the parameters grow geometrically
  // until they overflow.
  math::Mlp<1, 1, 1, double> net;
  net.p[0] = 1.0;
  net.p[1] = 1.0;
  net.p[2] = 0.0;
  net.p[3] = 0.0;
  const double xs[1] = {1.0}, ts[1] = {0.5};
  auto hp = sgd_hyper(1e6);
  hp.hidden_activation = hp.output_activation = Activation::identity;
  hp.max_steps = 1000;
  math::OptState<1, 1, 1, double> state;
  state.reset();
  std::vector<std::pair<int, double>> slots;
  const auto out = math::train_network<PreciseMath>(net, state, hp, xs, ts, 1, 1, 0, 1, CurveLog{&slots});
  EXPECT_EQ(out.status, Status::diverged);
  EXPECT_GT(out.steps, 0);
  EXPECT_LT(out.steps, 1000);
  EXPECT_EQ(slots.size(), static_cast<std::size_t>(out.steps) + 1);
  for (std::size_t t = 0; t + 1 < slots.size(); ++t) EXPECT_TRUE(std::isfinite(slots[t].second));
}

TEST(MathTrainLoop, DivergenceTestIsExactlyLossOrAParameterNotFinite) {
  using Net = math::Mlp<2, 2, 2, float>;
  Net net;
  // Finite values whose sum overflows float: not diverged.
  for (int q = 0; q < Net::num_params; ++q) net.p[q] = 3e38f;
  EXPECT_TRUE(std::isfinite(math::divergence_probe(net, 3e38f)));
  math::Eval<float> e{0.5f, 0.5f};
  Status why = Status::max_steps;
  EXPECT_FALSE(math::stops_at(net, e, 0.0f, 10, 3, why));
  // One value not finite, wherever it is: diverged.
  for (const float bad : {std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::quiet_NaN()}) {
    EXPECT_FALSE(std::isfinite(math::divergence_probe(net, bad)));
    for (int q = 0; q < Net::num_params; ++q) {
      Net one = net;
      one.p[q] = bad;
      EXPECT_FALSE(std::isfinite(math::divergence_probe(one, 0.5f))) << "parameter " << q;
      EXPECT_TRUE(math::stops_at(one, e, 0.0f, 10, 3, why));
      EXPECT_EQ(why, Status::diverged);
    }
  }
}

TEST(MathTrainLoop, OnlineWithOneSampleEqualsFullBatch) {
  WorkedExample full, online;
  online.hp.mode = Mode::online;
  full.run(50);
  online.run(50);
  for (int q = 0; q < 12; ++q) EXPECT_EQ(full.net.p[q], online.net.p[q]);
}

TEST(MathTrainLoop, OnlineVisitsEverySampleOncePerEpoch) {
  // With identity layers and zero learning rate nothing moves, so the loss curve
  // is flat; instead check the sample schedule directly.
  const int samples = 7;
  for (std::uint64_t id = 0; id < 20; ++id) {
    for (std::int32_t epoch = 0; epoch < 3; ++epoch) {
      std::vector<int> seen(samples, 0);
      for (int pos = 0; pos < samples; ++pos)
        ++seen[math::online_sample(42, id, epoch * samples + pos, samples)];
      for (int s = 0; s < samples; ++s) EXPECT_EQ(seen[s], 1) << "id " << id << " epoch " << epoch;
    }
  }
}

TEST(MathTrainLoop, OnlineModeDecreasesTheLossOnSeveralSamples) {
  // 2-3-1 tanh/sigmoid on the four XOR-like points.
  std::mt19937 rng(7);
  auto pr = random_problem<2, 3, 1>(rng, 4, Activation::tanh, Activation::sigmoid);
  auto hp = sgd_hyper(0.5);
  hp.hidden_activation = Activation::tanh;
  hp.max_steps = 4000;
  hp.mode = Mode::online;
  const double before = math::evaluate<PreciseMath>(pr.net, pr.xs.data(), pr.ts.data(), 4,
                                                    hp.hidden_activation, hp.output_activation)
                            .loss;
  math::OptState<2, 3, 1, double> state;
  state.reset();
  const auto out = math::train_network<PreciseMath>(pr.net, state, hp, pr.xs.data(), pr.ts.data(), 4, 3, 5, 0,
                                                    math::NoCurve{});
  EXPECT_LT(out.loss, 0.5 * before);
}

// The fused step against loss_and_gradient + update in one number type: the
// same operations in the same order, so equal values (== also equates the
// signed zeros the two may differ in).
template <class T, int I, int H, int O>
void check_fused_sgd_step(std::mt19937& rng) {
  using Net = math::Mlp<I, H, O, T>;
  std::uniform_real_distribution<double> log_lr(std::log(0.01), std::log(5.0));
  for (Activation f : kActivations) {
    for (Activation g : kActivations) {
      for (bool train_biases : {false, true}) {
        const auto pr = random_problem<I, H, O>(rng, 1, f, g);
        Net net;
        for (int q = 0; q < Net::num_params; ++q) net.p[q] = static_cast<T>(pr.net.p[q]);
        T x[I], t[O];
        for (int i = 0; i < I; ++i) x[i] = static_cast<T>(pr.xs[i]);
        for (int k = 0; k < O; ++k) t[k] = static_cast<T>(pr.ts[k]);
        NetworkConfig c;
        c.learning_rate = std::exp(log_lr(rng));
        c.momentum = 0;
        c.max_steps = 1;
        c.hidden_activation = f;
        c.output_activation = g;
        c.train_biases = train_biases;
        const math::Hyper<T> hp = testing::hyper_of<T>(c);

        Net unfused = net, grad;
        math::OptState<I, H, O, T> state;
        state.reset();
        const auto e = math::loss_and_gradient<PreciseMath>(unfused, x, t, 1, f, g, grad);
        math::update<PreciseMath>(unfused, grad, state, hp);

        Net fused = net;
        T h[H], o[O];
        math::forward<PreciseMath>(fused, x, f, g, h, o);
        const auto fused_e = math::sample_eval(o, t, O);
        math::sgd_backward_update(fused, x, t, h, o, f, g, hp.learning_rate, train_biases);

        EXPECT_EQ(fused_e.loss, e.loss);
        EXPECT_EQ(fused_e.abs_error, e.abs_error);
        for (int q = 0; q < Net::num_params; ++q) {
          EXPECT_EQ(fused.p[q], unfused.p[q])
              << "shape " << I << "-" << H << "-" << O << " param " << q << " activations " << to_string(f)
              << "/" << to_string(g) << " train_biases " << train_biases;
        }
        if (!train_biases) {
          for (int q = Net::num_weights; q < Net::num_params; ++q) EXPECT_EQ(fused.p[q], net.p[q]);
        }
      }
    }
  }
}

TEST(MathFusedSgd, EqualsLossAndGradientThenUpdateForEveryShapeAndActivationPair) {
  std::mt19937 rng(4);
#define MANYNETS_CHECK_SHAPE(I, H, O)        \
  check_fused_sgd_step<float, I, H, O>(rng); \
  check_fused_sgd_step<double, I, H, O>(rng);
  MANYNETS_FOR_EACH_SHAPE(MANYNETS_CHECK_SHAPE)
#undef MANYNETS_CHECK_SHAPE
}

TEST(MathFusedSgd, TrainLoopChoosesItForOneSampleGradientsOnly) {
  NetworkConfig c;
  c.max_steps = 1;
  math::Hyper<float> hp = testing::hyper_of<float>(c);
  EXPECT_TRUE(math::fuses_sgd_step(hp, 1));
  EXPECT_FALSE(math::fuses_sgd_step(hp, 4));  // a mean over samples needs the whole gradient
  hp.mode = Mode::online;
  EXPECT_TRUE(math::fuses_sgd_step(hp, 4));
  EXPECT_TRUE(math::fuses_sgd_step(hp, 1));
  for (Optimizer opt : {Optimizer::momentum, Optimizer::adam}) {
    hp.optimizer = opt;
    EXPECT_FALSE(math::fuses_sgd_step(hp, 1));
    EXPECT_FALSE(math::fuses_sgd_step(hp, 4));
  }
}

// Momentum with coefficient 0 moves parameters by exactly the sgd values
// (m = 0 * m + g) but trains through loss_and_gradient + update, so a whole
// float run of train_network on the fused path must match it: every recorded
// loss, the outcome and the final parameters, in full mode and online.
TEST(MathFusedSgd, WholeRunsEqualTheUnfusedPathInFloat) {
  std::mt19937 rng(11);
  for (Mode mode : {Mode::full, Mode::online}) {
    for (int samples : {1, 4}) {
      if (mode == Mode::full && samples > 1) continue;  // not fused: nothing to compare
      const auto pr = random_problem<2, 3, 2>(rng, samples, Activation::tanh, Activation::sigmoid);
      math::Mlp<2, 3, 2, float> start;
      for (int q = 0; q < start.num_params; ++q) start.p[q] = static_cast<float>(pr.net.p[q]);
      std::vector<float> xs(pr.xs.begin(), pr.xs.end()), ts(pr.ts.begin(), pr.ts.end());
      NetworkConfig c;
      c.learning_rate = 1.5;
      c.momentum = 0;
      c.target_loss = 1e-4;
      c.max_steps = 3000;
      c.hidden_activation = Activation::tanh;
      c.mode = mode;
      math::Hyper<float> hp = testing::hyper_of<float>(c);
      auto run = [&](Optimizer opt, std::vector<std::pair<int, double>>& slots,
                     math::Mlp<2, 3, 2, float>& net) {
        net = start;
        hp.optimizer = opt;
        math::OptState<2, 3, 2, float> state;
        state.reset();
        return math::train_network<PreciseMath>(net, state, hp, xs.data(), ts.data(), samples, 9, 3, 7,
                                                CurveLog{&slots});
      };
      std::vector<std::pair<int, double>> fused_slots, unfused_slots;
      math::Mlp<2, 3, 2, float> fused, unfused;
      const auto a = run(Optimizer::sgd, fused_slots, fused);
      const auto b = run(Optimizer::momentum, unfused_slots, unfused);
      EXPECT_EQ(a.steps, b.steps) << "samples " << samples;
      EXPECT_EQ(a.status, b.status);
      EXPECT_EQ(a.loss, b.loss);
      EXPECT_EQ(a.abs_error, b.abs_error);
      EXPECT_EQ(fused_slots, unfused_slots);
      for (int q = 0; q < fused.num_params; ++q) EXPECT_EQ(fused.p[q], unfused.p[q]) << "param " << q;
      EXPECT_GT(a.steps, 10);  // it trained
    }
  }
}

}  // namespace
}  // namespace manynets

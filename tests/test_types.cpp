// Tests of manynets' vocabulary and plumbing: enum names and parsers, shapes and
// parameter names, Batch building and validation, Results sizing, the training
// input checks and the backend registry.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "manynets/backend.hpp"
#include "manynets/batch.hpp"
#include "manynets/devices.hpp"
#include "manynets/error.hpp"
#include "manynets/results.hpp"
#include "manynets/shapes.hpp"
#include "manynets/types.hpp"
#include "manynets/version.hpp"
#include "test_util.hpp"

namespace manynets {
namespace {

using testing::expect_input_error;

// ---- enum names

TEST(TypesNames, EveryEnumRoundTripsThroughItsName) {
  for (Activation a : {Activation::sigmoid, Activation::tanh, Activation::relu, Activation::identity}) {
    EXPECT_EQ(parse_activation(to_string(a)), a);
  }
  for (Optimizer o : {Optimizer::sgd, Optimizer::momentum, Optimizer::adam})
    EXPECT_EQ(parse_optimizer(to_string(o)), o);
  for (Mode m : {Mode::full, Mode::online}) EXPECT_EQ(parse_mode(to_string(m)), m);
  for (MathMode m : {MathMode::precise, MathMode::fast}) EXPECT_EQ(parse_math_mode(to_string(m)), m);
  for (Rule r : {Rule::backprop, Rule::seed_blog}) EXPECT_EQ(parse_rule(to_string(r)), r);
}

TEST(TypesNames, AreSpelledAsTheCommandLineSpellsThem) {
  EXPECT_STREQ(to_string(Activation::sigmoid), "sigmoid");
  EXPECT_STREQ(to_string(Activation::tanh), "tanh");
  EXPECT_STREQ(to_string(Activation::relu), "relu");
  EXPECT_STREQ(to_string(Activation::identity), "identity");
  EXPECT_STREQ(to_string(Optimizer::sgd), "sgd");
  EXPECT_STREQ(to_string(Optimizer::momentum), "momentum");
  EXPECT_STREQ(to_string(Optimizer::adam), "adam");
  EXPECT_STREQ(to_string(Mode::full), "full");
  EXPECT_STREQ(to_string(Mode::online), "online");
  EXPECT_STREQ(to_string(Status::max_steps), "max_steps");
  EXPECT_STREQ(to_string(Status::converged), "converged");
  EXPECT_STREQ(to_string(Status::diverged), "diverged");
  EXPECT_STREQ(to_string(MathMode::precise), "precise");
  EXPECT_STREQ(to_string(MathMode::fast), "fast");
  EXPECT_STREQ(to_string(Rule::backprop), "backprop");
  EXPECT_STREQ(to_string(Rule::seed_blog), "seed-blog");
}

TEST(TypesNames, UnknownNamesListTheChoices) {
  expect_input_error([] { parse_activation("sigm"); },
                     {"'sigm'", "activation", "sigmoid", "tanh", "relu", "identity"});
  expect_input_error([] { parse_optimizer("SGD"); }, {"'SGD'", "optimizer", "sgd", "momentum", "adam"});
  expect_input_error([] { parse_mode(""); }, {"mode", "full", "online"});
  expect_input_error([] { parse_math_mode("fastest"); }, {"'fastest'", "precise", "fast"});
  expect_input_error([] { parse_rule("seed_blog"); }, {"'seed_blog'", "backprop", "seed-blog"});
}

// ---- shapes

TEST(TypesShape, ParsesAndPrintsIHO) {
  EXPECT_EQ(to_string(Shape{2, 2, 2}), "2-2-2");
  EXPECT_EQ(to_string(Shape{4, 8, 3}), "4-8-3");
  EXPECT_EQ(parse_shape("2-3-1"), (Shape{2, 3, 1}));
  EXPECT_EQ(parse_shape("16-64-16"), (Shape{16, 64, 16}));
  EXPECT_EQ(parse_shape("1-1-1"), (Shape{1, 1, 1}));
  std::mt19937 rng(11);
  for (int k = 0; k < 200; ++k) {
    const Shape s{static_cast<int>(rng() % 16) + 1, static_cast<int>(rng() % 64) + 1,
                  static_cast<int>(rng() % 16) + 1};
    EXPECT_EQ(parse_shape(to_string(s)), s);
  }
}

TEST(TypesShape, RejectsMalformedShapesClearly) {
  for (const char* bad :
       {"2-2", "0-2-2", "a-b-c", "2-2-2-2", "-1-2-2", "99999999999999999999-2-2", "17-2-2", "2-65-2",
        "2-2-17", "2-2-0", "", "2--2", " 2-2-2", "2-2-2 ", "2.5-2-2", "+2-2-2", "2x2x2"}) {
    expect_input_error([&] { parse_shape(bad); }, {"'" + std::string(bad) + "'", "I-H-O"});
  }
}

TEST(TypesShape, ParamNamesFollowDesignOrder) {
  const std::vector<std::string> want222 = {"w1", "w2", "w3",    "w4",    "w5",    "w6",
                                            "w7", "w8", "b1[0]", "b1[1]", "b2[0]", "b2[1]"};
  ASSERT_EQ(Shape{}.num_params(), 12);
  for (int p = 0; p < 12; ++p) EXPECT_EQ(param_name(Shape{2, 2, 2}, p), want222[static_cast<std::size_t>(p)]);
  // 2-3-1: W1 is 3x2 (w1..w6), W2 1x3 (w7..w9), b1 (3), b2 (1).
  const std::vector<std::string> want231 = {"w1", "w2", "w3",    "w4",    "w5",    "w6",   "w7",
                                            "w8", "w9", "b1[0]", "b1[1]", "b1[2]", "b2[0]"};
  ASSERT_EQ((Shape{2, 3, 1}.num_params()), 13);
  for (int p = 0; p < 13; ++p) EXPECT_EQ(param_name(Shape{2, 3, 1}, p), want231[static_cast<std::size_t>(p)]);
  expect_input_error([] { param_name(Shape{2, 2, 2}, 12); }, {"12", "2-2-2"});
  expect_input_error([] { param_name(Shape{2, 2, 2}, -1); }, {"-1"});
}

TEST(TypesShape, CompiledShapesComeFromTheOneList) {
  EXPECT_EQ(compiled_shapes(), "2-2-2, 2-2-1, 2-3-1, 4-8-3");
  for (Shape s : {Shape{2, 2, 2}, Shape{2, 2, 1}, Shape{2, 3, 1}, Shape{4, 8, 3}}) {
    EXPECT_TRUE(is_compiled_shape(s));
    EXPECT_EQ(dispatch_compiled_shape(s, "test", [](auto tag) { return decltype(tag)::num_params; }),
              s.num_params());
    EXPECT_EQ(dispatch_compiled_shape(s, "test", [](auto tag) { return decltype(tag)::shape(); }), s);
  }
  EXPECT_FALSE(is_compiled_shape(Shape{3, 3, 3}));
}

TEST(TypesShape, OtherShapesWithinTheLimitsTakeTheGeneralPath) {
  const auto general = [](auto tag) { return is_general_tag<decltype(tag)>; };
  for (Shape s : {Shape{3, 3, 3}, Shape{1, 1, 1}, Shape{2, 5, 1}, Shape{16, 64, 16}})
    EXPECT_TRUE(dispatch_shape(s, general)) << to_string(s);
  EXPECT_FALSE(dispatch_shape(Shape{2, 2, 2}, general));
  EXPECT_TRUE(dispatch_shape(Shape{2, 2, 2}, general, true));  // asked for
  for (Shape s : {Shape{17, 2, 1}, Shape{2, 65, 1}, Shape{2, 2, 17}, Shape{0, 2, 1}}) {
    expect_input_error([&] { dispatch_shape(s, general); },
                       {to_string(s), "1..16 inputs, 1..64 hidden units and 1..16 outputs"});
  }
  // Backends with compiled shapes only name them.
  EXPECT_EQ(
      dispatch_compiled_shape(Shape{2, 3, 1}, "cublas", [](auto tag) { return decltype(tag)::shape(); }),
      (Shape{2, 3, 1}));
  expect_input_error(
      [] {
        require_compiled_shape(Shape{3, 3, 3}, "cublas");
      },
      {"cublas", "3-3-3", "2-2-2, 2-2-1, 2-3-1, 4-8-3"});
}

// ---- Batch

TEST(TypesBatch, ConstructorSizesEveryArrayWithDefaults) {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{37}}) {
    const Batch b(Shape{2, 3, 1}, n);
    EXPECT_EQ(b.size(), n);
    EXPECT_EQ(b.num_params(), 13);
    for_each_hyperparameter(
        [&](const char* name, auto, auto column) { EXPECT_EQ((b.*column).size(), n) << name; });
    ASSERT_EQ(b.init_params.size(), 13 * n);
    for (double v : b.init_params) EXPECT_EQ(v, 0.0);
    const NetworkConfig d;
    for (std::size_t i = 0; i < n; ++i) {
      const NetworkConfig c = b.config(i);
      for_each_hyperparameter(
          [&](const char* name, auto field, auto) { EXPECT_EQ(c.*field, d.*field) << name; });
    }
    EXPECT_EQ(b.longest_run(), n ? d.max_steps : 0);
    EXPECT_NO_THROW(b.validate());
  }
}

NetworkConfig random_config(std::mt19937& rng) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  NetworkConfig c;
  c.learning_rate = 5 * unit(rng);
  c.optimizer = static_cast<Optimizer>(rng() % 3);
  c.momentum = 0.99 * unit(rng);
  c.adam_beta1 = 0.99 * unit(rng);
  c.adam_beta2 = 0.999 * unit(rng);
  c.adam_epsilon = 1e-9 + unit(rng);
  c.hidden_activation = static_cast<Activation>(rng() % 4);
  c.output_activation = static_cast<Activation>(rng() % 4);
  c.max_steps = static_cast<std::int32_t>(rng() % 100000);
  c.target_loss = unit(rng);
  c.train_biases = rng() % 2 == 0;
  c.mode = static_cast<Mode>(rng() % 2);
  c.weight_decay = unit(rng);
  return c;
}

TEST(TypesBatch, SetConfigAndParamsRoundTripPerNetwork) {
  std::mt19937 rng(5);
  const std::size_t n = 37;
  Batch b(Shape{2, 2, 2}, n);
  std::vector<NetworkConfig> configs;
  std::int32_t longest = 0;
  for (std::size_t i = 0; i < n; ++i) {
    configs.push_back(random_config(rng));
    longest = std::max(longest, configs.back().max_steps);
    b.set_config(i, configs.back());
    double values[12];
    for (int p = 0; p < 12; ++p) values[p] = static_cast<double>(rng()) / 1e9 - 2.0;
    b.set_params(i, values);
    for (int p = 0; p < 12; ++p) EXPECT_EQ(b.init_params[static_cast<std::size_t>(p) * n + i], values[p]);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const NetworkConfig c = b.config(i);
    for_each_hyperparameter([&](const char* name, auto field, auto) {
      EXPECT_EQ(c.*field, configs[i].*field) << name << " " << i;
    });
  }
  EXPECT_EQ(b.longest_run(), longest);
  EXPECT_NO_THROW(b.validate());
  b.set_config_all(configs[3]);
  for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(b.learning_rate[i], configs[3].learning_rate);
  expect_input_error([&] { b.set_config(n, configs[0]); }, {"37"});
}

TEST(TypesBatch, ValidateAcceptsBoundaryValues) {
  Batch b(Shape{2, 2, 2}, 3);
  b.learning_rate[0] = 0.0;
  b.momentum[0] = 0.0;
  b.adam_beta1[1] = 0.0;
  b.adam_beta2[1] = 0.0;
  b.max_steps[0] = 0;
  b.max_steps[2] = max_allowed_steps;
  b.target_loss[1] = std::numeric_limits<double>::infinity();  // stops at once: allowed
  EXPECT_NO_THROW(b.validate());
}

// Each bad value, put into a random network of a 37-network batch, is caught with a
// message naming that network and the value.
TEST(TypesBatch, ValidateNamesTheBadNetworkAndValue) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  struct Case {
    const char* what;
    std::function<void(Batch&, std::size_t)> spoil;
    std::vector<std::string> parts;
  };
  const std::vector<Case> cases = {
      {"negative lr", [](Batch& b, std::size_t i) { b.learning_rate[i] = -0.5; }, {"learning rate", "-0.5"}},
      {"nan lr", [&](Batch& b, std::size_t i) { b.learning_rate[i] = nan; }, {"learning rate", "nan"}},
      {"inf lr", [&](Batch& b, std::size_t i) { b.learning_rate[i] = inf; }, {"learning rate", "inf"}},
      {"momentum 1", [](Batch& b, std::size_t i) { b.momentum[i] = 1.0; }, {"momentum", "1", "[0, 1)"}},
      {"momentum < 0", [](Batch& b, std::size_t i) { b.momentum[i] = -0.25; }, {"momentum", "-0.25"}},
      {"beta1", [](Batch& b, std::size_t i) { b.adam_beta1[i] = 1.5; }, {"beta1", "1.5"}},
      {"beta2", [](Batch& b, std::size_t i) { b.adam_beta2[i] = 1.0; }, {"beta2", "1"}},
      {"beta2 nan", [&](Batch& b, std::size_t i) { b.adam_beta2[i] = nan; }, {"beta2", "nan"}},
      {"epsilon 0", [](Batch& b, std::size_t i) { b.adam_epsilon[i] = 0.0; }, {"epsilon", "0"}},
      {"epsilon inf", [&](Batch& b, std::size_t i) { b.adam_epsilon[i] = inf; }, {"epsilon", "inf"}},
      {"steps < 0", [](Batch& b, std::size_t i) { b.max_steps[i] = -3; }, {"max steps", "-3"}},
      {"steps huge", [](Batch& b, std::size_t i) { b.max_steps[i] = max_allowed_steps + 1; }, {"1000000001"}},
      {"target < 0", [](Batch& b, std::size_t i) { b.target_loss[i] = -1e-3; }, {"target loss", "-0.001"}},
      {"target nan", [&](Batch& b, std::size_t i) { b.target_loss[i] = nan; }, {"target loss", "nan"}},
      {"decay < 0", [](Batch& b, std::size_t i) { b.weight_decay[i] = -1e-4; }, {"weight decay", "-1e-04"}},
      {"decay nan", [&](Batch& b, std::size_t i) { b.weight_decay[i] = nan; }, {"weight decay", "nan"}},
      {"decay inf", [&](Batch& b, std::size_t i) { b.weight_decay[i] = inf; }, {"weight decay", "inf"}},
      {"param nan", [&](Batch& b, std::size_t i) { b.param(i, 9) = nan; }, {"b1[1]", "nan", "finite"}},
      {"param inf", [&](Batch& b, std::size_t i) { b.param(i, 4) = -inf; }, {"w5", "-inf"}},
  };
  std::mt19937 rng(17);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Batch b(Shape{2, 2, 2}, 37);
    for (double& v : b.init_params) v = std::uniform_real_distribution<double>(-1, 1)(rng);
    ASSERT_NO_THROW(b.validate());
    const std::size_t i = rng() % 37;
    c.spoil(b, i);
    std::vector<std::string> parts = c.parts;
    parts.push_back("network " + std::to_string(i) + ":");
    expect_input_error([&] { b.validate(); }, parts);
  }
}

TEST(TypesBatch, ValidateReportsTheFirstBadNetworkAndChunkIds) {
  Batch b(Shape{2, 2, 1}, 10);
  b.learning_rate[7] = -1;
  b.learning_rate[4] = -2;
  expect_input_error([&] { b.validate(); }, {"network 4:", "-2"});
  b.first_id = 1000;
  expect_input_error([&] { b.validate(); }, {"network 4 (id 1004)"});
}

TEST(TypesBatch, ValidateRejectsBadCurvesAndMismatchedArrays) {
  Batch b(Shape{2, 2, 2}, 5);
  b.curve_every = -1;
  expect_input_error([&] { b.validate(); }, {"-1", "interval"});
  // 2000 networks x 1e9 steps recorded every step: far over 8 GiB.
  Batch big(Shape{2, 2, 2}, 2000);
  NetworkConfig c;
  c.max_steps = max_allowed_steps;
  big.set_config_all(c);
  big.curve_every = 1;
  expect_input_error([&] { big.validate(); }, {"8 GiB", "record every"});
  big.curve_every = 10000000;  // 101 points: fine
  EXPECT_NO_THROW(big.validate());
  b.curve_every = 0;
  b.learning_rate.pop_back();
  expect_input_error([&] { b.validate(); }, {"learning_rate", "4", "5"});
}

// ---- Results

TEST(TypesResults, AllocateSizesEverythingAndFillsCurvesWithNaN) {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{33}}) {
    Results r;
    r.allocate(Shape{2, 3, 1}, n, 7, 50);
    EXPECT_EQ(r.shape, (Shape{2, 3, 1}));
    EXPECT_EQ(r.n, n);
    EXPECT_EQ(r.params.size(), 13 * n);
    EXPECT_EQ(r.loss.size(), n);
    EXPECT_EQ(r.abs_error.size(), n);
    EXPECT_EQ(r.steps.size(), n);
    EXPECT_EQ(r.status.size(), n);
    EXPECT_EQ(r.curve_every, 7);
    EXPECT_EQ(r.curve_points, 8u);  // steps 0, 7, ..., 49
    EXPECT_EQ(r.curve_points, curve_points_for(7, 50));
    ASSERT_EQ(r.curve_loss.size(), 8 * n);
    ASSERT_EQ(r.curve_abs_error.size(), 8 * n);
    for (float v : r.curve_loss) EXPECT_TRUE(std::isnan(v));
    for (float v : r.curve_abs_error) EXPECT_TRUE(std::isnan(v));
  }
  Results r;
  r.allocate(Shape{2, 2, 2}, 4, 0, 5000);
  EXPECT_EQ(r.curve_points, 0u);
  EXPECT_TRUE(r.curve_loss.empty());
  EXPECT_EQ(curve_points_for(1, 5000), 5001u);
  EXPECT_EQ(curve_points_for(5000, 5000), 2u);
}

// Arrays of several MB take the path that asks the kernel for huge pages first;
// a Results reused for a smaller and then a larger batch must hold fresh values.
TEST(TypesResults, AllocateFillsLargeArraysAndRefillsAReusedResults) {
  Results r;
  for (std::size_t n : {std::size_t{400000}, std::size_t{1000}, std::size_t{500000}}) {
    r.allocate(Shape{2, 3, 1}, n, 100, 150);  // 2 curve points
    ASSERT_EQ(r.params.size(), 13 * n);
    ASSERT_EQ(r.loss.size(), n);
    ASSERT_EQ(r.curve_loss.size(), 2 * n);
    EXPECT_EQ(std::count(r.params.begin(), r.params.end(), 0.0), static_cast<std::ptrdiff_t>(13 * n));
    EXPECT_EQ(std::count(r.loss.begin(), r.loss.end(), 0.0), static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(std::count(r.abs_error.begin(), r.abs_error.end(), 0.0), static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(std::count(r.steps.begin(), r.steps.end(), 0), static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(std::count(r.status.begin(), r.status.end(), Status::max_steps),
              static_cast<std::ptrdiff_t>(n));
    EXPECT_TRUE(std::all_of(r.curve_loss.begin(), r.curve_loss.end(), [](float v) { return std::isnan(v); }));
    EXPECT_TRUE(std::all_of(r.curve_abs_error.begin(), r.curve_abs_error.end(),
                            [](float v) { return std::isnan(v); }));
    // Leave values behind for the next allocation to overwrite.
    std::fill(r.params.begin(), r.params.end(), 7.0);
    std::fill(r.loss.begin(), r.loss.end(), 7.0);
    std::fill(r.abs_error.begin(), r.abs_error.end(), 7.0);
    std::fill(r.steps.begin(), r.steps.end(), 7);
    std::fill(r.status.begin(), r.status.end(), Status::converged);
    std::fill(r.curve_loss.begin(), r.curve_loss.end(), 7.0f);
    std::fill(r.curve_abs_error.begin(), r.curve_abs_error.end(), 7.0f);
  }
}

// ---- training input checks and backends

Dataset small_dataset(int inputs, int outputs, std::size_t samples) {
  Dataset d;
  d.name = "tiny";
  d.inputs = inputs;
  d.outputs = outputs;
  for (std::size_t s = 0; s < samples; ++s) {
    for (int i = 0; i < inputs; ++i) d.x.push_back(0.1 * static_cast<double>(s + i));
    for (int k = 0; k < outputs; ++k) d.t.push_back(0.5);
  }
  return d;
}

TEST(TypesBackend, CheckTrainingInputCatchesMismatches) {
  const Batch b(Shape{2, 2, 2}, 3);
  EXPECT_NO_THROW(check_training_input(b, small_dataset(2, 2, 4)));
  expect_input_error([&] { check_training_input(b, small_dataset(3, 2, 4)); }, {"tiny", "3 inputs", "2-2-2"});
  expect_input_error([&] { check_training_input(b, small_dataset(2, 1, 4)); }, {"1 outputs", "2-2-2"});
  expect_input_error([&] { check_training_input(b, small_dataset(2, 2, 0)); }, {"no samples"});
  Dataset d = small_dataset(2, 2, 4);
  d.x[5] = std::numeric_limits<double>::quiet_NaN();
  expect_input_error([&] { check_training_input(b, d); }, {"sample 3", "x2", "finite"});
  d = small_dataset(2, 2, 4);
  d.t[0] = std::numeric_limits<double>::infinity();
  expect_input_error([&] { check_training_input(b, d); }, {"sample 1", "t1"});
  d = small_dataset(2, 2, 4);
  d.t.pop_back();
  expect_input_error([&] { check_training_input(b, d); }, {"target values"});
  Batch bad(Shape{2, 2, 2}, 3);
  bad.momentum[2] = 2;
  expect_input_error([&] { check_training_input(bad, small_dataset(2, 2, 1)); }, {"network 2", "momentum"});
}

TEST(TypesBackend, UnknownBackendListsTheAvailableOnes) {
  const std::vector<std::string> names = available_backends();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.back(), "reference");
  std::vector<std::string> parts = {"'nope'", "auto"};
  parts.insert(parts.end(), names.begin(), names.end());
  expect_input_error([] { make_backend("nope"); }, parts);
}

TEST(TypesBackend, MakeBackendBuildsTheNamedOne) {
  EXPECT_EQ(make_backend("reference")->name(), "reference");
  EXPECT_EQ(make_backend("auto")->name(), resolve_auto_backend());  // cuda only with a device
}

// ---- version and devices

TEST(TypesVersion, VersionIsMajorMinorPatch) {
  const std::string v = version();
  int dots = 0;
  for (char c : v) {
    EXPECT_TRUE(c == '.' || (c >= '0' && c <= '9')) << v;
    dots += c == '.';
  }
  EXPECT_EQ(dots, 2) << v;
}

TEST(TypesVersion, CudaDevicesExplainAnEmptyList) {
  std::string why;
  const std::vector<CudaDevice> devices = cuda_devices(&why);
  if (!cuda_compiled()) {
    EXPECT_TRUE(devices.empty());
    EXPECT_EQ(why, "built without CUDA");
  } else if (devices.empty()) {
    EXPECT_FALSE(why.empty());
  } else {
    for (const CudaDevice& d : devices) {
      EXPECT_FALSE(d.name.empty());
      EXPECT_GT(d.compute_capability_major, 0);
      EXPECT_GT(d.memory_bytes, 0u);
    }
  }
  EXPECT_NO_THROW(cuda_devices(nullptr));
}

}  // namespace
}  // namespace manynets

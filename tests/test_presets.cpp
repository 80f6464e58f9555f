// Tests of the built-in presets (the worked example's exact numbers, the gate truth
// tables, the generated two-class datasets) and of initialisation: parsing,
// determinism by network id across batch sizes and chunks, and the distributions
// of uniform, normal and xavier draws.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "manynets/backend.hpp"
#include "manynets/error.hpp"
#include "manynets/init.hpp"
#include "manynets/presets.hpp"
#include "manynets/reference.hpp"

namespace manynets {
namespace {

std::string input_error_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_input);
    return e.what();
  }
  ADD_FAILURE() << "no Error thrown";
  return "";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// ---- presets

TEST(Presets, NamesAreSeedAndTheGates) {
  EXPECT_EQ(preset_names(), (std::vector<std::string>{"seed", "xor", "and", "or", "moons", "circles"}));
  for (const std::string& name : preset_names()) EXPECT_EQ(make_preset(name).name, name);
}

TEST(Presets, SeedIsTheWorkedExampleExactly) {
  const Preset p = make_preset("seed");
  EXPECT_EQ(p.shape, (Shape{2, 2, 2}));
  EXPECT_EQ(p.data.name, "seed");
  EXPECT_EQ(p.data.inputs, 2);
  EXPECT_EQ(p.data.outputs, 2);
  ASSERT_EQ(p.data.samples(), 1u);
  EXPECT_EQ(p.data.x, (std::vector<double>{0.05, 0.10}));
  EXPECT_EQ(p.data.t, (std::vector<double>{0.01, 0.99}));
  EXPECT_EQ(p.config.learning_rate, 0.5);
  EXPECT_EQ(p.config.optimizer, Optimizer::sgd);
  EXPECT_EQ(p.config.hidden_activation, Activation::sigmoid);
  EXPECT_EQ(p.config.output_activation, Activation::sigmoid);
  EXPECT_EQ(p.config.max_steps, 5000);
  EXPECT_EQ(p.config.target_loss, 0.0);
  EXPECT_FALSE(p.config.train_biases);
  EXPECT_EQ(p.config.mode, Mode::full);
  EXPECT_EQ(p.init.kind, InitSpec::Kind::seed);
  const Shape s{2, 2, 2};
  EXPECT_EQ(make_preset("seed", &s).shape, s);
  const Shape other{2, 2, 1};
  EXPECT_TRUE(contains(input_error_message([&] { make_preset("seed", &other); }), "2-2-2"));
}

TEST(Presets, GateTruthTablesInBothVariants) {
  struct Gate {
    const char* name;
    int out[4];  // for (0,0) (0,1) (1,0) (1,1)
  };
  const Gate gates[] = {{"xor", {0, 1, 1, 0}}, {"and", {0, 0, 0, 1}}, {"or", {0, 1, 1, 1}}};
  const Shape one{2, 2, 1}, two{2, 2, 2};
  for (const Gate& g : gates) {
    SCOPED_TRACE(g.name);
    for (const Shape* shape : {static_cast<const Shape*>(nullptr), &one, &two}) {
      const Preset p = make_preset(g.name, shape);
      const int outputs = shape ? shape->outputs : 1;  // 2-2-1 by default
      EXPECT_EQ(p.shape, (Shape{2, 2, outputs}));
      EXPECT_EQ(p.data.name, g.name);
      ASSERT_EQ(p.data.inputs, 2);
      ASSERT_EQ(p.data.outputs, outputs);
      ASSERT_EQ(p.data.samples(), 4u);
      ASSERT_EQ(p.data.t.size(), 4u * static_cast<std::size_t>(outputs));
      int seen[4] = {0, 0, 0, 0};
      for (std::size_t s = 0; s < 4; ++s) {
        const double a = p.data.input(s, 0), b = p.data.input(s, 1);
        ASSERT_TRUE((a == 0 || a == 1) && (b == 0 || b == 1));
        const int row = static_cast<int>(2 * a + b);
        ++seen[row];
        if (outputs == 1) {
          EXPECT_EQ(p.data.target(s, 0), g.out[row]);
        } else {  // one-hot: output 0 -> (1, 0), output 1 -> (0, 1)
          EXPECT_EQ(p.data.target(s, 0), g.out[row] ? 0.0 : 1.0);
          EXPECT_EQ(p.data.target(s, 1), g.out[row] ? 1.0 : 0.0);
        }
      }
      for (int r = 0; r < 4; ++r) EXPECT_EQ(seen[r], 1);
      EXPECT_EQ(p.config.learning_rate, 2.0);
      EXPECT_EQ(p.config.max_steps, 10000);
      EXPECT_EQ(p.config.target_loss, 1e-3);
      EXPECT_TRUE(p.config.train_biases);
      EXPECT_EQ(p.init.kind, InitSpec::Kind::uniform);
      EXPECT_EQ(p.init.scale, 1.0);
    }
    // Any hidden width: the same truth table for 2-5-1 and 2-5-2.
    for (const Shape wide : {Shape{2, 5, 1}, Shape{2, 5, 2}}) {
      const Preset p = make_preset(g.name, &wide);
      EXPECT_EQ(p.shape, wide);
      EXPECT_EQ(p.data.outputs, wide.outputs);
      EXPECT_EQ(p.data.samples(), 4u);
    }
    const Shape bad{3, 2, 1};
    const std::string msg = input_error_message([&] { make_preset(g.name, &bad); });
    EXPECT_TRUE(contains(msg, "3-2-1") && contains(msg, "2 inputs") && contains(msg, "2-2-2")) << msg;
  }
}

TEST(Presets, UnknownNameListsThePresets) {
  const std::string msg = input_error_message([] { make_preset("nand"); });
  for (const std::string& name : preset_names()) EXPECT_TRUE(contains(msg, name)) << msg;
  EXPECT_TRUE(contains(msg, "'nand'")) << msg;
}

// The gate presets' defaults make xor learn in most initialisations (see presets.cpp).
TEST(Presets, XorDefaultsConvergeInMostRuns) {
  const Preset p = make_preset("xor");
  const std::size_t n = 150;
  Batch batch(p.shape, n);
  batch.set_config_all(p.config);
  batch.seed = 2024;
  initialize(batch, p.init);
  const Results r = make_backend("reference")->train(batch, p.data);
  std::size_t converged = 0;
  for (std::size_t i = 0; i < n; ++i) converged += r.status[i] == Status::converged;
  EXPECT_GE(converged, n * 6 / 10) << converged << " of " << n << " converged";
}

// ---- generated two-class datasets

// Same name, size and seed: the same bits; another seed: other points; a larger
// dataset starts with the smaller one.
TEST(TwoClassDatasets, AreSeededAndDeterministic) {
  for (const char* name : {"moons", "circles"}) {
    SCOPED_TRACE(name);
    const Dataset a = make_two_class_dataset(name, 301, 1, 7);
    const Dataset b = make_two_class_dataset(name, 301, 1, 7);
    EXPECT_EQ(a.x, b.x);
    EXPECT_EQ(a.t, b.t);
    const Dataset other = make_two_class_dataset(name, 301, 1, 8);
    std::size_t same = 0;
    for (std::size_t k = 0; k < a.x.size(); ++k) same += a.x[k] == other.x[k];
    EXPECT_EQ(same, 0u) << "seed 8 repeats points of seed 7";
    const Dataset larger = make_two_class_dataset(name, 1000, 1, 7);
    EXPECT_TRUE(std::equal(a.x.begin(), a.x.end(), larger.x.begin()));
    EXPECT_EQ(make_preset(name).data.x, make_preset(name).data.x);
    EXPECT_EQ(make_preset(name).data.x, make_two_class_dataset(name, two_class_preset_samples, 1).x);
  }
}

// Targets are exactly the classes, alternating and balanced; one-hot with two
// outputs; the points sit where each class's curve puts them, up to the noise
// (no point further than 6 standard deviations from its curve).
TEST(TwoClassDatasets, HoldTwoBalancedClassesOnTheirCurves) {
  for (const char* name : {"moons", "circles"}) {
    SCOPED_TRACE(name);
    const bool moons = std::string(name) == "moons";
    const double noise = moons ? 0.1 : 0.05;
    const std::size_t n = 2001;  // odd: class 0 has one more point
    const Dataset d1 = make_two_class_dataset(name, n, 1);
    const Dataset d2 = make_two_class_dataset(name, n, 2);
    ASSERT_EQ(d1.samples(), n);
    ASSERT_EQ(d2.samples(), n);
    EXPECT_EQ(d1.inputs, 2);
    EXPECT_EQ(d1.outputs, 1);
    EXPECT_EQ(d2.outputs, 2);
    EXPECT_EQ(d1.x, d2.x);
    double mean_x = 0, mean_y = 0;
    std::size_t ones = 0;
    for (std::size_t s = 0; s < n; ++s) {
      const int label = static_cast<int>(s % 2);
      EXPECT_EQ(d1.target(s, 0), label);
      EXPECT_EQ(d2.target(s, 0), label == 0 ? 1.0 : 0.0);
      EXPECT_EQ(d2.target(s, 1), label == 0 ? 0.0 : 1.0);
      ones += d1.target(s, 0) == 1.0;
      const double x = d1.input(s, 0), y = d1.input(s, 1);
      mean_x += x / n;
      mean_y += y / n;
      double off_curve = 0;  // distance from the class's curve
      if (moons) {
        // Undo the centring: class 0 on the upper unit half circle around (0, 0),
        // class 1 on the lower one around (1, 0.5).
        const double cx = label == 0 ? 0.0 : 1.0, cy = label == 0 ? 0.0 : 0.5;
        const double px = x + 0.5 - cx, py = y + 0.25 - cy;
        off_curve = std::abs(std::hypot(px, py) - 1.0);
        if ((label == 0 && py < 0) || (label == 1 && py > 0)) off_curve = std::max(off_curve, std::abs(py));
      } else {
        off_curve = std::abs(std::hypot(x, y) - (label == 0 ? 1.0 : 0.5));
      }
      EXPECT_LE(off_curve, 6 * noise * std::sqrt(2.0)) << "sample " << s;
    }
    EXPECT_EQ(ones, n / 2);
    // Both datasets are centred on the origin: the mean of 2001 points is within
    // about 3 standard errors (0.02 each) of it.
    EXPECT_NEAR(mean_x, 0.0, 0.06);
    EXPECT_NEAR(mean_y, 0.0, 0.06);
  }
}

TEST(TwoClassDatasets, BadArgumentsAreInputErrors) {
  EXPECT_TRUE(contains(input_error_message([] { make_two_class_dataset("spirals", 10, 1); }), "moons"));
  EXPECT_TRUE(contains(input_error_message([] { make_two_class_dataset("moons", 0, 1); }), "got 0"));
  EXPECT_TRUE(contains(input_error_message([] { make_two_class_dataset("moons", 100001, 1); }), "100000"));
  EXPECT_TRUE(contains(input_error_message([] { make_two_class_dataset("circles", 10, 3); }), "got 3"));
}

TEST(Presets, MoonsAndCirclesAreTwoClassPresetsInEveryTwoInputShape) {
  for (const char* name : {"moons", "circles"}) {
    SCOPED_TRACE(name);
    const Preset p = make_preset(name);
    EXPECT_EQ(p.name, name);
    EXPECT_EQ(p.shape, (Shape{2, 3, 1}));
    EXPECT_EQ(p.data.samples(), two_class_preset_samples);
    EXPECT_EQ(p.config.mode, Mode::full);
    for (const Shape shape : {Shape{2, 2, 1}, Shape{2, 2, 2}, Shape{2, 3, 1}}) {
      const Preset q = make_preset(name, &shape);
      EXPECT_EQ(q.shape, shape);
      EXPECT_EQ(q.data.outputs, shape.outputs);
    }
    const Shape bad{4, 8, 3};
    const std::string msg = input_error_message([&] { make_preset(name, &bad); });
    EXPECT_TRUE(contains(msg, "4-8-3") && contains(msg, "2 inputs")) << msg;
  }
}

// The two-class presets' defaults learn their dataset in most initialisations
// (see presets.cpp): a run stops at the target loss, and the trained network
// puts at least 90 % of the points on their class's side of 0.5 (3 tanh units
// separate the noisy moons to about 94 %).
TEST(Presets, MoonsAndCirclesDefaultsConvergeInMostRuns) {
  for (const char* name : {"moons", "circles"}) {
    SCOPED_TRACE(name);
    const Preset p = make_preset(name);
    const std::size_t n = 30;
    Batch batch(p.shape, n);
    batch.set_config_all(p.config);
    batch.seed = 2024;
    initialize(batch, p.init);
    const Results r = make_backend("reference")->train(batch, p.data);
    std::size_t converged = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (r.status[i] != Status::converged) continue;
      ++converged;
      std::vector<double> params(static_cast<std::size_t>(batch.num_params()));
      for (int q = 0; q < batch.num_params(); ++q) params[static_cast<std::size_t>(q)] = r.param(i, q);
      const std::vector<double> out = reference::outputs(p.shape, params.data(), p.config.hidden_activation,
                                                         p.config.output_activation, p.data);
      std::size_t right = 0;
      for (std::size_t s = 0; s < p.data.samples(); ++s)
        right += (out[s] > 0.5) == (p.data.target(s, 0) == 1.0);
      EXPECT_GE(right, p.data.samples() * 90 / 100) << "network " << i;
    }
    EXPECT_GE(converged, n * 3 / 4) << converged << " of " << n << " converged";
  }
}

// ---- init specs

TEST(Init, ParsesAndPrintsSpecs) {
  EXPECT_EQ(parse_init("seed").kind, InitSpec::Kind::seed);
  EXPECT_EQ(parse_init("xavier").kind, InitSpec::Kind::xavier);
  const InitSpec u = parse_init("uniform:0.25");
  EXPECT_EQ(u.kind, InitSpec::Kind::uniform);
  EXPECT_EQ(u.scale, 0.25);
  const InitSpec g = parse_init("normal:1e-2");
  EXPECT_EQ(g.kind, InitSpec::Kind::normal);
  EXPECT_EQ(g.scale, 0.01);
  for (const char* text : {"seed", "xavier", "uniform:1", "uniform:0.25", "normal:0.1", "normal:3"}) {
    EXPECT_EQ(to_string(parse_init(text)), text);
  }
  EXPECT_EQ(to_string(InitSpec{InitSpec::Kind::uniform, 0.1}), "uniform:0.1");
}

TEST(Init, RejectsBadSpecsWithTheChoices) {
  for (const char* bad : {"", "gauss", "uniform", "uniform:", "uniform:0", "uniform:-1", "uniform:inf",
                          "uniform:nan", "uniform:1x", "normal:0", "normal:abc", "xavier:2", "Seed"}) {
    SCOPED_TRACE(bad);
    const std::string msg = input_error_message([&] { parse_init(bad); });
    EXPECT_TRUE(contains(msg, "'" + std::string(bad))) << msg;
    EXPECT_TRUE(contains(msg, "uniform:A") && contains(msg, "xavier")) << msg;
  }
}

// ---- initialize

TEST(Init, SeedPutsTheWorkedExampleInEveryNetwork) {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{5}}) {
    Batch b(Shape{2, 2, 2}, n);
    initialize(b, parse_init("seed"));
    const double want[12] = {0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55, 0.35, 0.35, 0.60, 0.60};
    for (std::size_t i = 0; i < n; ++i) {
      for (int p = 0; p < 12; ++p) EXPECT_EQ(b.param(i, p), want[p]);
    }
  }
  Batch other(Shape{2, 3, 1}, 2);
  const std::string msg = input_error_message([&] { initialize(other, parse_init("seed")); });
  EXPECT_TRUE(contains(msg, "2-3-1")) << msg;
}

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// Network id k gets the same bits whether it is alone, in a batch of 1000, or in a
// chunk that starts at another id.
TEST(Init, ParamsDependOnlyOnSeedAndNetworkId) {
  for (const char* spec_text : {"uniform:0.7", "normal:0.3", "xavier"}) {
    SCOPED_TRACE(spec_text);
    const InitSpec spec = parse_init(spec_text);
    for (Shape s : {Shape{2, 2, 2}, Shape{4, 8, 3}}) {
      Batch big(s, 1000);
      big.seed = 99;
      initialize(big, spec);
      std::mt19937 rng(3);
      for (int trial = 0; trial < 20; ++trial) {
        const std::size_t k = rng() % 1000;
        Batch alone(s, 1);
        alone.seed = 99;
        alone.first_id = k;
        initialize(alone, spec);
        const std::size_t offset = rng() % (k + 1);  // a chunk starting at id offset that holds id k
        Batch chunk(s, k - offset + 1 + rng() % 50);
        chunk.seed = 99;
        chunk.first_id = offset;
        initialize(chunk, spec);
        for (int p = 0; p < s.num_params(); ++p) {
          ASSERT_TRUE(same_bits(alone.param(0, p), big.param(k, p))) << "id " << k << " param " << p;
          ASSERT_TRUE(same_bits(chunk.param(k - offset, p), big.param(k, p))) << "id " << k << " param " << p;
        }
      }
      Batch again(s, 1000);
      again.seed = 99;
      initialize(again, spec);
      for (std::size_t j = 0; j < big.init_params.size(); ++j) {
        ASSERT_TRUE(same_bits(again.init_params[j], big.init_params[j]));
      }
    }
  }
}

TEST(Init, DifferentSeedsAndIdsGiveDifferentParams) {
  Batch a(Shape{2, 2, 2}, 200), b(Shape{2, 2, 2}, 200);
  a.seed = 1;
  b.seed = 2;
  initialize(a, parse_init("uniform:1"));
  initialize(b, parse_init("uniform:1"));
  std::size_t equal = 0;
  for (std::size_t j = 0; j < a.init_params.size(); ++j) equal += a.init_params[j] == b.init_params[j];
  EXPECT_EQ(equal, 0u);
  // Networks and parameters within one batch differ too (no repeated stream).
  for (std::size_t i = 1; i < 200; ++i) EXPECT_NE(a.param(i, 0), a.param(i - 1, 0));
  for (int p = 1; p < 12; ++p) EXPECT_NE(a.param(7, p), a.param(7, p - 1));
}

TEST(Init, UniformStaysInsideTheOpenIntervalWithMeanZero) {
  for (double half_width : {1.0, 0.05, 3.5}) {
    Batch b(Shape{4, 8, 3}, 2001);  // 83 params x 2001 networks
    b.seed = 7;
    initialize(b, InitSpec{InitSpec::Kind::uniform, half_width});
    double sum = 0, sum_sq = 0, lowest = 0, highest = 0;
    for (double v : b.init_params) {
      ASSERT_GT(v, -half_width);
      ASSERT_LT(v, half_width);
      sum += v;
      sum_sq += v * v;
      lowest = std::min(lowest, v);
      highest = std::max(highest, v);
    }
    const double count = static_cast<double>(b.init_params.size());
    // Mean 0 and variance A^2/3; 166k draws put the mean's standard error near 0.0014 A.
    EXPECT_NEAR(sum / count, 0.0, 0.01 * half_width);
    EXPECT_NEAR(sum_sq / count, half_width * half_width / 3, 0.01 * half_width * half_width);
    EXPECT_LT(lowest, -0.99 * half_width);  // the draws fill the interval
    EXPECT_GT(highest, 0.99 * half_width);
  }
}

TEST(Init, NormalHasTheRequestedStandardDeviation) {
  const double sd = 0.4;
  Batch b(Shape{4, 8, 3}, 3001);
  b.seed = 12;
  initialize(b, InitSpec{InitSpec::Kind::normal, sd});
  double sum = 0, sum_sq = 0, sum_4 = 0;
  std::size_t beyond_2sd = 0;
  for (double v : b.init_params) {
    ASSERT_TRUE(std::isfinite(v));
    sum += v;
    sum_sq += v * v;
    sum_4 += v * v * v * v;
    beyond_2sd += std::fabs(v) > 2 * sd;
  }
  const double count = static_cast<double>(b.init_params.size());
  EXPECT_NEAR(sum / count, 0.0, 0.01 * sd);
  EXPECT_NEAR(std::sqrt(sum_sq / count), sd, 0.01 * sd);
  EXPECT_NEAR(sum_4 / count / (sd * sd * sd * sd), 3.0, 0.1);           // normal kurtosis, not uniform's 1.8
  EXPECT_NEAR(static_cast<double>(beyond_2sd) / count, 0.0455, 0.003);  // two-sided 2-sigma tail
}

TEST(Init, XavierBoundsEachLayerAndZeroesBiases) {
  for (Shape s : {Shape{2, 2, 2}, Shape{2, 3, 1}, Shape{4, 8, 3}}) {
    SCOPED_TRACE(to_string(s));
    const std::size_t n = 1500;
    Batch b(s, n);
    b.seed = 5;
    initialize(b, parse_init("xavier"));
    const int w1 = s.hidden * s.inputs, w2 = s.outputs * s.hidden;
    const double bound1 = std::sqrt(6.0 / (s.inputs + s.hidden));
    const double bound2 = std::sqrt(6.0 / (s.hidden + s.outputs));
    double max1 = 0, max2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
      for (int p = 0; p < w1 + w2; ++p) {
        const double bound = p < w1 ? bound1 : bound2;
        const double v = std::fabs(b.param(i, p));
        ASSERT_LT(v, bound) << "param " << p;
        (p < w1 ? max1 : max2) = std::max(p < w1 ? max1 : max2, v);
      }
      for (int p = w1 + w2; p < s.num_params(); ++p) ASSERT_EQ(b.param(i, p), 0.0);
    }
    EXPECT_GT(max1, 0.99 * bound1);  // each layer uses its own, full bound
    EXPECT_GT(max2, 0.99 * bound2);
  }
}

TEST(Init, UniformAndNormalDrawBiasesToo) {
  for (const char* text : {"uniform:1", "normal:1"}) {
    Batch b(Shape{2, 2, 2}, 50);
    initialize(b, parse_init(text));
    for (std::size_t i = 0; i < 50; ++i) {
      for (int p = 8; p < 12; ++p) EXPECT_NE(b.param(i, p), 0.0) << text;
    }
  }
}

}  // namespace
}  // namespace manynets

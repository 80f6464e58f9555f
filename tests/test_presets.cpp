// Tests of the built-in presets (the worked example's exact numbers, the gate truth
// tables) and of initialisation: parsing, determinism by network id across batch
// sizes and chunks, and the distributions of uniform, normal and xavier draws.
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
  EXPECT_EQ(preset_names(), (std::vector<std::string>{"seed", "xor", "and", "or"}));
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
    const Shape bad{2, 3, 1};
    const std::string msg = input_error_message([&] { make_preset(g.name, &bad); });
    EXPECT_TRUE(contains(msg, "2-3-1") && contains(msg, "2-2-1") && contains(msg, "2-2-2")) << msg;
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

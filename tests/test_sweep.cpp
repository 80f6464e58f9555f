// Tests of sweeps: list and range parsing, grid and random expansion (counts,
// values, log spacing, replicates, ids), config files against option texts,
// initialisation that does not depend on chunking or batch size, summary
// statistics on hand-made results, checkpoints (saved chunks taken again, damaged
// ones trained again, another sweep's refused), runs.csv/summary.json round
// trips, and the PNG plots when Debian's python has matplotlib.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "manynets/manynets.hpp"
#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
using manynets::testing::expect_input_error;
using namespace manynets;

fs::path make_temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "manynets_sweep_XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> cells;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t end = line.find(sep, pos);
    cells.push_back(line.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
    if (end == std::string::npos) return cells;
    pos = end + 1;
  }
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

SweepSpec spec_of(const std::map<std::string, std::string>& texts) {
  return make_sweep_spec(texts);
}

// ---- lists and ranges

TEST(NumberAxis, ListsLinearAndLogRanges) {
  const NumberAxis list = parse_number_axis("lr", "0.5,0.1,2");
  EXPECT_EQ(list.values, (std::vector<double>{0.5, 0.1, 2}));

  const NumberAxis lin = parse_number_axis("lr", "0:1:5");
  ASSERT_EQ(lin.values.size(), 5u);
  for (int k = 0; k < 5; ++k) EXPECT_DOUBLE_EQ(lin.values[k], 0.25 * k);

  const NumberAxis log = parse_number_axis("lr", "0.1:8:12:log");
  ASSERT_EQ(log.values.size(), 12u);
  EXPECT_EQ(log.values.front(), 0.1);  // the ends exactly
  EXPECT_EQ(log.values.back(), 8.0);
  const double ratio = log.values[1] / log.values[0];
  for (int k = 1; k < 12; ++k) EXPECT_NEAR(log.values[k] / log.values[k - 1], ratio, 1e-12);
  EXPECT_NEAR(std::pow(ratio, 11), 80.0, 1e-9);

  EXPECT_EQ(parse_number_axis("lr", "0.3:0.3:1").values, std::vector<double>{0.3});
}

TEST(NumberAxis, DescendingRangesRunDownwards) {
  const NumberAxis down = parse_number_axis("lr", "1:0:5");
  EXPECT_EQ(down.values, (std::vector<double>{1, 0.75, 0.5, 0.25, 0}));
  const NumberAxis log_down = parse_number_axis("lr", "10:0.1:3:log");
  EXPECT_EQ(log_down.values.front(), 10);
  EXPECT_NEAR(log_down.values[1], 1.0, 1e-12);
  EXPECT_EQ(log_down.values.back(), 0.1);
}

TEST(NumberAxis, MalformedListsAndRangesAreClearInputErrors) {
  expect_input_error([] { parse_number_axis("lr", "a:b:c"); }, {"--lr", "'a:b:c'", "not a finite number"});
  expect_input_error([] { parse_number_axis("lr", "0.1:1:0"); }, {"--lr", "whole number from 1"});
  // A line break in the text is quoted as an escape: the message stays one line
  // (found by tests/fuzz/fuzz_sweep_options.cpp).
  expect_input_error([] { parse_number_axis("lr", "0.1\n,0.2"); }, {"--lr", "'0.1\\n,0.2'"});
  expect_input_error([] { parse_number_axis("lr", "0.1:1:2.5"); }, {"--lr", "whole number"});
  expect_input_error([] { parse_number_axis("lr", "0.1:1"); }, {"--lr", "a:b:n"});
  expect_input_error([] { parse_number_axis("lr", "0.1:1:3:lin"); }, {"--lr", "a:b:n:log"});
  expect_input_error([] { parse_number_axis("lr", "0:1:3:log"); }, {"--lr", "both ends > 0"});
  expect_input_error([] { parse_number_axis("lr", "0.1,0.5:1:3"); }, {"--lr", "mixes a list and a range"});
  expect_input_error([] { parse_number_axis("lr", "0.1,,0.5"); }, {"--lr", "empty value"});
  expect_input_error([] { parse_number_axis("lr", "0.1,"); }, {"--lr", "empty value"});
  expect_input_error([] { parse_number_axis("lr", "nan"); }, {"--lr", "not a finite number"});
  expect_input_error([] { parse_number_axis("lr", ""); }, {"--lr"});
  expect_input_error([] { spec_of({{"lr", "-1:1:3"}}); }, {"--lr", "-1", "must be >= 0"});
  expect_input_error([] { spec_of({{"lr", "0.5,-0.1"}}); }, {"--lr", "-0.1"});
  expect_input_error([] { spec_of({{"momentum", "0:1:5"}}); }, {"--momentum", "[0, 1)"});
  expect_input_error([] { spec_of({{"steps", "100.5"}}); }, {"--steps", "whole number"});
  expect_input_error([] { spec_of({{"steps", "-5:10:3"}}); }, {"--steps"});
  expect_input_error([] { spec_of({{"target-loss", "-1"}}); }, {"--target-loss"});
  expect_input_error([] { spec_of({{"optimizer", "sgd,rmsprop"}}); }, {"rmsprop"});
  expect_input_error([] { spec_of({{"init", "uniform:1,uniform"}}); }, {"uniform"});
  expect_input_error([] { spec_of({{"train-biases", "on,maybe"}}); }, {"--train-biases"});
  expect_input_error([] { spec_of({{"seeds", "0"}}); }, {"--seeds"});
  expect_input_error([] { spec_of({{"random", "0"}}); }, {"--random"});
  expect_input_error([] { spec_of({{"shape", "2-2-1,2-2"}}); }, {"2-2"});
}

// ---- grid expansion

TEST(SweepExpand, GridIsTheProductWithReplicatesInnermost) {
  const SweepPlan plan = expand(spec_of({{"preset", "xor"},
                                         {"lr", "0.1:8:4:log"},
                                         {"hidden-activation", "sigmoid,tanh"},
                                         {"init", "uniform:1"},
                                         {"seeds", "3"},
                                         {"steps", "100"}}));
  ASSERT_EQ(plan.groups.size(), 1u);
  const SweepGroup& g = plan.groups[0];
  ASSERT_EQ(plan.networks(), 4u * 2 * 3);
  EXPECT_EQ(g.batch.first_id, 0u);
  for (std::size_t i = 0; i < g.batch.size(); ++i) {
    const std::size_t config = i / 3;
    EXPECT_EQ(g.configuration[i], config);
    EXPECT_EQ(g.replicate[i], i % 3);
    EXPECT_EQ(g.batch.learning_rate[i], parse_number_axis("lr", "0.1:8:4:log").values[config / 2]);
    EXPECT_EQ(g.batch.hidden_activation[i], config % 2 ? Activation::tanh : Activation::sigmoid);
    EXPECT_EQ(g.batch.max_steps[i], 100);
    EXPECT_EQ(g.batch.target_loss[i], 1e-3);  // the preset's
  }
  // Replicates differ (their own draws); configurations share nothing but the run seed.
  EXPECT_NE(g.batch.param(0, 0), g.batch.param(1, 0));
  const auto swept = swept_hyperparameters(plan);
  EXPECT_EQ(swept,
            (std::vector<Hyperparameter>{Hyperparameter::learning_rate, Hyperparameter::hidden_activation}));
}

// --hidden replaces the hidden size of every shape: one group per width, in
// order, each width once; the gate presets take any width.
TEST(SweepExpand, HiddenWidthsBecomeShapes) {
  const SweepPlan plan = expand(spec_of({{"preset", "xor"}, {"hidden", "1:8:8"}, {"lr", "0.5,1"}, {"seeds", "3"}}));
  ASSERT_EQ(plan.groups.size(), 8u);
  std::uint64_t next_id = 0;
  for (int w = 1; w <= 8; ++w) {
    const SweepGroup& g = plan.groups[static_cast<std::size_t>(w - 1)];
    EXPECT_EQ(g.shape, (Shape{2, w, 1}));
    EXPECT_EQ(g.batch.num_params(), (Shape{2, w, 1}.num_params()));
    EXPECT_EQ(g.batch.size(), 6u);
    EXPECT_EQ(g.batch.first_id, next_id);
    next_id += g.batch.size();
  }
  // Lists keep their order; a width given twice, or a range that rounds to one, counts once.
  const SweepPlan two = expand(spec_of({{"preset", "xor"}, {"shape", "2-2-1,2-2-2"}, {"hidden", "7,3,7"}}));
  ASSERT_EQ(two.groups.size(), 4u);
  EXPECT_EQ(two.groups[0].shape, (Shape{2, 7, 1}));
  EXPECT_EQ(two.groups[1].shape, (Shape{2, 3, 1}));
  EXPECT_EQ(two.groups[2].shape, (Shape{2, 7, 2}));
  EXPECT_EQ(two.groups[3].shape, (Shape{2, 3, 2}));
  EXPECT_EQ(expand(spec_of({{"preset", "moons"}, {"hidden", "1:2:5"}})).groups.size(), 2u);
  expect_input_error([] { expand(spec_of({{"preset", "xor"}, {"hidden", "65"}})); }, {"--hidden", "1 to 64"});
  expect_input_error([] { expand(spec_of({{"preset", "xor"}, {"hidden", "0.5:3:3"}})); }, {"--hidden", "1 to 64"});
  expect_input_error([] { expand(spec_of({{"preset", "xor"}, {"hidden", "two"}})); }, {"--hidden"});
}

// --data with --hidden and no --shape takes I and O from the CSV header.
TEST(SweepExpand, HiddenWithDataReadsInputsAndOutputsFromTheHeader) {
  const fs::path dir = make_temp_dir();
  const fs::path path = dir / "three_in_two_out.csv";
  std::ofstream(path) << "\xEF\xBB\xBF# a comment first\r\n\r\nt2, x1,x3,x2,t1\r\n0,1,2,3,1\r\n1,0,1,0,0\r\n";
  const SweepPlan plan = expand(spec_of({{"data", path.string()}, {"hidden", "4,9"}}));
  ASSERT_EQ(plan.groups.size(), 2u);
  EXPECT_EQ(plan.groups[0].shape, (Shape{3, 4, 2}));
  EXPECT_EQ(plan.groups[1].shape, (Shape{3, 9, 2}));
  EXPECT_EQ(plan.groups[1].data.samples(), 2u);
  EXPECT_EQ(plan.groups[1].data.input(0, 1), 3.0);  // x2 of the first row
  std::ofstream(dir / "no_targets.csv") << "x1,x2\n1,2\n";
  expect_input_error([&] { expand(spec_of({{"data", (dir / "no_targets.csv").string()}, {"hidden", "3"}})); },
                     {"no_targets.csv", "t1..tO"});
  expect_input_error([&] { expand(spec_of({{"data", (dir / "missing.csv").string()}, {"hidden", "3"}})); },
                     {"missing.csv", "cannot open"});
  expect_input_error([&] { expand(spec_of({{"data", path.string()}})); }, {"--shape", "--hidden"});
  fs::remove_all(dir);
}

TEST(SweepExpand, ShapesFormGroupsWithConsecutiveIds) {
  const SweepPlan plan =
      expand(spec_of({{"preset", "xor"}, {"shape", "2-2-1,2-2-2"}, {"lr", "1,2,3"}, {"seeds", "5"}}));
  ASSERT_EQ(plan.groups.size(), 2u);
  EXPECT_EQ(plan.groups[0].shape, (Shape{2, 2, 1}));
  EXPECT_EQ(plan.groups[1].shape, (Shape{2, 2, 2}));
  EXPECT_EQ(plan.groups[0].batch.size(), 15u);
  EXPECT_EQ(plan.groups[1].batch.first_id, 15u);
  EXPECT_EQ(plan.groups[1].data.outputs, 2);
  expect_input_error([] { expand(spec_of({{"preset", "xor"}, {"shape", "2-2-1,2-2-1"}})); }, {"twice"});
  expect_input_error([] { expand(spec_of({{"preset", "xor"}, {"shape", "3-3-3"}})); }, {"3-3-3", "2 inputs"});
  expect_input_error([] { expand(spec_of({{"preset", "xor"}, {"shape", "2-65-1"}})); }, {"2-65-1", "1..64"});
}

TEST(SweepExpand, TheExamplesWeightsAreTrainedOncePerConfiguration) {
  const SweepPlan plan =
      expand(spec_of({{"preset", "seed"}, {"lr", "0.5,1"}, {"init", "seed,uniform:1"}, {"seeds", "4"}}));
  // Per rate: seed once, uniform:1 four times.
  EXPECT_EQ(plan.networks(), 2u * (1 + 4));
  const Batch& b = plan.groups[0].batch;
  EXPECT_EQ(b.param(0, 0), 0.15);
  EXPECT_EQ(b.param(5, 0), 0.15);
  // Online mode makes replicates differ (their shuffles), so they stay.
  EXPECT_EQ(
      expand(spec_of({{"preset", "seed"}, {"init", "seed"}, {"mode", "online"}, {"seeds", "4"}})).networks(),
      4u);
}

TEST(SweepExpand, EmptyAxesTakeThePresetsValues) {
  const SweepPlan plan = expand(spec_of({}));
  EXPECT_EQ(plan.spec.preset, "seed");
  ASSERT_EQ(plan.networks(), 1u);
  const NetworkConfig c = plan.groups[0].batch.config(0);
  EXPECT_EQ(c.learning_rate, 0.5);
  EXPECT_EQ(c.max_steps, 5000);
  EXPECT_FALSE(c.train_biases);
  EXPECT_TRUE(swept_hyperparameters(plan).empty());
}

TEST(SweepExpand, WeightDecayIsAnAxisLikeTheOthers) {
  const SweepPlan plan =
      expand(spec_of({{"preset", "xor"}, {"lr", "0.5,1"}, {"weight-decay", "0,1e-4,0.01"}}));
  const Batch& b = plan.groups[0].batch;
  ASSERT_EQ(b.size(), 6u);
  for (std::size_t i = 0; i < b.size(); ++i) {
    EXPECT_EQ(b.learning_rate[i], i < 3 ? 0.5 : 1.0);
    EXPECT_EQ(b.weight_decay[i], (std::vector<double>{0, 1e-4, 0.01}[i % 3]));
  }
  EXPECT_EQ(swept_hyperparameters(plan),
            (std::vector<Hyperparameter>{Hyperparameter::learning_rate, Hyperparameter::weight_decay}));
  EXPECT_EQ(hyperparameter_text(plan, 0, 1, Hyperparameter::weight_decay), "1e-04");
  // Without it, no decay; a negative one is refused naming the option.
  EXPECT_EQ(expand(spec_of({{"preset", "xor"}})).groups[0].batch.weight_decay[0], 0.0);
  expect_input_error([] { spec_of({{"weight-decay", "0.1,-0.1"}}); }, {"--weight-decay", ">= 0"});
  // A random sweep draws it from its range; the draws of the other axes are
  // those of a sweep without it.
  const std::map<std::string, std::string> texts = {
      {"preset", "xor"}, {"lr", "0.01:1:2:log"}, {"random", "200"}};
  auto with_decay = texts;
  with_decay["weight-decay"] = "1e-5:1e-2:2:log";
  const SweepPlan plain = expand(spec_of(texts));
  const SweepPlan decayed = expand(spec_of(with_decay));
  EXPECT_EQ(decayed.groups[0].batch.learning_rate, plain.groups[0].batch.learning_rate);
  for (double v : decayed.groups[0].batch.weight_decay) {
    EXPECT_GE(v, 1e-5);
    EXPECT_LE(v, 1e-2);
  }
}

TEST(SweepExpand, MathModeReachesEveryGroupAndIsOneValue) {
  for (const char* shapes : {"2-2-1", "2-2-1,2-2-2"}) {
    EXPECT_EQ(expand(spec_of({{"preset", "xor"}, {"shape", shapes}})).groups[0].batch.math_mode,
              MathMode::precise);
    for (const SweepGroup& g :
         expand(spec_of({{"preset", "xor"}, {"shape", shapes}, {"math", "fast"}})).groups)
      EXPECT_EQ(g.batch.math_mode, MathMode::fast) << shapes;
  }
  expect_input_error([] { spec_of({{"math", "fast,precise"}}); }, {"math mode"});
}

// ---- random expansion

TEST(SweepExpand, RandomDrawsStayInTheirRangesAndLogRangesAreLogUniform) {
  const std::map<std::string, std::string> texts = {
      {"preset", "xor"},    {"lr", "0.01:100:2:log"}, {"momentum", "0:0.5:2"}, {"optimizer", "sgd,momentum"},
      {"steps", "10:20:2"}, {"random", "4000"},       {"seeds", "2"}};
  const SweepPlan plan = expand(spec_of(texts));
  const Batch& b = plan.groups[0].batch;
  ASSERT_EQ(b.size(), 8000u);
  std::size_t below_one = 0, below_quarter = 0, momentum_optimizer = 0;
  for (std::size_t i = 0; i < b.size(); i += 2) {
    EXPECT_EQ(b.learning_rate[i], b.learning_rate[i + 1]);  // replicates share the configuration
    ASSERT_GE(b.learning_rate[i], 0.01);
    ASSERT_LE(b.learning_rate[i], 100);
    below_one += b.learning_rate[i] < 1;
    ASSERT_GE(b.momentum[i], 0);
    ASSERT_LE(b.momentum[i], 0.5);
    below_quarter += b.momentum[i] < 0.25;
    ASSERT_GE(b.max_steps[i], 10);
    ASSERT_LE(b.max_steps[i], 20);
    momentum_optimizer += b.optimizer[i] == Optimizer::momentum;
  }
  // Log-uniform over 0.01..100: half below 1 (the geometric middle); 4000 draws give +-~2.5% at 3 sigma.
  EXPECT_NEAR(below_one / 4000.0, 0.5, 0.025);
  EXPECT_NEAR(below_quarter / 4000.0, 0.5, 0.025);
  EXPECT_NEAR(momentum_optimizer / 4000.0, 0.5, 0.025);

  // Deterministic in the run seed.
  const SweepPlan again = expand(spec_of(texts));
  EXPECT_EQ(again.groups[0].batch.learning_rate, b.learning_rate);
  auto other_texts = texts;
  other_texts["seed"] = "2";
  EXPECT_NE(expand(spec_of(other_texts)).groups[0].batch.learning_rate, b.learning_rate);
  EXPECT_EQ(swept_hyperparameters(plan).size(), 4u);
}

TEST(SweepExpand, RandomShapesAreGroupedWithGlobalIds) {
  const SweepPlan plan = expand(spec_of({{"preset", "xor"}, {"shape", "2-2-1,2-2-2"}, {"random", "50"}}));
  ASSERT_EQ(plan.groups.size(), 2u);
  EXPECT_EQ(plan.networks(), 50u);
  EXPECT_EQ(plan.groups[1].batch.first_id, plan.groups[0].batch.size());
  EXPECT_GT(plan.groups[0].batch.size(), 10u);
  EXPECT_GT(plan.groups[1].batch.size(), 10u);
}

// ---- config files

TEST(SweepConfig, ConfigFileGivesTheSameSpecAsOptionTexts) {
  const fs::path dir = make_temp_dir();
  const fs::path path = dir / "sweep.json";
  std::ofstream(path) << R"({"preset": "xor", "lr": "0.1:8:12:log", "hidden-activation": ["sigmoid", "tanh"],
                             "steps": 5000, "target-loss": 0.01, "seeds": 7, "train-biases": true,
                             "momentum": [0.5, 0.9]})";
  const auto texts = read_sweep_config(path.string(), sweep_spec_keys());
  EXPECT_EQ(texts.at("hidden-activation"), "sigmoid,tanh");
  EXPECT_EQ(texts.at("steps"), "5000");
  EXPECT_EQ(texts.at("target-loss"), "0.01");
  EXPECT_EQ(texts.at("train-biases"), "on");
  const SweepPlan from_file = expand(make_sweep_spec(texts));
  const SweepPlan from_flags = expand(spec_of({{"preset", "xor"},
                                               {"lr", "0.1:8:12:log"},
                                               {"hidden-activation", "sigmoid,tanh"},
                                               {"steps", "5000"},
                                               {"target-loss", "0.01"},
                                               {"seeds", "7"},
                                               {"train-biases", "on"},
                                               {"momentum", "0.5,0.9"}}));
  ASSERT_EQ(from_file.networks(), from_flags.networks());
  EXPECT_EQ(from_file.groups[0].batch.learning_rate, from_flags.groups[0].batch.learning_rate);
  EXPECT_EQ(from_file.groups[0].batch.hidden_activation, from_flags.groups[0].batch.hidden_activation);
  EXPECT_EQ(from_file.groups[0].batch.init_params, from_flags.groups[0].batch.init_params);

  std::ofstream(dir / "bad_key.json") << R"({"learning-rate": 0.5})";
  expect_input_error([&] { read_sweep_config((dir / "bad_key.json").string(), sweep_spec_keys()); },
                     {"bad_key.json", "learning-rate", "lr"});
  std::ofstream(dir / "bad.json") << R"({"lr": )";
  expect_input_error([&] { read_sweep_config((dir / "bad.json").string(), sweep_spec_keys()); },
                     {"bad.json", "not valid JSON"});
  expect_input_error([&] { read_sweep_config((dir / "missing.json").string(), sweep_spec_keys()); },
                     {"missing.json"});
  fs::remove_all(dir);
}

// ---- initialisation and chunking

TEST(SweepInit, InitialWeightsDependOnTheIdOnlyNotTheBatch) {
  const SweepPlan plan = expand(spec_of({{"preset", "xor"},
                                         {"shape", "2-2-1,2-2-2"},
                                         {"lr", "1,2"},
                                         {"init", "normal:0.5,xavier"},
                                         {"seeds", "13"}}));
  for (const SweepGroup& g : plan.groups) {
    for (std::size_t i = 0; i < g.batch.size(); i += 5) {
      Batch one(g.shape, 1);  // the same network alone, as `train --id` builds it
      one.seed = plan.spec.seed;
      one.first_id = g.batch.first_id + i;
      initialize(one, plan.spec.inits[g.init[i]]);
      for (int p = 0; p < one.num_params(); ++p)
        ASSERT_EQ(one.param(0, p), g.batch.param(i, p)) << i << " " << p;
    }
  }
}

TEST(SweepInit, ResultsDoNotDependOnChunking) {
  // Online mode: each network's sample order is keyed by its id too.
  const SweepPlan plan = expand(spec_of({{"preset", "xor"},
                                         {"lr", "0.5:4:3"},
                                         {"init", "uniform:1"},
                                         {"mode", "full,online"},
                                         {"seeds", "11"},
                                         {"steps", "300"}}));
  auto backend = make_backend("reference");
  SweepRunOptions whole;
  whole.curve_ids = {0, 7, 65};
  const SweepResults a = run_sweep(plan, *backend, whole);
  SweepRunOptions chunked = whole;
  chunked.max_chunk = 7;
  std::size_t calls = 0;
  chunked.progress = [&calls](std::size_t done, std::size_t total, double, double) {
    ++calls;
    EXPECT_LE(done, total);
  };
  const SweepResults b = run_sweep(plan, *backend, chunked);
  EXPECT_EQ(calls, (plan.networks() + 6) / 7);
  ASSERT_EQ(a.results.size(), 1u);
  EXPECT_EQ(a.results[0].params, b.results[0].params);
  EXPECT_EQ(a.results[0].loss, b.results[0].loss);
  EXPECT_EQ(a.results[0].steps, b.results[0].steps);
  EXPECT_EQ(a.results[0].status, b.results[0].status);
  ASSERT_EQ(a.curves.size(), 3u);
  ASSERT_EQ(b.curves.size(), 3u);
  for (int k = 0; k < 3; ++k) EXPECT_EQ(a.curves[k].loss, b.curves[k].loss);
  EXPECT_EQ(a.curves[1].id, 7u);
  EXPECT_EQ(a.curves[0].loss.front(), static_cast<float>(a.curves[0].loss.front()));
  EXPECT_EQ(a.net_steps, b.net_steps);

  // A backend that is not the reference must start from the same weights: compare statuses.
  const auto names = available_backends();
  if (std::find(names.begin(), names.end(), "cpu") != names.end()) {
    auto cpu = make_backend("cpu");
    const SweepResults c = run_sweep(plan, *cpu, whole);
    std::size_t same = 0;
    for (std::size_t i = 0; i < plan.networks(); ++i)
      same += c.results[0].status[i] == a.results[0].status[i];
    EXPECT_GE(same, plan.networks() * 9 / 10);
  }
}

// ---- checkpoints: saved chunks, taken again by a later run

// Passes training on to the reference backend and counts the networks it trained.
class CountingBackend : public Backend {
 public:
  std::string name() const override { return inner_->name(); }
  bool implements(Rule rule) const override { return inner_->implements(rule); }
  std::size_t trained = 0;

 protected:
  void train_into(Results& results, const Batch& batch, const Dataset& data) override {
    trained += batch.size();
    results = inner_->train(batch, data);
  }

 private:
  std::unique_ptr<Backend> inner_ = make_backend("reference");
};

SweepPlan checkpoint_plan(const std::string& lr) {
  return expand(
      spec_of({{"preset", "xor"}, {"lr", lr}, {"init", "uniform:1"}, {"seeds", "13"}, {"steps", "200"}}));
}

void expect_same_results(const SweepResults& a, const SweepResults& b) {
  ASSERT_EQ(a.results.size(), b.results.size());
  for (std::size_t g = 0; g < a.results.size(); ++g) {
    EXPECT_EQ(a.results[g].params, b.results[g].params);
    EXPECT_EQ(a.results[g].loss, b.results[g].loss);
    EXPECT_EQ(a.results[g].abs_error, b.results[g].abs_error);
    EXPECT_EQ(a.results[g].steps, b.results[g].steps);
    EXPECT_EQ(a.results[g].status, b.results[g].status);
  }
  ASSERT_EQ(a.curves.size(), b.curves.size());
  for (std::size_t k = 0; k < a.curves.size(); ++k) {
    EXPECT_EQ(a.curves[k].id, b.curves[k].id);
    EXPECT_EQ(a.curves[k].loss, b.curves[k].loss);
    EXPECT_EQ(a.curves[k].abs_error, b.curves[k].abs_error);
  }
  EXPECT_EQ(a.net_steps, b.net_steps);
}

std::vector<fs::path> chunk_files(const fs::path& dir) {
  std::vector<fs::path> chunks;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("chunk-", 0) == 0) chunks.push_back(e.path());
  }
  std::sort(chunks.begin(), chunks.end());
  return chunks;
}

TEST(SweepCheckpoint, SavedChunksAreTakenInsteadOfTrainedAndGiveTheSameResults) {
  const fs::path dir = make_temp_dir();
  const SweepPlan plan = checkpoint_plan("0.5:4:3");  // 39 networks
  SweepRunOptions options;
  options.curve_ids = {0, 20, 38};
  options.max_chunk = 10;
  options.checkpoint_dir = (dir / "state").string();
  CountingBackend first;
  const SweepResults a = run_sweep(plan, first, options);
  EXPECT_EQ(first.trained, 39u);
  EXPECT_EQ(chunk_files(dir / "state").size(), 4u);
  EXPECT_EQ(checkpointed_networks(options.checkpoint_dir), 39u);

  CountingBackend again;
  const SweepResults b = run_sweep(plan, again, options);
  EXPECT_EQ(again.trained, 0u);
  expect_same_results(a, b);

  // Some chunks gone (as after a kill): only those are trained again.
  const std::vector<fs::path> chunks = chunk_files(dir / "state");
  fs::remove(chunks[1]);
  fs::remove(chunks[3]);
  CountingBackend resumed;
  const SweepResults c = run_sweep(plan, resumed, options);
  EXPECT_GT(resumed.trained, 0u);
  EXPECT_LT(resumed.trained, 39u);
  expect_same_results(a, c);
  fs::remove_all(dir);
}

TEST(SweepCheckpoint, DamagedChunksAndStaleTemporariesAreNotTaken) {
  const fs::path dir = make_temp_dir();
  const SweepPlan plan = checkpoint_plan("0.5:4:3");
  SweepRunOptions options;
  options.max_chunk = 10;
  options.checkpoint_dir = (dir / "state").string();
  CountingBackend first;
  const SweepResults a = run_sweep(plan, first, options);
  const std::vector<fs::path> chunks = chunk_files(dir / "state");
  ASSERT_EQ(chunks.size(), 4u);
  // One chunk cut short (a torn write), one with a flipped byte.
  std::string bytes = read_file(chunks[0]);
  std::ofstream(chunks[0], std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  bytes = read_file(chunks[2]);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x40);
  std::ofstream(chunks[2], std::ios::binary) << bytes;
  // A killed writer's temporary (its process gone) and a stray file.
  const fs::path stale = dir / "state" / "chunk-0-10.tmp-999999999";
  std::ofstream(stale) << "partial";
  CountingBackend resumed;
  const SweepResults b = run_sweep(plan, resumed, options);
  EXPECT_EQ(resumed.trained, 20u);
  expect_same_results(a, b);
  EXPECT_FALSE(fs::exists(stale));
  fs::remove_all(dir);
}

TEST(SweepCheckpoint, StateOfAnotherSweepIsRefused) {
  const fs::path dir = make_temp_dir();
  SweepRunOptions options;
  options.checkpoint_dir = (dir / "state").string();
  CountingBackend backend;
  run_sweep(checkpoint_plan("0.5:4:3"), backend, options);
  expect_input_error([&] { run_sweep(checkpoint_plan("0.5:4:4"), backend, options); },
                     {"belongs to a different sweep", "state"});
  SweepRunOptions other_curves = options;
  other_curves.curve_ids = {5};
  expect_input_error([&] { run_sweep(checkpoint_plan("0.5:4:3"), backend, other_curves); },
                     {"belongs to a different sweep"});
  fs::remove_all(dir);
}

// ---- summary on hand-made results

TEST(SweepSummaryTest, CountsRatesAndMediansOfAHandMadeResultSet) {
  const SweepPlan plan = expand(spec_of({{"preset", "xor"}, {"lr", "1,2"}, {"seeds", "4"}}));
  SweepResults r;
  r.backend = "hand";
  Results res;
  res.allocate(Shape{2, 2, 1}, 8, 0, 0);
  // lr 1: converged at 100 and 300, ran out (loss 0.5), diverged.
  // lr 2: converged at 50, 60, 70 and 80.
  const Status st[8] = {Status::converged, Status::converged, Status::max_steps, Status::diverged,
                        Status::converged, Status::converged, Status::converged, Status::converged};
  const std::int32_t steps[8] = {100, 300, 1000, 5, 50, 60, 70, 80};
  const double loss[8] = {1e-3, 2e-3, 0.5, NAN, 4e-4, 3e-4, 2e-4, 1e-4};
  for (int i = 0; i < 8; ++i) {
    res.status[i] = st[i];
    res.steps[i] = steps[i];
    res.loss[i] = loss[i];
  }
  r.results.push_back(res);
  const SweepSummary s = summarize(plan, r, 5);
  EXPECT_EQ(s.networks, 8u);
  EXPECT_EQ(s.converged, 6u);
  EXPECT_EQ(s.ran_out, 1u);
  EXPECT_EQ(s.diverged, 1u);
  ASSERT_EQ(s.tables.size(), 1u);
  const HyperparameterTable& t = s.tables[0];
  EXPECT_EQ(t.hyperparameter, Hyperparameter::learning_rate);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].value, "1");
  EXPECT_EQ(t.rows[0].networks, 4u);
  EXPECT_DOUBLE_EQ(t.rows[0].success_rate(), 0.5);
  EXPECT_EQ(t.rows[0].diverged, 1u);
  EXPECT_DOUBLE_EQ(t.rows[0].median_loss, 2e-3);  // of 1e-3, 2e-3, 0.5 (diverged left out)
  EXPECT_DOUBLE_EQ(t.rows[0].median_steps_to_target, 200);
  EXPECT_DOUBLE_EQ(t.rows[1].success_rate(), 1.0);
  EXPECT_DOUBLE_EQ(t.rows[1].median_steps_to_target, 65);
  EXPECT_DOUBLE_EQ(t.rows[1].median_loss, 2.5e-4);
  ASSERT_EQ(s.best_configurations.size(), 2u);
  EXPECT_EQ(s.best_configurations[0].hyperparameters[0].second, "2");
  EXPECT_EQ(s.best_configurations[0].first_id, 4u);
  ASSERT_TRUE(s.has_best);
  EXPECT_EQ(s.best.id, 4u);  // converged in the fewest steps
  EXPECT_EQ(s.best.steps, 50);

  const nlohmann::json j = nlohmann::json::parse(summary_json(s));
  EXPECT_EQ(j.at("networks"), 8);
  EXPECT_EQ(j.at("converged"), 6);
  EXPECT_EQ(j.at("diverged"), 1);
  EXPECT_EQ(j.at("best").at("id"), 4);
  EXPECT_EQ(j.at("best").at("hyperparameters").at("learning_rate"), "2");
  EXPECT_DOUBLE_EQ(j.at("best").at("loss").get<double>(), 4e-4);
  EXPECT_EQ(j.at("tables").at(0).at("rows").at(0).at("success_rate"), 0.5);
}

TEST(SweepSummaryTest, MedianOfEvenOddAndEmpty) {
  std::vector<double> odd = {3, 1, 2}, even = {4, 1, 3, 2}, none;
  EXPECT_EQ(median_of(odd), 2);
  EXPECT_EQ(median_of(even), 2.5);
  EXPECT_TRUE(std::isnan(median_of(none)));
}

// ---- files

TEST(SweepFiles, NumbersReadBackExactly) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(-30, 30);
  for (int k = 0; k < 10000; ++k) {
    const double v = std::pow(10.0, u(rng)) * (k % 2 ? -1 : 1);
    const std::string text = number_text(v);
    ASSERT_EQ(std::strtod(text.c_str(), nullptr), v) << text;
  }
  EXPECT_EQ(number_text(0.1), "0.1");
  EXPECT_EQ(number_text(5000), "5000");
  EXPECT_EQ(number_text(-0.0), "0");
  EXPECT_EQ(number_text(NAN), "nan");
  EXPECT_EQ(number_text(-std::numeric_limits<double>::quiet_NaN()), "nan");  // not "-nan"
}

TEST(SweepFiles, RunsCsvAndSummaryJsonRoundTrip) {
  const SweepPlan plan = expand(spec_of({{"data", std::string(MANYNETS_TEST_DATA) + "/cli_xor.csv"},
                                         {"shape", "2-2-1,2-3-1"},
                                         {"lr", "0.3,3"},
                                         {"seeds", "3"},
                                         {"steps", "200"},
                                         {"target-loss", "0.1"}}));
  auto backend = make_backend("reference");
  SweepRunOptions options;
  options.curve_ids = {1, 8};
  options.curve_every = 10;
  const SweepResults results = run_sweep(plan, *backend, options);
  const SweepSummary summary = summarize(plan, results);
  const fs::path dir = make_temp_dir() / "out";  // created by the writer
  const auto files = write_sweep_files(dir.string(), plan, results, summary);
  ASSERT_EQ(files.size(), 3u);
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }

  const std::vector<std::string> rows = lines_of(read_file(dir / "runs.csv"));
  ASSERT_EQ(rows.size(), 1 + plan.networks());
  const std::vector<std::string> header = split(rows[0], ',');
  const auto col = [&header](const std::string& name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  // The columns as the README lists them: scripts may read them by position.
  EXPECT_EQ(rows[0].rfind("id,shape,learning_rate,momentum,optimizer,hidden_activation,output_activation,"
                          "init,max_steps,target_loss,train_biases,mode,weight_decay,seed,replicate,status,"
                          "steps,steps_to_target,loss,abs_error,w1,",
                          0),
            0u)
      << rows[0];
  for (const char* name : {"w9", "b1[2]", "b2[0]"}) EXPECT_LT(col(name), header.size()) << name;
  std::size_t row = 1;
  for (std::size_t g = 0; g < plan.groups.size(); ++g) {
    const Results& r = results.results[g];
    for (std::size_t i = 0; i < r.n; ++i, ++row) {
      const std::vector<std::string> cells = split(rows[row], ',');
      ASSERT_EQ(cells.size(), header.size()) << rows[row];
      EXPECT_EQ(std::stoull(cells[col("id")]), plan.groups[g].batch.first_id + i);
      EXPECT_EQ(cells[col("shape")], to_string(plan.groups[g].shape));
      // Every hyperparameter column as the summary reads it back.
      for (int h = 0; h < hyperparameter_count; ++h) {
        const auto hp = static_cast<Hyperparameter>(h);
        EXPECT_EQ(cells[col(to_string(hp))], hyperparameter_text(plan, g, i, hp)) << to_string(hp);
      }
      EXPECT_EQ(std::strtod(cells[col("learning_rate")].c_str(), nullptr),
                plan.groups[g].batch.learning_rate[i]);
      EXPECT_EQ(std::strtod(cells[col("loss")].c_str(), nullptr), r.loss[i]);
      EXPECT_EQ(cells[col("status")], to_string(r.status[i]));
      EXPECT_EQ(cells[col("steps_to_target")].empty(), r.status[i] != Status::converged);
      EXPECT_EQ(std::strtod(cells[col("w1")].c_str(), nullptr), r.param(i, 0));
      // 2-2-1 has six weights: w7..w9 and b1[2] are empty for it.
      EXPECT_EQ(cells[col("w9")].empty(), plan.groups[g].shape.hidden == 2);
      EXPECT_EQ(std::strtod(cells[col("b2[0]")].c_str(), nullptr), r.param(i, r.shape.num_params() - 1));
    }
  }

  const nlohmann::json j = nlohmann::json::parse(read_file(dir / "summary.json"));
  EXPECT_EQ(j.at("networks").get<std::size_t>(), plan.networks());
  EXPECT_EQ(j.at("converged").get<std::size_t>() + j.at("ran_out").get<std::size_t>() +
                j.at("diverged").get<std::size_t>(),
            plan.networks());
  EXPECT_EQ(j.at("swept"), nlohmann::json({"shape", "learning_rate"}));

  const std::vector<std::string> curve = lines_of(read_file(dir / "curves.csv"));
  EXPECT_EQ(curve.at(0), "id,step,loss,abs_error");
  EXPECT_EQ(curve.at(1).rfind("1,0,", 0), 0u);
  EXPECT_EQ(curve.at(2).rfind("1,10,", 0), 0u);
  fs::remove_all(dir.parent_path());
}

// A curve's NaN slots (steps after the network stopped, or a diverged loss)
// read "nan" whatever the NaN's sign, as the same result from any backend.
TEST(SweepFiles, CurvesCsvWritesEveryNanAsNan) {
  SweepResults results;
  SweepCurve c;
  c.id = 7;
  c.every = 5;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  c.loss = {0.25f, -nan, nan};
  c.abs_error = {0.5f, nan, -nan};
  results.curves.push_back(c);
  const fs::path dir = make_temp_dir();
  write_curves_csv((dir / "curves.csv").string(), results);
  EXPECT_EQ(read_file(dir / "curves.csv"),
            "id,step,loss,abs_error\n7,0,0.25,0.5\n7,5,nan,nan\n7,10,nan,nan\n");
  fs::remove_all(dir);
}

TEST(SweepPlots, PlotsAreValidPngFilesOfSensibleSize) {
  if (!manynets::testing::python_has_matplotlib())
    GTEST_SKIP() << "/usr/bin/python3 has no matplotlib (apt-get install python3-matplotlib)";
  const SweepPlan plan = expand(spec_of({{"preset", "xor"},
                                         {"lr", "0.5:8:4:log"},
                                         {"hidden-activation", "sigmoid,tanh"},
                                         {"seeds", "4"},
                                         {"steps", "300"}}));
  auto backend = make_backend("reference");
  SweepRunOptions options;
  options.curve_ids = sample_ids(plan.networks(), 6);
  const SweepResults results = run_sweep(plan, *backend, options);
  const fs::path dir = make_temp_dir();
  write_sweep_files(dir.string(), plan, results, summarize(plan, results));
  const PlotOutcome plots = make_plots(dir.string(), "/usr/bin/python3", default_plot_script());
  ASSERT_TRUE(plots.ok) << plots.message;
  for (const char* name : {"loss_curves.png", "success_learning_rate.png", "success_hidden_activation.png",
                           "heatmap_learning_rate_hidden_activation.png"}) {
    SCOPED_TRACE(name);
    EXPECT_NE(std::find(plots.files.begin(), plots.files.end(), (dir / name).string()), plots.files.end());
    const std::string png = read_file(dir / name);
    ASSERT_GT(png.size(), 5000u);
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    const auto be32 = [&png](std::size_t at) {
      return (static_cast<unsigned char>(png[at]) << 24) | (static_cast<unsigned char>(png[at + 1]) << 16) |
             (static_cast<unsigned char>(png[at + 2]) << 8) | static_cast<unsigned char>(png[at + 3]);
    };
    EXPECT_EQ(png.substr(12, 4), "IHDR");
    EXPECT_GE(be32(16), 400u);  // width
    EXPECT_GE(be32(20), 300u);  // height
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }
  fs::remove_all(dir);
}

TEST(SweepPlots, AMissingPythonSaysHowToGetPlotsAndNeverThrows) {
  const fs::path dir = make_temp_dir();
  const PlotOutcome missing = make_plots(dir.string(), "/nonexistent/python3", default_plot_script());
  EXPECT_FALSE(missing.ok);
  EXPECT_NE(missing.message.find("python3-matplotlib"), std::string::npos) << missing.message;
  EXPECT_NE(missing.message.find("plot_sweep.py"), std::string::npos) << missing.message;
  // A directory without data: the script fails, make_plots reports it.
  if (manynets::testing::python_has_matplotlib()) {
    const PlotOutcome failed = make_plots(dir.string(), "/usr/bin/python3", default_plot_script());
    EXPECT_FALSE(failed.ok);
    EXPECT_NE(failed.message.find("failed"), std::string::npos) << failed.message;
  }
  EXPECT_TRUE(fs::is_empty(dir));
  fs::remove_all(dir);
}

}  // namespace

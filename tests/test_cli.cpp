// Tests of the `manynets` command: runs the real executable (MANYNETS_EXE) and
// checks its output, files and exit status: the worked example's published
// numbers, the JSON and CSV contracts, and one-line errors with status 2 for bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "manynets/cpu.hpp"
#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;

using manynets::testing::lines_of;
using manynets::testing::make_temp_dir;
using manynets::testing::read_file;
using manynets::testing::run_manynets;
using manynets::testing::run_manynets_command;
using manynets::testing::run_manynets_in;
using manynets::testing::RunResult;

std::string data_file(const std::string& name) {
  return std::string(MANYNETS_TEST_DATA) + "/" + name;
}

nlohmann::json parse_json(const RunResult& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);  // throws, failing the test, when it is not JSON
}

// Status 2, nothing on stdout, and exactly one "manynets: error: ..." line on stderr.
void expect_usage_error(const std::string& args, const std::string& message_part = "") {
  SCOPED_TRACE("manynets " + args);
  const RunResult r = run_manynets(args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.out, "");
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.back(), '\n');
  EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("manynets: error: ", 0), 0u) << r.err;
  EXPECT_EQ(r.err.find("terminate"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Aborted"), std::string::npos) << r.err;
  if (!message_part.empty()) {
    EXPECT_NE(r.err.find(message_part), std::string::npos) << r.err;
  }
}

// ---- the worked example

TEST(CliTrain, SeedPresetTenThousandStepsReachesThePublishedLoss) {
  const nlohmann::json j = parse_json(run_manynets("train --preset seed --steps 10000 --json"));
  EXPECT_NEAR(j.at("loss").get<double>(), 3.5101878e-05, 3.5101878e-05 * 1e-6);
  EXPECT_EQ(j.at("steps").get<int>(), 10000);
  EXPECT_EQ(j.at("status").get<std::string>(), "max_steps");
  EXPECT_EQ(j.at("params").size(), 12u);
  EXPECT_EQ(j.at("param_names").at(0).get<std::string>(), "w1");
  ASSERT_EQ(j.at("outputs").size(), 2u);
  EXPECT_TRUE(j.at("outputs").at(0).is_number());
  EXPECT_NEAR(j.at("outputs").at(0).get<double>(), 0.01, 0.01);
  EXPECT_NEAR(j.at("outputs").at(1).get<double>(), 0.99, 0.01);
  EXPECT_EQ(j.at("shape").get<std::string>(), "2-2-2");
  EXPECT_EQ(j.at("backend").get<std::string>(), "reference");
  EXPECT_EQ(j.at("rule").get<std::string>(), "backprop");
  EXPECT_EQ(j.at("learning_rate").get<double>(), 0.5);
}

TEST(CliTrain, SeedPresetOneStepGivesThePublishedWeights) {
  const nlohmann::json j = parse_json(run_manynets("train --preset seed --steps 1 --json"));
  EXPECT_EQ(j.at("steps").get<int>(), 1);
  EXPECT_NEAR(j.at("params").at(4).get<double>(), 0.35891648, 1e-8);  // w5
  EXPECT_NEAR(j.at("params").at(0).get<double>(), 0.14978072, 1e-8);  // w1
  EXPECT_EQ(j.at("params").at(8).get<double>(), 0.35);                // b1[0]: the example keeps biases fixed
}

// The seed program's last lines: its weights after 5001 updates, the targets, and
// the outputs of its last forward pass (before the 5001st update).
const double kSeedProgramWeights[8] = {-1.8481356611195794, -3.830213389635355, -1.9231574439364123,
                                       -3.9540096197284216, -3.975165511450073, -3.9163524162301457,
                                       2.8218343929915197,  2.863215986491598};
const double kSeedProgramOutputs[2] = {0.04381330439926706, 0.9627838684484942};

TEST(CliTrain, SeedBlogRuleReplaysTheSeedProgramsWholeRun) {
  const nlohmann::json j = parse_json(run_manynets("train --preset seed --rule seed-blog --json"));
  EXPECT_EQ(j.at("rule").get<std::string>(), "seed-blog");
  EXPECT_EQ(j.at("steps").get<int>(), 5001);
  const nlohmann::json& printed = j.at("seed_program");
  ASSERT_EQ(printed.at("weights").size(), 8u);
  for (int q = 0; q < 8; ++q) {
    EXPECT_NEAR(j.at("params").at(q).get<double>(), kSeedProgramWeights[q],
                1e-12 * std::fabs(kSeedProgramWeights[q]));
    EXPECT_EQ(printed.at("weights").at(q).get<double>(), j.at("params").at(q).get<double>());
  }
  for (int k = 0; k < 2; ++k) {
    EXPECT_NEAR(printed.at("outputs").at(k).get<double>(), kSeedProgramOutputs[k],
                1e-12 * kSeedProgramOutputs[k]);
  }
  EXPECT_EQ(printed.at("targets"), nlohmann::json::parse("[0.01, 0.99]"));
  // --steps N runs N updates.
  const nlohmann::json five_thousand =
      parse_json(run_manynets("train --preset seed --rule seed-blog --steps 5000 --json"));
  EXPECT_EQ(five_thousand.at("steps").get<int>(), 5000);
  EXPECT_NEAR(five_thousand.at("params").at(0).get<double>(), -1.8470775086177607, 1e-12 * 1.85);
  // The exact rule keeps the worked example's 5000 steps.
  EXPECT_EQ(parse_json(run_manynets("train --preset seed --json")).at("steps").get<int>(), 5000);
}

TEST(CliTrain, SeedBlogReportPrintsWhatTheSeedProgramPrinted) {
  const RunResult r = run_manynets("train --preset seed --rule seed-blog");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ran all 5001 steps"), std::string::npos) << r.out;
  // Python's own printing of the lists, digit for digit where the replay is bit for bit.
  EXPECT_NE(r.out.find("weights  [-1.848135661119"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("targets  [0.01, 0.99]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("outputs  [0.043813304399"), std::string::npos) << r.out;
  EXPECT_EQ(run_manynets("train --preset seed").out.find("what the seed program printed"), std::string::npos);
}

// Where the seed program and Python are here: manynets prints its last three lines
// as it does, digit for digit (the replay is bit for bit, on the same C library).
TEST(CliTrain, SeedBlogPrintsTheSeedProgramsOwnLastLines) {
  const std::string program = MANYNETS_SEED_PROGRAM;
  if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3 to run the seed program";
  if (access(program.c_str(), R_OK) != 0) GTEST_SKIP() << "the seed program is not at " << program;
  const RunResult python = run_manynets_command("/usr/bin/python3 '" + program + "'");
  ASSERT_EQ(python.exit_code, 0) << python.err;
  const std::vector<std::string> printed = lines_of(python.out);
  ASSERT_EQ(printed.size(), 4u) << python.out;
  const RunResult r = run_manynets("train --preset seed --rule seed-blog");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> ours = lines_of(r.out);
  ASSERT_GE(ours.size(), 3u);
  EXPECT_EQ(ours[ours.size() - 3], "  weights  " + printed[1]);
  EXPECT_EQ(ours[ours.size() - 2], "  targets  " + printed[2]);
  EXPECT_EQ(ours[ours.size() - 1], "  outputs  " + printed[3]);
}

TEST(CliTrain, PlotDrawsAPngOfEveryStepAndLeavesNothingElse) {
  if (!manynets::testing::python_has_matplotlib())
    GTEST_SKIP() << "/usr/bin/python3 has no matplotlib (scripts/setup.sh installs it)";
  const fs::path dir = make_temp_dir();
  for (const char* rule : {"seed-blog", "backprop"}) {
    const fs::path png = dir / (std::string(rule) + ".png");
    const RunResult r = run_manynets("train --preset seed --steps 300 --rule " + std::string(rule) +
                                     " --plot '" + png.string() + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string bytes = read_file(png);
    ASSERT_GT(bytes.size(), 1000u) << rule;
    EXPECT_EQ(bytes.substr(1, 3), "PNG") << rule;
  }
  // With --curve, the plot is drawn from that file, which stays.
  const RunResult r = run_manynets("train --preset xor --steps 50 --plot '" + (dir / "xor.png").string() +
                                   "' --curve '" + (dir / "xor.csv").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"backprop.png", "seed-blog.png", "xor.csv", "xor.png"}));
  fs::remove_all(dir);
}

TEST(CliTrain, PlotWithoutPythonFailsWithOneLineAndLeavesNoFile) {
  const fs::path dir = make_temp_dir();
  const fs::path png = dir / "seed.png";
  const RunResult r =
      run_manynets_command("MANYNETS_PYTHON=/nonexistent/python3 '" + std::string(MANYNETS_EXE) +
                           "' train --preset seed --steps 5 --plot '" + png.string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
  EXPECT_NE(r.err.find("python3-matplotlib"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--curve"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(dir));  // neither a PNG nor the curve's temporary
  fs::remove_all(dir);
}

TEST(CliTrain, PlotIntoAMissingDirectoryIsRefusedBeforeTraining) {
  const fs::path dir = make_temp_dir();
  const fs::path png = dir / "no-such-dir" / "seed.png";
  expect_usage_error("train --preset seed --steps 5 --plot '" + png.string() + "'", "--plot");
  expect_usage_error("train --preset seed --steps 5 --plot '" + dir.string() + "'", dir.string());
  EXPECT_TRUE(fs::is_empty(dir));
  fs::remove_all(dir);
}

TEST(CliTrain, HumanReportShowsLossesParametersTargetsAndOutputs) {
  const RunResult r = run_manynets("train --preset seed");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  for (const char* name : {"w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "b1[0]", "b2[1]"}) {
    EXPECT_NE(r.out.find(std::string("  ") + name + " "), std::string::npos) << name << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("target"), std::string::npos);
  EXPECT_NE(r.out.find("output"), std::string::npos);
  EXPECT_NE(r.out.find("0.29837"), std::string::npos) << r.out;  // the loss before any update
  EXPECT_NE(r.out.find("ran all 5000 steps"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("backend reference"), std::string::npos);
}

TEST(CliTrain, SeveralSamplesGiveAnArrayOfOutputsPerSample) {
  const nlohmann::json j = parse_json(run_manynets("train --preset xor --steps 50 --json"));
  ASSERT_EQ(j.at("outputs").size(), 4u);
  ASSERT_TRUE(j.at("outputs").at(0).is_array());
  EXPECT_EQ(j.at("outputs").at(0).size(), 1u);
  EXPECT_EQ(j.at("targets").at(1).at(0).get<double>(), 1.0);
  EXPECT_EQ(j.at("params").size(), 9u);
}

TEST(CliTrain, OptionsOverrideThePresetAndReachTheJson) {
  const nlohmann::json j = parse_json(
      run_manynets("train --preset seed --steps 300 --lr 0.25 --optimizer adam --hidden-activation tanh "
                   "--init uniform:0.5 --seed 7 --train-biases on --target-loss 0.001 --json"));
  EXPECT_EQ(j.at("learning_rate").get<double>(), 0.25);
  EXPECT_EQ(j.at("optimizer").get<std::string>(), "adam");
  EXPECT_EQ(j.at("hidden_activation").get<std::string>(), "tanh");
  EXPECT_EQ(j.at("max_steps").get<int>(), 300);
  EXPECT_EQ(j.at("seed").get<int>(), 7);
  EXPECT_TRUE(j.at("train_biases").get<bool>());
  EXPECT_NE(j.at("params").at(0).get<double>(), 0.15);
}

TEST(CliTrain, WeightDecayReachesTheReportTheJsonAndTheWeights) {
  const std::string run = "train --preset seed --steps 100 --train-biases on";
  const nlohmann::json plain = parse_json(run_manynets(run + " --json"));
  const nlohmann::json decayed = parse_json(run_manynets(run + " --weight-decay 0.05 --json"));
  EXPECT_EQ(plain.at("weight_decay").get<double>(), 0.0);
  EXPECT_EQ(decayed.at("weight_decay").get<double>(), 0.05);
  // Decay pulls the weights toward zero; the biases only follow the data.
  double plain_norm = 0, decayed_norm = 0;
  for (int q = 0; q < 8; ++q) {
    plain_norm += std::pow(plain.at("params").at(q).get<double>(), 2);
    decayed_norm += std::pow(decayed.at("params").at(q).get<double>(), 2);
  }
  EXPECT_LT(decayed_norm, plain_norm);
  EXPECT_NE(run_manynets(run + " --weight-decay 0.05").out.find("weight decay 0.05"), std::string::npos);
  EXPECT_EQ(run_manynets(run).out.find("weight decay"), std::string::npos);
}

TEST(CliTrain, RandomInitialisationDependsOnTheRunSeedOnly) {
  const auto first =
      parse_json(run_manynets("train --preset seed --init uniform:1 --seed 3 --steps 1 --json"));
  const auto again =
      parse_json(run_manynets("train --preset seed --init uniform:1 --seed 3 --steps 1 --json"));
  const auto other =
      parse_json(run_manynets("train --preset seed --init uniform:1 --seed 4 --steps 1 --json"));
  EXPECT_EQ(first.at("params"), again.at("params"));
  EXPECT_NE(first.at("params"), other.at("params"));
}

TEST(CliTrain, CsvDataTrainsWithSeedLikeDefaults) {
  const nlohmann::json j = parse_json(
      run_manynets("train --data '" + data_file("cli_xor.csv") + "' --shape 2-2-1 --steps 20 --json"));
  EXPECT_EQ(j.at("steps").get<int>(), 20);
  EXPECT_EQ(j.at("learning_rate").get<double>(), 0.5);
  EXPECT_EQ(j.at("outputs").size(), 4u);
  EXPECT_EQ(j.at("init").get<std::string>(), "uniform:1");
}

// --hidden gives the data's network its width (I and O from the header), and
// a shape that is not compiled in trains on cpu as on the reference.
TEST(CliTrain, HiddenWidthWithDataAndAShapeThatIsNotCompiled) {
  const std::string common = "train --data '" + data_file("cli_xor.csv") +
                             "' --hidden 5 --steps 200 --lr 2 --seed 3 --target-loss 0 --json --backend ";
  const nlohmann::json ref = parse_json(run_manynets(common + "reference"));
  const nlohmann::json cpu = parse_json(run_manynets(common + "cpu"));
  EXPECT_EQ(ref.at("shape").get<std::string>(), "2-5-1");
  EXPECT_EQ(cpu.at("shape").get<std::string>(), "2-5-1");
  EXPECT_EQ(ref.at("params").size(), 21u);
  EXPECT_EQ(cpu.at("steps").get<int>(), 200);
  EXPECT_NEAR(cpu.at("loss").get<double>(), ref.at("loss").get<double>(), 1e-4);
  expect_usage_error("train --preset xor --hidden 2,3", "manynets sweep");
  expect_usage_error("train --preset xor --hidden 65", "1 to 64");
}

// train is a sweep of one network: the same options, read by the same parser,
// train the same network to the same bits.
TEST(CliTrain, IsTheSweepOfOneNetwork) {
  const std::string options =
      "--preset xor --shape 2-2-2 --lr 0.7 --optimizer adam --hidden-activation tanh --init uniform:1 "
      "--seed 5 --steps 300 --weight-decay 0.001 --mode online --target-loss 1e-3 --backend reference --json";
  const nlohmann::json trained = parse_json(run_manynets("train " + options));
  const nlohmann::json swept = parse_json(run_manynets("sweep " + options));
  ASSERT_EQ(swept.at("networks").get<int>(), 1);
  EXPECT_EQ(swept.at("best").at("id").get<int>(), 0);
  EXPECT_EQ(trained.at("loss").get<double>(), swept.at("best").at("loss").get<double>());
  EXPECT_EQ(trained.at("steps").get<int>(), swept.at("best").at("steps").get<int>());
}

// ---- the loss curve file

TEST(CliCurve, WritesOneRowPerStepWithTheExactHeader) {
  const fs::path dir = make_temp_dir();
  const fs::path curve = dir / "curve.csv";
  const RunResult r = run_manynets("train --preset seed --steps 100 --json --curve '" + curve.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = lines_of(read_file(curve));
  ASSERT_EQ(lines.size(), 102u);  // header + steps 0..100
  EXPECT_EQ(lines[0], "step,loss,abs_error");
  EXPECT_EQ(lines[1].rfind("0,", 0), 0u);
  EXPECT_EQ(lines[101].rfind("100,", 0), 0u);
  const double first_loss = std::stod(lines[1].substr(2));
  EXPECT_NEAR(first_loss, 0.298371109, 0.298371109 * 1e-7);  // stored as float
  // Only the curve is left in the directory: the temporary was renamed over it.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  fs::remove_all(dir);
}

TEST(CliCurve, StopsAtTheStepWhereTheNetworkConverged) {
  const fs::path dir = make_temp_dir();
  const fs::path curve = dir / "curve.csv";
  const nlohmann::json j = parse_json(
      run_manynets("train --preset seed --lr 2 --target-loss 0.001 --json --curve '" + curve.string() + "'"));
  ASSERT_EQ(j.at("status").get<std::string>(), "converged");
  const std::vector<std::string> lines = lines_of(read_file(curve));
  EXPECT_EQ(lines.size(), j.at("steps").get<std::size_t>() + 2);
  EXPECT_EQ(lines.back().find("nan"), std::string::npos);
  fs::remove_all(dir);
}

TEST(CliCurve, UnwritablePathIsAUsageErrorAndLeavesNoFile) {
  const fs::path dir = make_temp_dir();
  const fs::path curve = dir / "no-such-dir" / "curve.csv";
  expect_usage_error("train --preset seed --steps 5 --curve '" + curve.string() + "'", curve.string());
  EXPECT_FALSE(fs::exists(curve));
  // A directory in place of the file: refused before training, nothing written beside it.
  expect_usage_error("train --preset seed --steps 5 --curve '" + dir.string() + "'", dir.string());
  for (const auto& entry : fs::directory_iterator(dir.parent_path())) {
    EXPECT_NE(entry.path().string().rfind(dir.string() + ".tmp-", 0), 0u) << entry.path();
  }
  EXPECT_TRUE(fs::is_empty(dir));
  fs::remove_all(dir);
}

// ---- bad usage and bad input: status 2, one line

TEST(CliErrors, BadUsageGivesStatusTwoAndOneLine) {
  expect_usage_error("train --bogus", "manynets train --help");
  expect_usage_error("frobnicate", "frobnicate");
  expect_usage_error("train --preset nope", "nope");
  expect_usage_error("train --hidden-activation swish", "swish");
  expect_usage_error("train --lr -1", "--lr");
  expect_usage_error("train --lr nan", "finite");
  expect_usage_error("train --lr inf", "finite");
  expect_usage_error("train --lr 0.5x", "0.5x");
  expect_usage_error("train --lr 0x1p3", "--lr");
  expect_usage_error("train --lr ''", "--lr");
  expect_usage_error("train --momentum 1 --optimizer momentum", "--momentum");
  expect_usage_error("train --steps -5", "--steps");
  expect_usage_error("train --steps abc", "abc");
  expect_usage_error("train --steps 1.5", "--steps");
  expect_usage_error("train --steps 99999999999", "--steps");
  expect_usage_error("train --seed -1", "--seed");
  expect_usage_error("train --target-loss -0.1", "--target-loss");
  expect_usage_error("train --weight-decay -1e-4", "--weight-decay");
  expect_usage_error("train --weight-decay 0.1,0.2", "manynets sweep");
  expect_usage_error("sweep --weight-decay 0,-1", "--weight-decay");
  expect_usage_error("train --preset seed --rule seed-blog --weight-decay 0.01", "weight decay");
  expect_usage_error("train --train-biases maybe", "on or off");
  expect_usage_error("train --optimizer rmsprop", "rmsprop");
  expect_usage_error("train --mode batch", "batch");
  expect_usage_error("train --init gaussian", "gaussian");
  expect_usage_error("train --backend nope", "nope");
  expect_usage_error("train --lr", "--lr");
  expect_usage_error("validate --backend nope", "nope");
  expect_usage_error("validate --backend reference", "reference");
  expect_usage_error("validate --backend cpu --lr 0:1:0", "--lr");
  expect_usage_error("validate --backend cpu --math slow", "slow");
  expect_usage_error("bench --networks 0", "--networks");
  expect_usage_error("bench --backends cpu,nope --networks 10 --steps 1", "nope");
  expect_usage_error("bench --steps x", "--steps");
}

TEST(CliErrors, ValueListsPointToSweep) {
  expect_usage_error("train --lr 0.1,0.5", "manynets sweep");
  expect_usage_error("train --lr 0.1:1:5", "manynets sweep");
  expect_usage_error("train --steps 100,200", "manynets sweep");
  expect_usage_error("train --hidden-activation sigmoid,tanh", "manynets sweep");
}

TEST(CliErrors, BadDataFilesNameTheProblem) {
  expect_usage_error("train --data '" + data_file("cli_missing.csv") + "' --shape 2-2-1", "cli_missing.csv");
  expect_usage_error("train --data '" + data_file("cli_bad_cell.csv") + "' --shape 2-2-1",
                     "cli_bad_cell.csv");
  const RunResult bad_cell =
      run_manynets("train --data '" + data_file("cli_bad_cell.csv") + "' --shape 2-2-1");
  EXPECT_NE(bad_cell.err.find("cli_bad_cell.csv:3"), std::string::npos) << bad_cell.err;  // file:line
  expect_usage_error("train --data '" + data_file("cli_ragged.csv") + "' --shape 2-2-1", "cli_ragged.csv");
  expect_usage_error("train --data '" + data_file("cli_xor.csv") + "' --shape 2-2-2", "t2");
  expect_usage_error("train --data '" + data_file("cli_xor.csv") + "'", "--shape");
  expect_usage_error("train --data '" + data_file("cli_xor.csv") + "' --shape 2-2-1 --preset xor",
                     "--preset");
}

TEST(CliErrors, ShapesAndRulesTheBuildLacks) {
  expect_usage_error("train --preset xor --shape 3-3-3", "3-3-3");
  expect_usage_error("train --preset xor --shape 2-100-1", "1..64 hidden units");
  expect_usage_error("train --shape 2-2", "2-2");
  expect_usage_error("train --preset seed --shape 2-2-1", "2-2-1");
  expect_usage_error("train --rule seed-blog --preset xor", "seed");
  expect_usage_error("train --rule nope", "nope");
}

// ---- info, help, version and the default job

TEST(CliInfo, JsonHasTheDocumentedKeys) {
  const nlohmann::json j = parse_json(run_manynets("info --json"));
  for (const char* key :
       {"version", "cuda_compiled", "cuda_devices", "simd", "backends", "shapes", "presets"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_TRUE(j.at("cuda_devices").is_array());
  EXPECT_TRUE(j.at("cuda_compiled").is_boolean());
  EXPECT_NE(std::find(j.at("backends").begin(), j.at("backends").end(), "reference"), j.at("backends").end());
  EXPECT_EQ(j.at("shapes").at(0).get<std::string>(), "2-2-2");
  EXPECT_EQ(j.at("largest_shape").get<std::string>(), "16-64-16");
  EXPECT_NE(j.at("shape_limits").get<std::string>().find("1..64 hidden units"), std::string::npos);
  EXPECT_TRUE(j.at("compiled_shapes_only").is_array());
  EXPECT_EQ(j.at("presets").at(0).get<std::string>(), "seed");
  // The cpu backend's instruction set (built with its own flags), not the CLI's.
  EXPECT_EQ(j.at("simd").get<std::string>(),
            manynets::cpu::instruction_set() + " x" + std::to_string(manynets::cpu::vector_width()));
}

TEST(CliInfo, TextNamesVersionAndBackends) {
  const RunResult r = run_manynets("info");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("manynets "), std::string::npos);
  EXPECT_NE(r.out.find("reference"), std::string::npos);
  EXPECT_NE(r.out.find("CUDA"), std::string::npos);
  EXPECT_NE(r.out.find("up to 16-64-16"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("general path"), std::string::npos) << r.out;
}

TEST(CliHelp, HelpAndVersionExitZero) {
  const RunResult help = run_manynets("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("train"), std::string::npos);
  const RunResult train_help = run_manynets("train -h");
  EXPECT_EQ(train_help.exit_code, 0);
  EXPECT_NE(train_help.out.find("--lr"), std::string::npos);
  const RunResult version = run_manynets("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("manynets ", 0), 0u) << version.out;
}

TEST(CliDefault, NoArgumentsSweepsTheWorkedExampleAndWritesManynetsOut) {
  const fs::path dir = make_temp_dir();
  const RunResult r = run_manynets_in(dir, "");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 16 rates x (the example's weights once + 256 uniform:1 draws).
  EXPECT_NE(r.out.find("= 4112 networks"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("best network"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("manynets train --preset seed"), std::string::npos);
  EXPECT_NE(r.out.find("manynets --help"), std::string::npos);
  // One table row per learning rate, the first 0.05 and the last 10; one per init.
  EXPECT_NE(r.out.find("\n0.05 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n10 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nuniform:1 "), std::string::npos) << r.out;
  for (const char* name : {"runs.csv", "summary.json", "curves.csv"}) {
    EXPECT_TRUE(fs::exists(dir / "manynets-out" / name)) << name;
  }
  EXPECT_NE(r.out.find("manynets-out/runs.csv"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("plots: "), std::string::npos) << r.out;
  fs::remove_all(dir);
}

// ---- sweep

TEST(CliSweep, WritesItsFilesAndPrintsATablePerSweptHyperparameter) {
  const fs::path dir = make_temp_dir();
  const RunResult r = run_manynets(
      "sweep --preset xor --shape 2-2-1 --lr 0.5:8:3:log --init uniform:1 --seeds 4 "
      "--steps 500 --target-loss 0.05 --backend reference --out '" +
      (dir / "out").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // no progress when stderr is not a terminal
  EXPECT_NE(r.out.find("12 networks"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("learning_rate"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("median steps to target"), std::string::npos) << r.out;
  for (const char* name : {"runs.csv", "summary.json", "curves.csv"}) {
    EXPECT_TRUE(fs::exists(dir / "out" / name)) << name;
  }
  EXPECT_EQ(lines_of(read_file(dir / "out" / "runs.csv")).size(), 13u);
  for (const auto& entry : fs::directory_iterator(dir / "out")) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }
  fs::remove_all(dir);
}

TEST(CliSweep, JsonHasTheDocumentedKeysAndTrainIdReproducesTheBest) {
  const nlohmann::json j = parse_json(
      run_manynets("sweep --preset xor --lr 1,4 --seeds 5 --steps 400 --target-loss 0.05 --mode full,online "
                   "--backend reference --json"));
  for (const char* key : {"networks", "converged", "diverged", "best"}) EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j.at("networks").get<int>(), 20);
  const nlohmann::json& best = j.at("best");
  for (const char* key : {"id", "hyperparameters", "loss"}) EXPECT_TRUE(best.contains(key)) << key;
  const nlohmann::json& hp = best.at("hyperparameters");
  const nlohmann::json again = parse_json(
      run_manynets("train --preset xor --lr " + hp.at("learning_rate").get<std::string>() + " --mode " +
                   hp.at("mode").get<std::string>() + " --steps 400 --target-loss 0.05 --id " +
                   std::to_string(best.at("id").get<int>()) + " --json"));
  EXPECT_EQ(again.at("loss").get<double>(), best.at("loss").get<double>());
}

// The report's reproduce line, run as printed, trains the best network again to
// the same loss: every swept value (drawn at random, momentum and weight decay
// among them) reaches train at full precision.
TEST(CliSweep, TheReproduceLineRetrainsTheBestNetwork) {
  const std::string sweep =
      "sweep --preset xor --lr 0.3:3:4:log --optimizer sgd,momentum,adam --momentum 0.5:0.9:3 "
      "--weight-decay 0:1e-3:3 --init uniform:1,xavier --random 24 --steps 300 --backend reference";
  const nlohmann::json j = parse_json(run_manynets(sweep + " --json"));
  const RunResult report = run_manynets(sweep);
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const std::string prefix = "reproduce: manynets ";
  const std::size_t at = report.out.find(prefix);
  ASSERT_NE(at, std::string::npos) << report.out;
  const std::size_t from = at + prefix.size();
  const std::string line = report.out.substr(from, report.out.find('\n', from) - from);
  const nlohmann::json again = parse_json(run_manynets(line + " --backend reference --json"));
  EXPECT_EQ(again.at("loss").get<double>(), j.at("best").at("loss").get<double>()) << line;
}

// --math fast reaches the batch: cpu's fast results differ from its precise
// ones in the last digits, the reports and JSON say so, and the reproduce line
// keeps it.
TEST(CliSweep, MathFastReachesTheTrainingTheReportAndTheJson) {
  const std::string sweep =
      "sweep --preset xor --lr 0.5,2 --init uniform:1 --seeds 3 --steps 300 --backend cpu";
  const nlohmann::json precise = parse_json(run_manynets(sweep + " --json"));
  const nlohmann::json fast = parse_json(run_manynets(sweep + " --math fast --json"));
  EXPECT_EQ(precise.at("math_mode").get<std::string>(), "precise");
  EXPECT_EQ(fast.at("math_mode").get<std::string>(), "fast");
  const double a = precise.at("best").at("loss").get<double>(), b = fast.at("best").at("loss").get<double>();
  EXPECT_NE(a, b);
  EXPECT_NEAR(a, b, 1e-3 * a);
  const RunResult report = run_manynets(sweep + " --math fast");
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("backend cpu, math fast"), std::string::npos) << report.out;
  EXPECT_NE(report.out.find("--math fast --seed 1 --id"), std::string::npos) << report.out;
  const nlohmann::json train =
      parse_json(run_manynets("train --preset seed --backend cpu --math fast --json"));
  EXPECT_EQ(train.at("math_mode").get<std::string>(), "fast");
}

// As train does, a sweep under rule seed-blog without --steps runs the seed
// program's 5001 updates.
TEST(CliSweep, SeedBlogRuleRunsTheSeedProgramsUpdatesWithoutSteps) {
  const nlohmann::json j = parse_json(
      run_manynets("sweep --preset seed --rule seed-blog --train-biases off --backend reference --json"));
  EXPECT_EQ(j.at("best").at("steps").get<int>(), 5001);
  const nlohmann::json given = parse_json(run_manynets(
      "sweep --preset seed --rule seed-blog --train-biases off --steps 10 --backend reference --json"));
  EXPECT_EQ(given.at("best").at("steps").get<int>(), 10);
}

TEST(CliSweep, ConfigFileAndFlagsAgreeAndFlagsOverride) {
  const fs::path dir = make_temp_dir();
  std::ofstream(dir / "sweep.json") << R"({"preset": "xor", "lr": [1, 2], "seeds": 3, "steps": 50})";
  const nlohmann::json from_file =
      parse_json(run_manynets("sweep --config '" + (dir / "sweep.json").string() + "' --json"));
  const nlohmann::json from_flags =
      parse_json(run_manynets("sweep --preset xor --lr 1,2 --seeds 3 --steps 50 --json"));
  EXPECT_EQ(from_file.at("networks"), 6);
  EXPECT_EQ(from_file.at("best"), from_flags.at("best"));
  const nlohmann::json overridden =
      parse_json(run_manynets("sweep --config '" + (dir / "sweep.json").string() + "' --seeds 2 --json"));
  EXPECT_EQ(overridden.at("networks"), 4);
  fs::remove_all(dir);
}

// ---- validate and bench

void expect_validate_json(const nlohmann::json& j, const std::string& backend) {
  for (const char* key :
       {"backend", "networks", "max_rel_error_loss", "max_abs_error_params", "status_mismatches", "passed"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j.at("backend").get<std::string>(), backend);
  EXPECT_GT(j.at("networks").get<int>(), 0);
  EXPECT_TRUE(j.at("passed").get<bool>()) << j.dump();
  EXPECT_EQ(j.at("status_mismatches").get<int>(), 0);
  EXPECT_LE(j.at("max_rel_error_loss").get<double>(),
            j.at("tolerances").at("run_relative").get<double>() * 2);
}

TEST(CliValidate, CpuPassesOnTheDefaultSeedWorkload) {
  const RunResult r = run_manynets("validate --backend cpu");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PASSED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tolerances (precise)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("by status only"), std::string::npos) << r.out;
  const nlohmann::json j = parse_json(run_manynets("validate --backend cpu --json"));
  expect_validate_json(j, "cpu");
  EXPECT_EQ(j.at("networks").get<int>(), 72);
}

TEST(CliValidate, CpuPassesOnSeedAndXorSweeps) {
  expect_validate_json(
      parse_json(run_manynets("validate --backend cpu --preset seed --lr 0.1:2:5 --steps 2000 --json")),
      "cpu");
  const nlohmann::json xor_json = parse_json(run_manynets(
      "validate --backend cpu --preset xor --shape 2-2-1 --lr 0.5,2,8 --seeds 20 --steps 3000 --json"));
  expect_validate_json(xor_json, "cpu");
  EXPECT_EQ(xor_json.at("networks").get<int>(), 60);
  EXPECT_EQ(xor_json.at("compared_by_value").get<int>() + xor_json.at("compared_by_status").get<int>(), 60);
}

TEST(CliValidate, CpuPassesWithWeightDecayOnEveryOptimizer) {
  const nlohmann::json j = parse_json(run_manynets(
      "validate --backend cpu --preset xor --shape 2-2-1 --lr 0.5,2 --optimizer sgd,momentum,adam "
      "--weight-decay 0,1e-3,0.05 --seeds 4 --steps 2000 --json"));
  expect_validate_json(j, "cpu");
  EXPECT_EQ(j.at("networks").get<int>(), 2 * 3 * 3 * 4);
}

// validate on every fast backend this build has and this machine can run (the
// reference is what they are compared with); the GPU backends need a device
// (the test says which it left out).
TEST(CliValidate, EveryBackendOfTheMachinePasses) {
  const nlohmann::json info = parse_json(run_manynets("info --json"));
  const bool device = !info.at("cuda_devices").empty();
  std::vector<std::string> validated, left_out;
  for (const nlohmann::json& b : info.at("backends")) {
    const std::string name = b.get<std::string>();
    if (name == "auto" || name == "reference") continue;
    if (name.rfind("cu", 0) == 0 && !device) {
      left_out.push_back(name);
      continue;
    }
    SCOPED_TRACE(name);
    expect_validate_json(parse_json(run_manynets("validate --backend " + name + " --json")), name);
    validated.push_back(name);
  }
  EXPECT_NE(std::find(validated.begin(), validated.end(), "cpu"), validated.end());
  if (!left_out.empty()) {
    std::string names;
    for (const std::string& n : left_out) names += " " + n;
    std::cout << "[   NOTE   ] no CUDA device: not validated:" << names << "\n";
  }
}

TEST(CliValidate, InjectedDeviationFailsWithStatusOne) {
  const RunResult r = run_manynets_command("MANYNETS_VALIDATE_INJECT=1e-2 '" + std::string(MANYNETS_EXE) +
                                           "' validate --backend cpu --json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j.at("passed").get<bool>());
  EXPECT_GT(j.at("max_abs_error_params").get<double>(), 1e-3);
  ASSERT_FALSE(j.at("worst").empty());
  EXPECT_EQ(j.at("worst").at(0).at("id").get<int>(), 0);
  const RunResult text = run_manynets_command("MANYNETS_VALIDATE_INJECT=1e-2 '" + std::string(MANYNETS_EXE) +
                                              "' validate --backend cpu");
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("FAILED"), std::string::npos) << text.out;
}

TEST(CliBench, JsonReportsPositiveRatesForCpuAndReference) {
  const nlohmann::json j =
      parse_json(run_manynets("bench --backends cpu,reference --networks 64 --steps 20 --repeats 3 --json"));
  ASSERT_EQ(j.at("results").size(), 2u);
  for (const nlohmann::json& r : j.at("results")) {
    for (const char* key :
         {"backend", "networks", "steps", "seconds", "net_steps_per_second", "fraction_of_ceiling"})
      EXPECT_TRUE(r.contains(key)) << key;
    EXPECT_EQ(r.at("networks").get<int>(), 64);
    EXPECT_EQ(r.at("steps").get<int>(), 20);
    EXPECT_GT(r.at("seconds").get<double>(), 0);
    EXPECT_GT(r.at("net_steps_per_second").get<double>(), 0);
    // The host ceilings come from the FMA rate measured on this machine.
    ASSERT_FALSE(r.at("fraction_of_ceiling").is_null()) << r.at("ceiling_model");
    EXPECT_GT(r.at("fraction_of_ceiling").get<double>(), 0);
    EXPECT_NE(r.at("ceiling_model").get<std::string>().find("FMAs/s measured on"), std::string::npos)
        << r.at("ceiling_model");
    // Host backends have no device kernels to time.
    EXPECT_TRUE(r.at("kernel_net_steps_per_second").is_null());
    EXPECT_TRUE(r.at("all_kernel_seconds").empty());
  }
  EXPECT_EQ(j.at("results").at(0).at("backend").get<std::string>(), "cpu");
  const RunResult text = run_manynets("bench --backends cpu,reference --networks 64 --steps 20 --repeats 2");
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("ratios"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("ceiling"), std::string::npos) << text.out;
}

}  // namespace

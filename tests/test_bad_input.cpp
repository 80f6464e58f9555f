// Bad input through the real `manynets` executable, one test per kind: every
// case ends with exit status 2, one "manynets: error: ..." line naming what is
// wrong (the key phrase each test looks for) and what to do, nothing on
// standard output, and no file in the --out directory the run was given.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;

using manynets::testing::lines_of;
using manynets::testing::make_temp_dir;
using manynets::testing::run_manynets_command;
using manynets::testing::RunResult;

std::string data_file(const std::string& name) {
  return std::string(MANYNETS_TEST_DATA) + "/" + name;
}

std::string quoted(const fs::path& path) {
  return "'" + path.string() + "'";
}

// Runs `ENV manynets ARGS --out DIR` with DIR a fresh path and expects the
// refusal: status 2, one error line holding `phrase`, and DIR absent or empty.
// Returns the error line.
std::string expect_refused(const std::string& args, const std::string& phrase, const std::string& env = "") {
  SCOPED_TRACE(env + " manynets " + args);
  const fs::path dir = make_temp_dir();
  const fs::path out = dir / "out";
  // Plots would only slow the runs that wrongly got as far as drawing them.
  const RunResult r = run_manynets_command("MANYNETS_PYTHON=/nonexistent " + env + " '" +
                                           std::string(MANYNETS_EXE) + "' " + args + " --out " + quoted(out));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("manynets: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(phrase), std::string::npos) << "'" << phrase << "' not in: " << r.err;
  EXPECT_TRUE(!fs::exists(out) || fs::is_empty(out)) << "files were left in " << out;
  fs::remove_all(dir);
  return r.err;
}

// ---- flags and names

TEST(BadInput, UnknownFlagPointsToHelp) {
  expect_refused("sweep --bogus 1", "--bogus");
  expect_refused("sweep --bogus", "manynets sweep --help");
}

TEST(BadInput, UnknownPresetListsTheKnownOnes) {
  const std::string e = expect_refused("sweep --preset nope", "unknown preset 'nope'");
  EXPECT_NE(e.find("seed, xor"), std::string::npos) << e;
}

TEST(BadInput, UnknownNamesAreRefused) {
  expect_refused("sweep --hidden-activation swish", "swish");
  expect_refused("sweep --optimizer rmsprop", "rmsprop");
  expect_refused("sweep --mode batch", "batch");
  expect_refused("sweep --init gaussian", "gaussian");
  expect_refused("sweep --backend nope", "unknown backend 'nope'");
  expect_refused("sweep --curves sometimes", "--curves");
}

TEST(BadInput, BadCountsAreRefused) {
  expect_refused("sweep --seeds 0", "--seeds");
  expect_refused("sweep --threads -1", "--threads");
  expect_refused("sweep --curve-every 0", "--curve-every");
  expect_refused("sweep --seed -1", "--seed");
}

// ---- ranges

TEST(BadInput, RangeOfLettersIsMalformed) {
  expect_refused("sweep --lr a:b:c", "'a' is not a finite number");
  expect_refused("sweep --lr 0.1:1:x", "--lr");
  expect_refused("sweep --lr 0.1:1", "--lr");
}

TEST(BadInput, RangeOfZeroValuesIsMalformed) {
  expect_refused("sweep --lr 0.1:1:0", "from 1 to");
  expect_refused("sweep --lr 0.1:1:-3", "--lr");
  expect_refused("sweep --lr 0:1:3:log", "log");
}

// A range whose first end is the larger one runs downwards (documented): 1:0:5
// is well formed. Where its values leave the option's domain it is refused.
TEST(BadInput, DownwardRangeIsAcceptedUnlessItsValuesAreOutOfRange) {
  const RunResult ok = run_manynets_command("'" + std::string(MANYNETS_EXE) +
                                            "' sweep --lr 1:0:5 --steps 5 --backend reference --json");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(nlohmann::json::parse(ok.out).at("networks").get<int>(), 5) << ok.out;
  expect_refused("sweep --steps 1:0:5", "--steps '1:0:5'");
  expect_refused("sweep --momentum 1:0:5 --optimizer momentum", "[0, 1)");
}

// ---- hyperparameter values

TEST(BadInput, NegativeLearningRate) {
  expect_refused("sweep --lr -1", "learning rates must be >= 0");
  expect_refused("sweep --lr 0.5,-0.1", "-0.1");
}

TEST(BadInput, NonFiniteLearningRate) {
  expect_refused("sweep --lr nan", "not a finite number");
  expect_refused("sweep --lr inf", "not a finite number");
  expect_refused("sweep --lr 1e999", "--lr");
}

TEST(BadInput, MomentumOutsideZeroToOne) {
  expect_refused("sweep --optimizer momentum --momentum 1", "momentum must be in [0, 1)");
  expect_refused("sweep --optimizer momentum --momentum -0.1", "momentum must be in [0, 1)");
  expect_refused("sweep --optimizer momentum --momentum 1.5", "momentum must be in [0, 1)");
}

TEST(BadInput, StepsNotPositive) {
  expect_refused("sweep --steps 0", "step counts must be from 1");
  expect_refused("sweep --steps -5", "step counts must be from 1");
  expect_refused("sweep --steps abc", "abc");
}

TEST(BadInput, StepsAbsurdlyLarge) {
  expect_refused("sweep --steps 99999999999", "1000000000");
  expect_refused("sweep --steps 2000000000", "1000000000");
}

TEST(BadInput, NegativeTargetLoss) {
  expect_refused("sweep --target-loss -1", "target losses must be >= 0");
}

TEST(BadInput, ShapeBeyondTheLimitsNamesThem) {
  const std::string e =
      expect_refused("sweep --preset xor --shape 2-65-1", "65 hidden units is out of range");
  EXPECT_NE(e.find("1..16 inputs, 1..64 hidden units and 1..16 outputs"), std::string::npos) << e;
  expect_refused("sweep --preset xor --hidden 0:4:4", "hidden widths must be whole numbers from 1 to 64");
  expect_refused("sweep --preset xor --hidden 2.5", "not a whole number");
  expect_refused("sweep --preset xor --shape 3-3-3", "needs 2 inputs");
  expect_refused("sweep --shape 2-2", "2-2");
  expect_refused("sweep --preset seed --shape 2-2-1", "2-2-1");
}

// ---- CSV datasets

TEST(BadInput, CsvMissing) {
  expect_refused("sweep --data " + data_file("cli_missing.csv") + " --shape 2-2-1",
                 "cli_missing.csv: cannot open");
}

TEST(BadInput, CsvEmpty) {
  expect_refused("sweep --data " + data_file("cli_empty.csv") + " --shape 2-2-1", "empty file");
  expect_refused("sweep --data " + data_file("cli_header_only.csv") + " --shape 2-2-1",
                 "no samples after the header");
}

TEST(BadInput, CsvRagged) {
  expect_refused("sweep --data " + data_file("cli_ragged.csv") + " --shape 2-2-1",
                 "cli_ragged.csv:3: row has 2 cells, header has 3");
}

TEST(BadInput, CsvNonNumeric) {
  expect_refused("sweep --data " + data_file("cli_bad_cell.csv") + " --shape 2-2-1",
                 "cli_bad_cell.csv:3: column 2 (x2): 'abc' is not a number");
}

TEST(BadInput, CsvNotFinite) {
  expect_refused("sweep --data " + data_file("cli_nan.csv") + " --shape 2-2-1", "cli_nan.csv:3");
  expect_refused("sweep --data " + data_file("cli_nan.csv") + " --shape 2-2-1", "non-finite value 'nan'");
  expect_refused("sweep --data " + data_file("cli_inf.csv") + " --shape 2-2-1", "non-finite value 'inf'");
}

TEST(BadInput, CsvColumnsDoNotFitTheShape) {
  expect_refused("sweep --data " + data_file("cli_xor.csv") + " --shape 2-2-2", "missing column t2");
  expect_refused("sweep --data " + data_file("cli_xor.csv") + " --shape 4-8-3", "missing column x3");
  expect_refused("sweep --data " + data_file("cli_xor.csv"), "--data needs --shape");
  expect_refused("sweep --data " + data_file("cli_xor.csv") + " --shape 2-2-1 --preset xor",
                 "--preset and --data exclude each other");
}

TEST(BadInput, CsvHuge) {
  const fs::path dir = make_temp_dir();
  const fs::path huge = dir / "huge.csv";
  std::ofstream(huge) << "x1,x2,t1\n";
  fs::resize_file(huge, 70u << 20);  // sparse: refused by its size before anything is read
  expect_refused("sweep --data " + quoted(huge) + " --shape 2-2-1", "file too large (70 MiB, limit 64 MiB)");
  fs::remove_all(dir);
}

TEST(BadInput, CsvNotText) {
  const fs::path dir = make_temp_dir();
  const fs::path binary = dir / "data.csv";
  std::ofstream(binary, std::ios::binary) << std::string("x1,x2,t1\n0,0,\0\x01\x02", 15);
  expect_refused("sweep --data " + quoted(binary) + " --shape 2-2-1", "not a text CSV file");
  expect_refused("sweep --data " + quoted(dir) + " --shape 2-2-1", "is a directory");
  fs::remove_all(dir);
}

// ---- config files

TEST(BadInput, ConfigUnreadable) {
  const fs::path dir = make_temp_dir();
  expect_refused("sweep --config " + quoted(dir / "missing.json"), "cannot read the config file");
  expect_refused("sweep --config " + quoted(dir), "is a directory");
  std::ofstream(dir / "broken.json") << "{\"lr\": ";
  expect_refused("sweep --config " + quoted(dir / "broken.json"), "is not valid JSON");
  // A number past the double range is nlohmann's out_of_range, not a parse error
  // (found by tests/fuzz/fuzz_config.cpp).
  std::ofstream(dir / "overflow.json") << R"({"lr": [0.1, 1e400]})";
  expect_refused("sweep --config " + quoted(dir / "overflow.json"), "is not valid JSON");
  std::ofstream(dir / "list.json") << "[1, 2]";
  expect_refused("sweep --config " + quoted(dir / "list.json"), "must hold one JSON object");
  std::ofstream(dir / "unknown.json") << R"({"lr": 1, "learning-rate": 2})";
  expect_refused("sweep --config " + quoted(dir / "unknown.json"), "unknown key \"learning-rate\"");
  std::ofstream(dir / "nested.json") << R"({"lr": {"from": 1}})";
  expect_refused("sweep --config " + quoted(dir / "nested.json"), "not a string, number or boolean");
  std::ofstream(dir / "bad_value.json") << R"({"lr": -1})";
  expect_refused("sweep --config " + quoted(dir / "bad_value.json"), "learning rates must be >= 0");
  std::ofstream(dir / "big.json") << "{}";
  fs::resize_file(dir / "big.json", 2u << 20);
  expect_refused("sweep --config " + quoted(dir / "big.json"), "too large");
  fs::remove_all(dir);
}

// ---- where the files go, memory, backends

// Refused before training: the sweep given would train for minutes (and the
// test time out) if the directory were checked only when the files are written.
TEST(BadInput, OutDirectoryNotWritableIsRefusedBeforeTraining) {
  const std::string long_sweep = "--init uniform:1 --seeds 200 --steps 100000000 --backend reference";
  const fs::path dir = make_temp_dir();
  std::ofstream(dir / "a-file") << "in the way\n";
  for (const fs::path& out :
       {fs::path("/proc/manynets-cannot-write"), dir / "a-file", dir / "a-file" / "sub"}) {
    SCOPED_TRACE(out.string());
    const RunResult r = run_manynets_command("'" + std::string(MANYNETS_EXE) + "' sweep " + long_sweep +
                                             " --out " + quoted(out));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
    EXPECT_NE(r.err.find("cannot write into the output directory '" + out.string() + "'"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("give --out a writable directory"), std::string::npos) << r.err;
  }
  EXPECT_EQ(manynets::testing::read_file(dir / "a-file"), "in the way\n");
  fs::remove_all(dir);
}

TEST(BadInput, BatchTooLargeForMemorySaysHowLargeAndSuggestsChunks) {
  const std::string e =
      expect_refused("sweep --init uniform:1 --seeds 100000",
                     "100000 networks need about 53.4 MB of memory, more than the 1 MB available",
                     "MANYNETS_MEMORY_LIMIT=1000000");
  EXPECT_NE(e.find("split the sweep into chunks of at most about"), std::string::npos) << e;
  expect_refused("sweep", "MANYNETS_MEMORY_LIMIT", "MANYNETS_MEMORY_LIMIT=lots");
}

TEST(BadInput, CudaBackendWithoutDevice) {
  // Without CUDA compiled in, or without a device, the message says so; with a
  // device the sweep runs, and there is nothing to refuse.
  const RunResult r = run_manynets_command("'" + std::string(MANYNETS_EXE) + "' info --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  if (!nlohmann::json::parse(r.out).at("cuda_devices").empty()) GTEST_SKIP() << "a CUDA device is present";
  expect_refused("sweep --backend cuda", "no CUDA device is available");
  expect_refused("sweep --backend cuda-staged", "CUDA");
}

TEST(BadInput, ChunkKnobMustBeAPositiveWholeNumber) {
  expect_refused("sweep", "MANYNETS_MAX_CHUNK must be between 1 and", "MANYNETS_MAX_CHUNK=0");
  expect_refused("sweep", "MANYNETS_MAX_CHUNK", "MANYNETS_MAX_CHUNK=many");
}

}  // namespace

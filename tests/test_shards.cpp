// Sweeps in shards: shard ranges cover every id once; run_sweep trains only the
// ids it is given; `manynets sweep --shard K/N` and `manynets merge` give the
// files one process gives, name a shard that is not done, and `merge --resume`
// trains only what is missing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "manynets/manynets.hpp"
#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
using manynets::IdRange;
using manynets::shard_range;
using manynets::testing::make_temp_dir;
using manynets::testing::read_file;
using manynets::testing::run_manynets_command;
using manynets::testing::RunResult;

TEST(ShardRange, CoversEveryIdOnceInNearlyEqualParts) {
  for (std::uint64_t networks : {0ULL, 1ULL, 7ULL, 100ULL, 1001ULL}) {
    for (std::uint64_t n : {1ULL, 2ULL, 3ULL, 4ULL, 7ULL, 150ULL}) {
      std::uint64_t next = 0, smallest = networks, largest = 0;
      for (std::uint64_t k = 0; k < n; ++k) {
        const IdRange r = shard_range(networks, k, n);
        EXPECT_EQ(r.begin, next) << networks << " networks, shard " << k << "/" << n;
        ASSERT_LE(r.begin, r.end);
        next = r.end;
        smallest = std::min(smallest, r.size());
        largest = std::max(largest, r.size());
      }
      EXPECT_EQ(next, networks) << networks << " networks, " << n << " shards";
      EXPECT_LE(largest - smallest, 1u) << networks << " networks, " << n << " shards";
    }
  }
  // No overflow where networks * k passes 2^64.
  const std::uint64_t huge = 1ULL << 62;
  EXPECT_EQ(shard_range(huge, 6, 7).end, huge);
  EXPECT_EQ(shard_range(huge, 1, 4).begin, huge / 4);
  EXPECT_THROW(shard_range(10, 4, 4), manynets::Error);
  EXPECT_THROW(shard_range(10, 0, 0), manynets::Error);
}

// Counts what a backend is asked to train.
class CountingBackend : public manynets::Backend {
 public:
  std::string name() const override { return "cpu"; }
  std::size_t trained = 0;

 protected:
  void train_into(manynets::Results& results, const manynets::Batch& batch,
                  const manynets::Dataset& data) override {
    trained += batch.size();
    results = inner_->train(batch, data);
  }

 private:
  std::unique_ptr<manynets::Backend> inner_ = manynets::make_backend("cpu");
};

TEST(RunSweep, TrainsOnlyTheIdsItIsGivenAcrossShapes) {
  manynets::SweepSpec spec = manynets::make_sweep_spec({{"preset", "xor"},
                                                        {"shape", "2-2-1,2-2-2"},
                                                        {"lr", "0.5,2"},
                                                        {"init", "uniform:1"},
                                                        {"seeds", "30"},
                                                        {"steps", "200"}});
  const manynets::SweepPlan plan = manynets::expand(spec);
  ASSERT_EQ(plan.networks(), 120u);  // ids 0..59 of shape 2-2-1, 60..119 of 2-2-2
  CountingBackend all_backend, part_backend;
  const manynets::SweepResults all = manynets::run_sweep(plan, all_backend);
  manynets::SweepRunOptions options;
  options.first_id = 45;
  options.end_id = 80;
  options.max_chunk = 7;
  const manynets::SweepResults part = manynets::run_sweep(plan, part_backend, options);
  EXPECT_EQ(part_backend.trained, 35u);
  for (std::size_t g = 0; g < plan.groups.size(); ++g) {
    const manynets::Batch& b = plan.groups[g].batch;
    for (std::size_t i = 0; i < b.size(); ++i) {
      const std::uint64_t id = b.first_id + i;
      if (id < 45 || id >= 80) continue;
      EXPECT_EQ(part.results[g].loss[i], all.results[g].loss[i]) << "id " << id;
      EXPECT_EQ(part.results[g].steps[i], all.results[g].steps[i]) << "id " << id;
    }
  }
}

// ---- the command

const std::string xor_sweep =
    "sweep --preset xor --shape 2-2-1,2-2-2 --lr 0.5:4:4:log --init uniform:1 --seeds 25 --steps 800 "
    "--target-loss 0.01 --backend cpu --curves 9";

RunResult manynets_cmd(const std::string& args, const std::string& env = "") {
  return run_manynets_command("MANYNETS_MAX_CHUNK=16 MANYNETS_PYTHON=/nonexistent " + env + " '" +
                              std::string(MANYNETS_EXE) + "' " + args);
}

// summary.json without its timings, which differ from run to run.
nlohmann::json summary_without_timings(const fs::path& file) {
  nlohmann::json j = nlohmann::json::parse(read_file(file));
  j.erase("seconds");
  j.erase("net_steps_per_second");
  return j;
}

void expect_same_files(const fs::path& a, const fs::path& b) {
  for (const char* name : {"runs.csv", "curves.csv"}) {
    ASSERT_TRUE(fs::exists(a / name)) << (a / name);
    EXPECT_TRUE(read_file(a / name) == read_file(b / name)) << name << " differs";
  }
  EXPECT_EQ(summary_without_timings(a / "summary.json"), summary_without_timings(b / "summary.json"));
}

std::size_t chunk_files(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().filename().string().rfind("chunk-", 0) == 0;
  return n;
}

class CliShards : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    const RunResult one = manynets_cmd(xor_sweep + " --out '" + (dir_ / "one").string() + "'");
    ASSERT_EQ(one.exit_code, 0) << one.err;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string shards() const { return (dir_ / "shards").string(); }
  fs::path dir_;
};

TEST_F(CliShards, FourShardsMergedGiveTheFilesOfOneProcess) {
  for (int k = 3; k >= 0; --k) {  // any order
    const RunResult r =
        manynets_cmd(xor_sweep + " --out '" + shards() + "' --shard " + std::to_string(k) + "/4");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("shard " + std::to_string(k) + "/4"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(dir_ / "shards" / "runs.csv"));  // a shard writes its own directory only
  }
  const RunResult merged = manynets_cmd("merge '" + shards() + "'");
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_NE(merged.out.find("200 networks"), std::string::npos) << merged.out;
  expect_same_files(dir_ / "shards", dir_ / "one");
}

TEST_F(CliShards, MergeNamesAShardThatIsNotDoneAndResumeTrainsOnlyIt) {
  for (int k = 0; k < 4; ++k) {
    const RunResult r =
        manynets_cmd(xor_sweep + " --out '" + shards() + "' --shard " + std::to_string(k) + "/4");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const fs::path lost = dir_ / "shards" / "shard-2-of-4";
  ASSERT_GT(chunk_files(lost), 1u);
  for (const auto& e : fs::directory_iterator(lost)) {
    const std::string name = e.path().filename().string();
    if (name == "done" || name == "chunk-1-0") fs::remove(e.path());  // its first chunk and its marker
  }
  const RunResult refused = manynets_cmd("merge '" + shards() + "'");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("shard 2 of 4"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--resume"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(dir_ / "shards" / "runs.csv"));

  const RunResult resumed = manynets_cmd("merge --resume '" + shards() + "'");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  // The shard's first chunk (16 networks of MANYNETS_MAX_CHUNK) is all that trained again.
  EXPECT_NE(resumed.err.find("trained shard 2/4 here: 16 of its 50 networks"), std::string::npos)
      << resumed.err;
  EXPECT_EQ(resumed.err.find("trained shard 1/4"), std::string::npos) << resumed.err;
  expect_same_files(dir_ / "shards", dir_ / "one");
}

TEST_F(CliShards, ASlurmJobArrayTaskTrainsItsShard) {
  const RunResult r = manynets_cmd(xor_sweep + " --out '" + shards() + "'",
                                   "SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_COUNT=3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir_ / "shards" / "shard-1-of-3" / "done"));
  EXPECT_NE(r.err.find("Slurm job array task: training shard 1/3"), std::string::npos) << r.err;
}

TEST_F(CliShards, BadShardsAndMergesAreRefused) {
  const auto refused = [&](const std::string& args, const std::string& part) {
    const RunResult r = manynets_cmd(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_NE(r.err.find(part), std::string::npos) << args << ": " << r.err;
  };
  refused(xor_sweep + " --out '" + shards() + "' --shard 4/4", "--shard");
  refused(xor_sweep + " --out '" + shards() + "' --shard 1/0", "--shard");
  refused(xor_sweep + " --out '" + shards() + "' --shard 1", "K/N");
  refused(xor_sweep + " --shard 0/2", "needs --out");
  refused("merge '" + (dir_ / "one").string() + "'", "holds no shards");
  refused("merge '" + (dir_ / "nothing").string() + "'", "not a directory");
  // Shards of two different sweeps in one directory.
  ASSERT_EQ(manynets_cmd(xor_sweep + " --out '" + shards() + "' --shard 0/2").exit_code, 0);
  ASSERT_EQ(manynets_cmd(xor_sweep + " --seed 9 --out '" + shards() + "' --shard 1/2").exit_code, 0);
  refused("merge '" + shards() + "'", "is of another sweep");
}

// ---- under MPI: one shard per rank, merged on rank 0

// mpirun as root needs Open MPI's consent; Open MPI's own allocations are not
// this project's leaks.
RunResult mpirun(int ranks, const std::string& args) {
  return run_manynets_command(
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ASAN_OPTIONS=detect_leaks=0 "
      "MANYNETS_MAX_CHUNK=16 MANYNETS_PYTHON=/nonexistent '" +
      std::string(MANYNETS_MPIEXEC) + "' -n " + std::to_string(ranks) + " --oversubscribe '" +
      std::string(MANYNETS_EXE) + "' " + args);
}

class CliMpi : public CliShards {
 protected:
  void SetUp() override {
    if (!MANYNETS_WITH_MPI) GTEST_SKIP() << "manynets was built without MPI (no MPI found)";
    CliShards::SetUp();
  }
};

TEST_F(CliMpi, AnyNumberOfRanksGivesTheFilesOfOneProcess) {
  for (int ranks : {1, 3, 4}) {
    const fs::path out = dir_ / ("ranks" + std::to_string(ranks));
    const RunResult r = mpirun(ranks, xor_sweep + " --out '" + out.string() + "'");
    ASSERT_EQ(r.exit_code, 0) << ranks << " ranks: " << r.err;
    const std::string counts = "200 networks: converged";
    EXPECT_NE(r.out.find(counts), std::string::npos) << r.out;  // one report, from rank 0
    EXPECT_EQ(r.out.find(counts), r.out.rfind(counts)) << r.out;
    EXPECT_TRUE(fs::exists(out / ("shard-0-of-" + std::to_string(ranks)) / "done"));
    expect_same_files(out, dir_ / "one");
  }
}

TEST_F(CliMpi, AFailingRankFailsTheJobAndWhatTheOthersFinishedStays) {
  const fs::path out = dir_ / "mpi";
  fs::create_directories(out);
  std::ofstream(out / "shard-1-of-3") << "not a directory";  // rank 1 cannot save its shard
  const RunResult r = mpirun(3, xor_sweep + " --out '" + out.string() + "'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("rank 1 of 3"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "runs.csv"));
  EXPECT_TRUE(fs::exists(out / "shard-0-of-3" / "done"));
  EXPECT_TRUE(fs::exists(out / "shard-2-of-3" / "done"));

  fs::remove(out / "shard-1-of-3");
  const RunResult resumed = manynets_cmd("merge --resume '" + out.string() + "'");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("trained shard 1/3 here: 67 of its 67 networks"), std::string::npos)
      << resumed.err;
  expect_same_files(out, dir_ / "one");
}

TEST_F(CliMpi, RanksNeedAnOutputDirectory) {
  const RunResult r = mpirun(2, xor_sweep);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("needs --out DIR"), std::string::npos) << r.err;
}

}  // namespace

// Killed, resumed and starved runs of the real `manynets sweep`: a sweep killed
// with SIGKILL mid-run and finished with --resume gives the same files as one
// that ran through; a kill while the files are being written leaves the
// previous complete files or none; a write that fails (a file size limit, as a
// full disk does) leaves no partial file and no temporary behind.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;

using manynets::testing::lines_of;
using manynets::testing::make_temp_dir;
using manynets::testing::read_file;
using manynets::testing::run_manynets_command;
using manynets::testing::RunResult;

// Small chunks, so that a killed run has saved some and not all; no plots (they
// take longer than the training and are not what is tested here).
const char* const max_chunk = "250";
const std::string test_env = std::string("MANYNETS_MAX_CHUNK=") + max_chunk + " MANYNETS_PYTHON=/nonexistent";

// 4000 xor networks for 10000 steps: about a second of training in 16 chunks.
const std::vector<std::string> long_sweep = {"sweep", "--preset",     "xor",    "--shape",   "2-2-1",
                                             "--lr",  "0.1:8:20:log", "--init", "uniform:1", "--seeds",
                                             "200",   "--steps",      "10000",  "--backend", "cpu"};

std::string command_line(const std::vector<std::string>& args) {
  std::string line = test_env + " '" + MANYNETS_EXE + "'";
  for (const std::string& a : args) line += " '" + a + "'";
  return line;
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// Starts `manynets ARGS` with the test environment, its output discarded.
pid_t spawn_manynets(const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    setenv("MANYNETS_MAX_CHUNK", max_chunk, 1);
    setenv("MANYNETS_PYTHON", "/nonexistent", 1);
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    std::vector<char*> argv;
    std::string exe = MANYNETS_EXE;
    argv.push_back(exe.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

// Waits until ready() holds or the child ends; true when it is still running.
bool wait_until(pid_t pid, const std::function<bool()>& ready) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (std::chrono::steady_clock::now() < give_up) {
    if (ready()) return true;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  return true;
}

// SIGKILLs the child and reaps it; true when the kill is what ended it.
bool kill_child(pid_t pid) {
  kill(pid, SIGKILL);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return false;
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

std::size_t saved_chunks(const fs::path& state) {
  std::size_t n = 0;
  std::error_code ec;
  for (fs::directory_iterator it(state, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    n += name.rfind("chunk-", 0) == 0 && name.find(".tmp-") == std::string::npos;
  }
  return n;
}

// Every name in `dir` (not recursing), sorted.
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> temporaries_in(const fs::path& dir) {
  std::vector<std::string> found;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().filename().string().find(".tmp-") != std::string::npos) found.push_back(e.path().string());
  }
  return found;
}

// summary.json without the timings, which differ between any two runs.
nlohmann::json summary_without_timings(const fs::path& dir) {
  nlohmann::json j = nlohmann::json::parse(read_file(dir / "summary.json"));
  j.erase("seconds");
  j.erase("net_steps_per_second");
  return j;
}

// The files of `dir` and `reference` agree: runs.csv and curves.csv byte for
// byte, summary.json but for its timings.
void expect_same_files(const fs::path& dir, const fs::path& reference) {
  EXPECT_TRUE(read_file(dir / "runs.csv") == read_file(reference / "runs.csv")) << "runs.csv differs";
  EXPECT_TRUE(read_file(dir / "curves.csv") == read_file(reference / "curves.csv")) << "curves.csv differs";
  EXPECT_EQ(summary_without_timings(dir), summary_without_timings(reference));
}

// The run finished cleanly: its three files, no saved state, no temporaries.
void expect_finished(const fs::path& dir) {
  EXPECT_EQ(names_in(dir), (std::vector<std::string>{"curves.csv", "runs.csv", "summary.json"}));
}

// A run with nothing in the way, to compare with.
fs::path uninterrupted_run(const fs::path& root, const std::vector<std::string>& args) {
  const fs::path dir = root / "uninterrupted";
  const RunResult r = run_manynets_command(command_line(with(args, {"--out", dir.string()})));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  expect_finished(dir);
  return dir;
}

TEST(Resume, KilledSweepResumesToTheSameFilesAsAnUninterruptedOne) {
  const fs::path root = make_temp_dir();
  const fs::path reference = uninterrupted_run(root, long_sweep);
  const std::size_t rows = lines_of(read_file(reference / "runs.csv")).size();
  ASSERT_EQ(rows, 4001u);

  const fs::path dir = root / "killed";
  const fs::path state = dir / ".partial";
  const pid_t pid = spawn_manynets(with(long_sweep, {"--out", dir.string()}));
  ASSERT_TRUE(wait_until(pid, [&] { return saved_chunks(state) >= 2; }))
      << "the sweep ended before two of its chunks were saved";
  ASSERT_TRUE(kill_child(pid));
  // Killed mid-run: no result file, the saved chunks and options kept.
  EXPECT_FALSE(fs::exists(dir / "runs.csv"));
  EXPECT_FALSE(fs::exists(dir / "summary.json"));
  EXPECT_TRUE(fs::exists(state / "sweep.json"));
  const std::size_t chunks = saved_chunks(state);
  EXPECT_GE(chunks, 2u);
  EXPECT_LT(chunks, 16u);

  // Resuming with other options is refused and leaves the state as it was.
  const RunResult changed =
      run_manynets_command(command_line({"sweep", "--resume", dir.string(), "--steps", "100"}));
  EXPECT_EQ(changed.exit_code, 2) << changed.err;
  EXPECT_EQ(lines_of(changed.err).size(), 1u) << changed.err;
  EXPECT_NE(changed.err.find("belongs to a different sweep"), std::string::npos) << changed.err;
  EXPECT_GE(saved_chunks(state), chunks);

  const RunResult resumed = run_manynets_command(command_line({"sweep", "--resume", dir.string()}));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("networks came from its saved chunks"), std::string::npos) << resumed.err;
  EXPECT_EQ(resumed.err.find(" 0 of 4000 networks"), std::string::npos) << resumed.err;
  EXPECT_NE(resumed.out.find("4000 networks"), std::string::npos) << resumed.out;
  expect_finished(dir);
  expect_same_files(dir, reference);
  fs::remove_all(root);
}

// The same command again with --resume added continues it too.
TEST(Resume, RepeatingTheCommandWithResumeAddedContinuesIt) {
  const fs::path root = make_temp_dir();
  const std::vector<std::string>& sweep = long_sweep;
  const fs::path reference = uninterrupted_run(root, sweep);
  const fs::path dir = root / "killed";
  const pid_t pid = spawn_manynets(with(sweep, {"--out", dir.string()}));
  ASSERT_TRUE(wait_until(pid, [&] { return saved_chunks(dir / ".partial") >= 1; }));
  ASSERT_TRUE(kill_child(pid));
  const RunResult resumed =
      run_manynets_command(command_line(with(sweep, {"--out", dir.string(), "--resume", dir.string()})));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  expect_finished(dir);
  expect_same_files(dir, reference);
  fs::remove_all(root);
}

TEST(Resume, NothingToResumeIsAUsageError) {
  const fs::path root = make_temp_dir();
  for (const auto& c : std::vector<std::pair<fs::path, std::string>>{{root / "missing", "is not a directory"},
                                                                     {root, "holds no unfinished sweep"}}) {
    const RunResult r = run_manynets_command(command_line({"sweep", "--resume", c.first.string()}));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
    EXPECT_NE(r.err.find(c.second), std::string::npos) << r.err;
  }
  const fs::path done = root / "done";
  ASSERT_EQ(run_manynets_command(
                command_line({"sweep", "--preset", "xor", "--steps", "10", "--out", done.string()}))
                .exit_code,
            0);
  const RunResult finished = run_manynets_command(command_line({"sweep", "--resume", done.string()}));
  EXPECT_EQ(finished.exit_code, 2) << finished.err;
  EXPECT_NE(finished.err.find("has finished"), std::string::npos) << finished.err;
  const RunResult elsewhere = run_manynets_command(
      command_line({"sweep", "--resume", done.string(), "--out", (root / "other").string()}));
  EXPECT_EQ(elsewhere.exit_code, 2) << elsewhere.err;
  EXPECT_NE(elsewhere.err.find("leave out --out"), std::string::npos) << elsewhere.err;
  EXPECT_FALSE(fs::exists(root / "other"));
  fs::remove_all(root);
}

// Many networks and few steps: writing runs.csv (~15 MB) takes longer than training.
const std::vector<std::string> wide_sweep = {"sweep", "--preset",      "xor",    "--shape",   "2-2-1",
                                             "--lr",  "0.1:8:100:log", "--init", "uniform:1", "--seeds",
                                             "500",   "--steps",       "10",     "--backend", "cpu"};

// Kills a run of wide_sweep into `dir` at a random moment in the first 25 ms
// after it starts writing runs.csv (which takes longer: ~15 MB, formatted and
// synced); returns whether the kill is what ended the run.
bool kill_while_writing(const fs::path& dir, std::mt19937& rng) {
  const pid_t pid = spawn_manynets(with(wide_sweep, {"--out", dir.string()}));
  const std::string temporary = (dir / "runs.csv.tmp-").string() + std::to_string(pid);
  if (!wait_until(pid, [&] { return fs::exists(temporary); })) return false;  // it ended first
  std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 25000)(rng)));
  return kill_child(pid);
}

void expect_complete_or_absent(const fs::path& dir, const fs::path& reference, bool must_exist) {
  for (const char* name : {"runs.csv", "curves.csv"}) {
    SCOPED_TRACE(name);
    if (!must_exist && !fs::exists(dir / name)) continue;
    // Both runs are of the same sweep, so a complete file, old or new, is the reference.
    EXPECT_TRUE(read_file(dir / name) == read_file(reference / name)) << name << " is not complete";
  }
  if (must_exist || fs::exists(dir / "summary.json")) {
    EXPECT_NO_THROW(summary_without_timings(dir));
  }
}

TEST(Resume, KillWhileWritingLeavesThePreviousFilesOrNone) {
  const fs::path root = make_temp_dir();
  const fs::path reference = uninterrupted_run(root, wide_sweep);
  ASSERT_EQ(lines_of(read_file(reference / "runs.csv")).size(), 50001u);
  std::mt19937 rng(20261201);

  // Over a finished run: its files stay whole whenever the kill comes.
  const fs::path over = root / "over";
  fs::copy(reference, over);
  int killed_mid_write = 0;
  for (int k = 0; k < 3; ++k) {
    SCOPED_TRACE("over a finished run, kill " + std::to_string(k));
    killed_mid_write += kill_while_writing(over, rng);
    expect_complete_or_absent(over, reference, true);
  }

  // Into an empty directory: each file whole or absent, and --resume finishes it.
  const fs::path fresh = root / "fresh";
  {
    SCOPED_TRACE("into an empty directory");
    killed_mid_write += kill_while_writing(fresh, rng);
    expect_complete_or_absent(fresh, reference, false);
  }
  EXPECT_GT(killed_mid_write, 0) << "no kill came while runs.csv was being written";
  const RunResult resumed = run_manynets_command(command_line({"sweep", "--resume", fresh.string()}));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  expect_finished(fresh);  // the killed writers' temporaries are gone too
  expect_same_files(fresh, reference);
  fs::remove_all(root);
}

// `ulimit -f` makes a write fail as a full disk does (EFBIG instead of ENOSPC):
// runs.csv (~1.2 MB) does not fit in 100 kB (dash counts 512-byte blocks, bash
// 1 kB ones), the saved chunks (~13 kB) do.
TEST(Resume, FailedWriteLeavesNoPartialFileAndResumeFinishes) {
  const fs::path root = make_temp_dir();
  const std::vector<std::string> sweep = {"sweep", "--preset",     "xor",    "--shape",   "2-2-1",
                                          "--lr",  "0.1:8:20:log", "--init", "uniform:1", "--seeds",
                                          "200",   "--steps",      "50",     "--backend", "cpu"};
  const fs::path reference = uninterrupted_run(root, sweep);
  const fs::path dir = root / "full";
  const RunResult r =
      run_manynets_command("ulimit -f 200 && " + command_line(with(sweep, {"--out", dir.string()})));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("manynets: error: cannot write '", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("File too large; check the --out directory and free space"), std::string::npos)
      << r.err;
  for (const char* name : {"runs.csv", "summary.json", "curves.csv"})
    EXPECT_FALSE(fs::exists(dir / name)) << name;
  EXPECT_EQ(temporaries_in(dir), std::vector<std::string>{});
  EXPECT_TRUE(fs::exists(dir / ".partial" / "sweep.json"));

  // With room again, --resume writes the files from the saved chunks.
  const RunResult resumed = run_manynets_command(command_line({"sweep", "--resume", dir.string()}));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("4000 of 4000 networks came from its saved chunks"), std::string::npos)
      << resumed.err;
  expect_finished(dir);
  expect_same_files(dir, reference);
  fs::remove_all(root);
}

}  // namespace

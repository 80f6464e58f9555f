// Helpers shared by the test files: checking that a call fails with a clear
// input error, and running the real `manynets` executable (MANYNETS_EXE) with
// its output, error output and exit status captured.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "manynets/error.hpp"

namespace manynets {
namespace testing {

// Runs f and expects an invalid_input Error whose one-line message holds every
// one of `parts`; returns the message (empty when nothing was thrown).
inline std::string expect_input_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_input) << e.what();
    const std::string msg = e.what();
    for (const std::string& p : parts)
      EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "message is not one line: " << msg;
    return msg;
  }
  ADD_FAILURE() << "no Error thrown; expected one mentioning " << (parts.empty() ? "" : parts[0]);
  return "";
}

// ---- running the executable

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fresh empty directory for one test's files.
inline std::filesystem::path make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "manynets_test_XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

// Runs a shell command line with stdout and stderr captured; exit_code is
// 128 + the signal when a signal ended it.
inline RunResult run_manynets_command(const std::string& line) {
  const std::filesystem::path dir = make_temp_dir();
  const std::filesystem::path out = dir / "stdout", err = dir / "stderr";
  const std::string command = "(" + line + ") >'" + out.string() + "' 2>'" + err.string() + "'";
  const int raw = std::system(command.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + (WIFSIGNALED(raw) ? WTERMSIG(raw) : 0);
  r.out = read_file(out);
  r.err = read_file(err);
  std::filesystem::remove_all(dir);
  return r;
}

// `manynets ARGS`, ARGS as a shell would split them.
inline RunResult run_manynets(const std::string& args) {
  return run_manynets_command("'" + std::string(MANYNETS_EXE) + "' " + args);
}

// The same, run from directory `dir` (for commands that write into the current directory).
inline RunResult run_manynets_in(const std::filesystem::path& dir, const std::string& args) {
  return run_manynets_command("cd '" + dir.string() + "' && '" + std::string(MANYNETS_EXE) + "' " + args);
}

// Whether Debian's Python can draw plots (scripts/setup.sh installs python3-matplotlib).
inline bool python_has_matplotlib() {
  return std::system("/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1") == 0;
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace testing
}  // namespace manynets

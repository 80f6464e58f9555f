// A sweep's files: runs.csv and curves.csv formatted by hand (std::to_chars,
// shortest round-trip doubles) into a large buffer so a million rows write in
// seconds, summary.json, each through a temporary name renamed when complete;
// and the PNG plots, drawn by scripts/plot_sweep.py in a child process.
#include "manynets/writers.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "manynets/error.hpp"
#include "manynets/number_text.hpp"

extern char** environ;

namespace manynets {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t flush_at = 1u << 20;  // bytes buffered before a write

// A file written to PATH.tmp-<pid> and renamed over PATH by commit(); removed
// when destroyed uncommitted, so a failed run never leaves a partial PATH.
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path)
      : path_(path), tmp_(path + ".tmp-" + std::to_string(getpid())) {
    file_ = std::fopen(tmp_.c_str(), "wb");
    if (file_ == nullptr) fail(std::strerror(errno));
    buffer_.reserve(flush_at + 4096);
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile() {
    if (file_ != nullptr) std::fclose(file_);
    if (!committed_) std::remove(tmp_.c_str());
  }

  // Room for `n` more bytes at the end of the buffer; call done(end) after writing.
  char* reserve(std::size_t n) {
    if (buffer_.size() + n > buffer_.capacity()) flush();
    used_ = buffer_.size();
    buffer_.resize(used_ + n);
    return &buffer_[used_];
  }
  void done(const char* end) {
    buffer_.resize(static_cast<std::size_t>(end - buffer_.data()));
    if (buffer_.size() >= flush_at) flush();
  }
  void append(const std::string& s) {
    char* p = reserve(s.size());
    std::memcpy(p, s.data(), s.size());
    done(p + s.size());
  }

  // Synced before the rename, and the directory after it, so that even a crash of
  // the whole machine leaves PATH either as it was or complete.
  std::size_t commit() {
    finish();
    publish();
    sync_directory(fs::path(path_).parent_path().string());
    return written_;
  }

  // The two halves of commit(), for writing several files and then renaming them
  // all at once: finish() writes out and syncs the temporary, publish() renames it.
  std::size_t finish() {
    flush();
    bool ok = std::fflush(file_) == 0 && !std::ferror(file_);
    int why = errno;
    if (ok && ::fsync(fileno(file_)) != 0) {
      ok = false;
      why = errno;
    }
    const bool closed = std::fclose(file_) == 0;
    if (ok && !closed) why = errno;
    file_ = nullptr;
    if (!ok || !closed) fail(std::strerror(why));
    return written_;
  }
  void publish() {
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0) fail(std::strerror(errno));
    committed_ = true;
  }

 private:
  void flush() {
    if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
      fail(std::strerror(errno));
    }
    written_ += buffer_.size();
    buffer_.clear();
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw runtime_error("cannot write '" + path_ + "': " + why +
                        "; check the --out directory and free space");
  }

  std::string path_, tmp_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  std::size_t used_ = 0;
  std::size_t written_ = 0;
  bool committed_ = false;
};

// Whether `name` is a temporary that a writer of manynets left behind (its
// writer's process id after ".tmp-"), and that process is gone.
bool is_stale_temporary(const std::string& name) {
  const std::size_t at = name.rfind(".tmp-");
  if (at == std::string::npos || at + 5 >= name.size() ||
      name.find_first_not_of("0123456789", at + 5) != std::string::npos || name.size() - at > 15) {
    return false;
  }
  const std::string base = name.substr(0, at);
  const bool ours = base == "runs.csv" || base == "summary.json" || base == "curves.csv" ||
                    base == ".plot-log" || base.rfind("chunk-", 0) == 0 || base == "plan" ||
                    base == "sweep.json" ||
                    (base.size() > 5 && base[0] == '.' && base.compare(base.size() - 4, 4, ".png") == 0);
  const long pid = std::strtol(name.c_str() + at + 5, nullptr, 10);
  return ours && pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

char* put(char* p, const std::string& s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* put(char* p, const char* s) {
  const std::size_t n = std::strlen(s);
  std::memcpy(p, s, n);
  return p + n;
}

char* put_int(char* p, long long v) {
  return std::to_chars(p, p + 24, v).ptr;
}

// A network's hyperparameter as runs.csv writes it.
char* put_value(char* p, double v) {
  return format_number(p, v);
}
char* put_value(char* p, std::int32_t v) {
  return put_int(p, v);
}
char* put_value(char* p, std::uint8_t on) {  // a Batch keeps a bool column as bytes
  return put(p, on ? "on" : "off");
}
template <class Name>
char* put_value(char* p, Name v) {
  return put(p, to_string(v));
}

std::string join_path(const std::string& dir, const char* name) {
  return (fs::path(dir) / name).string();
}

}  // namespace

namespace {

// The rows of runs.csv and curves.csv, into an open file.
void fill_runs_csv(AtomicFile& f, const SweepPlan& plan, const SweepResults& results) {
  int max_weights = 0, max_hidden = 0, max_outputs = 0;
  for (const SweepGroup& g : plan.groups) {
    const Shape s = g.shape;
    max_weights = std::max(max_weights, s.hidden * s.inputs + s.outputs * s.hidden);
    max_hidden = std::max(max_hidden, s.hidden);
    max_outputs = std::max(max_outputs, s.outputs);
  }
  const int columns = max_weights + max_hidden + max_outputs;

  std::string header = "id";
  for (int h = 0; h < hyperparameter_count; ++h)
    header += std::string(",") + to_string(static_cast<Hyperparameter>(h));
  header += ",seed,replicate,status,steps,steps_to_target,loss,abs_error";
  for (int w = 0; w < max_weights; ++w) header += ",w" + std::to_string(w + 1);
  for (int h = 0; h < max_hidden; ++h) header += ",b1[" + std::to_string(h) + "]";
  for (int o = 0; o < max_outputs; ++o) header += ",b2[" + std::to_string(o) + "]";
  f.append(header + "\n");

  const std::string seed = "," + std::to_string(plan.spec.seed) + ",";
  std::vector<std::string> inits;
  for (const InitSpec& s : plan.spec.inits) inits.push_back(to_string(s));
  const std::size_t max_row = 64 + static_cast<std::size_t>(10 + columns) * 32 + 256;

  for (std::size_t g = 0; g < plan.groups.size(); ++g) {
    const SweepGroup& group = plan.groups[g];
    const Batch& b = group.batch;
    const Results& r = results.results[g];
    const Shape s = group.shape;
    const int weights = s.hidden * s.inputs + s.outputs * s.hidden;
    // Which column each parameter goes to.
    std::vector<int> column_of(static_cast<std::size_t>(s.num_params()));
    for (int p = 0; p < s.num_params(); ++p) {
      column_of[static_cast<std::size_t>(p)] = p < weights ? p
                                               : p < weights + s.hidden
                                                   ? max_weights + (p - weights)
                                                   : max_weights + max_hidden + (p - weights - s.hidden);
    }
    std::vector<int> param_at(static_cast<std::size_t>(columns), -1);
    for (int p = 0; p < s.num_params(); ++p)
      param_at[static_cast<std::size_t>(column_of[static_cast<std::size_t>(p)])] = p;
    const std::string shape_text = to_string(s);

    for (std::size_t i = 0; i < b.size(); ++i) {
      const std::string& init_text = inits[group.init[i]];
      char* p = f.reserve(max_row);
      p = put_int(p, static_cast<long long>(b.first_id + i));
#define MANYNETS_PUT_HYPERPARAMETER(name, field, option) \
  *p++ = ',';                                            \
  p = put_value(p, b.name[i]);
#define MANYNETS_PUT_OTHER(name, field, option) \
  *p++ = ',';                                   \
  p = put(p, name##_text);
      MANYNETS_SWEEP_AXES(MANYNETS_PUT_HYPERPARAMETER, MANYNETS_PUT_OTHER)
#undef MANYNETS_PUT_HYPERPARAMETER
#undef MANYNETS_PUT_OTHER
      p = put(p, seed);
      p = put_int(p, group.replicate[i]);
      *p++ = ',';
      p = put(p, to_string(r.status[i]));
      *p++ = ',';
      p = put_int(p, r.steps[i]);
      *p++ = ',';
      if (r.status[i] == Status::converged) p = put_int(p, r.steps[i]);
      *p++ = ',';
      p = format_number(p, r.loss[i]);
      *p++ = ',';
      p = format_number(p, r.abs_error[i]);
      for (int c = 0; c < columns; ++c) {
        *p++ = ',';
        const int q = param_at[static_cast<std::size_t>(c)];
        if (q >= 0) p = format_number(p, r.param(i, q));
      }
      *p++ = '\n';
      f.done(p);
    }
  }
}

void fill_curves_csv(AtomicFile& f, const SweepResults& results) {
  f.append("id,step,loss,abs_error\n");
  for (const SweepCurve& c : results.curves) {
    for (std::size_t t = 0; t < c.loss.size(); ++t) {
      char* p = f.reserve(128);
      p = put_int(p, static_cast<long long>(c.id));
      *p++ = ',';
      p = put_int(p, static_cast<long long>(t) * c.every);
      *p++ = ',';
      p = format_number(p, c.loss[t]);  // floats: their own shortest text
      *p++ = ',';
      p = format_number(p, c.abs_error[t]);
      *p++ = '\n';
      f.done(p);
    }
  }
}

}  // namespace

std::size_t write_runs_csv(const std::string& path, const SweepPlan& plan, const SweepResults& results) {
  AtomicFile f(path);
  fill_runs_csv(f, plan, results);
  return f.commit();
}

std::size_t write_curves_csv(const std::string& path, const SweepResults& results) {
  AtomicFile f(path);
  fill_curves_csv(f, results);
  return f.commit();
}

std::size_t write_curve_csv(const std::string& path, const Results& results, std::size_t i) {
  AtomicFile f(path);
  f.append("step,loss,abs_error\n");
  const std::int32_t every = results.curve_every;
  const std::size_t last_slot = every > 0 ? static_cast<std::size_t>(results.steps[i] / every) : 0;
  for (std::size_t t = 0; t <= last_slot && t < results.curve_points; ++t) {
    char* p = f.reserve(96);
    p = put_int(p, static_cast<long long>(t) * every);
    *p++ = ',';
    p = format_number(p, results.curve_loss_at(t, i));
    *p++ = ',';
    p = format_number(p, results.curve_abs_error_at(t, i));
    *p++ = '\n';
    f.done(p);
  }
  return f.commit();
}

void check_output_file(const std::string& path, const std::string& option) {
  std::error_code ec;
  std::string why;
  if (path.empty()) {
    why = "the path is empty";
  } else if (fs::is_directory(path, ec)) {
    why = std::strerror(EISDIR);
  } else {
    const std::string probe = path + ".tmp-" + std::to_string(getpid());
    std::FILE* f = std::fopen(probe.c_str(), "wb");
    if (f == nullptr) {
      why = std::strerror(errno);
    } else {
      std::fclose(f);
      std::remove(probe.c_str());
    }
  }
  if (!why.empty()) {
    throw input_error("cannot write '" + path + "': " + why + "; give " + option +
                      " a file path in a writable directory");
  }
}

void write_text_file(const std::string& path, const std::string& text) {
  AtomicFile f(path);
  f.append(text);
  f.commit();
}

void sync_directory(const std::string& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);  // a file system that cannot sync a directory has nothing to lose here
  ::close(fd);
}

std::size_t remove_stale_temporaries(const std::string& dir) {
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_regular_file(ec) && is_stale_temporary(name) && fs::remove(it->path(), ec)) ++removed;
  }
  return removed;
}

std::vector<std::string> write_sweep_files(const std::string& dir, const SweepPlan& plan,
                                           const SweepResults& results, const SweepSummary& summary) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    throw input_error("cannot create the output directory '" + dir +
                      "': " + (ec ? ec.message() : std::string("a file is in the way")) +
                      "; give --out a writable directory");
  }
  std::vector<std::string> files = {join_path(dir, "runs.csv"), join_path(dir, "summary.json"),
                                    join_path(dir, "curves.csv")};
  // All three are written out before any is renamed, so the moment in which the
  // directory holds a mixture of old and new files is a few renames long.
  AtomicFile runs(files[0]), summary_file(files[1]), curves(files[2]);
  fill_runs_csv(runs, plan, results);
  summary_file.append(summary_json(summary) + "\n");
  fill_curves_csv(curves, results);
  runs.finish();
  summary_file.finish();
  curves.finish();
  runs.publish();
  summary_file.publish();
  curves.publish();
  sync_directory(dir);
  return files;
}

std::string default_plot_python() {
  const char* env = std::getenv("MANYNETS_PYTHON");
  return env != nullptr && *env != '\0' ? env : "/usr/bin/python3";
}

std::string default_plot_script() {
  const char* env = std::getenv("MANYNETS_PLOT_SCRIPT");
  if (env != nullptr && *env != '\0') return env;
  // An installed manynets finds the copy installed beside it: PREFIX/bin/manynets
  // and PREFIX/share/manynets/plot_sweep.py.
  char exe[4096];
  const ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len > 0) {
    std::string installed(exe, static_cast<std::size_t>(len));
    installed = installed.substr(0, installed.find_last_of('/')) + "/../share/manynets/plot_sweep.py";
    if (access(installed.c_str(), R_OK) == 0) return installed;
  }
#ifdef MANYNETS_SOURCE_DIR
  return std::string(MANYNETS_SOURCE_DIR) + "/scripts/plot_sweep.py";
#else
  return "scripts/plot_sweep.py";
#endif
}

namespace {

// Runs `python script args...` with its output in a log beside `log_dir`'s files;
// the script prints "wrote FILE" per plot and exits 3 without matplotlib.
// `by_hand` is the command a user can run to see what went wrong; `failure_note`
// goes before it when the script fails.
PlotOutcome run_plot_script(const std::string& python, const std::string& script,
                            const std::vector<std::string>& script_args, const std::string& log_dir,
                            const std::string& by_hand, const std::string& failure_note) {
  PlotOutcome out;
  if (access(python.c_str(), X_OK) != 0) {
    out.message =
        python + " is missing; install python3-matplotlib (scripts/setup.sh does) and run '" + by_hand + "'";
    return out;
  }
  if (access(script.c_str(), R_OK) != 0) {
    out.message = "the plot script " + script +
                  " is missing; set MANYNETS_PLOT_SCRIPT to scripts/plot_sweep.py of the "
                  "manynets sources";
    return out;
  }
  const std::string log = join_path(log_dir, ".plot-log.tmp-") + std::to_string(getpid());
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<std::string> args = {python, script};
  args.insert(args.end(), script_args.begin(), script_args.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, python.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  if (spawned == 0) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  std::ifstream in(log);
  std::string line, last;
  while (std::getline(in, line)) {
    if (line.rfind("wrote ", 0) == 0) {
      out.files.push_back(line.substr(6));
    } else if (!line.empty()) {
      last = line;
    }
  }
  in.close();
  std::remove(log.c_str());
  if (spawned != 0) {
    out.message = "cannot run " + python + ": " + std::strerror(spawned) + "; run '" + by_hand + "' yourself";
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    out.ok = true;
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
    out.message = python +
                  " has no matplotlib; install python3-matplotlib (scripts/setup.sh does) and run '" +
                  by_hand + "'";
  } else {
    out.message = "the plot script failed (" + (last.empty() ? std::string("no message") : last) + "); " +
                  failure_note + "run '" + by_hand + "' to see why";
  }
  return out;
}

}  // namespace

PlotOutcome make_plots(const std::string& dir, const std::string& python, const std::string& script) {
  return run_plot_script(python, script, {dir}, dir, "/usr/bin/python3 " + script + " " + dir,
                         "the data files are complete; ");
}

PlotOutcome plot_curve(const std::string& curve_csv, const std::string& png, const std::string& title,
                       const std::string& python, const std::string& script) {
  const std::string dir = fs::path(png).parent_path().string();
  return run_plot_script(python, script, {"--curve", curve_csv, png, title}, dir.empty() ? "." : dir,
                         "/usr/bin/python3 " + script + " --curve " + curve_csv + " " + png + " TITLE", "");
}

}  // namespace manynets

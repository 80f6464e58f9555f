// Sweeps in shards: each shard a checkpoint directory (run_sweep's, with the
// options beside it and a marker written last) that trains one range of ids;
// merging takes every network from the shards' chunks.
#include "manynets/shards.hpp"

#include <cstdio>
#include <filesystem>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "manynets/error.hpp"
#include "manynets/writers.hpp"

namespace manynets {

namespace {

namespace fs = std::filesystem;

constexpr char options_name[] = "sweep.json";  // a --config file of the sweep's options
constexpr char done_name[] = "done";           // written last, once every network is saved

// Stands in for the backend the shards trained on: a merge finds every network
// in their chunks, so a network it is asked to train is one a shard lost.
class SavedOnlyBackend : public Backend {
 public:
  explicit SavedOnlyBackend(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }

 protected:
  void train_into(Results&, const Batch& batch, const Dataset&) override {
    throw runtime_error(
        "the shards lack the results of networks " + std::to_string(batch.first_id) + ".." +
        std::to_string(batch.first_id + batch.size() - 1) +
        " (a removed or damaged chunk file); remove the done file of the shard that held them "
        "and merge with --resume");
  }

 private:
  std::string name_;
};

}  // namespace

std::string shard_dir(const std::string& dir, std::uint64_t k, std::uint64_t n) {
  return (fs::path(dir) / ("shard-" + std::to_string(k) + "-of-" + std::to_string(n))).string();
}

std::string sweep_config_json(const std::map<std::string, std::string>& options) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& kv : options) j[kv.first] = kv.second;
  return j.dump(2) + "\n";
}

SweepResults run_shard(const SweepPlan& plan, Backend& backend, const std::string& dir, std::uint64_t k,
                       std::uint64_t n, const std::map<std::string, std::string>& options,
                       SweepRunOptions run) {
  const IdRange ids = shard_range(plan.networks(), k, n);
  run.first_id = ids.begin;
  run.end_id = ids.end;
  run.checkpoint_dir = shard_dir(dir, k, n);
  std::error_code ec;
  fs::create_directories(run.checkpoint_dir, ec);
  if (!fs::is_directory(run.checkpoint_dir, ec)) {
    throw runtime_error("cannot create the shard directory '" + run.checkpoint_dir +
                        "'; check the directory '" + dir + "'");
  }
  // Saved before the first chunk (a shard that has saved chunks has saved its options).
  if (!fs::exists(fs::path(run.checkpoint_dir) / "plan", ec)) {
    write_text_file((fs::path(run.checkpoint_dir) / options_name).string(), sweep_config_json(options));
  }
  SweepResults results = run_sweep(plan, backend, run);
  write_text_file((fs::path(run.checkpoint_dir) / done_name).string(),
                  "manynets shard " + std::to_string(k) + " of " + std::to_string(n) + ": networks " +
                      std::to_string(ids.begin) + ".." + std::to_string(ids.end) + "\n");
  return results;
}

ShardSet find_shards(const std::string& dir, const std::vector<std::string>& keys) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw input_error("'" + dir + "' is not a directory; give the directory the shards were written into");
  }
  std::map<std::uint64_t, std::vector<std::uint64_t>> by_count;  // N -> the K found
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    unsigned long long k = 0, n = 0;
    char tail = 0;
    if (it->is_directory() && std::sscanf(name.c_str(), "shard-%llu-of-%llu%c", &k, &n, &tail) == 2 &&
        k < n && name == shard_dir("", k, n)) {
      by_count[n].push_back(k);
    }
  }
  if (by_count.empty()) {
    throw input_error("'" + dir +
                      "' holds no shards (shard-K-of-N directories, written by 'manynets sweep ... " +
                      "--out " + dir + " --shard K/N')");
  }
  if (by_count.size() > 1) {
    throw input_error("'" + dir + "' holds shards of " + std::to_string(by_count.begin()->first) +
                      " and of " + std::to_string(std::next(by_count.begin())->first) +
                      " (shard-K-of-N directories); remove those of the sweep you do not want");
  }
  ShardSet set;
  set.count = by_count.begin()->first;
  std::uint64_t first = 0;
  for (std::uint64_t k : by_count.begin()->second) {
    const fs::path saved = fs::path(shard_dir(dir, k, set.count)) / options_name;
    if (!fs::exists(saved, ec)) continue;  // started, nothing saved yet
    std::map<std::string, std::string> these = read_sweep_config(saved.string(), keys);
    these.erase("threads");  // how a shard ran, not what it trained
    if (set.options.empty()) {
      set.options = these;
      first = k;
    } else if (these != set.options) {
      throw input_error(shard_dir(dir, k, set.count) + " is of another sweep than " +
                        shard_dir(dir, first, set.count) +
                        " (their options differ); remove the one you do not want");
    }
  }
  if (set.options.empty()) {
    throw input_error("no shard in '" + dir + "' has saved its options yet; run the shards first");
  }
  for (std::uint64_t k = 0; k < set.count; ++k) {
    set.dirs.push_back(shard_dir(dir, k, set.count));
    if (!fs::exists(fs::path(set.dirs.back()) / done_name, ec)) set.missing.push_back(k);
  }
  return set;
}

std::string missing_shards_text(const ShardSet& shards) {
  if (shards.missing.empty()) return "";
  std::string names;
  for (std::size_t m = 0; m < shards.missing.size() && m < 10; ++m)
    names += (m ? ", " : "") + std::to_string(shards.missing[m]);
  if (shards.missing.size() > 10) names += ", ... (" + std::to_string(shards.missing.size()) + " in all)";
  const bool many = shards.missing.size() > 1;
  return std::string("shard") + (many ? "s " : " ") + names + " of " + std::to_string(shards.count) +
         (many ? " are" : " is") + " not done";
}

SweepResults merge_shards(const SweepPlan& plan, const std::string& backend, const ShardSet& shards,
                          SweepRunOptions run) {
  if (!shards.missing.empty()) throw input_error(missing_shards_text(shards));
  SavedOnlyBackend saved(backend);
  run.checkpoint_dir.clear();
  run.checkpoint_sources = shards.dirs;
  return run_sweep(plan, saved, run);
}

}  // namespace manynets

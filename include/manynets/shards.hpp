// A sweep in shards: shard K of N trains the ids shard_range gives it into
// DIR/shard-K-of-N (its chunks, the options that make the sweep, and a `done`
// marker written last), anywhere and in any order; merging reads every shard's
// chunks back as the results of the whole sweep, bit for bit what one process
// trains.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "manynets/backend.hpp"
#include "manynets/sweep.hpp"

namespace manynets {

// DIR/shard-K-of-N.
std::string shard_dir(const std::string& dir, std::uint64_t k, std::uint64_t n);

// Trains shard k of n of `plan` into shard_dir(dir, k, n), continuing the chunks
// it holds, and writes its `done` marker. `options` (option texts, as a config
// file holds them) are saved beside the chunks for whoever merges; `run` says
// which curves to keep (its checkpoint and id range are the shard's). Returns
// the sweep's results, set for the shard's networks only.
SweepResults run_shard(const SweepPlan& plan, Backend& backend, const std::string& dir, std::uint64_t k,
                       std::uint64_t n, const std::map<std::string, std::string>& options,
                       SweepRunOptions run = {});

// The shards in `dir`: how many the sweep has, the options they saved (all
// equal, "threads" aside), their directories in order, and those not done.
struct ShardSet {
  std::uint64_t count = 0;
  std::map<std::string, std::string> options;
  std::vector<std::string> dirs;       // shard 0 .. count-1
  std::vector<std::uint64_t> missing;  // shards without their done marker
};
// Throws an invalid_input Error when `dir` holds no shards, shards of different
// counts or of different sweeps, or none that has saved its options. `keys` are
// the option names the saved options may hold.
ShardSet find_shards(const std::string& dir, const std::vector<std::string>& keys);

// "shards 1, 3 of 4 are not done" ("" when all are).
std::string missing_shards_text(const ShardSet& shards);

// The results of the whole sweep from its shards' saved chunks (`run` as the
// shards had it: the same curves); trains nothing. Throws an invalid_input Error
// naming the shards that are not done, and a runtime Error when a chunk is
// missing or damaged.
SweepResults merge_shards(const SweepPlan& plan, const std::string& backend, const ShardSet& shards,
                          SweepRunOptions run = {});

// The option texts as a JSON object (what read_sweep_config reads back).
std::string sweep_config_json(const std::map<std::string, std::string>& options);

}  // namespace manynets

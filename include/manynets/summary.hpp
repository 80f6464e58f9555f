// What a sweep found: counts of converged, ran-out and diverged networks, one
// table per swept hyperparameter (success rate, median final loss, median steps
// to target per value), and the best configurations and network.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "manynets/sweep.hpp"

namespace manynets {

// Network i of plan group g: a hyperparameter's value as text (numbers in the
// shortest form that reads back exactly) and, for numeric ones, as a number (NaN otherwise).
std::string hyperparameter_text(const SweepPlan& plan, std::size_t g, std::size_t i, Hyperparameter h);
double hyperparameter_number(const SweepPlan& plan, std::size_t g, std::size_t i, Hyperparameter h);
// The hyperparameters the plan varies (more than one value), in enum order.
std::vector<Hyperparameter> swept_hyperparameters(const SweepPlan& plan);

// One row of a hyperparameter's table: the networks with that value (or in that bin).
struct ValueStats {
  std::string value;         // the value, or a bin "[a, b)" for a random sweep's numeric range
  double number = 0;         // the value or the bin's centre (geometric for log ranges); NaN for names
  std::size_t networks = 0;  // how many networks
  std::size_t converged = 0;
  std::size_t diverged = 0;
  double median_loss = 0;             // over networks with a finite final loss; NaN when none
  double median_steps_to_target = 0;  // over converged networks; NaN when none
  double success_rate() const { return networks ? static_cast<double>(converged) / networks : 0.0; }
};

struct HyperparameterTable {
  Hyperparameter hyperparameter{};
  bool binned = false;  // a random sweep's numeric range, shown in bins
  std::vector<ValueStats> rows;
};

// A configuration (grid point or random draw) over its replicates.
struct ConfigurationStats {
  std::uint64_t configuration = 0;
  std::uint64_t first_id = 0;                                        // its first network
  std::vector<std::pair<std::string, std::string>> hyperparameters;  // name, value (swept ones)
  ValueStats stats;
};

struct BestNetwork {
  std::uint64_t id = 0;
  std::vector<std::pair<std::string, std::string>> hyperparameters;  // every one, with seed and replicate
  double loss = 0;
  std::int32_t steps = 0;
  Status status = Status::max_steps;
};

struct SweepSummary {
  std::string workload;
  std::string backend;
  MathMode math_mode = MathMode::precise;
  std::size_t networks = 0, converged = 0, ran_out = 0, diverged = 0;
  double seconds = 0, net_steps = 0;
  std::vector<HyperparameterTable> tables;  // one per swept hyperparameter
  std::vector<ConfigurationStats>
      best_configurations;  // highest success rate, then fewest steps, lowest loss
  bool has_best = false;    // false when no network has a finite loss
  BestNetwork best;         // converged in the fewest steps, else the lowest final loss
};

// Summarises trained networks; `best_count` configurations are listed.
SweepSummary summarize(const SweepPlan& plan, const SweepResults& results, std::size_t best_count = 5);

// The summary as one JSON object: networks, converged, ran_out, diverged, best
// (id, hyperparameters, loss, steps, status), best_configurations, tables,
// workload, backend, math_mode, seconds, net_steps_per_second. Non-finite numbers
// are null.
std::string summary_json(const SweepSummary& summary);

// The median of values (NaN when empty); reorders them.
double median_of(std::vector<double>& values);

}  // namespace manynets

// Sweep summaries: counts by status, one table per swept hyperparameter (exact
// values for a grid, bins for a random sweep's ranges), the best configurations
// and network, and the summary as JSON (summary.json and `sweep --json`).
#include "manynets/summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "host/sweep/axes.hpp"
#include "manynets/writers.hpp"

namespace manynets {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr int random_bins = 10;  // rows of a random sweep's numeric range

const NumberAxis* number_axis_of(const NumberAxis& axis) {
  return &axis;
}
template <class V>
const NumberAxis* number_axis_of(const std::vector<V>&) {
  return nullptr;
}

const NumberAxis* numeric_axis(const SweepSpec& spec, Hyperparameter h) {
  switch (h) {
#define MANYNETS_AXIS_CASE(name, field, option) \
  case Hyperparameter::name:                    \
    return number_axis_of(spec.field);
    MANYNETS_SWEEP_AXES(MANYNETS_AXIS_CASE, MANYNETS_AXIS_CASE)
#undef MANYNETS_AXIS_CASE
  }
  return nullptr;
}

// A network's value as a number: NaN for a name.
double number_of(double v) {
  return v;
}
double number_of(std::int32_t v) {
  return v;
}
template <class V>
double number_of(const V&) {
  return nan;
}

// Accumulates one row's networks; medians are taken at the end.
struct RowAccumulator {
  ValueStats stats;
  std::vector<double> losses, steps;
  void add(double loss, Status status, std::int32_t step_count) {
    ++stats.networks;
    if (std::isfinite(loss)) losses.push_back(loss);
    if (status == Status::converged) {
      ++stats.converged;
      steps.push_back(step_count);
    } else if (status == Status::diverged) {
      ++stats.diverged;
    }
  }
  ValueStats finish() {
    stats.median_loss = median_of(losses);
    stats.median_steps_to_target = median_of(steps);
    return stats;
  }
};

// Orders by success rate, then fewer median steps, then lower median loss (NaN last).
bool better(const ValueStats& a, const ValueStats& b) {
  if (a.success_rate() != b.success_rate()) return a.success_rate() > b.success_rate();
  const auto less = [](double x, double y) {
    if (std::isnan(x) || std::isnan(y)) return !std::isnan(x) && std::isnan(y);
    return x < y;
  };
  if (a.median_steps_to_target != b.median_steps_to_target) {
    if (less(a.median_steps_to_target, b.median_steps_to_target)) return true;
    if (less(b.median_steps_to_target, a.median_steps_to_target)) return false;
  }
  return less(a.median_loss, b.median_loss);
}

// A bin edge for people: 4 significant digits.
std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json pairs_json(const std::vector<std::pair<std::string, std::string>>& pairs) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& kv : pairs) j[kv.first] = kv.second;
  return j;
}

nlohmann::json stats_json(const ValueStats& s) {
  return {{"value", s.value},
          {"number", number_or_null(s.number)},
          {"networks", s.networks},
          {"converged", s.converged},
          {"diverged", s.diverged},
          {"success_rate", s.success_rate()},
          {"median_loss", number_or_null(s.median_loss)},
          {"median_steps_to_target", number_or_null(s.median_steps_to_target)}};
}

nlohmann::json network_json(const BestNetwork& b) {
  return {{"id", b.id},
          {"hyperparameters", pairs_json(b.hyperparameters)},
          {"loss", number_or_null(b.loss)},
          {"steps", b.steps},
          {"status", to_string(b.status)}};
}

}  // namespace

double hyperparameter_number(const SweepPlan& plan, std::size_t g, std::size_t i, Hyperparameter h) {
  const Batch& b = plan.groups[g].batch;
  switch (h) {
#define MANYNETS_NUMBER_CASE(name, field, option) \
  case Hyperparameter::name:                      \
    return number_of(b.name[i]);
    MANYNETS_SWEEP_AXES(MANYNETS_NUMBER_CASE, MANYNETS_SKIP_AXIS)
#undef MANYNETS_NUMBER_CASE
    default:
      return nan;
  }
}

std::string hyperparameter_text(const SweepPlan& plan, std::size_t g, std::size_t i, Hyperparameter h) {
  const SweepGroup& group = plan.groups[g];
  const Batch& b = group.batch;
  switch (h) {
#define MANYNETS_TEXT_CASE(name, field, option) \
  case Hyperparameter::name:                    \
    return axes::text(b.name[i]);
    MANYNETS_SWEEP_AXES(MANYNETS_TEXT_CASE, MANYNETS_SKIP_AXIS)
#undef MANYNETS_TEXT_CASE
    case Hyperparameter::shape:
      return to_string(group.shape);
    case Hyperparameter::init:
      return to_string(plan.spec.inits[group.init[i]]);
  }
  return "";
}

std::vector<Hyperparameter> swept_hyperparameters(const SweepPlan& plan) {
  const SweepSpec& s = plan.spec;
  std::vector<Hyperparameter> out;
#define MANYNETS_SWEPT(name, field, option) \
  if (axes::varies(s.field, s.random > 0)) out.push_back(Hyperparameter::name);
  MANYNETS_SWEEP_AXES(MANYNETS_SWEPT, MANYNETS_SWEPT)
#undef MANYNETS_SWEPT
  return out;
}

double median_of(std::vector<double>& values) {
  if (values.empty()) return nan;
  const std::size_t m = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(m), values.end());
  const double upper = values[m];
  if (values.size() % 2) return upper;
  const double lower = *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(m));
  return 0.5 * (lower + upper);
}

namespace {

// Calls visit(g, i, r) for every trained network, in id order; r holds group g's results.
template <class Visit>
void for_each_network(const SweepPlan& plan, const SweepResults& results, Visit visit) {
  for (std::size_t g = 0; g < plan.groups.size(); ++g) {
    const Results& r = results.results[g];
    for (std::size_t i = 0; i < r.n; ++i) visit(g, i, r);
  }
}

void count_by_status(const SweepPlan& plan, const SweepResults& results, SweepSummary& sum) {
  for_each_network(plan, results, [&sum](std::size_t, std::size_t i, const Results& r) {
    ++sum.networks;
    if (r.status[i] == Status::converged) {
      ++sum.converged;
    } else if (r.status[i] == Status::diverged) {
      ++sum.diverged;
    } else {
      ++sum.ran_out;
    }
  });
}

struct NetworkIndex {
  std::size_t group = 0, index = 0;
};

// Network i of ra beats network j of rb when it converged and the other did not, or
// both converged and it took fewer steps; otherwise the lower final loss wins.
bool beats(const Results& ra, std::size_t i, const Results& rb, std::size_t j) {
  const bool c = ra.status[i] == Status::converged, cb = rb.status[j] == Status::converged;
  if (c != cb) return c;
  if (c && ra.steps[i] != rb.steps[j]) return ra.steps[i] < rb.steps[j];
  return ra.loss[i] < rb.loss[j];
}

// The network that converged in the fewest steps, else the one with the lowest final loss, the first
// in id order on a tie; none when no loss is finite.
std::optional<NetworkIndex> find_best_network(const SweepPlan& plan, const SweepResults& results) {
  std::optional<NetworkIndex> best;
  for_each_network(plan, results, [&](std::size_t g, std::size_t i, const Results& r) {
    if (!std::isfinite(r.loss[i])) return;
    if (!best || beats(r, i, results.results[best->group], best->index)) best = NetworkIndex{g, i};
  });
  return best;
}

// The network with every hyperparameter, the run seed and its replicate, enough to train it again.
BestNetwork describe_network(const SweepPlan& plan, const SweepResults& results, NetworkIndex n) {
  const SweepGroup& g = plan.groups[n.group];
  const Results& r = results.results[n.group];
  BestNetwork best;
  best.id = g.batch.first_id + n.index;
  for (int h = 0; h < hyperparameter_count; ++h) {
    const auto hp = static_cast<Hyperparameter>(h);
    best.hyperparameters.emplace_back(to_string(hp), hyperparameter_text(plan, n.group, n.index, hp));
  }
  best.hyperparameters.emplace_back("seed", std::to_string(plan.spec.seed));
  best.hyperparameters.emplace_back("replicate", std::to_string(g.replicate[n.index]));
  best.loss = r.loss[n.index];
  best.steps = r.steps[n.index];
  best.status = r.status[n.index];
  return best;
}

// A random sweep's numeric range in random_bins equal bins (equal in log for a log range),
// every bin listed even when empty.
std::vector<RowAccumulator> binned_rows(const SweepPlan& plan, const SweepResults& results, Hyperparameter h,
                                        const NumberAxis& axis) {
  const bool log = axis.kind == NumberAxis::Kind::log;
  const double lo = std::min(axis.low, axis.high), hi = std::max(axis.low, axis.high);
  const auto at = [&](double f) { return log ? lo * std::pow(hi / lo, f) : lo + (hi - lo) * f; };
  std::vector<RowAccumulator> rows(random_bins);
  for (int k = 0; k < random_bins; ++k) {
    const double a = at(static_cast<double>(k) / random_bins),
                 b = at(static_cast<double>(k + 1) / random_bins);
    rows[k].stats.value = "[" + short_number(a) + ", " + short_number(b) + (k + 1 == random_bins ? "]" : ")");
    rows[k].stats.number = log ? std::sqrt(a * b) : 0.5 * (a + b);
  }
  for_each_network(plan, results, [&](std::size_t g, std::size_t i, const Results& r) {
    const double v = hyperparameter_number(plan, g, i, h);
    double f = hi > lo ? (log ? std::log(v / lo) / std::log(hi / lo) : (v - lo) / (hi - lo)) : 0.0;
    const int k = std::min(random_bins - 1, std::max(0, static_cast<int>(f * random_bins)));
    rows[k].add(r.loss[i], r.status[i], r.steps[i]);
  });
  return rows;
}

// One row per value a numeric hyperparameter took, in increasing order.
std::vector<RowAccumulator> numeric_rows(const SweepPlan& plan, const SweepResults& results,
                                         Hyperparameter h) {
  std::map<double, RowAccumulator> by_value;
  for_each_network(plan, results, [&](std::size_t g, std::size_t i, const Results& r) {
    by_value[hyperparameter_number(plan, g, i, h)].add(r.loss[i], r.status[i], r.steps[i]);
  });
  std::vector<RowAccumulator> rows;
  for (auto& kv : by_value) {
    kv.second.stats.value = number_text(kv.first);
    kv.second.stats.number = kv.first;
    rows.push_back(std::move(kv.second));
  }
  return rows;
}

// One row per name a hyperparameter took, in order of first appearance, which follows the spec's lists.
std::vector<RowAccumulator> named_rows(const SweepPlan& plan, const SweepResults& results, Hyperparameter h) {
  std::vector<std::string> order;
  std::map<std::string, RowAccumulator> by_text;
  for_each_network(plan, results, [&](std::size_t g, std::size_t i, const Results& r) {
    const std::string v = hyperparameter_text(plan, g, i, h);
    auto it = by_text.find(v);
    if (it == by_text.end()) {
      order.push_back(v);
      it = by_text.emplace(v, RowAccumulator{}).first;
      it->second.stats.value = v;
      it->second.stats.number = nan;
    }
    it->second.add(r.loss[i], r.status[i], r.steps[i]);
  });
  std::vector<RowAccumulator> rows;
  for (const std::string& v : order) rows.push_back(std::move(by_text[v]));
  return rows;
}

HyperparameterTable hyperparameter_table(const SweepPlan& plan, const SweepResults& results,
                                         Hyperparameter h) {
  HyperparameterTable table;
  table.hyperparameter = h;
  const NumberAxis* axis = numeric_axis(plan.spec, h);
  table.binned = plan.spec.random > 0 && axis != nullptr && axis->kind != NumberAxis::Kind::list;
  std::vector<RowAccumulator> rows = table.binned      ? binned_rows(plan, results, h, *axis)
                                     : axis != nullptr ? numeric_rows(plan, results, h)
                                                       : named_rows(plan, results, h);
  for (RowAccumulator& row : rows) {
    if (row.stats.networks > 0 || table.binned) table.rows.push_back(row.finish());
  }
  return table;
}

// One entry per configuration, in id order: a configuration's replicates are consecutive networks.
std::vector<ConfigurationStats> configuration_stats(const SweepPlan& plan, const SweepResults& results,
                                                    const std::vector<Hyperparameter>& swept) {
  std::vector<ConfigurationStats> configs;
  for (std::size_t g = 0; g < plan.groups.size(); ++g) {
    const SweepGroup& group = plan.groups[g];
    const Results& r = results.results[g];
    for (std::size_t i = 0; i < r.n;) {
      RowAccumulator acc;
      std::size_t j = i;
      for (; j < r.n && group.configuration[j] == group.configuration[i]; ++j)
        acc.add(r.loss[j], r.status[j], r.steps[j]);
      ConfigurationStats c;
      c.configuration = group.configuration[i];
      c.first_id = group.batch.first_id + i;
      c.stats = acc.finish();
      for (Hyperparameter h : swept)
        c.hyperparameters.emplace_back(to_string(h), hyperparameter_text(plan, g, i, h));
      configs.push_back(std::move(c));
      i = j;
    }
  }
  return configs;
}

// The best `count` configurations, best first (see better()).
std::vector<ConfigurationStats> best_configurations(std::vector<ConfigurationStats> configs,
                                                    std::size_t count) {
  const std::size_t keep = std::min(count, configs.size());
  std::partial_sort(
      configs.begin(), configs.begin() + static_cast<std::ptrdiff_t>(keep), configs.end(),
      [](const ConfigurationStats& a, const ConfigurationStats& b) { return better(a.stats, b.stats); });
  configs.resize(keep);
  return configs;
}

}  // namespace

SweepSummary summarize(const SweepPlan& plan, const SweepResults& results, std::size_t best_count) {
  SweepSummary sum;
  sum.workload = plan.workload;
  sum.backend = results.backend;
  sum.math_mode = plan.spec.math_mode;
  sum.seconds = results.seconds;
  sum.net_steps = results.net_steps;
  count_by_status(plan, results, sum);
  if (const std::optional<NetworkIndex> best = find_best_network(plan, results)) {
    sum.has_best = true;
    sum.best = describe_network(plan, results, *best);
  }
  const std::vector<Hyperparameter> swept = swept_hyperparameters(plan);
  for (Hyperparameter h : swept) sum.tables.push_back(hyperparameter_table(plan, results, h));
  sum.best_configurations = best_configurations(configuration_stats(plan, results, swept), best_count);
  return sum;
}

std::string summary_json(const SweepSummary& s) {
  nlohmann::json j;
  j["workload"] = s.workload;
  j["backend"] = s.backend;
  j["math_mode"] = to_string(s.math_mode);
  j["networks"] = s.networks;
  j["converged"] = s.converged;
  j["ran_out"] = s.ran_out;
  j["diverged"] = s.diverged;
  j["seconds"] = s.seconds;
  j["net_steps_per_second"] = number_or_null(s.seconds > 0 ? s.net_steps / s.seconds : nan);
  j["best"] = s.has_best ? network_json(s.best) : nlohmann::json(nullptr);
  j["swept"] = nlohmann::json::array();
  j["tables"] = nlohmann::json::array();
  for (const HyperparameterTable& t : s.tables) {
    j["swept"].push_back(to_string(t.hyperparameter));
    nlohmann::json rows = nlohmann::json::array();
    for (const ValueStats& v : t.rows) rows.push_back(stats_json(v));
    j["tables"].push_back({{"hyperparameter", to_string(t.hyperparameter)},
                           {"numeric", is_numeric(t.hyperparameter)},
                           {"binned", t.binned},
                           {"rows", rows}});
  }
  j["best_configurations"] = nlohmann::json::array();
  for (const ConfigurationStats& c : s.best_configurations) {
    nlohmann::json cj = stats_json(c.stats);
    cj.erase("value");
    cj.erase("number");
    cj["configuration"] = c.configuration;
    cj["first_id"] = c.first_id;
    cj["hyperparameters"] = pairs_json(c.hyperparameters);
    j["best_configurations"].push_back(cj);
  }
  return j.dump(2);
}

}  // namespace manynets

// Validation of a backend against the double-precision reference: whole runs
// (final loss, parameters, outputs, steps to target, status) with chaotic and
// diverged networks compared by status only, and single steps from the
// batch's initial states.
#include "manynets/validate.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "manynets/error.hpp"
#include "manynets/reference.hpp"

namespace manynets {

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();
// Worst-network candidates kept between groups before trimming.
constexpr std::size_t worst_kept = 256;

// Adds one value's deviation to `q`; returns deviation / allowed (infinity for a
// non-finite deviation, 0 when both agree exactly).
double add_value(QuantityDeviation& q, double candidate, double reference, double scale, double allowed) {
  const double abs = std::abs(candidate - reference);
  ++q.values;
  if (!(abs <= allowed)) ++q.failed;
  if (!std::isfinite(abs)) {
    q.max_abs = q.max_rel = q.worst_ratio = infinity;
    return infinity;
  }
  const double ratio = allowed > 0 ? abs / allowed : (abs > 0 ? infinity : 0.0);
  q.max_abs = std::max(q.max_abs, abs);
  q.max_rel = std::max(q.max_rel, abs / scale);
  q.worst_ratio = std::max(q.worst_ratio, ratio);
  return ratio;
}

// Keeps the worst of a network's quantities.
struct Worst {
  double ratio = -1, abs = 0;
  const char* quantity = "";
  void take(double r, double a, const char* name) {
    if (r > ratio) {
      ratio = r;
      abs = a;
      quantity = name;
    }
  }
};

void trim_worst(std::vector<NetworkDeviation>& worst, std::size_t keep) {
  auto worse = [](const NetworkDeviation& a, const NetworkDeviation& b) {
    if (a.ratio != b.ratio) return a.ratio > b.ratio;
    return a.id < b.id;
  };
  if (worst.size() > keep) {
    std::partial_sort(worst.begin(), worst.begin() + static_cast<std::ptrdiff_t>(keep), worst.end(), worse);
    worst.resize(keep);
  } else {
    std::sort(worst.begin(), worst.end(), worse);
  }
}

NetworkDeviation deviation_of(const Batch& batch, std::size_t i, const Results& reference,
                              const Results& candidate, const Worst& w, bool by_status_only) {
  NetworkDeviation d;
  d.id = batch.first_id + i;
  d.shape = to_string(batch.shape());
  d.learning_rate = batch.learning_rate[i];
  d.quantity = w.quantity;
  d.ratio = w.ratio;
  d.abs = w.abs;
  d.reference_status = reference.status[i];
  d.status = candidate.status[i];
  d.reference_loss = reference.loss[i];
  d.loss = candidate.loss[i];
  d.by_status_only = by_status_only;
  return d;
}

// Whether the straight path from a network's reference parameters to the
// candidate's is flat: at flat_path_points evenly spaced points along it (the
// candidate's end included), the network evaluated in double keeps the reference's
// loss within `loss_allowed` and every output within rel x max(1, |output|) +
// output_floor. Rounding drift along a flat direction passes; a different
// function, or the same function from elsewhere (hidden units swapped), does not.
bool flat_path(const Batch& batch, std::size_t i, const Dataset& data, const std::vector<double>& ref_params,
               const std::vector<double>& cand_params, const std::vector<double>& ref_out, int points,
               double loss_allowed, double rel, double output_floor) {
  const Shape shape = batch.shape();
  const Activation hidden = batch.hidden_activation[i], output = batch.output_activation[i];
  const double ref_loss = reference::loss(shape, ref_params.data(), hidden, output, data);
  std::vector<double> p(ref_params.size());
  for (int k = 1; k <= points; ++k) {
    const double t = static_cast<double>(k) / points;
    for (std::size_t q = 0; q < p.size(); ++q) p[q] = ref_params[q] + t * (cand_params[q] - ref_params[q]);
    const double l = reference::loss(shape, p.data(), hidden, output, data);
    if (!(std::abs(l - ref_loss) <= loss_allowed)) return false;
    const std::vector<double> out = reference::outputs(shape, p.data(), hidden, output, data);
    for (std::size_t o = 0; o < out.size(); ++o) {
      if (!(std::abs(out[o] - ref_out[o]) <= rel * std::max(1.0, std::abs(ref_out[o])) + output_floor))
        return false;
    }
  }
  return true;
}

// Whether the reference's run of network i ended past the candidate's range: a
// final parameter or loss above it, or a recorded loss point (a float) stored as
// infinity. A float run cannot follow it there: it overflows and diverges.
bool beyond_range(const Batch& batch, const Results& reference, std::size_t i, double range) {
  bool beyond = !(std::abs(reference.loss[i]) <= range);
  for (int q = 0; q < batch.num_params(); ++q) beyond = beyond || !(std::abs(reference.param(i, q)) <= range);
  for (std::size_t t = 0; t < reference.curve_points; ++t) {
    const double c = reference.curve_loss_at(t, i);  // NaN once the network stopped
    beyond = beyond || (!std::isnan(c) && !(std::abs(c) <= range));
  }
  return beyond;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

ValidationTolerances validation_tolerances(MathMode mode) {
  ValidationTolerances t;  // precise: the defaults, documented in validate.hpp
  if (mode == MathMode::fast) {
    // __expf and tanh.approx (relative error up to ~2^-11 per call) instead of
    // exp and IEEE division: single steps to 2e-3 of max(1, |parameter|), whole
    // runs (and the worked example) ten times wider than in precise mode; a
    // larger nudge (1e-5) and step noise (2e-6) for the chaos check, with the
    // threshold still a hundred times the nudge. Wider than needed on the host,
    // where both modes compute the same thing; not yet measured on a GPU.
    t.step_relative = 2e-3;
    t.run_relative = 3e-2;
    t.loss_floor = 1e-5;
    t.output_floor = 1e-4;
    t.adam_run_relative = 1e-1;
    t.adam_loss_floor = 1e-4;
    t.adam_output_floor = 1e-2;
    t.nudge = 1e-5;
    t.step_noise = 2e-6;
    t.chaos_threshold = 1e-3;
    t.worked_example_relative = 1e-2;
  }
  return t;
}

const char* to_string(RunComparison c) {
  switch (c) {
    case RunComparison::by_value:
      return "by value";
    case RunComparison::diverged:
      return "diverged";
    case RunComparison::beyond_float:
      return "beyond float range";
    case RunComparison::chaotic:
      return "chaotic";
    case RunComparison::adam_noise:
      return "Adam noise";
  }
  return "?";
}

std::vector<RunComparison> classify_runs(const Batch& batch, const Results& reference,
                                         const std::vector<Results>& reference_nudged,
                                         const ValidationTolerances& tol) {
  const std::size_t n = batch.size();
  bool sizes_ok = reference.n == n && !reference_nudged.empty();
  for (const Results& r : reference_nudged) sizes_ok = sizes_ok && r.n == n;
  if (!sizes_ok) {
    throw runtime_error("validate: reference results for " + std::to_string(reference.n) +
                        " networks, batch has " + std::to_string(n));
  }
  std::vector<RunComparison> c(n, RunComparison::by_value);
  for (std::size_t i = 0; i < n; ++i) {
    if (reference.status[i] == Status::diverged) {
      c[i] = RunComparison::diverged;
      continue;
    }
    if (beyond_range(batch, reference, i, tol.candidate_range)) {
      c[i] = RunComparison::beyond_float;
      continue;
    }
    bool sensitive_status = false;
    double sensitivity = 0;
    for (const Results& r : reference_nudged) {
      sensitive_status = sensitive_status || r.status[i] != reference.status[i];
      for (int q = 0; q < batch.num_params(); ++q)
        sensitivity = std::max(sensitivity, std::abs(r.param(i, q) - reference.param(i, q)) /
                                                std::max(1.0, std::abs(reference.param(i, q))));
      sensitivity =
          std::max(sensitivity, std::abs(r.loss[i] - reference.loss[i]) / std::max(reference.loss[i], 1e-3));
      if (r.curve_points != reference.curve_points) continue;
      for (std::size_t t = 0; t < reference.curve_points; ++t) {
        const double a = r.curve_loss_at(t, i), b = reference.curve_loss_at(t, i);
        if (!std::isnan(b)) sensitivity = std::max(sensitivity, std::abs(a - b) / std::max(b, 1e-3));
      }
    }
    if (sensitive_status || !(sensitivity < tol.chaos_threshold)) {
      c[i] = RunComparison::chaotic;
    } else if (batch.optimizer[i] == Optimizer::adam &&
               batch.learning_rate[i] > tol.adam_noise_learning_rate) {
      c[i] = RunComparison::adam_noise;
    }
  }
  return c;
}

Batch nudged_batch(const Batch& batch, double nudge, int variant) {
  Batch nudged = batch;
  // Each parameter moves by a few times `nudge` in its own direction, and the
  // learning rate too, as float rounding would move them; each variant differently.
  const double sign = variant % 2 == 0 ? 1.0 : -1.0;
  const std::size_t shift = static_cast<std::size_t>(variant) * 2;
  for (std::size_t k = 0; k < nudged.init_params.size(); ++k)
    nudged.init_params[k] *= 1.0 + sign * nudge * static_cast<double>(static_cast<int>((k + shift) % 5) - 2);
  for (double& lr : nudged.learning_rate) lr *= 1.0 + sign * nudge;
  return nudged;
}

std::vector<Results> nudged_reference_runs(const Batch& batch, const Dataset& data,
                                           const ValidationTolerances& tol) {
  std::vector<Results> runs(nudge_variants);
  std::vector<std::exception_ptr> failures(nudge_variants);
  std::vector<std::thread> threads;
  for (int v = 0; v < nudge_variants; ++v) {
    threads.emplace_back([&, v] {
      try {
        const reference::RoundingNoise noise{tol.step_noise, static_cast<std::uint32_t>(v)};
        runs[static_cast<std::size_t>(v)] =
            reference::make_backend(noise)->train(nudged_batch(batch, tol.nudge, v), data);
      } catch (...) {
        failures[static_cast<std::size_t>(v)] = std::current_exception();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& f : failures) {
    if (f) std::rethrow_exception(f);
  }
  return runs;
}

Batch single_step_batch(const Batch& batch) {
  Batch step = batch;
  for (std::int32_t& s : step.max_steps) s = std::min<std::int32_t>(s, 1);
  step.curve_every = 0;
  return step;
}

void compare_runs(ValidationReport& report, const Batch& batch, const Dataset& data, const Results& reference,
                  const std::vector<Results>& reference_nudged, const Results& candidate) {
  const ValidationTolerances& tol = report.tolerances;
  const std::size_t n = batch.size();
  const int np = batch.num_params();
  if (candidate.n != n) {
    throw runtime_error("validate: results for " + std::to_string(candidate.n) + " networks, batch has " +
                        std::to_string(n));
  }
  const std::vector<RunComparison> comparison = classify_runs(batch, reference, reference_nudged, tol);
  report.networks += n;
  for (std::size_t i = 0; i < n; ++i) {
    Worst w;
    const bool status_differs = candidate.status[i] != reference.status[i];
    bool sensitive_status = false;
    for (const Results& r : reference_nudged)
      sensitive_status = sensitive_status || r.status[i] != reference.status[i];
    const bool beyond_float = comparison[i] == RunComparison::beyond_float;
    const bool diverged = comparison[i] == RunComparison::diverged || beyond_float;
    const bool chaotic =
        comparison[i] == RunComparison::chaotic || comparison[i] == RunComparison::adam_noise;
    if (status_differs) {
      // Rounding alone can flip the status of a chaotic network between converged
      // and ran out of steps; diverging or not must still agree, unless the
      // reference went where float cannot follow.
      const bool tolerated =
          sensitive_status || beyond_float || (chaotic && candidate.status[i] != Status::diverged);
      ++report.status_mismatches;
      if (tolerated) ++report.status_mismatches_tolerated;
      w.take(tolerated ? 0.0 : infinity, 0.0, "status");
    }
    if (diverged || chaotic) {
      ++report.compared_by_status;
      if (diverged) {
        ++report.diverged;
      } else {
        ++report.chaotic;
        if (comparison[i] == RunComparison::adam_noise) ++report.adam_noise;
      }
      if (status_differs) report.worst.push_back(deviation_of(batch, i, reference, candidate, w, true));
      continue;
    }
    ++report.compared_by_value;
    bool by_function = false;
    if (!status_differs) {
      const bool adam = batch.optimizer[i] == Optimizer::adam;
      const double rel = adam ? tol.adam_run_relative : tol.run_relative;
      const double loss_floor = adam ? tol.adam_loss_floor : tol.loss_floor;
      const double output_floor = adam ? tol.adam_output_floor : tol.output_floor;

      const double ref_loss = reference.loss[i];
      ++report.loss.networks;
      w.take(add_value(report.loss, candidate.loss[i], ref_loss, std::max(std::abs(ref_loss), loss_floor),
                       rel * std::abs(ref_loss) + loss_floor),
             std::abs(candidate.loss[i] - ref_loss), "final loss");

      std::vector<double> ref_params(static_cast<std::size_t>(np)), cand_params(static_cast<std::size_t>(np));
      double params_ratio = 0;  // the largest parameter deviation / its tolerance
      for (int q = 0; q < np; ++q) {
        const double a = candidate.param(i, q), b = reference.param(i, q);
        ref_params[static_cast<std::size_t>(q)] = b;
        cand_params[static_cast<std::size_t>(q)] = a;
        const double ratio = std::abs(a - b) / (rel * std::max(1.0, std::abs(b)));
        params_ratio = std::isnan(ratio) ? infinity : std::max(params_ratio, ratio);
      }
      const std::vector<double> ref_out = reference::outputs(
          batch.shape(), ref_params.data(), batch.hidden_activation[i], batch.output_activation[i], data);

      // Parameters past tolerance, within the flat-direction limit, on a flat path
      // from the reference's: compared by function (see ValidationTolerances).
      by_function = params_ratio > 1 && params_ratio <= tol.flat_param_factor &&
                    flat_path(batch, i, data, ref_params, cand_params, ref_out, tol.flat_path_points,
                              rel * std::abs(ref_loss) + loss_floor, rel, output_floor);
      QuantityDeviation& params = by_function ? report.flat_params : report.params;
      const double params_factor = by_function ? tol.flat_param_factor : 1.0;
      if (by_function) ++report.compared_by_function;
      ++params.networks;
      for (int q = 0; q < np; ++q) {
        const double a = cand_params[static_cast<std::size_t>(q)],
                     b = ref_params[static_cast<std::size_t>(q)];
        const double scale = std::max(1.0, std::abs(b));
        w.take(add_value(params, a, b, scale, params_factor * rel * scale), std::abs(a - b),
               by_function ? "final parameters, flat direction" : "final parameters");
      }

      ++report.outputs.networks;
      const std::vector<double> cand_out = reference::outputs(
          batch.shape(), cand_params.data(), batch.hidden_activation[i], batch.output_activation[i], data);
      for (std::size_t k = 0; k < ref_out.size(); ++k) {
        const double scale = std::max(1.0, std::abs(ref_out[k]));
        w.take(add_value(report.outputs, cand_out[k], ref_out[k], scale, rel * scale + output_floor),
               std::abs(cand_out[k] - ref_out[k]), "outputs");
      }

      if (reference.status[i] == Status::converged) {
        ++report.steps.networks;
        const double a = candidate.steps[i], b = reference.steps[i];
        w.take(add_value(report.steps, a, b, std::max(1.0, b), tol.steps_slack + tol.run_relative * b),
               std::abs(a - b), "steps to target");
      }
    }
    if (w.ratio > 0) {
      report.worst.push_back(deviation_of(batch, i, reference, candidate, w, false));
      report.worst.back().by_function = by_function;
    }
  }
  if (report.worst.size() > 16 * worst_kept) trim_worst(report.worst, worst_kept);
}

void compare_single_steps(ValidationReport& report, const Batch& batch, const Results& reference_step,
                          const std::vector<Results>& reference_step_nudged, const Results& candidate_step) {
  const ValidationTolerances& tol = report.tolerances;
  const std::size_t n = batch.size();
  bool sizes_ok = reference_step.n == n && candidate_step.n == n;
  for (const Results& r : reference_step_nudged) sizes_ok = sizes_ok && r.n == n;
  if (!sizes_ok) {
    throw runtime_error("validate: single-step results do not match the batch's " + std::to_string(n) +
                        " networks");
  }
  std::vector<Batch> nudged_starts;
  for (std::size_t v = 0; v < reference_step_nudged.size(); ++v)
    nudged_starts.push_back(nudged_batch(batch, tol.nudge, static_cast<int>(v)));
  for (std::size_t i = 0; i < n; ++i) {
    Worst w;
    if (reference_step.status[i] != candidate_step.status[i]) {
      // A one-step status differs only for a network that diverges at once or
      // starts at its target; both must agree exactly there.
      ++report.status_mismatches;
      w.take(infinity, 0.0, "one step: status");
      report.worst.push_back(deviation_of(batch, i, reference_step, candidate_step, w, false));
      continue;
    }
    if (reference_step.status[i] == Status::diverged) continue;
    ++report.step_params.networks;
    for (int q = 0; q < batch.num_params(); ++q) {
      const double a = candidate_step.param(i, q), b = reference_step.param(i, q);
      const double scale = std::max({1.0, std::abs(b), std::abs(batch.param(i, q))});
      // How far the nudged starts move this parameter's step (see
      // ValidationTolerances::step_sensitivity_factor).
      const double step = b - batch.param(i, q);
      double moved = 0;
      for (std::size_t v = 0; v < reference_step_nudged.size(); ++v) {
        const double nudged_step = reference_step_nudged[v].param(i, q) - nudged_starts[v].param(i, q);
        moved = std::max(moved, std::abs(nudged_step - step));
      }
      w.take(add_value(report.step_params, a, b, scale,
                       tol.step_relative * scale + tol.step_sensitivity_factor * moved),
             std::abs(a - b), "one step: parameters");
    }
    ++report.step_loss.networks;
    const double a = candidate_step.loss[i], b = reference_step.loss[i];
    const double scale = std::max(1.0, std::abs(b));
    w.take(add_value(report.step_loss, a, b, scale, tol.step_relative * scale), std::abs(a - b),
           "one step: loss");
    if (w.ratio > 0) report.worst.push_back(deviation_of(batch, i, reference_step, candidate_step, w, false));
  }
  if (report.worst.size() > 16 * worst_kept) trim_worst(report.worst, worst_kept);
}

void finish_report(ValidationReport& report, std::size_t worst_count) {
  // A network may be listed twice (its run and its single step): keep its worst.
  trim_worst(report.worst, report.worst.size());
  std::vector<NetworkDeviation> unique;
  for (const NetworkDeviation& d : report.worst) {
    const bool seen = std::any_of(unique.begin(), unique.end(), [&d](const NetworkDeviation& u) {
      return u.id == d.id && u.shape == d.shape;
    });
    if (!seen) unique.push_back(d);
    if (unique.size() == worst_count) break;
  }
  report.worst = std::move(unique);
  bool ok = report.status_mismatches == report.status_mismatches_tolerated;
  for (const QuantityDeviation* q : report.quantities()) ok = ok && q->failed == 0;
  report.passed = ok;
}

ValidationReport validate(const SweepPlan& plan, Backend& backend, const ValidateOptions& options) {
  ValidationReport report;
  report.backend = backend.name();
  report.workload = plan.workload;
  if (!plan.groups.empty()) report.math_mode = plan.groups.front().batch.math_mode;
  report.tolerances = validation_tolerances(report.math_mode);
  for (std::size_t g = 0; g < plan.groups.size(); ++g) {
    const SweepGroup& group = plan.groups[g];
    Batch batch = group.batch;
    batch.curve_every = 0;

    // The reference, and its nudged twins on threads beside it.
    auto start = std::chrono::steady_clock::now();
    std::vector<Results> reference_nudged;
    std::exception_ptr failure;
    std::thread twins([&] {
      try {
        reference_nudged = nudged_reference_runs(batch, group.data, report.tolerances);
      } catch (...) {
        failure = std::current_exception();
      }
    });
    Results reference;
    try {
      reference = reference::make_backend()->train(batch, group.data);
    } catch (...) {
      twins.join();
      throw;
    }
    twins.join();
    if (failure) std::rethrow_exception(failure);
    report.reference_seconds += seconds_since(start);

    start = std::chrono::steady_clock::now();
    Results candidate = backend.train(batch, group.data);
    report.backend_seconds += seconds_since(start);

    const Batch step = single_step_batch(batch);
    const Results reference_step = reference::make_backend()->train(step, group.data);
    const std::vector<Results> reference_step_nudged =
        nudged_reference_runs(step, group.data, report.tolerances);
    Results candidate_step = backend.train(step, group.data);

    if (options.inject_relative_error != 0 && g == 0 && batch.size() > 0) {
      const double f = 1.0 + options.inject_relative_error;
      for (int q = 0; q < batch.num_params(); ++q) {
        candidate.params[static_cast<std::size_t>(q) * batch.size()] *= f;
        candidate_step.params[static_cast<std::size_t>(q) * batch.size()] *= f;
      }
      candidate.loss[0] *= f;
      candidate_step.loss[0] *= f;
    }
    compare_runs(report, batch, group.data, reference, reference_nudged, candidate);
    compare_single_steps(report, batch, reference_step, reference_step_nudged, candidate_step);
  }
  finish_report(report, options.worst_count);
  return report;
}

// ---- the report as JSON

namespace {

nlohmann::json number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json quantity_json(const QuantityDeviation& q) {
  return {{"networks", q.networks},       {"values", q.values},
          {"max_abs", number(q.max_abs)}, {"max_rel", number(q.max_rel)},
          {"failed", q.failed},           {"worst_ratio_to_tolerance", number(q.worst_ratio)}};
}

nlohmann::json report_json(const ValidationReport& r) {
  const ValidationTolerances& t = r.tolerances;
  nlohmann::json j;
  j["backend"] = r.backend;
  j["networks"] = r.networks;
  j["max_rel_error_loss"] = number(r.loss.max_rel);
  j["max_abs_error_params"] = number(r.params.max_abs);
  j["status_mismatches"] = r.status_mismatches;
  j["passed"] = r.passed;
  j["reference"] = "reference";
  j["workload"] = r.workload;
  j["math_mode"] = to_string(r.math_mode);
  j["compared_by_value"] = r.compared_by_value;
  j["compared_by_function"] = r.compared_by_function;
  j["compared_by_status"] = r.compared_by_status;
  j["diverged"] = r.diverged;
  j["chaotic"] = r.chaotic;
  j["adam_noise"] = r.adam_noise;
  j["status_mismatches_tolerated"] = r.status_mismatches_tolerated;
  j["quantities"] = {{"loss", quantity_json(r.loss)},
                     {"params", quantity_json(r.params)},
                     {"params_flat_direction", quantity_json(r.flat_params)},
                     {"outputs", quantity_json(r.outputs)},
                     {"steps_to_target", quantity_json(r.steps)},
                     {"single_step_params", quantity_json(r.step_params)},
                     {"single_step_loss", quantity_json(r.step_loss)}};
  j["tolerances"] = {{"step_relative", t.step_relative},
                     {"run_relative", t.run_relative},
                     {"loss_floor", t.loss_floor},
                     {"output_floor", t.output_floor},
                     {"adam_run_relative", t.adam_run_relative},
                     {"adam_loss_floor", t.adam_loss_floor},
                     {"adam_output_floor", t.adam_output_floor},
                     {"steps_slack", t.steps_slack},
                     {"nudge", t.nudge},
                     {"step_noise", t.step_noise},
                     {"chaos_threshold", t.chaos_threshold},
                     {"flat_param_factor", t.flat_param_factor},
                     {"flat_path_points", t.flat_path_points}};
  j["worst"] = nlohmann::json::array();
  for (const NetworkDeviation& d : r.worst) {
    j["worst"].push_back({{"id", d.id},
                          {"shape", d.shape},
                          {"learning_rate", d.learning_rate},
                          {"quantity", d.quantity},
                          {"ratio_to_tolerance", number(d.ratio)},
                          {"abs", number(d.abs)},
                          {"reference_status", to_string(d.reference_status)},
                          {"status", to_string(d.status)},
                          {"reference_loss", number(d.reference_loss)},
                          {"loss", number(d.loss)},
                          {"by_status_only", d.by_status_only},
                          {"by_function", d.by_function}});
  }
  j["reference_seconds"] = r.reference_seconds;
  j["backend_seconds"] = r.backend_seconds;
  return j;
}

}  // namespace

std::string validation_json(const ValidationReport& report) {
  return report_json(report).dump();
}

}  // namespace manynets

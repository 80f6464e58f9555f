// Validation: trains the same batch on a backend and on the double-precision
// reference and measures, per quantity, how far the backend's results are from
// the reference's. This header is the one place where the tolerances live (per
// math mode); `manynets validate` prints them and only formats the report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "manynets/backend.hpp"
#include "manynets/sweep.hpp"

namespace manynets {

// How close a float backend must stay to the double reference, and how chaos is
// detected. Every check is |candidate - reference| <= relative * scale + floor,
// with scale max(1, |reference|) for parameters and outputs and |reference| for
// the loss.
struct ValidationTolerances {
  // One step from the batch's initial states (max_steps = 1), every parameter:
  // inputs round to float (6e-8) and a step is a few dozen float operations,
  // so a parameter agrees to ~1e-6 of max(1, |before|, |after|) (as
  // tests/test_math_vs_reference.cpp measures); 4e-6 leaves room for exp/tanh ulps.
  double step_relative = 4e-6;
  // A step that the nudged starts move (chaos check below) amplifies rounding:
  // Adam's first step is lr g / (|g| + epsilon), so where the terms of g nearly
  // cancel, float's rounding of g moves the step by up to lr. There a parameter
  // may also differ by this factor times the most a nudged start moved its
  // step (the update, not the nudged start itself); a well-conditioned step
  // moves by ~nudge of itself, which adds nothing that matters.
  double step_sensitivity_factor = 4;
  // Whole runs of networks that are not chaotic: float rounding accumulates along
  // the trajectory; over up to ~10^4 steps the final loss, parameters and outputs
  // stay within 3e-3 relative (tests/test_cpu_backend.cpp); the floors cover
  // losses near zero and outputs near an exact fit.
  double run_relative = 3e-3;
  double loss_floor = 1e-6;
  double output_floor = 1e-5;
  // Adam divides by the root of its second moment, so once gradients shrink to
  // float rounding its steps follow the rounding noise: up to 2% drift is normal.
  double adam_run_relative = 5e-2;
  double adam_loss_floor = 1e-5;
  double adam_output_floor = 5e-3;
  // Steps to target of converged networks: the loss crosses the target a step
  // earlier or later when float rounding moves it; allowed: steps_slack plus
  // run_relative of the steps.
  std::int32_t steps_slack = 1;
  // Chaos: the reference is trained again from two starts nudged by `nudge`
  // (relative, each parameter in its own direction, and the learning rate), about
  // what float rounding does. A network whose final parameters or loss (relative
  // to max(loss, 1e-3)) then move by more than chaos_threshold amplifies
  // rounding; it, and every diverged network, is compared by status only (see
  // ValidationReport::status_mismatches for the mismatches tolerated). Float
  // rounding enters at every step, not only at the start, so the threshold sits
  // a hundred times above the nudge: over ~10^5 random networks on four float
  // paths, 2% of those that moved 3e-5 .. 1e-4 missed their run tolerance
  // against 0.065% of those that moved less.
  double nudge = 3e-7;
  double chaos_threshold = 3e-5;
  // The nudged runs also carry rounding noise (reference.hpp's RoundingNoise) of
  // this size at every step: rounding enters a float run at every step, and a
  // run that amplifies it only in its middle (a saddle escaped where saturated
  // sigmoids keep few bits of their slope in float) is not seen from its start.
  // Float rounds a parameter by up to 2^-24 (6e-8) relative per step, and the
  // noise is that; random in sign, a convergent run averages it out. On
  // `validate --preset xor --hidden 1:8:8 --lr 0.1:8:8:log --seeds 200 --steps
  // 5000 --target-loss 0.01` (cpu), 0.27% of the networks are chaotic without
  // it and 24 converged ones end up to 69x their tolerance away; with it 2.2%
  // are chaotic and the rest stay within 0.3 of their tolerance (3e-8: 1.4%
  // and 0.88; 1e-7: 3.7% and 0.30).
  double step_noise = 6e-8;
  // Adam at a learning rate above this moves every parameter by about the
  // learning rate per step whatever the gradient, so once gradients shrink its
  // steps follow the rounding noise, which the nudged starts do not see (a 2-3-1
  // network at lr 0.31 ended 10% from the reference in an -O0 build and within
  // tolerance in others; of the random networks above, 0.23% of these failed
  // against 0.07% of the others). Compared by status, counted as chaotic.
  double adam_noise_learning_rate = 0.1;
  // Flat directions: a network whose loss and outputs agree but whose parameters
  // do not may have drifted along a direction in which the loss barely changes (a
  // saturated hidden unit, the floor of a valley): there nothing pulls float and
  // double back together, and a saddle escape earlier in the run can have
  // magnified rounding to ~1e-3 before the drift stopped mattering. Such a network
  // is compared by function instead of parameters when the straight path from the
  // reference's final parameters to the candidate's is flat (see
  // validate.cpp's flat_path: at flat_path_points evenly spaced points along it
  // the network, evaluated in double, keeps the reference's loss and outputs
  // within their run tolerances) and no parameter is off by more than
  // flat_param_factor times its tolerance. The path, not only the end point, must
  // be flat: a candidate with its hidden units swapped computes the same function
  // from very different parameters, and its midpoint does not.
  double flat_param_factor = 10;
  int flat_path_points = 8;
  // The worked example (the seed preset from its own weights, 10000 steps): its
  // final loss and every curve point in float stay within this of the reference,
  // tighter than run_relative (a convergent run of one sigmoid network).
  double worked_example_relative = 1e-3;
  // The largest magnitude the candidate's numbers hold (float's): a reference run
  // that ends past it is one the candidate cannot follow (RunComparison::beyond_float).
  double candidate_range = 3.4028234663852886e38;
};

// The tolerances of a math mode. precise: library exp and IEEE division (on the
// host both modes compute this). fast: device approximations (__expf, tanh.approx
// with ~2^-11 relative error), so every tolerance is wider and the nudge larger.
ValidationTolerances validation_tolerances(MathMode mode);

// How compare_runs compares a network of a whole run.
enum class RunComparison : std::uint8_t {
  by_value,      // loss, parameters (or function), outputs, steps to target
  diverged,      // diverged in the reference: by status only
  beyond_float,  // the reference ended past the candidate's range (a parameter, the loss or a
                 // curve point above candidate_range) without diverging: a float run
                 // overflows, so by status only, and any status is tolerated
  chaotic,       // moved past chaos_threshold, or changed status, from a nudged start: by status only
  adam_noise,    // Adam above adam_noise_learning_rate: by status only
};
const char* to_string(RunComparison c);

// Classifies every network of `batch` from the reference's run and its runs from
// the nudged starts (nudged_reference_runs), as
// compare_runs does. Where the runs recorded loss curves (validate's do not), a
// curve point that moves past chaos_threshold makes a network chaotic too: a
// caller that compares curves compares only those that rounding cannot move.
std::vector<RunComparison> classify_runs(const Batch& batch, const Results& reference,
                                         const std::vector<Results>& reference_nudged,
                                         const ValidationTolerances& tol);

// One compared quantity over the networks compared by value.
struct QuantityDeviation {
  explicit QuantityDeviation(std::string n = "") : name(std::move(n)) {}
  std::string name;          // "final loss", "final parameters", ...
  std::size_t networks = 0;  // networks compared
  std::size_t values = 0;    // values compared (e.g. networks x parameters)
  double max_abs = 0;        // the largest |candidate - reference|
  double max_rel = 0;        // the largest |candidate - reference| / scale
  double worst_ratio = 0;    // the largest deviation / allowed deviation (> 1 fails)
  std::size_t failed = 0;    // values past tolerance
};

// A network that differs much from the reference.
struct NetworkDeviation {
  std::uint64_t id = 0;  // global network id
  std::string shape;
  double learning_rate = 0;
  std::string quantity;  // the quantity that is worst, relative to its tolerance
  double ratio = 0;      // deviation / allowed deviation
  double abs = 0;        // |candidate - reference| of that value
  Status reference_status = Status::max_steps, status = Status::max_steps;
  double reference_loss = 0, loss = 0;
  bool by_status_only = false;
  bool by_function = false;  // parameters compared along a flat direction
};

struct ValidationReport {
  std::string backend;
  std::string workload;
  MathMode math_mode = MathMode::precise;
  ValidationTolerances tolerances;
  std::size_t networks = 0;
  std::size_t compared_by_value = 0;
  // Of those, compared by function: parameters past tolerance along a flat
  // direction (ValidationTolerances::flat_param_factor), loss and outputs within.
  std::size_t compared_by_function = 0;
  std::size_t compared_by_status = 0;  // diverged or chaotic in the reference
  std::size_t diverged = 0;            // of those, diverged in the reference or past float's range there
  std::size_t chaotic = 0;             // of those, chaotic (not diverged)
  std::size_t adam_noise = 0;          // of the chaotic, Adam above adam_noise_learning_rate
  // Networks whose status differs from the reference's. Tolerated (counted in
  // status_mismatches_tolerated, not failing): a nudged reference run changes
  // status too, a chaotic network converges in one and runs out of steps in
  // the other (diverging or not must agree), or the reference went past float's
  // range.
  std::size_t status_mismatches = 0;
  std::size_t status_mismatches_tolerated = 0;
  QuantityDeviation loss{"final loss"}, params{"final parameters"}, outputs{"outputs"},
      steps{"steps to target"}, step_params{"one step: parameters"}, step_loss{"one step: loss"};
  // The parameters of the networks compared by function, against the flat-direction
  // limit (flat_param_factor x the parameter tolerance).
  QuantityDeviation flat_params{"parameters, flat dir."};
  std::vector<NetworkDeviation> worst;  // the networks that differ most, worst first
  double reference_seconds = 0, backend_seconds = 0;
  bool passed = false;

  std::vector<const QuantityDeviation*> quantities() const {
    return {&loss, &params, &flat_params, &outputs, &steps, &step_params, &step_loss};
  }
};

struct ValidateOptions {
  std::size_t worst_count = 5;  // networks listed in `worst`
  // Testing hook: multiplies the candidate's final parameters and loss of its
  // first network by (1 + inject_relative_error) before comparing; 0 = off.
  double inject_relative_error = 0;
};

// Trains every group of `plan` on `backend` and on the reference (twice more for
// the chaos check, and once each for the single step) and compares them.
ValidationReport validate(const SweepPlan& plan, Backend& backend, const ValidateOptions& options = {});

// The report as one JSON object (`manynets validate --json`): passed, counts,
// per quantity the deviations, the tolerances and the worst networks; numbers
// that are not finite are null.
std::string validation_json(const ValidationReport& report);

// The comparison alone, for callers that already have the results: adds group
// `batch`'s whole runs to `report` (the reference, the reference from each nudged
// start (nudged_reference_runs), the candidate)...
void compare_runs(ValidationReport& report, const Batch& batch, const Dataset& data, const Results& reference,
                  const std::vector<Results>& reference_nudged, const Results& candidate);
// ... and its single steps (trained from the batch's states with max_steps 1:
// the reference, the reference from the nudged starts (nudged_reference_runs of
// single_step_batch), the candidate).
void compare_single_steps(ValidationReport& report, const Batch& batch, const Results& reference_step,
                          const std::vector<Results>& reference_step_nudged, const Results& candidate_step);
// Sorts and trims the worst networks and decides `passed`: no value past tolerance
// and no status mismatch other than sensitive ones.
void finish_report(ValidationReport& report, std::size_t worst_count = 5);

// Nudged starts per chaos check: two, each parameter and the learning rate moved
// in a different direction by each, each with its own stream of step noise.
constexpr int nudge_variants = 2;
// The reference's runs of `batch` from the nudged starts with step noise
// (variants 0 .. nudge_variants-1), trained side by side on threads: what
// classify_runs and compare_runs take as `reference_nudged`.
std::vector<Results> nudged_reference_runs(const Batch& batch, const Dataset& data,
                                           const ValidationTolerances& tol);
// The batch nudged as ValidationTolerances::nudge says, in direction pattern `variant`.
Batch nudged_batch(const Batch& batch, double nudge, int variant = 0);
// The batch with every network limited to one step.
Batch single_step_batch(const Batch& batch);

}  // namespace manynets

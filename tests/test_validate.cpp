// manynets::validate and its comparison functions: the cpu backend passes on the
// seed and xor sweeps, a deviation fed into the comparison fails it, chaotic and
// diverged networks are compared by status only, and single steps are checked.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "manynets/cpu.hpp"
#include "manynets/manynets.hpp"
#include "manynets/reference.hpp"
#include "manynets/validate.hpp"
#include "validation_check.hpp"

namespace manynets {
namespace {

SweepPlan plan_of(const std::map<std::string, std::string>& texts) {
  return expand(make_sweep_spec(texts));
}

TEST(Validate, CpuPassesOnTheSeedSweep) {
  const SweepPlan plan = plan_of({{"preset", "seed"},
                                  {"lr", "0.1:2:8"},
                                  {"init", "seed,uniform:1"},
                                  {"seeds", "4"},
                                  {"target-loss", "1e-4"}});
  const auto cpu = cpu::make_backend();
  const ValidationReport r = validate(plan, *cpu);
  EXPECT_TRUE(r.passed);
  EXPECT_EQ(r.backend, "cpu");
  EXPECT_EQ(r.networks, plan.networks());
  EXPECT_EQ(r.compared_by_value + r.compared_by_status, r.networks);
  EXPECT_EQ(r.status_mismatches, 0u);
  EXPECT_EQ(r.params.values, r.params.networks * 12);
  EXPECT_EQ(r.step_params.networks, r.networks);
  EXPECT_GT(r.steps.networks, 0u);  // some reach the target
  EXPECT_LE(r.worst.size(), 5u);
  for (const QuantityDeviation* q : r.quantities()) EXPECT_EQ(q->failed, 0u) << q->name;
}

TEST(Validate, CpuPassesOnXorWithChaoticAndDivergingNetworksComparedByStatus) {
  // Learning rates up to 200: the largest diverge or become chaotic.
  const SweepPlan plan = plan_of({{"preset", "xor"},
                                  {"shape", "2-2-1"},
                                  {"lr", "0.5:200:6:log"},
                                  {"hidden-activation", "sigmoid,relu"},
                                  {"output-activation", "sigmoid,identity"},
                                  {"seeds", "8"},
                                  {"steps", "2000"}});
  const auto cpu = cpu::make_backend();
  const ValidationReport r = validate(plan, *cpu);
  EXPECT_TRUE(r.passed) << "status mismatches " << r.status_mismatches;
  EXPECT_GT(r.compared_by_status, 0u);
  EXPECT_EQ(r.compared_by_status, r.diverged + r.chaotic);
  EXPECT_GT(r.compared_by_value, 0u);
}

TEST(Validate, TolerancesArePerMathModeAndWiderForFast) {
  const ValidationTolerances precise = validation_tolerances(MathMode::precise);
  const ValidationTolerances fast = validation_tolerances(MathMode::fast);
  EXPECT_EQ(precise.step_relative, 4e-6);
  EXPECT_EQ(precise.run_relative, 3e-3);
  EXPECT_EQ(precise.chaos_threshold, 3e-5);
  EXPECT_GT(fast.step_relative, precise.step_relative);
  EXPECT_GT(fast.run_relative, precise.run_relative);
  EXPECT_GT(fast.worked_example_relative, precise.worked_example_relative);
  EXPECT_LT(precise.worked_example_relative, precise.run_relative);
  EXPECT_GT(fast.nudge, precise.nudge);
  EXPECT_GT(fast.step_noise, precise.step_noise);
  EXPECT_LT(precise.step_noise, precise.nudge);
  // Chaotic in either mode past the same amplification of the nudge.
  EXPECT_NEAR(fast.chaos_threshold / fast.nudge, precise.chaos_threshold / precise.nudge, 1e-9);
  EXPECT_LT(precise.chaos_threshold, precise.run_relative / 10);
  EXPECT_EQ(fast.adam_noise_learning_rate, precise.adam_noise_learning_rate);
}

struct Runs {
  Batch batch;
  Dataset data;
  Results reference, candidate, reference_step, candidate_step;
  std::vector<Results> nudged, reference_step_nudged;
};

Runs seed_runs() {
  Runs r;
  SweepPlan plan = plan_of({{"preset", "seed"}, {"lr", "0.1:2:6"}, {"steps", "500"}});
  r.batch = plan.groups[0].batch;
  r.data = plan.groups[0].data;
  const auto ref = reference::make_backend();
  r.reference = ref->train(r.batch, r.data);
  r.nudged = nudged_reference_runs(r.batch, r.data, validation_tolerances(MathMode::precise));
  r.candidate = cpu::make_backend()->train(r.batch, r.data);
  r.reference_step = ref->train(single_step_batch(r.batch), r.data);
  r.reference_step_nudged =
      nudged_reference_runs(single_step_batch(r.batch), r.data, validation_tolerances(MathMode::precise));
  r.candidate_step = cpu::make_backend()->train(single_step_batch(r.batch), r.data);
  return r;
}

ValidationReport compare(const Runs& r) {
  ValidationReport report;
  report.tolerances = validation_tolerances(MathMode::precise);
  compare_runs(report, r.batch, r.data, r.reference, r.nudged, r.candidate);
  compare_single_steps(report, r.batch, r.reference_step, r.reference_step_nudged, r.candidate_step);
  finish_report(report, 3);
  return report;
}

TEST(Validate, ComparisonPassesUnperturbedAndFailsOnAPerturbedParameter) {
  Runs r = seed_runs();
  const ValidationReport good = compare(r);
  EXPECT_TRUE(good.passed);
  EXPECT_EQ(good.compared_by_function, 0u);

  // w4 of network 2 moved far past the flat-direction limit (flat_param_factor
  // x its tolerance): compared by parameters, and failed.
  Runs perturbed = r;
  perturbed.candidate.params[3 * r.batch.size() + 2] += 0.1;
  const ValidationReport bad = compare(perturbed);
  EXPECT_FALSE(bad.passed);
  EXPECT_EQ(bad.params.failed, 1u);
  EXPECT_EQ(bad.compared_by_function, 0u);
  EXPECT_NEAR(bad.params.max_abs, 0.1, 1e-3);
  ASSERT_FALSE(bad.worst.empty());
  EXPECT_EQ(bad.worst[0].id, 2u);
  EXPECT_EQ(bad.worst[0].quantity, "final parameters");
  EXPECT_GT(bad.worst[0].ratio, bad.tolerances.flat_param_factor);
}

// The seed dataset has one sample, so most directions in parameter space leave its
// two outputs nearly unchanged: w4 (input 2, 0.10, to hidden unit 2) moved by 0.01
// changes the outputs far less than their tolerance. Past the parameter tolerance, within the
// flat-direction limit, on a flat path: compared by function, and passed.
TEST(Validate, ParametersMovedAlongAFlatDirectionAreComparedByFunction) {
  Runs r = seed_runs();
  const std::size_t n = r.batch.size();
  Runs flat = r;
  flat.candidate.params[3 * n + 2] += 0.01;
  const ValidationReport report = compare(flat);
  EXPECT_TRUE(report.passed);
  EXPECT_EQ(report.compared_by_function, 1u);
  EXPECT_EQ(report.flat_params.networks, 1u);
  EXPECT_EQ(report.flat_params.failed, 0u);
  EXPECT_NEAR(report.flat_params.max_abs, 0.01, 1e-4);
  ASSERT_FALSE(report.worst.empty());
  EXPECT_EQ(report.worst[0].id, 2u);
  EXPECT_TRUE(report.worst[0].by_function);
  EXPECT_EQ(report.worst[0].quantity, "final parameters, flat direction");

  // The same distance on an output weight (w5) changes what the network computes:
  // not flat, compared by parameters, failed.
  Runs moved = r;
  moved.candidate.params[4 * n + 2] += 0.01;
  const ValidationReport changed = compare(moved);
  EXPECT_FALSE(changed.passed);
  EXPECT_EQ(changed.compared_by_function, 0u);
}

// Swapping the two hidden units computes the same function from other
// parameters: the end point agrees, the path between does not, so it fails.
TEST(Validate, SwappedHiddenUnitsAreNotAFlatDirection) {
  Runs r = seed_runs();
  const std::size_t n = r.batch.size();
  const std::size_t i = 2;
  auto p = [&](int q) -> double& { return r.candidate.params[static_cast<std::size_t>(q) * n + i]; };
  // 2-2-2 layout: w1(h, i) = h * 2 + i, w2(o, h) = 4 + o * 2 + h, b1 = 8, 9, b2 = 10, 11.
  std::swap(p(0), p(2));
  std::swap(p(1), p(3));
  std::swap(p(4), p(5));
  std::swap(p(6), p(7));
  std::swap(p(8), p(9));
  const ValidationReport report = compare(r);
  EXPECT_FALSE(report.passed);
  EXPECT_EQ(report.compared_by_function, 0u);
}

TEST(Validate, ComparisonFailsOnLossStatusAndSingleStepDeviations) {
  const Runs r = seed_runs();
  Runs loss = r;
  loss.candidate.loss[1] *= 1.01;
  EXPECT_FALSE(compare(loss).passed);
  EXPECT_EQ(compare(loss).loss.failed, 1u);

  Runs status = r;
  status.candidate.status[4] = Status::diverged;
  const ValidationReport s = compare(status);
  EXPECT_FALSE(s.passed);
  EXPECT_EQ(s.status_mismatches, 1u);

  Runs step = r;
  step.candidate_step.params[0] += 1e-4;  // w1 of network 0 after one step
  const ValidationReport st = compare(step);
  EXPECT_FALSE(st.passed);
  EXPECT_EQ(st.step_params.failed, 1u);
  EXPECT_TRUE(compare(r).passed);
}

// Network by network: diverged, chaotic (a final value, a curve point or the
// status of a nudged run moved), Adam noise, or by value.
TEST(Validate, ClassifiesDivergedChaoticAdamNoiseAndTheRestByValue) {
  const Preset seed = make_preset("seed");
  Batch batch(seed.shape, 7);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    NetworkConfig c = seed.config;
    c.max_steps = 200;
    c.learning_rate = 0.5;
    if (i >= 5) {
      c.optimizer = Optimizer::adam;
      c.learning_rate = i == 5 ? 0.2 : 0.05;  // above adam_noise_learning_rate, and below
    }
    batch.set_config(i, c);
  }
  initialize(batch, seed.init);
  batch.curve_every = 20;
  const ValidationTolerances tol = validation_tolerances(MathMode::precise);
  const auto reference = reference::make_backend();
  Results ref = reference->train(batch, seed.data);
  std::vector<Results> nudged = nudged_reference_runs(batch, seed.data, tol);
  const std::size_t n = batch.size();
  // Moved by three times the threshold, relative to the scales classify_runs uses.
  const auto moved = [&](double value, double scale) { return value + 3 * tol.chaos_threshold * scale; };
  ref.status[1] = Status::diverged;
  nudged[1].params[4 * n + 2] = moved(ref.param(2, 4), std::max(1.0, std::abs(ref.param(2, 4))));  // w5
  nudged[0].loss[3] = moved(ref.loss[3], std::max(ref.loss[3], 1e-3));
  const double slot = ref.curve_loss_at(5, 4);
  nudged[1].curve_loss[5 * n + 4] = static_cast<float>(moved(slot, std::max(slot, 1e-3)));
  nudged[0].status[0] = Status::converged;
  const std::vector<RunComparison> c = classify_runs(batch, ref, nudged, tol);
  const std::vector<RunComparison> want = {
      RunComparison::chaotic, RunComparison::diverged,   RunComparison::chaotic, RunComparison::chaotic,
      RunComparison::chaotic, RunComparison::adam_noise, RunComparison::by_value};
  for (std::size_t i = 0; i < n; ++i) EXPECT_STREQ(to_string(c[i]), to_string(want[i])) << "network " << i;
  // Moved by a third of the threshold: by value again.
  nudged[1].params[4 * n + 2] =
      ref.param(2, 4) + tol.chaos_threshold / 3 * std::max(1.0, std::abs(ref.param(2, 4)));
  EXPECT_EQ(classify_runs(batch, ref, nudged, tol)[2], RunComparison::by_value);
}

// A reference run that ends past float's range (here: one parameter above
// 3.4e38) cannot be followed in float, which overflows and diverges: tolerated,
// while a diverged candidate is a failure for a network compared by value.
TEST(Validate, ReferenceRunsBeyondFloatRangeAreComparedByStatusAndMayDivergeInFloat) {
  Runs r = seed_runs();
  const std::size_t n = r.batch.size();
  ASSERT_GE(n, 3u);
  r.reference.params[5 * n + 1] = 1e39;  // w6 of network 1
  r.candidate.status[1] = Status::diverged;
  const std::vector<RunComparison> c =
      classify_runs(r.batch, r.reference, r.nudged, validation_tolerances(MathMode::precise));
  EXPECT_EQ(c[1], RunComparison::beyond_float);
  EXPECT_EQ(c[2], RunComparison::by_value);
  const ValidationReport tolerated = compare(r);
  EXPECT_TRUE(tolerated.passed) << tolerated.status_mismatches;
  EXPECT_EQ(tolerated.status_mismatches_tolerated, 1u);
  r.candidate.status[2] = Status::diverged;
  EXPECT_FALSE(compare(r).passed);
}

// A deviation far past the run tolerance fails a network compared by value and
// passes one compared by status (Adam noise), which is still counted as chaotic.
TEST(Validate, AdamNoiseNetworksAreComparedByStatusOnly) {
  const SweepPlan plan =
      plan_of({{"preset", "seed"}, {"lr", "0.05,0.2"}, {"optimizer", "adam"}, {"steps", "300"}});
  const Batch& batch = plan.groups[0].batch;
  const Dataset& data = plan.groups[0].data;
  ASSERT_EQ(batch.size(), 2u);
  const auto ref = reference::make_backend();
  const Results reference = ref->train(batch, data);
  const std::vector<Results> nudged =
      nudged_reference_runs(batch, data, validation_tolerances(MathMode::precise));
  for (std::size_t wrong : {0, 1}) {
    Results candidate = cpu::make_backend()->train(batch, data);
    for (int q = 0; q < batch.num_params(); ++q)
      candidate.params[static_cast<std::size_t>(q) * 2 + wrong] *= 1.5;
    candidate.loss[wrong] *= 1.5;
    ValidationReport report;
    report.tolerances = validation_tolerances(MathMode::precise);
    compare_runs(report, batch, data, reference, nudged, candidate);
    finish_report(report);
    EXPECT_EQ(report.chaotic, 1u);
    EXPECT_EQ(report.adam_noise, 1u);
    EXPECT_EQ(report.compared_by_value, 1u);
    EXPECT_EQ(report.passed, wrong == 1) << "network " << wrong << " made wrong";
  }
}

// Networks whose float runs split from double's in mid-run (xor 2-8-1 at
// learning rate 8: saturated sigmoids keep few bits of their slope in float) are
// not seen from nudged starts alone: without step noise the comparison fails
// them by value, up to tens of times their tolerance; with it they are chaotic.
TEST(Validate, StepNoiseFindsRunsThatAmplifyRoundingMidRun) {
  const SweepPlan plan = plan_of({{"preset", "xor"},
                                  {"hidden", "7,8"},
                                  {"lr", "8"},
                                  {"seeds", "16"},
                                  {"steps", "5000"},
                                  {"target-loss", "0.01"}});
  ASSERT_EQ(plan.groups.size(), 2u);
  std::size_t chaotic_without = 0, chaotic_with = 0;
  bool failed_without = false;
  for (const SweepGroup& g : plan.groups) {
    const Results candidate = cpu::make_backend()->train(g.batch, g.data);
    ValidationTolerances quiet = validation_tolerances(MathMode::precise);
    quiet.step_noise = 0;
    const testing::ReferenceRuns without = testing::reference_runs(g.batch, g.data, quiet);
    const ValidationReport r0 = testing::compare_with_reference(g.batch, g.data, without, candidate);
    failed_without = failed_without || !r0.passed;
    chaotic_without += r0.chaotic;
    const testing::ReferenceRuns with = testing::reference_runs(g.batch, g.data);
    const ValidationReport r1 = testing::compare_with_reference(g.batch, g.data, with, candidate);
    EXPECT_TRUE(r1.passed) << testing::describe(r1);
    chaotic_with += r1.chaotic;
  }
  EXPECT_TRUE(failed_without) << "the plan no longer has a network the step noise is needed for";
  EXPECT_GT(chaotic_with, chaotic_without);
}

// One step: where the nudged starts move a parameter's step (a nearly
// cancelling Adam gradient), the candidate may differ by step_sensitivity_factor
// times that; elsewhere the plain one-step tolerance holds.
TEST(Validate, OneStepToleranceWidensOnlyWhereNudgedStartsMoveTheStep) {
  Runs r = seed_runs();
  const ValidationTolerances tol = validation_tolerances(MathMode::precise);
  const std::size_t n = r.batch.size();
  ASSERT_TRUE(compare(r).passed);
  // w2 of network 1: its step made sensitive, as if the nudged starts moved it by 1e-3.
  const double sensitive = 1e-3;
  r.reference_step_nudged[0].params[1 * n + 1] += sensitive;
  Runs within = r, beyond = r, elsewhere = r;
  within.candidate_step.params[1 * n + 1] += 0.9 * tol.step_sensitivity_factor * sensitive;
  EXPECT_TRUE(compare(within).passed) << compare(within).step_params.worst_ratio;
  beyond.candidate_step.params[1 * n + 1] += 1.2 * tol.step_sensitivity_factor * sensitive;
  EXPECT_FALSE(compare(beyond).passed);
  elsewhere.candidate_step.params[2 * n + 1] += 1e-4;  // w3: its step is not sensitive
  EXPECT_FALSE(compare(elsewhere).passed);
  EXPECT_EQ(compare(elsewhere).step_params.failed, 1u);
}

TEST(Validate, NonFiniteCandidateValuesFail) {
  Runs r = seed_runs();
  r.candidate.params[0] = std::nan("");
  const ValidationReport report = compare(r);
  EXPECT_FALSE(report.passed);
  EXPECT_TRUE(std::isinf(report.params.worst_ratio));
}

TEST(Validate, InjectionHookFailsAValidation) {
  const SweepPlan plan = plan_of({{"preset", "seed"}, {"lr", "0.5,1"}, {"steps", "100"}});
  const auto cpu = cpu::make_backend();
  ValidateOptions options;
  options.inject_relative_error = 1e-2;
  EXPECT_FALSE(validate(plan, *cpu, options).passed);
  EXPECT_TRUE(validate(plan, *cpu).passed);
}

}  // namespace
}  // namespace manynets

// Test helper: compares a float path's whole runs of a batch with the double
// reference as `manynets validate` does (validate.hpp: the math mode's
// tolerances; chaotic, Adam-noise and diverged networks by status only), and
// checks that the same comparison fails on a deliberately wrong result. Every
// float-vs-reference test (cpu, cuda, cublas, host launches) goes through it.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

#include "manynets/batch.hpp"
#include "manynets/dataset.hpp"
#include "manynets/reference.hpp"
#include "manynets/results.hpp"
#include "manynets/validate.hpp"

namespace manynets {
namespace testing {

// The reference's side of a comparison: its run of the batch, its runs from the
// nudged starts, and how each network is compared.
struct ReferenceRuns {
  ValidationTolerances tolerances;
  Results reference;
  std::vector<Results> nudged;
  std::vector<RunComparison> comparison;

  std::size_t count(RunComparison c) const {
    return static_cast<std::size_t>(std::count(comparison.begin(), comparison.end(), c));
  }
};

inline ReferenceRuns reference_runs(const Batch& batch, const Dataset& data,
                                    const ValidationTolerances& tol) {
  ReferenceRuns r;
  r.tolerances = tol;
  const auto reference = reference::make_backend();
  r.reference = reference->train(batch, data);
  r.nudged = nudged_reference_runs(batch, data, tol);
  r.comparison = classify_runs(batch, r.reference, r.nudged, tol);
  return r;
}

// With the batch's math mode's tolerances.
inline ReferenceRuns reference_runs(const Batch& batch, const Dataset& data) {
  return reference_runs(batch, data, validation_tolerances(batch.math_mode));
}

// validate's report on `candidate`, every network past tolerance listed (up to `listed`).
inline ValidationReport compare_with_reference(const Batch& batch, const Dataset& data,
                                               const ReferenceRuns& refs, const Results& candidate,
                                               std::size_t listed = 10) {
  ValidationReport report;
  report.math_mode = batch.math_mode;
  report.tolerances = refs.tolerances;
  compare_runs(report, batch, data, refs.reference, refs.nudged, candidate);
  finish_report(report, listed);
  return report;
}

// One line per network listed in the report, for a failure message.
inline std::string describe(const ValidationReport& r) {
  std::ostringstream out;
  out << r.networks << " networks: " << r.compared_by_value << " by value, " << r.compared_by_status
      << " by status (" << r.diverged << " diverged, " << r.chaotic << " chaotic of which " << r.adam_noise
      << " Adam noise); status mismatches " << r.status_mismatches << " (" << r.status_mismatches_tolerated
      << " tolerated)";
  for (const QuantityDeviation* q : r.quantities())
    if (q->failed > 0) out << "; " << q->name << ": " << q->failed << " past tolerance";
  for (const NetworkDeviation& d : r.worst) {
    out << "\n  network id " << d.id << " (lr " << d.learning_rate << "): " << d.quantity << " at " << d.ratio
        << " x tolerance, status " << to_string(d.status) << " vs " << to_string(d.reference_status)
        << ", loss " << d.loss << " vs " << d.reference_loss << (d.by_status_only ? " (by status only)" : "");
  }
  return out.str();
}

// The index of the first network compared by value (batch size when none).
inline std::size_t first_by_value(const ReferenceRuns& refs) {
  return static_cast<std::size_t>(
      std::find(refs.comparison.begin(), refs.comparison.end(), RunComparison::by_value) -
      refs.comparison.begin());
}

// `candidate` with network i's final parameters and loss multiplied by 1 + e,
// e = 3 x flat_param_factor x its run tolerance: past the flat-direction limit
// for every parameter of magnitude 1/3 or more, so a wrong result, not rounding.
inline Results with_wrong_network(const Batch& batch, const ReferenceRuns& refs, Results candidate,
                                  std::size_t i) {
  const ValidationTolerances& t = refs.tolerances;
  const double rel = batch.optimizer[i] == Optimizer::adam ? t.adam_run_relative : t.run_relative;
  const double f = 1.0 + 3.0 * t.flat_param_factor * rel;
  for (int q = 0; q < batch.num_params(); ++q)
    candidate.params[static_cast<std::size_t>(q) * candidate.n + i] *= f;
  candidate.loss[i] *= f;
  return candidate;
}

// Expects `candidate` (one run of `batch`) to agree with the reference as
// validate requires, and the comparison to fail on the final values when the
// first network compared by value is made wrong. Returns the report.
inline ValidationReport expect_validates(const Batch& batch, const Dataset& data, const ReferenceRuns& refs,
                                         const Results& candidate, const std::string& what) {
  const ValidationReport report = compare_with_reference(batch, data, refs, candidate);
  EXPECT_TRUE(report.passed) << what << ": " << describe(report);
  EXPECT_EQ(report.compared_by_value + report.compared_by_status, batch.size()) << what;
  const std::size_t i = first_by_value(refs);
  if (i < batch.size()) {
    const ValidationReport wrong =
        compare_with_reference(batch, data, refs, with_wrong_network(batch, refs, candidate, i));
    EXPECT_FALSE(wrong.passed) << what << ": a wrong network " << i << " passed";
    EXPECT_GT(wrong.loss.failed + wrong.params.failed + wrong.flat_params.failed + wrong.outputs.failed, 0u)
        << what << ": a wrong network " << i << " failed nothing but " << describe(wrong);
  }
  return report;
}

inline ValidationReport expect_validates(const Batch& batch, const Dataset& data, const Results& candidate,
                                         const std::string& what) {
  return expect_validates(batch, data, reference_runs(batch, data), candidate, what);
}

}  // namespace testing
}  // namespace manynets

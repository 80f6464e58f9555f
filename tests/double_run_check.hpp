// Test helper: compares a whole double-precision run of some path (math.hpp on
// the host, a host-launched kernel body) with the reference backend, network by
// network, comparing chaotic and diverged networks by status only (classified
// by validate.hpp's classify_runs, at double's scale).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "manynets/batch.hpp"
#include "manynets/dataset.hpp"
#include "manynets/reference.hpp"
#include "manynets/results.hpp"
#include "manynets/validate.hpp"
#include "validation_check.hpp"

namespace manynets {
namespace testing {

// Whole runs in double: the same formulas in another order; rounding
// differences of 1e-16 per step stay below 1e-9 over a few hundred steps of
// training that does not amplify them. Networks that do are told apart as
// `manynets validate` tells them (classify_runs), at double's scale: chaotic when
// the reference moves by more than kChaosThreshold from starts nudged by kNudge
// with step noise of kStepNoise, double's unit roundoff (no Adam noise cutoff: double rounding stays far
// below Adam's steps; the candidate holds double's range). They, and diverged networks, are compared by
// status only.
constexpr double kDoubleRunTolerance = 1e-9;
constexpr double kNudge = 1e-13;
constexpr double kStepNoise = 1.1e-16;
constexpr double kChaosThreshold = 1e-7;

inline ValidationTolerances double_run_tolerances() {
  ValidationTolerances t;
  t.nudge = kNudge;
  t.step_noise = kStepNoise;
  t.chaos_threshold = kChaosThreshold;
  t.adam_noise_learning_rate = std::numeric_limits<double>::infinity();
  t.candidate_range = std::numeric_limits<double>::infinity();
  return t;
}

// Expects equal statuses for every network and, for those compared by value,
// equal steps, loss and parameters to kDoubleRunTolerance and curve slots to
// float precision. Returns how many networks were compared by value.
inline std::size_t expect_double_run_matches_reference(const Results& got, const Batch& batch,
                                                       const Dataset& data) {
  const ReferenceRuns refs = reference_runs(batch, data, double_run_tolerances());
  const Results& ref = refs.reference;
  EXPECT_EQ(got.curve_points, ref.curve_points);
  if (got.curve_points != ref.curve_points) return 0;
  std::size_t compared = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (got.status[i] != ref.status[i]) {
      ADD_FAILURE() << "network " << i << ": status " << to_string(got.status[i]) << ", reference "
                    << to_string(ref.status[i]);
      return compared;
    }
    if (refs.comparison[i] != RunComparison::by_value) continue;  // status only
    ++compared;
    EXPECT_EQ(got.steps[i], ref.steps[i]) << "network " << i;
    EXPECT_NEAR(got.loss[i], ref.loss[i], kDoubleRunTolerance * std::max(1.0, ref.loss[i]))
        << "network " << i;
    for (int q = 0; q < batch.num_params(); ++q)
      EXPECT_NEAR(got.param(i, q), ref.param(i, q),
                  kDoubleRunTolerance * std::max(1.0, std::abs(ref.param(i, q))))
          << "network " << i << " param " << q;
    for (std::size_t t = 0; t < ref.curve_points; ++t) {
      const float a = got.curve_loss_at(t, i), b = ref.curve_loss_at(t, i);
      if (std::isnan(b)) {
        EXPECT_TRUE(std::isnan(a)) << "slot " << t << " network " << i;
      } else {
        EXPECT_FLOAT_EQ(a, b) << "slot " << t << " network " << i;
      }
    }
  }
  return compared;
}

}  // namespace testing
}  // namespace manynets

// Test helper: compares a whole double-precision run of some path (math.hpp on
// the host, a host-launched kernel body) with the reference backend, network by
// network, comparing chaotic and diverged networks by status only.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "manynets/batch.hpp"
#include "manynets/dataset.hpp"
#include "manynets/reference.hpp"
#include "manynets/results.hpp"

namespace manynets {
namespace testing {

// Whole runs in double: the same formulas in another order; rounding
// differences of 1e-16 per step stay below 1e-9 over a few hundred steps of
// training that does not amplify them. Networks that do (the reference moves by
// more than kChaosThreshold when its start moves by 1e-13) are chaotic at their
// learning rate and are compared by status only, as are diverged networks.
constexpr double kDoubleRunTolerance = 1e-9;
constexpr double kChaosThreshold = 1e-7;

// Expects equal statuses for every network and, for the others, equal steps,
// loss and parameters to kDoubleRunTolerance and curve slots to float
// precision. Returns how many networks were compared by value.
inline std::size_t expect_double_run_matches_reference(const Results& got, const Batch& batch,
                                                       const Dataset& data) {
  const Results ref = reference::make_backend()->train(batch, data);
  Batch nudged = batch;
  for (double& p : nudged.init_params) p *= 1.0 + 1e-13;
  const Results ref_nudged = reference::make_backend()->train(nudged, data);
  EXPECT_EQ(got.curve_points, ref.curve_points);
  if (got.curve_points != ref.curve_points) return 0;
  std::size_t compared = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (got.status[i] != ref.status[i]) {
      ADD_FAILURE() << "network " << i << ": status " << to_string(got.status[i]) << ", reference "
                    << to_string(ref.status[i]);
      return compared;
    }
    double sensitivity = 0;
    for (int q = 0; q < batch.num_params(); ++q)
      sensitivity = std::max(sensitivity, std::abs(ref_nudged.param(i, q) - ref.param(i, q)) /
                                              std::max(1.0, std::abs(ref.param(i, q))));
    if (ref.status[i] == Status::diverged || !(sensitivity < kChaosThreshold)) continue;  // status only
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

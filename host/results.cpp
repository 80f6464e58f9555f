// Results: sizing the per-network output arrays; curve slots start as NaN so a
// slot a network never reached reads as "stopped".
#include "manynets/results.hpp"

#include <cmath>
#include <limits>

namespace manynets {

void Results::allocate(Shape s, std::size_t networks, std::int32_t every, std::int32_t max_steps) {
  shape = s;
  n = networks;
  params.assign(static_cast<std::size_t>(s.num_params()) * networks, 0.0);
  loss.assign(networks, 0.0);
  abs_error.assign(networks, 0.0);
  steps.assign(networks, 0);
  status.assign(networks, Status::max_steps);
  curve_every = every > 0 ? every : 0;
  curve_points = curve_points_for(curve_every, max_steps < 0 ? 0 : max_steps);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  curve_loss.assign(curve_points * networks, nan);
  curve_abs_error.assign(curve_points * networks, nan);
}

Summary summarize(const Results& r) {
  Summary s;
  s.valid = true;
  s.best = r.n;
  s.best_loss = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t i = 0; i < r.n; ++i) {
    switch (r.status[i]) {
      case Status::converged:
        ++s.converged;
        break;
      case Status::max_steps:
        ++s.max_steps;
        break;
      case Status::diverged:
        ++s.diverged;
        continue;
    }
    if (std::isfinite(r.loss[i]) && (s.best == r.n || r.loss[i] < s.best_loss)) {
      s.best = i;
      s.best_loss = r.loss[i];
    }
  }
  return s;
}

}  // namespace manynets

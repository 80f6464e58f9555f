// Results: sizing the per-network output arrays; curve slots start as NaN so a
// slot a network never reached reads as "stopped".
#include "manynets/results.hpp"

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

}  // namespace manynets

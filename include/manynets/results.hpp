// What training a Batch produces, per network, in structure-of-arrays layout:
// final parameters, final loss and abs error, steps run, status, loss curves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "manynets/types.hpp"

namespace manynets {

// Counts by status and the best network of a run.
struct Summary {
  bool valid = false;  // false: nobody computed it (call summarize)
  std::size_t converged = 0, max_steps = 0, diverged = 0;
  // The lowest final loss of a network that did not diverge, and that network
  // (the first on ties); NaN and n when there is none.
  double best_loss = 0;
  std::size_t best = 0;
};

struct Results {
  Shape shape{};
  std::size_t n = 0;
  std::string backend;  // which backend produced these

  std::vector<double> params;       // (params, n): parameters after training
  std::vector<double> loss;         // (n): loss of the final parameters over the whole dataset
  std::vector<double> abs_error;    // (n): sum over outputs of |t - o|, mean over samples
  std::vector<std::int32_t> steps;  // (n): updates applied before the network stopped
  std::vector<Status> status;       // (n)

  // Loss curves: slot t holds the loss (and abs error) of the parameters after
  // t * curve_every updates, NaN once the network had stopped. Empty when
  // curve_every is 0.
  std::int32_t curve_every = 0;
  std::size_t curve_points = 0;
  std::vector<float> curve_loss;       // (curve_points, n)
  std::vector<float> curve_abs_error;  // (curve_points, n)

  // Filled by the cuda backends, which reduce it on the device chunk by chunk;
  // the other backends leave it invalid (summarize() computes it on the host).
  Summary summary;

  double param(std::size_t i, int p) const { return params[static_cast<std::size_t>(p) * n + i]; }
  float curve_loss_at(std::size_t t, std::size_t i) const { return curve_loss[t * n + i]; }
  float curve_abs_error_at(std::size_t t, std::size_t i) const { return curve_abs_error[t * n + i]; }

  // Sizes every array for n networks of this shape with curves up to max_steps.
  void allocate(Shape s, std::size_t networks, std::int32_t every, std::int32_t max_steps);
};

// The Summary of `r`, computed on the host.
Summary summarize(const Results& r);

// Number of curve slots for runs of up to max_steps updates recorded every `every` steps.
inline std::size_t curve_points_for(std::int32_t every, std::int32_t max_steps) {
  return every > 0 ? static_cast<std::size_t>(max_steps / every) + 1 : 0;
}

}  // namespace manynets

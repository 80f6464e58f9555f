// The double-precision reference: plain scalar loops over networks, written
// from DESIGN.md's formulas and sharing no training code with math.hpp, so it
// can catch a bug there. Checked against finite differences and the worked
// example's published numbers.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "manynets/backend.hpp"

namespace manynets {
namespace reference {

// Network outputs for every sample: (samples, outputs), row-major. `params` is one
// network's parameters in DESIGN.md's order. Under Rule::seed_blog each bias is
// added after its weighted sum, as the seed program does (the last bits differ).
std::vector<double> outputs(Shape shape, const double* params, Activation hidden, Activation output,
                            const Dataset& data, Rule rule = Rule::backprop);

// Mean over samples of sum_k 1/2 (t_k - o_k)^2, and of sum_k |t_k - o_k|.
double loss(Shape shape, const double* params, Activation hidden, Activation output, const Dataset& data);
double abs_error(Shape shape, const double* params, Activation hidden, Activation output,
                 const Dataset& data);

// The exact gradient of loss() with respect to every parameter, in DESIGN.md's order.
std::vector<double> gradient(Shape shape, const double* params, Activation hidden, Activation output,
                             const Dataset& data);

// Noise that stands in for float rounding inside a double run: after every
// update each trained parameter is multiplied by 1 + relative * u, u in [-1, 1)
// a hash of (network id, step, parameter, stream). A float run rounds every
// parameter by up to 2^-24 (6e-8) relative at every step; a network whose
// result such noise moves much is one whose float run cannot follow double's
// (validate.hpp's chaos check). relative = 0: the plain reference.
struct RoundingNoise {
  double relative = 0;
  std::uint32_t stream = 0;
};

// The reference backend ("reference"): any shape, full-batch or online, every
// optimizer, early stop, divergence detection, curves, and Rule::seed_blog;
// with `noise`, the reference perturbed as above.
std::unique_ptr<Backend> make_backend(RoundingNoise noise = {});

}  // namespace reference
}  // namespace manynets

// Built-in workloads: the worked example (`seed`), the logic gates `xor`,
// `and`, `or` (2-H-1, or 2-H-2 with one-hot targets), and the generated
// two-class datasets `moons` and `circles` (2-H-1, or 2-H-2 with one-hot targets).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "manynets/batch.hpp"
#include "manynets/dataset.hpp"
#include "manynets/init.hpp"

namespace manynets {

// The worked example's numbers.
namespace seed_example {
inline constexpr double x1 = 0.05, x2 = 0.10;
inline constexpr double t1 = 0.01, t2 = 0.99;
inline constexpr double weights[8] = {0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55};
inline constexpr double b1 = 0.35, b2 = 0.60;
inline constexpr double learning_rate = 0.5;
inline constexpr int steps = 5000;
// The seed program's loop updates once more than it means to: it breaks when its
// counter exceeds 5000, after that counter's update.
inline constexpr int program_updates = 5001;
}  // namespace seed_example

struct Preset {
  std::string name;
  std::string description;
  Shape shape;
  Dataset data;
  NetworkConfig config;  // its default hyperparameters
  InitSpec init;         // its default initialisation
};

std::vector<std::string> preset_names();
// `shape` picks the variant of a gate or two-class preset (2-H-1, or 2-H-2 with
// one-hot targets, any hidden width H); pass nullptr for the preset's own default. Throws an invalid_input
// Error for an unknown name or a shape the preset has no variant for.
Preset make_preset(const std::string& name, const Shape* shape = nullptr);

// Samples of the `moons` and `circles` presets.
inline constexpr std::size_t two_class_preset_samples = 200;

// A generated two-class dataset in the plane, `samples` points alternating
// class 0 and class 1, the same for the same (name, samples, seed) on every
// machine; a larger dataset starts with the samples of a smaller one.
// - "moons": two interleaving half circles of radius 1 (class 0 the upper arc,
//   class 1 the lower one shifted by (1, -0.5)), centred on the origin, with
//   Gaussian noise of standard deviation 0.1 on each coordinate;
// - "circles": class 0 on the unit circle, class 1 on the circle of radius 0.5,
//   noise 0.05.
// Targets: the class (outputs = 1) or one-hot (outputs = 2: class 0 -> (1, 0)).
// Throws an invalid_input Error for another name, 0 or more than
// max_dataset_samples samples, or outputs other than 1 and 2.
Dataset make_two_class_dataset(const std::string& name, std::size_t samples, int outputs,
                               std::uint64_t seed = 1);

// The seed sweep, the workload the benchmarks and the peer programs share
// (shared/peers/README.md): n worked-example networks from the published
// weights, network i at learning rate 0.1 + 1.9 i / (n - 1) (0.5 when n = 1),
// max_steps steps of plain gradient descent, no early stop.
Batch seed_sweep_batch(std::size_t n, std::int32_t max_steps, MathMode mode = MathMode::precise);

}  // namespace manynets

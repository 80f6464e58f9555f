// Initial parameters: the worked example's weights, or random ones drawn from
// Philox by (seed, network id, parameter index), identical on every backend.
#pragma once

#include <string>

#include "manynets/batch.hpp"

namespace manynets {

struct InitSpec {
  enum class Kind { seed, uniform, normal, xavier } kind = Kind::seed;
  double scale = 1.0;  // uniform: half-width A; normal: standard deviation S
};

// "seed", "uniform:A", "normal:S", "xavier"; throws an invalid_input Error otherwise.
InitSpec parse_init(const std::string& text);
std::string to_string(const InitSpec& spec);

// Writes network i's initial parameters for every i of the batch. `seed` puts the
// worked example's values (2-2-2 only); xavier draws W uniform in
// +-sqrt(6 / (fan_in + fan_out)) with zero biases. Network i draws with id
// batch.first_id + i and batch.seed.
void initialize(Batch& batch, const InitSpec& spec);
// The same for networks begin .. end-1 only (a sweep mixes initialisations in one batch).
void initialize(Batch& batch, const InitSpec& spec, std::size_t begin, std::size_t end);

}  // namespace manynets

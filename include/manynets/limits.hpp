// The limits manynets puts on its input, in one place, each with the reason for
// its value. Input past a limit is refused with an invalid_input Error that names
// the limit, before anything is allocated, trained or written.
#pragma once

#include <cstddef>
#include <cstdint>

namespace manynets {

// Steps per network. Step counts are int32 everywhere (results, kernels, files);
// 1e9 leaves headroom below 2^31 for "step + 1" and is already a long run: one
// network of the worked example takes minutes for it on the reference backend.
constexpr std::int32_t max_allowed_steps = 1000000000;

// Layer sizes of a network: tiny networks are what manynets is for. Shapes
// compiled in (shapes.hpp) run their own unrolled code; every other shape within
// these bounds runs the general path, whose per-network arrays have room for the
// largest one, 16-64-16 (max_network_params parameters).
constexpr int max_network_inputs = 16;
constexpr int max_network_hidden = 64;
constexpr int max_network_outputs = 16;
constexpr int max_network_params = max_network_hidden * max_network_inputs +
                                   max_network_outputs * max_network_hidden + max_network_hidden +
                                   max_network_outputs;

// Networks in one sweep (or bench batch). Far beyond what a run needs, and
// small enough that counts and byte sizes cannot overflow; whether a batch fits
// in this machine's memory is checked separately (batch_memory_bytes).
constexpr std::size_t max_sweep_networks = 100000000;

// Values one range a:b:n may expand to: a grid axis longer than this is a typo.
constexpr long long max_range_values = 10000000;

// Samples in a dataset: enough for the gate, regression and classification
// datasets the tiny networks are for; every network of a batch reads every
// sample each step, so a larger dataset makes a run impractically slow.
constexpr std::size_t max_dataset_samples = 100000;

// Bytes of a CSV dataset file, checked before it is read: max_dataset_samples
// rows of 4-8-3 data (11 numbers of up to ~25 characters) take ~28 MB, so 64 MiB
// leaves room for comments and long numbers while a wrong file is refused
// before it fills memory.
constexpr std::size_t max_csv_bytes = 64u * 1024 * 1024;

// Bytes of a JSON sweep config file: a config holds a few option texts.
constexpr std::size_t max_config_bytes = 1024 * 1024;

// Memory a batch of `networks` networks with `params` parameters each needs
// while a sweep holds it: the Batch (hyperparameters and initial parameters),
// the plan's per-network bookkeeping, the Results (final parameters, loss,
// steps, status) and the summary's per-row copies, with a margin for the
// chunk being trained and the allocator. An estimate, to refuse a batch that
// cannot fit before allocating it.
std::size_t batch_memory_bytes(std::size_t networks, int params);

// The memory this process may still use: MemAvailable of /proc/meminfo, capped
// by a cgroup limit when there is one; the environment variable
// MANYNETS_MEMORY_LIMIT (bytes) overrides it (for tests and for capping a run).
// 0 when unknown (nothing is refused then).
std::size_t available_memory_bytes();

}  // namespace manynets

// What the cuda and cublas backends share around their kernels: how many
// networks a chunk holds, the step count a chunk's launch runs to, and the
// dataset on the device. The sizing is plain host arithmetic, tested on the host.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "manynets/batch.hpp"
#include "manynets/error.hpp"

namespace manynets {
namespace cuda {

// A fraction of the free device memory for the chunks' buffers; the rest stays
// for the runtime, the dataset, CUB's scratch and cuBLAS's workspace.
inline constexpr double kDeviceMemoryShare = 0.7;

// What one network of a chunk costs, and how many chunks are in flight at once.
struct ChunkCost {
  double device_bytes = 0;   // device buffers per network (inputs, outputs, workspace)
  double pinned_bytes = 0;   // pinned host staging per network; 0: no bound from it
  double pinned_budget = 0;  // pinned bytes one chunk may stage
  int in_flight = 1;         // chunks whose buffers coexist (one per stream)
};

// Networks per chunk for n networks: `in_flight` chunks' device buffers within
// kDeviceMemoryShare of `free_bytes`, one chunk's staging within its pinned
// budget, and at most `cap` (0: no cap). Throws a runtime Error ending in
// `advice` when not even one network fits.
inline std::size_t networks_per_chunk(const ChunkCost& cost, std::size_t free_bytes, std::size_t n,
                                      std::size_t cap, const std::string& advice) {
  double fit = kDeviceMemoryShare * static_cast<double>(free_bytes) / (cost.in_flight * cost.device_bytes);
  if (cost.pinned_bytes > 0) fit = std::min(fit, cost.pinned_budget / cost.pinned_bytes);
  std::size_t chunk = fit >= static_cast<double>(n) ? n : static_cast<std::size_t>(fit);
  if (cap > 0) chunk = std::min(chunk, cap);
  if (chunk == 0 && n > 0) {
    throw runtime_error("one network needs " + std::to_string(static_cast<long long>(cost.device_bytes)) +
                        " bytes of device memory and " + std::to_string(free_bytes) + " are free; " + advice);
  }
  return chunk;
}

// The most steps any network of batch[first, first + count) may run: what a
// chunk's step-by-step launches run to.
inline std::int32_t longest_in(const Batch& batch, std::size_t first, std::size_t count) {
  const auto begin = batch.max_steps.begin() + static_cast<std::ptrdiff_t>(first);
  return count == 0 ? 0 : *std::max_element(begin, begin + static_cast<std::ptrdiff_t>(count));
}

}  // namespace cuda
}  // namespace manynets

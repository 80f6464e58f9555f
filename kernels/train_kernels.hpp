// Host launchers of the training kernels (kernels/train_kernels.cu) for the
// CUDA backends: the fused kernel (one thread per network, optionally
// persistent with a work counter) and the staged kernels (start, then
// forward / backward / update per step). Instantiated for every compiled shape.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <optional>

#include "kernels/train_bodies.hpp"
#include "manynets/types.hpp"

namespace manynets {
namespace kernels {

// Threads per block of the fused kernel and of the staged kernels.
constexpr int kFusedBlock = 128;
constexpr int kStagedBlock = 256;
// Shared memory of one tile of the fused kernel's tiled path (inputs and
// targets): at 128 threads per block several blocks still fit on an SM, and a
// tile is hundreds of samples, so a round's barriers are few.
constexpr std::size_t kTileBytes = 24 * 1024;

// Trains every network of `v` with the fused kernel on `stream`. With `refill`
// the grid is as many blocks as fit on the device at once and each thread
// takes networks from *work_counter (one device word, reset here) until none
// is left; without it, one thread per network. The dataset goes to shared
// memory whole when it fits (48 KB); else the tiled kernel streams it through
// shared memory in tiles of kTileBytes: the block's threads train in lockstep
// rounds of one step each, all of them load each tile, and a thread whose
// network stopped takes its next one at a round boundary
// (run_tiled_block in kernels/train_bodies.hpp). Both paths run the same
// math.hpp operations in the same order for every network.
// `kind`: what every network of `v` shares (launch_kind), or none when they
// differ; the kernel compiled for it runs when MANYNETS_FOR_EACH_KIND lists it.
template <int I, int H, int O>
void launch_fused(MathMode mode, const std::optional<NetworkKind>& kind, bool refill,
                  const TrainView<float>& v, const DatasetView<float>& data, unsigned long long* work_counter,
                  cudaStream_t stream);

// Trains every network of `v` with the staged kernels on `stream`: the start
// kernel, then forward, backward and update kernels per step up to `longest`
// steps (the largest max_steps of the networks in `v`).
template <int I, int H, int O>
void run_staged(MathMode mode, const TrainView<float>& v, const StagedWorkspace<float>& ws,
                const DatasetView<float>& data, std::int32_t longest, cudaStream_t stream);

}  // namespace kernels
}  // namespace manynets

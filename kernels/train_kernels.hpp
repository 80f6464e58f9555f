// Host launchers of the training kernels (kernels/train_kernels.cu) for the
// CUDA backends: the fused kernel (one thread per network, optionally
// persistent with a work counter) and the staged kernels (start, then
// forward / backward / update per step). Instantiated for every compiled shape.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/train_bodies.hpp"
#include "manynets/types.hpp"

namespace manynets {
namespace kernels {

// Threads per block of the fused kernel and of the staged kernels.
constexpr int kFusedBlock = 128;
constexpr int kStagedBlock = 256;

// Trains every network of `v` with the fused kernel on `stream`. With `refill`
// the grid is as many blocks as fit on the device at once and each thread
// takes networks from *work_counter (one device word, reset here) until none
// is left; without it, one thread per network. The dataset goes to shared
// memory when it fits (48 KB), else the threads read it from device memory.
template <int I, int H, int O>
void launch_fused(MathMode mode, bool refill, const TrainView<float>& v, const DatasetView<float>& data,
                  unsigned long long* work_counter, cudaStream_t stream);

// Trains every network of `v` with the staged kernels on `stream`: the start
// kernel, then forward, backward and update kernels per step up to `longest`
// steps (the largest max_steps of the networks in `v`).
template <int I, int H, int O>
void run_staged(MathMode mode, const TrainView<float>& v, const StagedWorkspace<float>& ws,
                const DatasetView<float>& data, std::int32_t longest, cudaStream_t stream);

}  // namespace kernels
}  // namespace manynets

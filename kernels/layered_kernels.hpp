// Host launcher of the `cublas` backend's step sequence on the device
// (kernels/layered_kernels.cu): kernels/layered_steps.hpp with a kernel launch
// per elementwise pass and the caller's GEMM (cuBLAS) for the products.
// Instantiated for every compiled shape.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/layered_bodies.hpp"
#include "kernels/layered_gemm.hpp"
#include "manynets/types.hpp"

namespace manynets {
namespace kernels {

// Threads per block of the elementwise kernels.
constexpr int kLayeredBlock = 256;

// Trains every network of `v` layer by layer on `stream`; `gemm` must issue its
// products on the same stream. Device pointers throughout.
template <int I, int H, int O>
void run_layered(MathMode mode, const TrainView<float>& v, const LayeredWorkspace<float>& ws,
                 const LayeredData<float>& data, std::int32_t longest, Gemm<float>& gemm,
                 cudaStream_t stream);

}  // namespace kernels
}  // namespace manynets

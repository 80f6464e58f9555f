// The `cublas` backend's elementwise kernels and their launcher. One __global__
// template runs any body of kernels/layered_bodies.hpp over a range of element
// indices (a grid-stride loop); the step sequence itself is
// kernels/layered_steps.hpp, which the host tests run without a GPU.
#include <algorithm>
#include <cstddef>

#include "kernels/cuda_check.hpp"
#include "kernels/layered_kernels.hpp"
#include "kernels/layered_steps.hpp"
#include "manynets/detail/math.hpp"
#include "manynets/shapes.hpp"

namespace manynets {
namespace kernels {
namespace {

// ---- kernels

template <class Body>
__global__ void __launch_bounds__(kLayeredBlock) layered_elementwise_kernel(Body body, std::size_t count) {
  const std::size_t step = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t e = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < count; e += step)
    body(e);
}

// ---- launch helpers

// Runs a body over count elements on one stream: at most this many blocks, each
// thread looping over the rest (count can exceed a grid's reach).
constexpr std::size_t kMaxLayeredBlocks = std::size_t{1} << 20;

struct DeviceLaunch {
  cudaStream_t stream;

  template <class Body>
  void operator()(const char* name, std::size_t count, const Body& body) const {
    if (count == 0) return;
    const std::size_t blocks =
        std::min((count + static_cast<std::size_t>(kLayeredBlock) - 1) / kLayeredBlock, kMaxLayeredBlocks);
    layered_elementwise_kernel<<<static_cast<unsigned>(blocks), kLayeredBlock, 0, stream>>>(body, count);
    ::manynets::cuda::check(cudaGetLastError(), name, __FILE__, __LINE__);
  }
};

}  // namespace

// ---- launchers

template <int I, int H, int O>
void run_layered(MathMode mode, const TrainView<float>& v, const LayeredWorkspace<float>& ws,
                 const LayeredData<float>& data, std::int32_t longest, Gemm<float>& gemm,
                 cudaStream_t stream) {
  if (mode == MathMode::fast) {
    run_layered_steps<math::FastMath, I, H, O>(v, ws, data, longest, gemm, DeviceLaunch{stream});
  } else {
    run_layered_steps<math::PreciseMath, I, H, O>(v, ws, data, longest, gemm, DeviceLaunch{stream});
  }
}

// ---- instantiations, one per compiled shape

#define MANYNETS_INSTANTIATE_LAYERED(I, H, O)                                                           \
  template void run_layered<I, H, O>(MathMode, const TrainView<float>&, const LayeredWorkspace<float>&, \
                                     const LayeredData<float>&, std::int32_t, Gemm<float>&, cudaStream_t);
MANYNETS_FOR_EACH_SHAPE(MANYNETS_INSTANTIATE_LAYERED)
#undef MANYNETS_INSTANTIATE_LAYERED

}  // namespace kernels
}  // namespace manynets

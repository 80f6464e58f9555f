// The CUDA training kernels and their launchers. Each __global__ function maps
// its thread to a network index (and stages the dataset in shared memory, whole
// or in tiles); the work itself is a MANYNETS_HD body from
// kernels/train_bodies.hpp, which the host tests run without a GPU.
#include <cstddef>
#include <optional>

#include "kernels/cuda_check.hpp"
#include "kernels/train_kernels.hpp"
#include "manynets/detail/math.hpp"
#include "manynets/shapes.hpp"

namespace manynets {
namespace kernels {
namespace {

// ---- device helpers

extern __shared__ float dataset_shared[];

// A layer size: N for a compiled shape, the view's for the general one (N = 0).
template <int N>
__device__ int size_or(int runtime) {
  return N != 0 ? N : runtime;
}

// The block's copy of the dataset in shared memory (every thread of a warp
// reads the same sample at once: a broadcast), or the dataset as it is when it
// does not fit. Every thread of the block must call it.
__device__ DatasetView<float> stage_dataset(const DatasetView<float>& data, bool in_shared, int inputs,
                                            int outputs) {
  if (!in_shared) return data;
  const int nx = data.samples * inputs, nt = data.samples * outputs;
  for (int k = threadIdx.x; k < nx; k += blockDim.x) dataset_shared[k] = data.xs[k];
  for (int k = threadIdx.x; k < nt; k += blockDim.x) dataset_shared[nx + k] = data.ts[k];
  __syncthreads();
  return {dataset_shared, dataset_shared + nx, data.samples};
}

__device__ std::size_t thread_index() {
  return static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}

// The persistent kernel's index source: the next untrained network.
struct WorkCounter {
  unsigned long long* counter;
  __device__ std::size_t operator()() const { return static_cast<std::size_t>(atomicAdd(counter, 1ull)); }
};

// The tiled kernel's block: run_tiled_block's phases for the calling thread.
// The block's threads share `tile` in shared memory; with refill every thread
// takes its networks from the work counter, else it trains its own index only.
template <class Math, class Kind, int I, int H, int O>
struct DeviceTiledBlock {
  const TrainView<float>& v;
  const DatasetView<float>& data;
  TileView<float> tile;
  bool refill;
  unsigned long long* work_counter;
  TiledNetwork<I, H, O, float> w;

  __device__ std::size_t next() const { return refill ? WorkCounter{work_counter}() : v.count; }
  __device__ void start() { tiled_take<Kind>(w, v, data.samples, refill ? next() : thread_index()); }
  __device__ bool any_training() const { return __syncthreads_or(tiled_training(w, v)) != 0; }
  __device__ void sync() const { __syncthreads(); }
  __device__ void load_tile(int first, int count) const {
    load_tile_part<I, O>(tile, data, first, count, static_cast<int>(threadIdx.x),
                         static_cast<int>(blockDim.x));
  }
  __device__ void begin_step() { tiled_begin_step(w, v); }
  __device__ void accumulate(int count) { tiled_accumulate<Math>(w, v, tile, count, data.samples); }
  __device__ void finish_step() {
    tiled_finish_step<Math, Kind>(w, v, data, [this]() { return next(); });
  }
};

// ---- kernels

template <class Math, class Kind, int I, int H, int O>
__global__ void __launch_bounds__(kFusedBlock)
    train_fused_kernel(TrainView<float> v, DatasetView<float> data, bool shared_data, bool refill,
                       unsigned long long* work_counter) {
  const DatasetView<float> d = stage_dataset(data, shared_data, size_or<I>(v.inputs), size_or<O>(v.outputs));
  if (refill) {
    const WorkCounter next{work_counter};
    train_networks_from<Math, I, H, O, Kind>(v, d, next(), next);
  } else {
    train_network_body<Math, I, H, O, Kind>(v, d, thread_index());
  }
}

// The fused kernel for a dataset larger than shared memory: the block walks it
// in tiles of `tile_capacity` samples (run_tiled_block).
template <class Math, class Kind, int I, int H, int O>
__global__ void __launch_bounds__(kFusedBlock)
    train_fused_tiled_kernel(TrainView<float> v, DatasetView<float> data, int tile_capacity, bool refill,
                             unsigned long long* work_counter) {
  const TileView<float> tile = tile_view<I, O>(dataset_shared, tile_capacity);
  DeviceTiledBlock<Math, Kind, I, H, O> block{v, data, tile, refill, work_counter, {}};
  run_tiled_block(block, data.samples, tile_capacity);
}

template <int I, int H, int O>
__global__ void staged_start_kernel(TrainView<float> v, StagedWorkspace<float> ws) {
  staged_start_body<I, H, O>(v, ws, thread_index());
}

template <class Math, int I, int H, int O>
__global__ void staged_forward_kernel(TrainView<float> v, StagedWorkspace<float> ws, DatasetView<float> data,
                                      bool shared_data, std::int32_t step) {
  staged_forward_body<Math, I, H, O>(
      v, ws, stage_dataset(data, shared_data, size_or<I>(v.inputs), size_or<O>(v.outputs)), step,
      thread_index());
}

template <int I, int H, int O>
__global__ void staged_backward_kernel(TrainView<float> v, StagedWorkspace<float> ws, DatasetView<float> data,
                                       bool shared_data, std::int32_t step) {
  staged_backward_body<I, H, O>(v, ws,
                                stage_dataset(data, shared_data, size_or<I>(v.inputs), size_or<O>(v.outputs)),
                                step, thread_index());
}

template <class Math, int I, int H, int O>
__global__ void staged_update_kernel(TrainView<float> v, StagedWorkspace<float> ws) {
  staged_update_body<Math, I, H, O>(v, ws, thread_index());
}

// ---- launch helpers

// Dynamic shared memory for the dataset, or 0 when it must stay in device memory.
std::size_t dataset_shared_bytes(const DatasetView<float>& data, int inputs, int outputs) {
  constexpr std::size_t limit = 48 * 1024;  // without opting in to more per block
  const std::size_t bytes =
      sizeof(float) * static_cast<std::size_t>(data.samples) * static_cast<std::size_t>(inputs + outputs);
  return bytes <= limit ? bytes : 0;
}

unsigned blocks_for(std::size_t count, int block) {
  return static_cast<unsigned>((count + static_cast<std::size_t>(block) - 1) /
                               static_cast<std::size_t>(block));
}

// Samples per tile of the tiled kernel: kTileBytes of inputs and targets.
template <int I, int O>
constexpr int tile_capacity() {
  constexpr int capacity = static_cast<int>(kTileBytes / (sizeof(float) * (I + O)));
  static_assert(capacity > 0, "a tile holds at least one sample");
  return capacity;
}

template <class Math, class Kind, int I, int H, int O>
void launch_fused_with(bool refill, const TrainView<float>& v, const DatasetView<float>& data,
                       unsigned long long* work_counter, cudaStream_t stream) {
  if (v.count == 0) return;
  constexpr bool general = I == math::kRuntime;
  // The whole dataset in shared memory when it fits, else tiles of it; the
  // general path has no tiled kernel and reads such a dataset from device memory.
  const std::size_t whole = dataset_shared_bytes(data, general ? v.inputs : I, general ? v.outputs : O);
  bool tiled = false;
  std::size_t smem = whole;
  const void* kernel = reinterpret_cast<const void*>(train_fused_kernel<Math, Kind, I, H, O>);
  if constexpr (!general) {
    tiled = whole == 0 && data.samples > 0;
    if (tiled) {
      smem = sizeof(float) * tile_floats<I, O>(tile_capacity<I, O>());
      kernel = reinterpret_cast<const void*>(train_fused_tiled_kernel<Math, Kind, I, H, O>);
    }
  }
  unsigned grid = blocks_for(v.count, kFusedBlock);
  if (grid > 0x7fffffffu)
    throw input_error("a chunk of " + std::to_string(v.count) + " networks is too large");
  if (refill) {
    if (work_counter == nullptr) throw runtime_error("launch_fused: refill needs a work counter");
    // As many blocks as are resident at once: every thread lives until the work runs out.
    int device = 0, sms = 0, per_sm = 0;
    MANYNETS_CUDA_CHECK(cudaGetDevice(&device));
    MANYNETS_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
    MANYNETS_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kFusedBlock, smem));
    const unsigned resident = static_cast<unsigned>(sms) * static_cast<unsigned>(per_sm > 0 ? per_sm : 1);
    if (resident < grid) grid = resident;
    MANYNETS_CUDA_CHECK(cudaMemsetAsync(work_counter, 0, sizeof(unsigned long long), stream));
  }
  if constexpr (!general) {
    if (tiled) {
      train_fused_tiled_kernel<Math, Kind, I, H, O>
          <<<grid, kFusedBlock, smem, stream>>>(v, data, tile_capacity<I, O>(), refill, work_counter);
      MANYNETS_CUDA_CHECK_LAUNCH("train_fused_tiled_kernel");
      return;
    }
  }
  {
    train_fused_kernel<Math, Kind, I, H, O>
        <<<grid, kFusedBlock, smem, stream>>>(v, data, smem > 0, refill, work_counter);
    MANYNETS_CUDA_CHECK_LAUNCH("train_fused_kernel");
  }
}

template <class Math, int I, int H, int O>
void run_staged_with(const TrainView<float>& v, const StagedWorkspace<float>& ws,
                     const DatasetView<float>& data, std::int32_t longest, cudaStream_t stream) {
  if (v.count == 0) return;
  constexpr bool general = I == math::kRuntime;  // the view's shape, at run time
  const std::size_t smem = dataset_shared_bytes(data, general ? v.inputs : I, general ? v.outputs : O);
  const unsigned grid = blocks_for(v.count, kStagedBlock);
  staged_start_kernel<I, H, O><<<grid, kStagedBlock, 0, stream>>>(v, ws);
  MANYNETS_CUDA_CHECK_LAUNCH("staged_start_kernel");
  // The loop contract of math::train_network: evaluate and decide at every
  // step, update only the networks still training; at step `longest` every
  // network has stopped.
  for (std::int32_t step = 0;; ++step) {
    staged_forward_kernel<Math, I, H, O><<<grid, kStagedBlock, smem, stream>>>(v, ws, data, smem > 0, step);
    MANYNETS_CUDA_CHECK_LAUNCH("staged_forward_kernel");
    if (step >= longest) break;
    staged_backward_kernel<I, H, O><<<grid, kStagedBlock, smem, stream>>>(v, ws, data, smem > 0, step);
    MANYNETS_CUDA_CHECK_LAUNCH("staged_backward_kernel");
    staged_update_kernel<Math, I, H, O><<<grid, kStagedBlock, 0, stream>>>(v, ws);
    MANYNETS_CUDA_CHECK_LAUNCH("staged_update_kernel");
  }
}

}  // namespace

// ---- launchers

// The kernel compiled for the launch's kind when there is one, else AnyKind's.
template <class Math, int I, int H, int O>
void launch_fused_of_kind(const std::optional<NetworkKind>& kind, bool refill, const TrainView<float>& v,
                          const DatasetView<float>& data, unsigned long long* work_counter,
                          cudaStream_t stream) {
  // The general path reads every kind at run time.
  if constexpr (I != math::kRuntime) {
#define MANYNETS_KIND_CASE(OPT, HIDDEN, OUTPUT)                                                             \
  if (kind && kind->optimizer == Optimizer::OPT && kind->hidden == Activation::HIDDEN &&                    \
      kind->output == Activation::OUTPUT) {                                                                 \
    return launch_fused_with<Math, FixedKind<Optimizer::OPT, Activation::HIDDEN, Activation::OUTPUT>, I, H, \
                             O>(refill, v, data, work_counter, stream);                                     \
  }
    MANYNETS_FOR_EACH_KIND(MANYNETS_KIND_CASE)
#undef MANYNETS_KIND_CASE
  }
  launch_fused_with<Math, AnyKind, I, H, O>(refill, v, data, work_counter, stream);
}

template <int I, int H, int O>
void launch_fused(MathMode mode, const std::optional<NetworkKind>& kind, bool refill,
                  const TrainView<float>& v, const DatasetView<float>& data, unsigned long long* work_counter,
                  cudaStream_t stream) {
  if (mode == MathMode::fast) {
    launch_fused_of_kind<math::FastMath, I, H, O>(kind, refill, v, data, work_counter, stream);
  } else {
    launch_fused_of_kind<math::PreciseMath, I, H, O>(kind, refill, v, data, work_counter, stream);
  }
}

template <int I, int H, int O>
void run_staged(MathMode mode, const TrainView<float>& v, const StagedWorkspace<float>& ws,
                const DatasetView<float>& data, std::int32_t longest, cudaStream_t stream) {
  if (mode == MathMode::fast) {
    run_staged_with<math::FastMath, I, H, O>(v, ws, data, longest, stream);
  } else {
    run_staged_with<math::PreciseMath, I, H, O>(v, ws, data, longest, stream);
  }
}

// ---- instantiations, one per compiled shape, and the general path's

#define MANYNETS_INSTANTIATE_LAUNCHERS(I, H, O)                                                       \
  template void launch_fused<I, H, O>(MathMode, const std::optional<NetworkKind>&, bool,              \
                                      const TrainView<float>&, const DatasetView<float>&,             \
                                      unsigned long long*, cudaStream_t);                             \
  template void run_staged<I, H, O>(MathMode, const TrainView<float>&, const StagedWorkspace<float>&, \
                                    const DatasetView<float>&, std::int32_t, cudaStream_t);
MANYNETS_FOR_EACH_SHAPE(MANYNETS_INSTANTIATE_LAUNCHERS)
MANYNETS_INSTANTIATE_LAUNCHERS(math::kRuntime, math::kRuntime, math::kRuntime)
#undef MANYNETS_INSTANTIATE_LAUNCHERS

}  // namespace kernels
}  // namespace manynets

// The `cuda` and `cuda-staged` backends: a batch is trained chunk by chunk
// (chunks sized from the device's free memory), each chunk packed into pinned
// host memory, copied, trained and copied back on one of two streams, so one
// chunk's copies and packing overlap the other's kernels. The status counts
// and best loss of each chunk are reduced on the device (Thrust iterators into
// CUB's device reduce) and combined on the host into Results::summary.
#include <thrust/iterator/counting_iterator.h>
#include <thrust/iterator/transform_iterator.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cub/device/device_reduce.cuh>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "host/backends/cuda/cuda_backend.hpp"
#include "host/backends/cuda/cuda_memory.hpp"
#include "host/backends/cuda/device_runner.hpp"
#include "host/backends/cuda/staging.hpp"
#include "kernels/train_kernels.hpp"
#include "manynets/devices.hpp"
#include "manynets/error.hpp"
#include "manynets/shapes.hpp"
#include "manynets/version.hpp"

namespace manynets {
namespace cuda {
namespace {

// ---- the device summary of one chunk

struct ChunkSummary {
  unsigned long long converged;
  unsigned long long max_steps;
  unsigned long long diverged;
  float best_loss;          // +inf when no network qualifies
  unsigned long long best;  // index in the chunk; ULLONG_MAX when none
};

struct SummarizeNetwork {
  const float* loss;
  const Status* status;
  __host__ __device__ ChunkSummary operator()(std::size_t i) const {
    const Status s = status[i];
    const bool candidate = s != Status::diverged && isfinite(loss[i]);
    return {s == Status::converged ? 1ull : 0ull, s == Status::max_steps ? 1ull : 0ull,
            s == Status::diverged ? 1ull : 0ull, candidate ? loss[i] : INFINITY,
            candidate ? static_cast<unsigned long long>(i) : ~0ull};
  }
};

// Associative and commutative: counts add, the lower loss wins, then the lower index.
struct CombineSummaries {
  __host__ __device__ ChunkSummary operator()(const ChunkSummary& a, const ChunkSummary& b) const {
    const bool a_wins = a.best_loss < b.best_loss || (a.best_loss == b.best_loss && a.best < b.best);
    return {a.converged + b.converged, a.max_steps + b.max_steps, a.diverged + b.diverged,
            a_wins ? a.best_loss : b.best_loss, a_wins ? a.best : b.best};
  }
};

const ChunkSummary kEmptySummary{0, 0, 0, INFINITY, ~0ull};

using SummaryInput = thrust::transform_iterator<SummarizeNetwork, thrust::counting_iterator<std::size_t>>;

SummaryInput summary_input(const kernels::NetworkOutputs<float>& out) {
  return SummaryInput(thrust::counting_iterator<std::size_t>(0), SummarizeNetwork{out.loss, out.status});
}

// ---- one stream's buffers

// Bytes of everything a chunk of `count` networks needs on the device.
struct ChunkBytes {
  std::size_t input, output, workspace;
};

ChunkBytes chunk_bytes(const Batch& batch, std::size_t count, std::size_t curve_points, std::size_t samples,
                       Kernels kernels) {
  const int p = batch.num_params();
  return {cuda::InputLayout<float>(p, count).bytes, cuda::OutputLayout<float>(p, count, curve_points).bytes,
          kernels == Kernels::staged ? cuda::WorkspaceLayout<float>(batch.shape(), count, samples).bytes : 0};
}

struct Slot {
  cuda::PinnedMemory input_host, output_host, summary_host;
  cuda::DeviceMemory input, output, workspace, work_counter, summary, reduce_temp;
  cuda::Stream stream;
  cuda::Event start, stop;
  std::size_t reduce_temp_bytes = 0;
  std::size_t first = 0, count = 0;
  bool busy = false;

  Slot(const ChunkBytes& b, std::size_t capacity) {
    input_host = PinnedMemory(b.input);
    output_host = PinnedMemory(b.output);
    summary_host = PinnedMemory(sizeof(ChunkSummary));
    input = DeviceMemory(b.input);
    output = DeviceMemory(b.output);
    workspace = DeviceMemory(b.workspace);
    work_counter = DeviceMemory(sizeof(unsigned long long));
    summary = DeviceMemory(sizeof(ChunkSummary));
    // CUB's scratch for the largest chunk; a smaller one needs no more.
    MANYNETS_CUDA_CHECK(cub::DeviceReduce::Reduce(nullptr, reduce_temp_bytes, SummaryInput{},
                                                  static_cast<ChunkSummary*>(nullptr), capacity,
                                                  CombineSummaries{}, kEmptySummary));
    reduce_temp = DeviceMemory(reduce_temp_bytes);
  }
};

// Pinned staging per stream: enough for millions of networks, small enough for any host.
constexpr std::size_t kPinnedBytesPerStream = std::size_t{512} << 20;

}  // namespace

CudaBackend::CudaBackend(Kernels kernels, const BackendOptions& options)
    : kernels_(kernels), options_(options) {}

std::string CudaBackend::name() const {
  return kernels_ == Kernels::fused ? "cuda" : "cuda-staged";
}

void CudaBackend::train_into(Results& r, const Batch& batch, const Dataset& data) {
  const auto started = std::chrono::steady_clock::now();
  MANYNETS_CUDA_CHECK(cudaSetDevice(options_.device));
  last_run_ = RunTimings{};
  const std::size_t n = batch.size();
  Summary summary;
  summary.valid = true;
  summary.best = n;
  summary.best_loss = std::numeric_limits<double>::quiet_NaN();

  if (n > 0) {
    // The dataset, once for every chunk.
    const DeviceMemory device_xs = upload_as_float(data.x), device_ts = upload_as_float(data.t);
    const std::size_t samples = data.samples();
    const kernels::DatasetView<float> dataset{device_xs.as<float>(), device_ts.as<float>(),
                                              static_cast<int>(samples)};

    // Chunk size: two streams' buffers within a share of the free memory, and
    // each stream's pinned staging within its budget.
    std::size_t free_bytes = 0, total_bytes = 0;
    MANYNETS_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
    constexpr std::size_t probe = std::size_t{1} << 16;
    const ChunkBytes per_probe = chunk_bytes(batch, probe, r.curve_points, samples, kernels_);
    ChunkCost cost;
    cost.device_bytes = static_cast<double>(per_probe.input + per_probe.output + per_probe.workspace) / probe;
    cost.pinned_bytes = static_cast<double>(per_probe.input + per_probe.output) / probe;
    cost.pinned_budget = static_cast<double>(kPinnedBytesPerStream);
    cost.in_flight = 2;
    const std::size_t chunk = networks_per_chunk(cost, free_bytes, n, options_.chunk_networks,
                                                 "record fewer curve points (a larger curve interval)");
    const std::size_t chunks = (n + chunk - 1) / chunk;
    last_run_.chunks = chunks;
    last_run_.chunk_networks = chunk;

    const ChunkBytes capacity = chunk_bytes(batch, chunk, r.curve_points, samples, kernels_);
    std::vector<std::unique_ptr<Slot>> slots;
    for (std::size_t k = 0; k < std::min<std::size_t>(chunks, 2); ++k)
      slots.push_back(std::make_unique<Slot>(capacity, chunk));

    auto finish = [&](Slot& slot) {
      slot.stream.synchronize();
      last_run_.kernel_seconds += slot.stop.since(slot.start) / 1000.0;
      cuda::unpack_outputs<float>(r, slot.output_host.get(), slot.first, slot.count);
      const auto* s = static_cast<const ChunkSummary*>(slot.summary_host.get());
      summary.converged += s->converged;
      summary.max_steps += s->max_steps;
      summary.diverged += s->diverged;
      if (s->best != ~0ull) {
        const std::size_t best = slot.first + static_cast<std::size_t>(s->best);
        // Chunks finish in order, so on a tie the earlier network stays.
        if (summary.best == n || static_cast<double>(s->best_loss) < summary.best_loss) {
          summary.best = best;
          summary.best_loss = s->best_loss;
        }
      }
      slot.busy = false;
    };

    for (std::size_t k = 0; k < chunks; ++k) {
      Slot& slot = *slots[k % slots.size()];
      if (slot.busy) finish(slot);
      slot.first = k * chunk;
      slot.count = std::min(chunk, n - slot.first);
      const cudaStream_t stream = slot.stream.get();
      const ChunkBytes bytes = chunk_bytes(batch, slot.count, r.curve_points, samples, kernels_);

      cuda::pack_inputs<float>(slot.input_host.get(), batch, slot.first, slot.count);
      MANYNETS_CUDA_CHECK(cudaMemcpyAsync(slot.input.get(), slot.input_host.get(), bytes.input,
                                          cudaMemcpyHostToDevice, stream));
      const kernels::TrainView<float> view = cuda::chunk_view<float>(
          batch, slot.first, slot.count, r.curve_points, slot.input.get(), slot.output.get());
      const std::int32_t longest = longest_in(batch, slot.first, slot.count);
      slot.start.record(stream);
      dispatch_shape(
          batch.shape(),
          [&](auto tag) {
            using Tag = decltype(tag);
            if (kernels_ == Kernels::fused) {
              kernels::launch_fused<Tag::inputs, Tag::hidden, Tag::outputs>(
                  batch.math_mode, launch_kind(batch, slot.first, slot.count), options_.refill, view, dataset,
                  slot.work_counter.as<unsigned long long>(), stream);
            } else {
              const cuda::WorkspaceLayout<float> wl(batch.shape(), slot.count, samples);
              kernels::run_staged<Tag::inputs, Tag::hidden, Tag::outputs>(
                  batch.math_mode, view, wl.view(slot.workspace.get()), dataset, longest, stream);
            }
          },
          options_.general_path);
      slot.stop.record(stream);
      std::size_t temp_bytes = slot.reduce_temp_bytes;
      MANYNETS_CUDA_CHECK(cub::DeviceReduce::Reduce(slot.reduce_temp.get(), temp_bytes,
                                                    summary_input(view.out), slot.summary.as<ChunkSummary>(),
                                                    slot.count, CombineSummaries{}, kEmptySummary, stream));
      MANYNETS_CUDA_CHECK(cudaMemcpyAsync(slot.output_host.get(), slot.output.get(), bytes.output,
                                          cudaMemcpyDeviceToHost, stream));
      MANYNETS_CUDA_CHECK(cudaMemcpyAsync(slot.summary_host.get(), slot.summary.get(), sizeof(ChunkSummary),
                                          cudaMemcpyDeviceToHost, stream));
      slot.busy = true;
    }
    // Finish in chunk order (the tie rule of the best network relies on it).
    for (std::size_t k = chunks > slots.size() ? chunks - slots.size() : 0; k < chunks; ++k) {
      Slot& slot = *slots[k % slots.size()];
      if (slot.busy) finish(slot);
    }
  }
  r.summary = summary;
  last_run_.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

void require_device(const BackendOptions& options) {
  std::string why;
  const std::vector<CudaDevice> devices = cuda_devices(&why);
  if (devices.empty())
    throw input_error("no CUDA device is available (" + why + "); use --backend cpu or reference");
  if (options.device < 0 || static_cast<std::size_t>(options.device) >= devices.size()) {
    throw input_error("CUDA device " + std::to_string(options.device) + " does not exist; this machine has " +
                      std::to_string(devices.size()) + " (devices 0 to " +
                      std::to_string(devices.size() - 1) + ")");
  }
}

std::unique_ptr<Backend> make_backend(Kernels kernels, const BackendOptions& options) {
  require_device(options);
  return std::make_unique<CudaBackend>(kernels, options);
}

}  // namespace cuda
}  // namespace manynets

// The `cublas` backend: a batch is trained chunk by chunk (chunks sized from the
// device's free memory: the activations of a chunk are networks x samples x
// (2H + O) floats), each chunk by kernels/layered_steps.hpp with cuBLAS for the
// products. cuBLAS is opened with dlopen when the backend is made, so the
// library and the `manynets` command do not need libcublas to load, and a
// machine without it gets a clear error for this backend only.
#include <cublas_v2.h>
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "host/backends/cuda/cublas_backend.hpp"
#include "host/backends/cuda/cuda_backend.hpp"
#include "host/backends/cuda/cuda_memory.hpp"
#include "host/backends/cuda/device_runner.hpp"
#include "host/backends/cuda/staging.hpp"
#include "kernels/layered_kernels.hpp"
#include "kernels/layered_steps.hpp"
#include "manynets/error.hpp"
#include "manynets/shapes.hpp"

namespace manynets {
namespace cuda {
namespace {

// ---- cuBLAS, loaded at run time

// The cuBLAS entry points this backend calls, resolved from the shared library
// of the major version it was compiled against.
struct CublasLibrary {
  decltype(&cublasCreate_v2) create = nullptr;
  decltype(&cublasDestroy_v2) destroy = nullptr;
  decltype(&cublasSetStream_v2) set_stream = nullptr;
  decltype(&cublasSgemmStridedBatched) sgemm_strided_batched = nullptr;
  decltype(&cublasGetStatusString) status_string = nullptr;
  std::string error;  // why it could not be loaded; empty when it was

  static const CublasLibrary& get() {
    static const CublasLibrary library = load();
    return library;
  }

 private:
  static CublasLibrary load() {
    CublasLibrary l;
    const std::string file = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
    void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);  // kept open for the process
    if (!handle) {
      const char* why = dlerror();
      l.error = "cannot load " + file + " (" + (why ? why : "unknown error") + ")";
      return l;
    }
    auto resolve = [&](auto& fn, const char* symbol) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(handle, symbol));
      if (!fn && l.error.empty()) l.error = file + " has no " + symbol;
    };
    resolve(l.create, "cublasCreate_v2");
    resolve(l.destroy, "cublasDestroy_v2");
    resolve(l.set_stream, "cublasSetStream_v2");
    resolve(l.sgemm_strided_batched, "cublasSgemmStridedBatched");
    resolve(l.status_string, "cublasGetStatusString");
    return l;
  }
};

[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line) {
  const CublasLibrary& l = CublasLibrary::get();
  const std::string what =
      l.status_string ? l.status_string(status) : std::to_string(static_cast<int>(status));
  throw runtime_error(std::string("cuBLAS call ") + call + " failed: " + what + " at " + file + ":" +
                      std::to_string(line));
}

void check_cublas(cublasStatus_t status, const char* call, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS) throw_cublas_error(status, call, file, line);
}

}  // namespace
}  // namespace cuda
}  // namespace manynets

// Every cuBLAS call goes through this, beside MANYNETS_CUDA_CHECK.
#define MANYNETS_CUBLAS_CHECK(call) ::manynets::cuda::check_cublas((call), #call, __FILE__, __LINE__)

namespace manynets {
namespace cuda {
namespace {

// A cuBLAS handle bound to one stream, destroyed on destruction.
class CublasHandle {
 public:
  explicit CublasHandle(cudaStream_t stream) {
    const CublasLibrary& l = CublasLibrary::get();
    MANYNETS_CUBLAS_CHECK(l.create(&handle_));
    MANYNETS_CUBLAS_CHECK(l.set_stream(handle_, stream));
  }
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  ~CublasHandle() {
    const cublasStatus_t status = CublasLibrary::get().destroy(handle_);
    if (status != CUBLAS_STATUS_SUCCESS)
      std::fprintf(stderr, "manynets: warning: cublasDestroy failed: status %d\n", static_cast<int>(status));
  }
  cublasHandle_t get() const { return handle_; }

 private:
  cublasHandle_t handle_ = nullptr;
};

// The products of the step sequence as cuBLAS strided-batched SGEMMs (FP32
// math; cuBLAS's default mode does not round to TF32).
class CublasGemm : public kernels::Gemm<float> {
 public:
  explicit CublasGemm(cudaStream_t stream) : handle_(stream) {}

  void strided_batched(const kernels::GemmCall<float>& g) override {
    kernels::check_gemm_call(g);
    const CublasLibrary& l = CublasLibrary::get();
    const float one = 1.0f, zero = 0.0f;
    auto op = [](kernels::Transpose t) { return t == kernels::Transpose::no ? CUBLAS_OP_N : CUBLAS_OP_T; };
    // At most this many matrices per call, so a huge chunk never meets a grid limit inside cuBLAS.
    constexpr long long max_batch = 65535;
    for (long long first = 0; first < g.batch; first += max_batch) {
      const int count = static_cast<int>(std::min(max_batch, g.batch - first));
      MANYNETS_CUBLAS_CHECK(l.sgemm_strided_batched(handle_.get(), op(g.op_a), op(g.op_b), g.m, g.n, g.k,
                                                    &one, g.a + first * g.stride_a, g.lda, g.stride_a,
                                                    g.b + first * g.stride_b, g.ldb, g.stride_b, &zero,
                                                    g.c + first * g.stride_c, g.ldc, g.stride_c, count));
    }
  }

 private:
  CublasHandle handle_;
};

std::size_t chunk_device_bytes(const Batch& batch, std::size_t count, std::size_t curve_points,
                               std::size_t samples) {
  const int p = batch.num_params();
  return cuda::InputLayout<float>(p, count).bytes + cuda::OutputLayout<float>(p, count, curve_points).bytes +
         kernels::LayeredWorkspaceLayout<float>(batch.shape(), count, samples).bytes;
}

}  // namespace

CublasBackend::CublasBackend(const BackendOptions& options) : options_(options) {}

void CublasBackend::train_into(Results& r, const Batch& batch, const Dataset& data) {
  const auto started = std::chrono::steady_clock::now();
  // The layered kernels are compiled for the compiled shapes only.
  require_compiled_shape(batch.shape(), "cublas");
  MANYNETS_CUDA_CHECK(cudaSetDevice(options_.device));
  last_run_ = RunTimings{};
  const std::size_t n = batch.size();
  if (n == 0) return;

  // The dataset and the ones of the bias-gradient products, once for every chunk.
  const std::size_t samples = data.samples();
  const DeviceMemory device_xs = upload_as_float(data.x), device_ts = upload_as_float(data.t),
                     device_ones = upload_as_float(std::vector<float>(samples, 1.0f));
  const kernels::LayeredData<float> dataset{device_xs.as<float>(), device_ts.as<float>(),
                                            device_ones.as<float>(), static_cast<int>(samples)};

  // Chunk size: one chunk's buffers within a share of the free memory.
  std::size_t free_bytes = 0, total_bytes = 0;
  MANYNETS_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  constexpr std::size_t probe = std::size_t{1} << 12;
  ChunkCost cost;
  cost.device_bytes = static_cast<double>(chunk_device_bytes(batch, probe, r.curve_points, samples)) / probe;
  const std::size_t chunk =
      networks_per_chunk(cost, free_bytes, n, options_.chunk_networks,
                         "use fewer samples (" + std::to_string(samples) + " now) or --backend cuda");
  const std::size_t chunks = (n + chunk - 1) / chunk;
  last_run_.chunks = chunks;
  last_run_.chunk_networks = chunk;

  const int p = batch.num_params();
  PinnedMemory input_host(cuda::InputLayout<float>(p, chunk).bytes);
  PinnedMemory output_host(cuda::OutputLayout<float>(p, chunk, r.curve_points).bytes);
  DeviceMemory input(input_host.bytes()), output(output_host.bytes()),
      workspace(kernels::LayeredWorkspaceLayout<float>(batch.shape(), chunk, samples).bytes);
  Stream stream;
  Event start, stop;
  CublasGemm gemm(stream.get());

  for (std::size_t k = 0; k < chunks; ++k) {
    const std::size_t first = k * chunk;
    const std::size_t count = std::min(chunk, n - first);
    const cuda::InputLayout<float> il(p, count);
    const cuda::OutputLayout<float> ol(p, count, r.curve_points);
    const kernels::LayeredWorkspaceLayout<float> wl(batch.shape(), count, samples);
    cuda::pack_inputs<float>(input_host.get(), batch, first, count);
    MANYNETS_CUDA_CHECK(
        cudaMemcpyAsync(input.get(), input_host.get(), il.bytes, cudaMemcpyHostToDevice, stream.get()));
    const kernels::TrainView<float> view =
        cuda::chunk_view<float>(batch, first, count, r.curve_points, input.get(), output.get());
    const std::int32_t longest = longest_in(batch, first, count);
    start.record(stream.get());
    dispatch_compiled_shape(batch.shape(), "cublas", [&](auto tag) {
      using Tag = decltype(tag);
      kernels::run_layered<Tag::inputs, Tag::hidden, Tag::outputs>(
          batch.math_mode, view, wl.view(workspace.get()), dataset, longest, gemm, stream.get());
    });
    stop.record(stream.get());
    MANYNETS_CUDA_CHECK(
        cudaMemcpyAsync(output_host.get(), output.get(), ol.bytes, cudaMemcpyDeviceToHost, stream.get()));
    stream.synchronize();
    last_run_.kernel_seconds += stop.since(start) / 1000.0;
    cuda::unpack_outputs<float>(r, output_host.get(), first, count);
  }
  last_run_.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

std::unique_ptr<Backend> make_cublas_backend(const BackendOptions& options) {
  require_device(options);
  const CublasLibrary& library = CublasLibrary::get();
  if (!library.error.empty())
    throw input_error("backend cublas needs cuBLAS: " + library.error + "; install it or use --backend cuda");
  return std::make_unique<CublasBackend>(options);
}

}  // namespace cuda
}  // namespace manynets

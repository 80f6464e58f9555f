// The CUDA backends, `cuda` (the fused kernel) and `cuda-staged` (forward,
// backward and update kernels per step): construction, and the timings of the
// last run for the benchmark. Built only with CUDA (MANYNETS_CUDA_COMPILED).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "manynets/backend.hpp"

namespace manynets {
namespace cuda {

enum class Kernels { fused, staged };

// What the last train() did: CUDA-event time of the training kernels (summed
// over chunks), wall time of the whole call, and how it was chunked.
struct RunTimings {
  double kernel_seconds = 0;
  double total_seconds = 0;
  std::size_t chunks = 0;
  std::size_t chunk_networks = 0;  // networks per chunk (the last may hold fewer)
};

class CudaBackend : public Backend {
 public:
  CudaBackend(Kernels kernels, const BackendOptions& options);
  std::string name() const override;
  const RunTimings& last_run() const { return last_run_; }
  double last_kernel_seconds() const override { return last_run_.kernel_seconds; }

 protected:
  void train_into(Results& results, const Batch& batch, const Dataset& data) override;

 private:
  Kernels kernels_;
  BackendOptions options_;
  RunTimings last_run_;
};

// Checks that options.device names a usable device before a CUDA backend is
// built: throws an invalid_input Error "no CUDA device is available (<why>); use
// --backend cpu or reference" on a machine without one, and one naming the
// devices when options.device does not exist.
void require_device(const BackendOptions& options);

// Builds `cuda` or `cuda-staged`. Throws an invalid_input Error "no CUDA device is
// available (<why>); use --backend cpu or reference" on a machine without a usable
// device, and one naming the devices when options.device does not exist.
std::unique_ptr<Backend> make_backend(Kernels kernels, const BackendOptions& options);

}  // namespace cuda
}  // namespace manynets

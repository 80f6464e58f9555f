// The `cublas` backend: networks trained layer by layer as a framework trains
// them, batched GEMMs (cuBLAS strided batched, one matrix per network) with
// elementwise kernels between them. An independent GPU path to cross-check the
// fused kernel, and the baseline that shows what fusion buys. Built only with
// CUDA (MANYNETS_CUDA_COMPILED); cuBLAS itself is loaded when the backend is made.
#pragma once

#include <memory>
#include <string>

#include "host/backends/cuda/cuda_backend.hpp"
#include "manynets/backend.hpp"

namespace manynets {
namespace cuda {

class CublasBackend : public Backend {
 public:
  explicit CublasBackend(const BackendOptions& options);
  std::string name() const override { return "cublas"; }
  // Full-batch and online mode, every optimizer, activation and stop rule of
  // math.hpp; rule backprop only.
  const RunTimings& last_run() const { return last_run_; }
  double last_kernel_seconds() const override { return last_run_.kernel_seconds; }

 protected:
  void train_into(Results& results, const Batch& batch, const Dataset& data) override;

 private:
  BackendOptions options_;
  RunTimings last_run_;
};

// Builds `cublas`. Throws an invalid_input Error on a machine without a usable
// CUDA device, for a device that does not exist, or when the cuBLAS library
// cannot be loaded (saying which file it looked for).
std::unique_ptr<Backend> make_cublas_backend(const BackendOptions& options);

}  // namespace cuda
}  // namespace manynets

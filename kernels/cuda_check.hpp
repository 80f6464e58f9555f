// Checked CUDA runtime calls, for the kernels' launchers and the backends: a
// failed call throws a runtime Error that names the call, the file and the
// line. (The owners of CUDA resources are the backends': host/backends/cuda/
// cuda_memory.hpp.)
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdio>
#include <string>

#include "manynets/error.hpp"

namespace manynets {
namespace cuda {

[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line) {
  cudaGetLastError();  // reset the last error (a sticky one stays) so later calls start clean
  throw runtime_error(std::string("CUDA call ") + call + " failed: " + cudaGetErrorName(err) + " (" +
                      cudaGetErrorString(err) + ") at " + file + ":" + std::to_string(line));
}

inline void check(cudaError_t err, const char* call, const char* file, int line) {
  if (err != cudaSuccess) throw_cuda_error(err, call, file, line);
}

// Destructors log instead of throwing.
inline void log_failure(cudaError_t err, const char* call) {
  if (err != cudaSuccess)
    std::fprintf(stderr, "manynets: warning: %s failed: %s\n", call, cudaGetErrorString(err));
}

}  // namespace cuda
}  // namespace manynets

// Every CUDA runtime call goes through this.
#define MANYNETS_CUDA_CHECK(call) ::manynets::cuda::check((call), #call, __FILE__, __LINE__)
// After a launch: the launch error (bad configuration) right there.
#define MANYNETS_CUDA_CHECK_LAUNCH(kernel_name) \
  ::manynets::cuda::check(cudaGetLastError(), "launch of " kernel_name, __FILE__, __LINE__)

// The CUDA devices this process can use. Any CUDA runtime error (no driver, a
// driver older than the runtime, no device) means "no device", with the reason.
#include "manynets/devices.hpp"

#if MANYNETS_CUDA_COMPILED
#include <cuda_runtime_api.h>
#endif

namespace manynets {

std::vector<CudaDevice> cuda_devices(std::string* why_none) {
  std::vector<CudaDevice> devices;
#if MANYNETS_CUDA_COMPILED
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    if (why_none) *why_none = cudaGetErrorString(err);
    cudaGetLastError();  // reset the runtime's last error so later CUDA calls start clean
    return devices;
  }
  for (int d = 0; d < count; ++d) {
    cudaDeviceProp prop{};
    err = cudaGetDeviceProperties(&prop, d);
    if (err != cudaSuccess) {
      if (why_none) *why_none = cudaGetErrorString(err);
      cudaGetLastError();
      return {};
    }
    CudaDevice dev;
    dev.name = prop.name;
    dev.compute_capability_major = prop.major;
    dev.compute_capability_minor = prop.minor;
    dev.memory_bytes = static_cast<unsigned long long>(prop.totalGlobalMem);
    dev.multiprocessors = prop.multiProcessorCount;
    int clock_khz = 0;  // an attribute: cudaDeviceProp::clockRate is gone in CUDA 13
    if (cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, d) == cudaSuccess) {
      dev.clock_khz = clock_khz;
    } else {
      cudaGetLastError();
    }
    devices.push_back(dev);
  }
  if (devices.empty() && why_none) *why_none = "no CUDA device found";
#else
  if (why_none) *why_none = "built without CUDA";
#endif
  return devices;
}

}  // namespace manynets

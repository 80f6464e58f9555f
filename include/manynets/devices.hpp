// The CUDA devices this process can use: what `auto` picks from and what
// `manynets info` lists.
#pragma once

#include <string>
#include <vector>

namespace manynets {

struct CudaDevice {
  std::string name;
  int compute_capability_major = 0;
  int compute_capability_minor = 0;
  unsigned long long memory_bytes = 0;
  int multiprocessors = 0;  // SM count; 0 when unknown
  int clock_khz = 0;        // peak SM clock in kHz; 0 when unknown
};

// The CUDA devices this process can use; empty when there is none, when no driver
// is installed, or when manynets was built without CUDA. `why_none` (optional)
// receives the reason when the list is empty.
std::vector<CudaDevice> cuda_devices(std::string* why_none = nullptr);

}  // namespace manynets

// Checked CUDA calls and move-only owners of CUDA resources (device memory,
// pinned host memory, streams, events). A failed call throws a runtime Error
// that names the call, the file and the line; destructors never throw, they log.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

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

namespace manynets {
namespace cuda {

// Device memory of `bytes` bytes (cudaMalloc), freed on destruction.
class DeviceMemory {
 public:
  DeviceMemory() = default;
  explicit DeviceMemory(std::size_t bytes) : bytes_(bytes) {
    if (bytes > 0) MANYNETS_CUDA_CHECK(cudaMalloc(&ptr_, bytes));
  }
  DeviceMemory(DeviceMemory&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  DeviceMemory& operator=(DeviceMemory&& o) noexcept {
    if (this != &o) {
      release();
      ptr_ = std::exchange(o.ptr_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;
  ~DeviceMemory() { release(); }

  void* get() const { return ptr_; }
  template <class T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  std::size_t bytes() const { return bytes_; }

 private:
  void release() noexcept {
    if (ptr_) log_failure(cudaFree(ptr_), "cudaFree");
    ptr_ = nullptr;
  }
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

// A device copy of `values` (a dataset's inputs or targets) as floats.
template <class Range>
DeviceMemory upload_as_float(const Range& values) {
  const std::vector<float> host(values.begin(), values.end());
  DeviceMemory device(host.size() * sizeof(float));
  if (!host.empty()) {
    MANYNETS_CUDA_CHECK(cudaMemcpy(device.get(), host.data(), device.bytes(), cudaMemcpyHostToDevice));
  }
  return device;
}

// Page-locked host memory (cudaMallocHost), so copies run asynchronously.
class PinnedMemory {
 public:
  PinnedMemory() = default;
  explicit PinnedMemory(std::size_t bytes) : bytes_(bytes) {
    if (bytes > 0) MANYNETS_CUDA_CHECK(cudaMallocHost(&ptr_, bytes));
  }
  PinnedMemory(PinnedMemory&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  PinnedMemory& operator=(PinnedMemory&& o) noexcept {
    if (this != &o) {
      release();
      ptr_ = std::exchange(o.ptr_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  PinnedMemory(const PinnedMemory&) = delete;
  PinnedMemory& operator=(const PinnedMemory&) = delete;
  ~PinnedMemory() { release(); }

  void* get() const { return ptr_; }
  std::size_t bytes() const { return bytes_; }

 private:
  void release() noexcept {
    if (ptr_) log_failure(cudaFreeHost(ptr_), "cudaFreeHost");
    ptr_ = nullptr;
  }
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

class Stream {
 public:
  Stream() { MANYNETS_CUDA_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() { log_failure(cudaStreamDestroy(s_), "cudaStreamDestroy"); }
  cudaStream_t get() const { return s_; }
  void synchronize() const { MANYNETS_CUDA_CHECK(cudaStreamSynchronize(s_)); }

 private:
  cudaStream_t s_ = nullptr;
};

class Event {
 public:
  Event() { MANYNETS_CUDA_CHECK(cudaEventCreate(&e_)); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() { log_failure(cudaEventDestroy(e_), "cudaEventDestroy"); }
  cudaEvent_t get() const { return e_; }
  void record(cudaStream_t s) { MANYNETS_CUDA_CHECK(cudaEventRecord(e_, s)); }
  // Milliseconds from `start` to this event (both recorded and complete).
  float since(const Event& start) const {
    float ms = 0;
    MANYNETS_CUDA_CHECK(cudaEventElapsedTime(&ms, start.e_, e_));
    return ms;
  }

 private:
  cudaEvent_t e_ = nullptr;
};

}  // namespace cuda
}  // namespace manynets

// Move-only owners of CUDA resources for the CUDA backends: device memory,
// pinned host memory, streams and events. Failed calls throw (kernels/
// cuda_check.hpp); destructors never throw, they log.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <utility>
#include <vector>

#include "kernels/cuda_check.hpp"

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

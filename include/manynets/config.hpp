// Compile-time switches shared by every manynets header.
// MANYNETS_HD marks functions that compile for both the host and a CUDA device,
// so one math header serves g++, the reference tests and nvcc.
#pragma once

#if defined(__CUDACC__)
#define MANYNETS_HD __host__ __device__
#define MANYNETS_DEVICE_CODE 1
#else
#define MANYNETS_HD
#define MANYNETS_DEVICE_CODE 0
#endif

#if defined(__CUDA_ARCH__)
#define MANYNETS_ON_DEVICE 1
#else
#define MANYNETS_ON_DEVICE 0
#endif

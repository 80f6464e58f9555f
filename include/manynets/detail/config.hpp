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

// Unrolls a loop with a compile-time trip count (the layer sizes) on the device
// and on g++; each compiler gets the pragma it understands.
// (nvcc's host pass gets none: its front end rejects GCC's spelling.)
#if MANYNETS_ON_DEVICE
#define MANYNETS_UNROLL _Pragma("unroll")
#elif defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#define MANYNETS_UNROLL _Pragma("GCC unroll 16")
#else
#define MANYNETS_UNROLL
#endif

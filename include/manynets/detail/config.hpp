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

// Tells g++ that cond holds, as a fact it may build on (a run-time layer size
// within its bound: the general network's loops then keep to their arrays, and
// g++ stops warning that they might not). Nothing on the device: there a known
// bound lets `#pragma unroll` unroll the general network's loops to their
// largest trip count, which bloats the kernel and its compilation.
#if MANYNETS_ON_DEVICE
#define MANYNETS_ASSUME(cond) ((void)0)
#elif defined(__GNUC__)
#define MANYNETS_ASSUME(cond)             \
  do {                                    \
    if (!(cond)) __builtin_unreachable(); \
  } while (0)
#else
#define MANYNETS_ASSUME(cond) ((void)0)
#endif

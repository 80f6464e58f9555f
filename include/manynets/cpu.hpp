// The fast CPU backend ("cpu"): float, one network per SIMD lane, blocks of
// networks trained for all their steps with parameters in vector registers,
// blocks spread over every core. It runs math.hpp's training math on a SIMD type.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "manynets/backend.hpp"

namespace manynets {
namespace cpu {

// Networks per chunk by default: a chunk's scratch (block lists) stays small
// however large the batch.
constexpr std::size_t default_chunk_networks = std::size_t{1} << 18;

// Networks trained together in one block of the worked example's kinds, the
// largest blocks (SIMD width times vectors in flight; other kinds keep fewer
// vectors in flight, docs/perf.md).
int block_lanes();
// Lanes of one SIMD vector and the instruction set, e.g. 8 and "avx2".
int vector_width();
std::string instruction_set();

// Builds the cpu backend. options.threads: worker threads, 0 = every core.
// chunk_networks: how many networks are grouped and trained at a time (results
// do not depend on it; tests make it small to cross chunk boundaries).
std::unique_ptr<Backend> make_backend(const BackendOptions& options = {},
                                      std::size_t chunk_networks = default_chunk_networks);

}  // namespace cpu
}  // namespace manynets

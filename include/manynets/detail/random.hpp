// Counter-based random numbers (Random123 Philox4x32-10) keyed by the run seed and
// counted by (network id, index, purpose), so a network's initial weights and
// its sample order are the same on every backend, batch size and chunk.
#pragma once

#include <Random123/philox.h>

#include <cstdint>

#include "manynets/detail/config.hpp"

namespace manynets {

// What a random draw is for; part of the counter so the streams never overlap.
enum class RandomPurpose : std::uint32_t { init = 1, shuffle = 2, sweep_draw = 3 };

// Four independent 32-bit words for (seed, network id, index, purpose).
MANYNETS_HD inline r123::Philox4x32::ctr_type random_words(std::uint64_t seed, std::uint64_t id,
                                                           std::uint32_t index, RandomPurpose purpose) {
  r123::Philox4x32 rng;
  r123::Philox4x32::key_type key = {
      {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
  r123::Philox4x32::ctr_type ctr = {{static_cast<std::uint32_t>(id), static_cast<std::uint32_t>(id >> 32),
                                     index, static_cast<std::uint32_t>(purpose)}};
  return rng(ctr, key);
}

// A double in (0, 1) from two 32-bit words: 52 random bits plus one half, so
// the result is never exactly 0 or 1 (53 bits could round up to 1.0).
MANYNETS_HD inline double unit_open(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t bits = (static_cast<std::uint64_t>(hi) << 20) | (lo >> 12);  // 52 bits
  return (static_cast<double>(bits) + 0.5) * (1.0 / 4503599627370496.0);
}

// A cheap 32-bit mixing function (the round function of the permutation below).
MANYNETS_HD inline std::uint32_t mix32(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

// Position `pos` of a random permutation of 0..n-1 chosen by (seed, id, epoch):
// the sample order of one epoch of network `id` in online mode. A 4-round Feistel
// network on the smallest even-bit domain holding n, walked until it lands below
// n; it needs no storage, so a GPU thread computes it from the step alone.
MANYNETS_HD inline int permuted_index(std::uint64_t seed, std::uint64_t id, std::uint32_t epoch, int pos,
                                      int n) {
  if (n <= 1) return 0;
  int bits = 0;
  while ((1u << bits) < static_cast<std::uint32_t>(n)) ++bits;
  const int half = (bits + 1) / 2;
  const std::uint32_t mask = (1u << half) - 1u;
  const auto key = random_words(seed, id, epoch, RandomPurpose::shuffle);
  std::uint32_t x = static_cast<std::uint32_t>(pos);
  do {
    std::uint32_t left = x >> half, right = x & mask;
    for (int round = 0; round < 4; ++round) {
      const std::uint32_t next = left ^ (mix32(right ^ key.v[round]) & mask);
      left = right;
      right = next;
    }
    x = (left << half) | right;
  } while (x >= static_cast<std::uint32_t>(n));
  return static_cast<int>(x);
}

}  // namespace manynets

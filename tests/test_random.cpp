// Tests of the counter-based randomness (random.hpp): draws are pure functions of
// (seed, id, index, purpose), and the online-mode sample order is a permutation.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "manynets/detail/random.hpp"

namespace manynets {
namespace {

TEST(RandomWords, AreAPureFunctionOfTheirCounter) {
  const auto a = random_words(7, 123456789012345ull, 3, RandomPurpose::init);
  const auto b = random_words(7, 123456789012345ull, 3, RandomPurpose::init);
  for (int w = 0; w < 4; ++w) EXPECT_EQ(a.v[w], b.v[w]);
  // Any change of seed (either half), id (either half), index or purpose changes the draw.
  const decltype(a) others[] = {random_words(8, 123456789012345ull, 3, RandomPurpose::init),
                                random_words(7ull | (1ull << 40), 123456789012345ull, 3, RandomPurpose::init),
                                random_words(7, 123456789012346ull, 3, RandomPurpose::init),
                                random_words(7, 123456789012345ull ^ (1ull << 50), 3, RandomPurpose::init),
                                random_words(7, 123456789012345ull, 4, RandomPurpose::init),
                                random_words(7, 123456789012345ull, 3, RandomPurpose::shuffle)};
  for (const auto& o : others) EXPECT_NE(a.v[0], o.v[0]);
}

TEST(RandomUnitOpen, StaysInsideTheOpenInterval) {
  EXPECT_GT(unit_open(0, 0), 0.0);
  EXPECT_LT(unit_open(0xffffffffu, 0xffffffffu), 1.0);
  double sum = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    const auto w = random_words(1, static_cast<std::uint64_t>(i), 0, RandomPurpose::init);
    const double u = unit_open(w.v[0], w.v[1]);
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.005);
}

TEST(RandomPermutation, IsABijectionForEverySize) {
  for (int n : {1, 2, 3, 4, 5, 7, 8, 16, 17, 100, 1000, 4097}) {
    for (std::uint32_t epoch = 0; epoch < 3; ++epoch) {
      std::vector<int> hits(n, 0);
      for (int pos = 0; pos < n; ++pos) {
        const int s = permuted_index(99, 5, epoch, pos, n);
        ASSERT_GE(s, 0);
        ASSERT_LT(s, n);
        ++hits[s];
      }
      for (int s = 0; s < n; ++s) ASSERT_EQ(hits[s], 1) << "n " << n << " epoch " << epoch << " sample " << s;
    }
  }
}

TEST(RandomPermutation, DiffersBetweenNetworksAndEpochs) {
  const int n = 50;
  std::set<std::vector<int>> orders;
  for (std::uint64_t id = 0; id < 10; ++id) {
    for (std::uint32_t epoch = 0; epoch < 10; ++epoch) {
      std::vector<int> order(n);
      for (int pos = 0; pos < n; ++pos) order[pos] = permuted_index(1, id, epoch, pos, n);
      orders.insert(order);
    }
  }
  EXPECT_EQ(orders.size(), 100u);
}

}  // namespace
}  // namespace manynets

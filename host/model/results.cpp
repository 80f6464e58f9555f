// Results: sizing the per-network output arrays; curve slots start as NaN so a
// slot a network never reached reads as "stopped".
#include "manynets/results.hpp"

#include <cmath>
#include <cstdint>
#include <limits>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace manynets {
namespace {

// v = n copies of value. A large array is first asked for transparent huge
// pages: a million networks' results are ~130 MB, which the kernel otherwise
// faults in 4 KB at a time on first touch (~30,000 faults, about 0.05 s, as
// long as some hundred training steps of those networks). The request is
// advice: where the kernel declines, the array is as it would be without it.
template <class T>
void assign_large(std::vector<T>& v, std::size_t n, T value) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20;
  if (n * sizeof(T) >= 2 * kHugePage && n > v.capacity()) {
    v = std::vector<T>();
    v.reserve(n);  // mapped, not yet touched
    const auto begin = reinterpret_cast<std::uintptr_t>(v.data());
    const std::uintptr_t first = (begin + kHugePage - 1) & ~(kHugePage - 1);
    const std::uintptr_t last = (begin + n * sizeof(T)) & ~(kHugePage - 1);
    if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
  }
#endif
  v.assign(n, value);
}

}  // namespace

void Results::allocate(Shape s, std::size_t networks, std::int32_t every, std::int32_t max_steps) {
  shape = s;
  n = networks;
  assign_large(params, static_cast<std::size_t>(s.num_params()) * networks, 0.0);
  assign_large(loss, networks, 0.0);
  assign_large(abs_error, networks, 0.0);
  assign_large(steps, networks, std::int32_t{0});
  assign_large(status, networks, Status::max_steps);
  curve_every = every > 0 ? every : 0;
  curve_points = curve_points_for(curve_every, max_steps < 0 ? 0 : max_steps);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  assign_large(curve_loss, curve_points * networks, nan);
  assign_large(curve_abs_error, curve_points * networks, nan);
}

Summary summarize(const Results& r) {
  Summary s;
  s.valid = true;
  s.best = r.n;
  s.best_loss = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t i = 0; i < r.n; ++i) {
    switch (r.status[i]) {
      case Status::converged:
        ++s.converged;
        break;
      case Status::max_steps:
        ++s.max_steps;
        break;
      case Status::diverged:
        ++s.diverged;
        continue;
    }
    if (std::isfinite(r.loss[i]) && (s.best == r.n || r.loss[i] < s.best_loss)) {
      s.best = i;
      s.best_loss = r.loss[i];
    }
  }
  return s;
}

}  // namespace manynets

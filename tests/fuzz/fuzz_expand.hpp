// Shared by the sweep fuzz targets: parses option texts into a SweepSpec and,
// when the sweep is small and runs on a preset, expands it and checks the plan.
// Sweeps on --data are not expanded: the fuzzer would name arbitrary files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "fuzz_check.hpp"
#include "manynets/sweep.hpp"

namespace manynets {
namespace fuzz {

// An upper bound on the networks `spec` expands to, saturating at `cap` + 1.
inline std::uint64_t network_bound(const SweepSpec& spec, std::uint64_t cap) {
  const std::size_t sizes[] = {
#define MANYNETS_AXIS_SIZE(name, field, option) spec.field.size(),
      MANYNETS_SWEEP_AXES(MANYNETS_AXIS_SIZE, MANYNETS_AXIS_SIZE)
#undef MANYNETS_AXIS_SIZE
  };
  std::uint64_t n = spec.random > 0 ? spec.random : 1;
  if (spec.random == 0) {
    for (const std::size_t s : sizes) {
      n *= s > 0 ? s : 1;
      if (n > cap) return cap + 1;
    }
  }
  n *= static_cast<std::uint64_t>(spec.seeds > 0 ? spec.seeds : 1);
  return n > cap ? cap + 1 : n;
}

inline void check_spec(const std::map<std::string, std::string>& texts) {
  constexpr std::uint64_t kMaxExpanded = 2048;
  SweepSpec spec;
  try {
    spec = make_sweep_spec(texts);
  } catch (const Error& e) {
    check_rejection(e);
    return;
  } catch (const std::exception& e) {
    check_other_exception(e);
    return;
  }
  check(spec.seeds >= 1, "seeds < 1 accepted");
  if (!spec.data_path.empty()) return;
  const std::uint64_t bound = network_bound(spec, kMaxExpanded);
  if (bound > kMaxExpanded) return;
  try {
    const SweepPlan plan = expand(spec);
    check(plan.networks() >= 1 && plan.networks() <= bound,
          "expanded to " + std::to_string(plan.networks()) + " networks, bound " + std::to_string(bound));
    std::uint64_t next_id = 0;
    for (const SweepGroup& g : plan.groups) {
      check(g.batch.first_id == next_id, "network ids are not consecutive across groups");
      next_id += g.batch.size();
      g.batch.validate();  // throws an Error for an out-of-range value: a bug in expand
      check(g.init.size() == g.batch.size() && g.replicate.size() == g.batch.size() &&
                g.configuration.size() == g.batch.size(),
            "group arrays differ in size");
    }
  } catch (const Error& e) {
    check_rejection(e);
  } catch (const std::exception& e) {
    check_other_exception(e);
  }
}

}  // namespace fuzz
}  // namespace manynets

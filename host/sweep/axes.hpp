// What the code over MANYNETS_SWEEP_AXES does with one axis, by the kind of
// values it holds: a NumberAxis of numbers, or a list of names (optimizers,
// activations, modes, on/off, shapes, initialisations). A configuration keeps
// each axis as one double: the number itself, or the index into the list.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "manynets/init.hpp"
#include "manynets/limits.hpp"  // max_allowed_steps
#include "manynets/number_text.hpp"
#include "manynets/sweep.hpp"
#include "manynets/types.hpp"

namespace manynets {
namespace axes {

// A step count from a number of steps: rounded, within 0 .. max_allowed_steps.
inline std::int32_t step_count(double v) {
  return static_cast<std::int32_t>(std::llround(std::min<double>(std::max(v, 0.0), max_allowed_steps)));
}

inline constexpr bool is_numeric(const NumberAxis&) {
  return true;
}
template <class V>
constexpr bool is_numeric(const std::vector<V>&) {
  return false;
}

// Grid point k of the axis.
inline double at(const NumberAxis& a, std::size_t k) {
  return a.values[k];
}
template <class V>
double at(const std::vector<V>&, std::size_t k) {
  return static_cast<double>(k);
}

// A random draw from u in (0, 1).
inline double draw(const NumberAxis& a, double u) {
  return a.draw(u);
}
template <class V>
double draw(const std::vector<V>& list, double u) {
  return static_cast<double>(std::min(list.size() - 1, static_cast<std::size_t>(u * list.size())));
}

// A network's value of type M for the configuration's value v of the axis.
template <class M>
M network_value(const NumberAxis&, double v) {
  if constexpr (std::is_integral_v<M>) {
    return step_count(v);
  } else {
    return static_cast<M>(v);
  }
}
template <class M, class V>
M network_value(const std::vector<V>& list, double v) {
  return static_cast<M>(list[static_cast<std::size_t>(v)]);
}

// The axis of type Axis that holds only v: what an axis the spec leaves empty takes.
template <class Axis, class V>
Axis only(V v) {
  if constexpr (std::is_same_v<Axis, NumberAxis>) {
    return NumberAxis::single(static_cast<double>(v));
  } else {
    return Axis{v};
  }
}

// A value as runs.csv, the summary and the reproduce line write it: numbers
// in the shortest form that reads back exactly, names as the options take them.
inline std::string text(double v) {
  return number_text(v);
}
inline std::string text(std::int32_t v) {
  return number_text(v);
}
inline std::string text(bool on) {
  return on ? "on" : "off";
}
inline std::string text(std::uint8_t on) {  // a Batch keeps a bool column as bytes
  return on ? "on" : "off";
}
template <class V>
std::string text(const V& v) {
  return to_string(v);
}

// Whether a sweep varies the axis: more than one distinct value (or, for a
// random sweep, a numeric range with two ends).
inline bool varies(const NumberAxis& a, bool random) {
  return a.varies(random);
}
template <class V>
bool varies(const std::vector<V>& list, bool) {
  for (const V& v : list) {
    if (text(v) != text(list.front())) return true;
  }
  return false;
}

}  // namespace axes
}  // namespace manynets

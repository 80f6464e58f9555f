// The one list of network shapes compiled into manynets, and a dispatcher from a
// runtime Shape to code instantiated for it. Add a shape here and every backend,
// test and the command line get it.
#pragma once

#include <string>
#include <utility>

#include "manynets/error.hpp"
#include "manynets/types.hpp"

// X(I, H, O) for every compiled shape; the first is the default.
#define MANYNETS_FOR_EACH_SHAPE(X) \
  X(2, 2, 2)                       \
  X(2, 2, 1)                       \
  X(2, 3, 1)                       \
  X(4, 8, 3)

namespace manynets {

template <int I, int H, int O>
struct ShapeTag {
  static constexpr int inputs = I;
  static constexpr int hidden = H;
  static constexpr int outputs = O;
  static constexpr int num_params = H * I + O * H + H + O;
  static constexpr Shape shape() { return Shape{I, H, O}; }
};

// "2-2-2, 2-2-1, 2-3-1, 4-8-3"
std::string compiled_shapes();

inline bool is_compiled_shape(const Shape& s) {
#define MANYNETS_SHAPE_MATCHES(I, H, O) || (s == Shape{I, H, O})
  return false MANYNETS_FOR_EACH_SHAPE(MANYNETS_SHAPE_MATCHES);
#undef MANYNETS_SHAPE_MATCHES
}

// Calls f(ShapeTag<I, H, O>{}) for the compiled shape equal to s and returns what
// it returns; throws an invalid_input Error naming the compiled shapes otherwise.
template <class F>
decltype(auto) dispatch_shape(const Shape& s, F&& f) {
#define MANYNETS_SHAPE_CASE(I, H, O) \
  if (s == Shape{I, H, O}) return std::forward<F>(f)(ShapeTag<I, H, O>{});
  MANYNETS_FOR_EACH_SHAPE(MANYNETS_SHAPE_CASE)
#undef MANYNETS_SHAPE_CASE
  throw input_error("shape " + to_string(s) + " is not compiled in; compiled shapes: " + compiled_shapes() +
                    " (add it to MANYNETS_FOR_EACH_SHAPE in manynets/shapes.hpp)");
}

}  // namespace manynets

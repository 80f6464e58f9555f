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

// The tag of the general path: every shape within limits.hpp's bounds, its
// sizes given at run time (math::Mlp<0, 0, 0, T>, math::kRuntime).
template <>
struct ShapeTag<0, 0, 0> {
  static constexpr int inputs = 0;
  static constexpr int hidden = 0;
  static constexpr int outputs = 0;
};
using GeneralShapeTag = ShapeTag<0, 0, 0>;

template <class Tag>
constexpr bool is_general_tag = Tag::inputs == 0;

// "2-2-2, 2-2-1, 2-3-1, 4-8-3"
std::string compiled_shapes();

inline bool is_compiled_shape(const Shape& s) {
#define MANYNETS_SHAPE_MATCHES(I, H, O) || (s == Shape{I, H, O})
  return false MANYNETS_FOR_EACH_SHAPE(MANYNETS_SHAPE_MATCHES);
#undef MANYNETS_SHAPE_MATCHES
}

// Calls f(ShapeTag<I, H, O>{}) for the compiled shape equal to s, or
// f(GeneralShapeTag{}) for any other shape within the limits (and for every
// shape when `general` is set: the tests and benchmarks compare the two paths),
// and returns what it returns; throws an invalid_input Error naming the limits
// for a shape beyond them.
template <class F>
decltype(auto) dispatch_shape(const Shape& s, F&& f, bool general = false) {
  check_shape_limits(s);
  if (!general) {
#define MANYNETS_SHAPE_CASE(I, H, O) \
  if (s == Shape{I, H, O}) return std::forward<F>(f)(ShapeTag<I, H, O>{});
    MANYNETS_FOR_EACH_SHAPE(MANYNETS_SHAPE_CASE)
#undef MANYNETS_SHAPE_CASE
  }
  return std::forward<F>(f)(GeneralShapeTag{});
}

// Throws an invalid_input Error, naming the backend and the compiled shapes,
// unless s is compiled in: for the backends that have compiled shapes only.
void require_compiled_shape(const Shape& s, const char* backend);

// dispatch_shape for a backend with compiled shapes only: f sees a compiled tag.
template <class F>
decltype(auto) dispatch_compiled_shape(const Shape& s, const char* backend, F&& f) {
  require_compiled_shape(s, backend);
#define MANYNETS_SHAPE_CASE(I, H, O) \
  if (s == Shape{I, H, O}) return std::forward<F>(f)(ShapeTag<I, H, O>{});
  MANYNETS_FOR_EACH_SHAPE(MANYNETS_SHAPE_CASE)
#undef MANYNETS_SHAPE_CASE
  // Not reached: require_compiled_shape threw. The first shape's call gives the
  // function its return type.
  return std::forward<F>(f)(ShapeTag<2, 2, 2>{});
}

}  // namespace manynets

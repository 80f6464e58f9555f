// Build facts: the library version and whether the CUDA backends are compiled in,
// both set by CMake as compile definitions.
#include "manynets/version.hpp"

#ifndef MANYNETS_VERSION_STRING
#error "MANYNETS_VERSION_STRING must be defined by the build (CMake sets it from project(VERSION))"
#endif
#ifndef MANYNETS_CUDA_COMPILED
#error "MANYNETS_CUDA_COMPILED must be defined by the build as 0 or 1"
#endif

namespace manynets {

std::string version() {
  return MANYNETS_VERSION_STRING;
}

bool cuda_compiled() {
  return MANYNETS_CUDA_COMPILED != 0;
}

}  // namespace manynets

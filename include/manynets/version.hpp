// Version and build facts of the manynets library.
#pragma once

#include <string>

namespace manynets {

std::string version();  // "MAJOR.MINOR.PATCH"
bool cuda_compiled();   // whether this build has the CUDA backends
}  // namespace manynets

// Tolerances of the GPU backends (float on the device) against the double
// reference, shared by test_cuda_backend.cpp and test_cublas_backend.cpp, and
// why each is what it is.
#pragma once

namespace manynets {
namespace testing {

// Precise mode: expf and IEEE division, FMA contraction by nvcc (and, for
// cublas, sums in cuBLAS's order); rounding of 1e-7 per operation stays near
// 1e-5 relative on a convergent run, and 1e-3 relative on the final loss is
// what float affords over 10000 steps (the same figure as math.hpp in float on
// the host, test_math_vs_reference).
constexpr double kPreciseLossTolerance = 1e-3;
// Fast mode: __expf and __fdividef are within a few ulps, but tanh.approx has a
// relative error near 2^-11 per call; a tanh network's trajectory then drifts by
// up to a few percent of its final loss.
constexpr double kFastLossTolerance = 5e-2;
// A converged network may cross its target a few steps earlier or later in
// float: steps agree to 2 % (+2).
constexpr double kStepsRelativeTolerance = 0.02;
// Random hyperparameters include chaotic and borderline networks (a loss that
// crosses its target by rounding); they are compared by status, and up to 2 %
// of them may land on another status. Diverged networks: status only.
constexpr double kStatusMismatchShare = 0.02;

}  // namespace testing
}  // namespace manynets

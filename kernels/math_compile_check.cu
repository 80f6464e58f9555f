// Compiles math.hpp's whole training loop as device code for every compiled
// shape and both math modes. Nothing launches these kernels: they exist so a
// change to math.hpp that nvcc rejects breaks the build on any machine.
#include "manynets/detail/math.hpp"
#include "manynets/shapes.hpp"

namespace manynets {
namespace compile_check {

// ---- kernels

template <class Math, int I, int H, int O>
__global__ void math_compile_check_kernel(float* loss, const float* params, const float* xs, const float* ts,
                                          int samples) {
  using Net = math::Mlp<I, H, O, float>;
  Net net;
  for (int q = 0; q < Net::num_params; ++q) net.p[q] = params[q];
  math::OptState<I, H, O, float> state;
  state.reset();
  math::Hyper<float> hp;
  hp.learning_rate = 0.5f;
  hp.optimizer = Optimizer::adam;
  hp.momentum = hp.adam_beta1 = 0.9f;
  hp.adam_beta2 = 0.999f;
  hp.adam_epsilon = 1e-8f;
  hp.weight_decay = 1e-4f;
  hp.hidden_activation = Activation::tanh;
  hp.output_activation = Activation::sigmoid;
  hp.max_steps = 10;
  hp.target_loss = 0.0f;
  hp.train_biases = true;
  hp.mode = Mode::online;
  const auto outcome =
      math::train_network<Math>(net, state, hp, xs, ts, samples, 1u, threadIdx.x, 0, math::NoCurve{});
  loss[threadIdx.x] = outcome.loss;
}

// ---- instantiations, one per shape and math mode

#define MANYNETS_INSTANTIATE_CHECK(I, H, O)                                       \
  template __global__ void math_compile_check_kernel<math::PreciseMath, I, H, O>( \
      float*, const float*, const float*, const float*, int);                     \
  template __global__ void math_compile_check_kernel<math::FastMath, I, H, O>(    \
      float*, const float*, const float*, const float*, int);
MANYNETS_FOR_EACH_SHAPE(MANYNETS_INSTANTIATE_CHECK)
#undef MANYNETS_INSTANTIATE_CHECK

}  // namespace compile_check
}  // namespace manynets

// The one source of training math for the fast backends: forward, exact
// backward, optimizer updates and the per-network training loop of an
// Mlp<I, H, O>, templated on the number type T and a math policy, and marked
// MANYNETS_HD so g++, the host tests and nvcc compile the same code.
// The reference backend (host/backends/reference.cpp) deliberately shares none of it.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "manynets/detail/config.hpp"
#include "manynets/detail/random.hpp"
#include "manynets/hyperparameters.hpp"
#include "manynets/limits.hpp"
#include "manynets/types.hpp"

namespace manynets {
namespace math {

// Forces the per-step math inline into the training loops: without it g++
// leaves loss_and_gradient and update out of line for a wide SIMD type, and the
// parameters then pass through memory instead of staying in registers.
#if MANYNETS_DEVICE_CODE
#define MANYNETS_MATH_INLINE __forceinline__
#elif defined(__GNUC__)
#define MANYNETS_MATH_INLINE inline __attribute__((always_inline))
#else
#define MANYNETS_MATH_INLINE inline
#endif

// ---- math policies

// Library exp/tanh and IEEE division.
struct PreciseMath {
  template <class T>
  MANYNETS_HD static T exp(T x) {
    using std::exp;
    return exp(x);
  }
  template <class T>
  MANYNETS_HD static T tanh(T x) {
    using std::tanh;
    return tanh(x);
  }
  template <class T>
  MANYNETS_HD static T div(T a, T b) {
    return a / b;
  }
  template <class T>
  MANYNETS_HD static T sqrt(T x) {
    using std::sqrt;
    return sqrt(x);
  }
};

// Hardware approximations on a CUDA device (__expf, tanh.approx, __fdividef) for
// float; everywhere else the same as PreciseMath.
struct FastMath : PreciseMath {
  using PreciseMath::div;
  using PreciseMath::exp;
  using PreciseMath::tanh;
#if MANYNETS_ON_DEVICE
  MANYNETS_HD static float exp(float x) {
    return __expf(x);
  }
  MANYNETS_HD static float div(float a, float b) {
    return __fdividef(a, b);
  }
  MANYNETS_HD static float tanh(float x) {
    float y;
    asm("tanh.approx.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
  }
#endif
};

// Selects the policy for a run's MathMode at compile time.
template <MathMode M>
using MathFor = typename std::conditional<M == MathMode::fast, FastMath, PreciseMath>::type;

// ---- the network

// The layer size of the general network: Mlp<kRuntime, kRuntime, kRuntime, T>
// takes its sizes at run time.
constexpr int kRuntime = 0;

// Parameters of one I-H-O network in DESIGN.md's order: W1 (H x I, row-major),
// W2 (O x H, row-major), b1 (H), b2 (O). The math reads the sizes through
// n_inputs() .. n_params(), which are constants here and run-time values in
// the general network below, so a compiled shape and the general path run the
// same code; max_* size the scratch arrays of a forward and backward pass.
template <int I, int H, int O, class T>
struct Mlp {
  static_assert(I > 0 && H > 0 && O > 0, "every layer needs at least one unit");
  static constexpr int inputs = I;
  static constexpr int hidden = H;
  static constexpr int outputs = O;
  static constexpr int num_weights = H * I + O * H;
  static constexpr int num_params = num_weights + H + O;
  static constexpr int max_inputs = I;
  static constexpr int max_hidden = H;
  static constexpr int max_outputs = O;
  static constexpr int max_params = num_params;

  MANYNETS_HD static constexpr int n_inputs() { return I; }
  MANYNETS_HD static constexpr int n_hidden() { return H; }
  MANYNETS_HD static constexpr int n_outputs() { return O; }
  MANYNETS_HD static constexpr int n_weights() { return num_weights; }
  MANYNETS_HD static constexpr int n_params() { return num_params; }
  // A compiled network's shape is its type's: nothing to set.
  MANYNETS_HD void set_shape(int, int, int) {}
  template <class Net>
  MANYNETS_HD void shape_like(const Net&) {}

  MANYNETS_HD static constexpr int w1_index(int h, int i) { return h * I + i; }
  MANYNETS_HD static constexpr int w2_index(int o, int h) { return H * I + o * H + h; }
  MANYNETS_HD static constexpr int b1_index(int h) { return num_weights + h; }
  MANYNETS_HD static constexpr int b2_index(int o) { return num_weights + H + o; }

  MANYNETS_HD T& w1(int h, int i) { return p[w1_index(h, i)]; }
  MANYNETS_HD T w1(int h, int i) const { return p[w1_index(h, i)]; }
  MANYNETS_HD T& w2(int o, int h) { return p[w2_index(o, h)]; }
  MANYNETS_HD T w2(int o, int h) const { return p[w2_index(o, h)]; }
  MANYNETS_HD T& b1(int h) { return p[b1_index(h)]; }
  MANYNETS_HD T b1(int h) const { return p[b1_index(h)]; }
  MANYNETS_HD T& b2(int o) { return p[b2_index(o)]; }
  MANYNETS_HD T b2(int o) const { return p[b2_index(o)]; }

  T p[num_params];
};

// A network of any shape within limits.hpp's bounds, its sizes set at run time
// (set_shape or shape_like before use). It has room for the largest shape; the
// math touches only the first n_params() parameters, and a copy copies only
// those.
template <class T>
struct Mlp<kRuntime, kRuntime, kRuntime, T> {
  static constexpr int max_inputs = max_network_inputs;
  static constexpr int max_hidden = max_network_hidden;
  static constexpr int max_outputs = max_network_outputs;
  static constexpr int max_params = max_network_params;

  Mlp() = default;
  MANYNETS_HD Mlp(const Mlp& other) { *this = other; }
  MANYNETS_HD Mlp& operator=(const Mlp& other) {
    shape_like(other);
    for (int q = 0; q < params_; ++q) p[q] = other.p[q];
    return *this;
  }

  MANYNETS_HD int n_inputs() const {
    MANYNETS_ASSUME(inputs_ >= 0 && inputs_ <= max_inputs);
    return inputs_;
  }
  MANYNETS_HD int n_hidden() const {
    MANYNETS_ASSUME(hidden_ >= 0 && hidden_ <= max_hidden);
    return hidden_;
  }
  MANYNETS_HD int n_outputs() const {
    MANYNETS_ASSUME(outputs_ >= 0 && outputs_ <= max_outputs);
    return outputs_;
  }
  MANYNETS_HD int n_weights() const {
    MANYNETS_ASSUME(weights_ >= 0 && weights_ <= max_params);
    return weights_;
  }
  MANYNETS_HD int n_params() const {
    MANYNETS_ASSUME(params_ >= 0 && params_ <= max_params);
    return params_;
  }
  MANYNETS_HD void set_shape(int inputs, int hidden, int outputs) {
    inputs_ = inputs;
    hidden_ = hidden;
    outputs_ = outputs;
    weights_ = hidden * inputs + outputs * hidden;
    params_ = weights_ + hidden + outputs;
  }
  template <class Net>
  MANYNETS_HD void shape_like(const Net& net) {
    set_shape(net.n_inputs(), net.n_hidden(), net.n_outputs());
  }

  MANYNETS_HD int w1_index(int h, int i) const { return h * inputs_ + i; }
  MANYNETS_HD int w2_index(int o, int h) const { return hidden_ * inputs_ + o * hidden_ + h; }
  MANYNETS_HD int b1_index(int h) const { return weights_ + h; }
  MANYNETS_HD int b2_index(int o) const { return weights_ + hidden_ + o; }

  MANYNETS_HD T& w1(int h, int i) { return p[w1_index(h, i)]; }
  MANYNETS_HD T w1(int h, int i) const { return p[w1_index(h, i)]; }
  MANYNETS_HD T& w2(int o, int h) { return p[w2_index(o, h)]; }
  MANYNETS_HD T w2(int o, int h) const { return p[w2_index(o, h)]; }
  MANYNETS_HD T& b1(int h) { return p[b1_index(h)]; }
  MANYNETS_HD T b1(int h) const { return p[b1_index(h)]; }
  MANYNETS_HD T& b2(int o) { return p[b2_index(o)]; }
  MANYNETS_HD T b2(int o) const { return p[b2_index(o)]; }

  int inputs_ = 0;
  int hidden_ = 0;
  int outputs_ = 0;
  int weights_ = 0;
  int params_ = 0;
  T p[max_params];
};

template <class T>
using GeneralMlp = Mlp<kRuntime, kRuntime, kRuntime, T>;

// A network's hyperparameters (hyperparameters.hpp) in its number type T: the
// real ones as T, codes and counts as they are.
template <class T>
struct Hyper {
#define MANYNETS_HYPER_FIELD(name, type, default_value) in_number_type_t<type, T> name;
  MANYNETS_HYPERPARAMETERS(MANYNETS_HYPER_FIELD)
#undef MANYNETS_HYPER_FIELD
};

// Optimizer state: m is momentum's velocity or Adam's first moment, v Adam's
// second moment; the powers are beta^t for Adam's bias correction.
template <int I, int H, int O, class T>
struct OptState {
  static constexpr int num_params = Mlp<I, H, O, T>::num_params;
  T m[num_params];
  T v[num_params];
  T beta1_power;
  T beta2_power;

  MANYNETS_HD void reset() {
    for (int q = 0; q < num_params; ++q) m[q] = v[q] = T(0);
    beta1_power = beta2_power = T(1);
  }
  // The same, for code that serves the general network too.
  template <class Net>
  MANYNETS_HD void reset(const Net&) {
    reset();
  }
};

// The general network's optimizer state: room for the largest shape, of which
// reset(net) clears and a copy copies the first net.n_params() entries.
template <class T>
struct OptState<kRuntime, kRuntime, kRuntime, T> {
  OptState() = default;
  MANYNETS_HD OptState(const OptState& other) { *this = other; }
  MANYNETS_HD OptState& operator=(const OptState& other) {
    count_ = other.count_;
    for (int q = 0; q < count_; ++q) {
      m[q] = other.m[q];
      v[q] = other.v[q];
    }
    beta1_power = other.beta1_power;
    beta2_power = other.beta2_power;
    return *this;
  }

  template <class Net>
  MANYNETS_HD void reset(const Net& net) {
    count_ = net.n_params();
    for (int q = 0; q < count_; ++q) m[q] = v[q] = T(0);
    beta1_power = beta2_power = T(1);
  }

  int count_ = 0;
  T m[max_network_params];
  T v[max_network_params];
  T beta1_power;
  T beta2_power;
};

// Loss and abs error of a network over a dataset (means over samples).
template <class T>
struct Eval {
  T loss;
  T abs_error;
};

// ---- number-type operations

// The few operations math.hpp needs beyond arithmetic that a SIMD number type
// spells differently: a lane-wise choice cannot be `?:`. This primary template
// serves float and double; a SIMD type specializes it (host/backends/cpu/simd_math.hpp), which
// works from a host-only header because a class template's specialization is
// found when the math is instantiated.
template <class T>
struct NumberOps {
  // max(z, 0), with the comparison written so NaN gives 0 as in every backend.
  MANYNETS_HD static T relu(T z) { return z > T(0) ? z : T(0); }
  // 1 where y > 0, else 0: relu's slope from its output.
  MANYNETS_HD static T positive_indicator(T y) { return y > T(0) ? T(1) : T(0); }
  MANYNETS_HD static T abs(T d) { return d < T(0) ? -d : d; }
  // Whether x is nonzero (in some lane, for a SIMD type).
  MANYNETS_HD static bool any_nonzero(T x) { return x != T(0); }
  // a * b + c and c - a * b, each rounded once.
  MANYNETS_HD static T fma(T a, T b, T c) {
    using std::fma;
    return fma(a, b, c);
  }
  MANYNETS_HD static T fnma(T a, T b, T c) {
    using std::fma;
    return fma(-a, b, c);
  }
};

// ---- activations

// The sigmoid of z from -z.
template <class Math, class T>
MANYNETS_HD MANYNETS_MATH_INLINE T sigmoid_of_negated(T minus_z) {
  return Math::div(T(1), T(1) + Math::exp(minus_z));
}

template <class Math, class T>
MANYNETS_HD MANYNETS_MATH_INLINE T activate(Activation a, T z) {
  switch (a) {
    case Activation::sigmoid:
      return sigmoid_of_negated<Math>(-z);
    case Activation::tanh:
      return Math::tanh(z);
    case Activation::relu:
      return NumberOps<T>::relu(z);
    case Activation::identity:
    default:
      return z;
  }
}

// The activation's derivative, written in terms of its output y = f(z). The
// sigmoid's y (1 - y) is taken as y - y y, and the tanh's 1 - y y, each by one
// fnma: one rounding and one instruction where the product form has two.
template <class T>
MANYNETS_HD MANYNETS_MATH_INLINE T activation_slope(Activation a, T y) {
  switch (a) {
    case Activation::sigmoid:
      return NumberOps<T>::fnma(y, y, y);
    case Activation::tanh:
      return NumberOps<T>::fnma(y, y, T(1));
    case Activation::relu:
      return NumberOps<T>::positive_indicator(y);
    case Activation::identity:
    default:
      return T(1);
  }
}

// ---- forward, loss, backward

// a(b + w . in) for one unit with n inputs, w its row of weights. A sigmoid
// unit sums -z = -b - w in ... by fnma: rounding to nearest is symmetric, so
// that is -z exactly (an exact zero may differ in sign, which e^-z does not
// see), and it costs no negation when the bias is not trained.
template <class Math, class T>
MANYNETS_HD MANYNETS_MATH_INLINE T unit_output(const T* w, T b, const T* in, int n, Activation a) {
  if (a == Activation::sigmoid) {
    T minus_z = -b;
    MANYNETS_UNROLL
    for (int i = 0; i < n; ++i) minus_z = NumberOps<T>::fnma(w[i], in[i], minus_z);
    return sigmoid_of_negated<Math>(minus_z);
  }
  T z = b;
  MANYNETS_UNROLL
  for (int i = 0; i < n; ++i) z = NumberOps<T>::fma(w[i], in[i], z);
  return activate<Math>(a, z);
}

// h = f(W1 x + b1), o = g(W2 h + b2). (Here and below the sizes are read into
// locals first: g++ unrolls a loop whose bound is a constant variable, not one
// that calls a function, even a constexpr one.)
template <class Math, int I, int H, int O, class T>
MANYNETS_HD MANYNETS_MATH_INLINE void forward(const Mlp<I, H, O, T>& net, const T* x, Activation f,
                                              Activation g, T* h, T* o) {
  const int inputs = net.n_inputs(), hidden = net.n_hidden(), outputs = net.n_outputs();
  MANYNETS_UNROLL
  for (int j = 0; j < hidden; ++j)
    h[j] = unit_output<Math>(&net.p[net.w1_index(j, 0)], net.b1(j), x, inputs, f);
  MANYNETS_UNROLL
  for (int k = 0; k < outputs; ++k)
    o[k] = unit_output<Math>(&net.p[net.w2_index(k, 0)], net.b2(k), h, hidden, g);
}

// E = sum_k 1/2 (t_k - o_k)^2 for one sample. Alone it serves a loop that
// needs the abs error only on the steps it records or stops at.
template <class T>
MANYNETS_HD MANYNETS_MATH_INLINE T sample_loss(const T* o, const T* t, int outputs) {
  // o - t as the gradient writes it (the square and the abs do not see the sign),
  // so that a step computes the difference once.
  T loss = T(0);
  MANYNETS_UNROLL
  for (int k = 0; k < outputs; ++k) {
    const T d = o[k] - t[k];
    const T half_d = T(0.5) * d;
    loss = k == 0 ? half_d * d : NumberOps<T>::fma(half_d, d, loss);
  }
  return loss;
}

// sum_k |t_k - o_k| for one sample.
template <class T>
MANYNETS_HD MANYNETS_MATH_INLINE T sample_abs_error(const T* o, const T* t, int outputs) {
  T abs_error = T(0);
  MANYNETS_UNROLL
  for (int k = 0; k < outputs; ++k) abs_error += NumberOps<T>::abs(o[k] - t[k]);
  return abs_error;
}

// Both, for one sample.
template <class T>
MANYNETS_HD MANYNETS_MATH_INLINE Eval<T> sample_eval(const T* o, const T* t, int outputs) {
  return {sample_loss(o, t, outputs), sample_abs_error(o, t, outputs)};
}

// Adds `weight` times the gradient of one sample's loss to grad, given the
// sample's forward pass (h, o).
template <int I, int H, int O, class T>
MANYNETS_HD MANYNETS_MATH_INLINE void backward(const Mlp<I, H, O, T>& net, const T* x, const T* t, const T* h,
                                               const T* o, Activation f, Activation g, T weight,
                                               Mlp<I, H, O, T>& grad) {
  using Net = Mlp<I, H, O, T>;
  const int inputs = net.n_inputs(), hidden = net.n_hidden(), outputs = net.n_outputs();
  // Zeroed although the loop below writes every entry read: g++ cannot see that
  // for run-time sizes, and drops the stores where the sizes are constants.
  T delta_o[Net::max_outputs] = {};
  MANYNETS_UNROLL
  for (int k = 0; k < outputs; ++k) {
    delta_o[k] = weight * (o[k] - t[k]) * activation_slope(g, o[k]);
    grad.b2(k) += delta_o[k];
    MANYNETS_UNROLL
    for (int j = 0; j < hidden; ++j) grad.w2(k, j) = NumberOps<T>::fma(delta_o[k], h[j], grad.w2(k, j));
  }
  MANYNETS_UNROLL
  for (int j = 0; j < hidden; ++j) {
    T back = delta_o[0] * net.w2(0, j);
    MANYNETS_UNROLL
    for (int k = 1; k < outputs; ++k) back = NumberOps<T>::fma(delta_o[k], net.w2(k, j), back);
    const T delta_h = back * activation_slope(f, h[j]);
    grad.b1(j) += delta_h;
    MANYNETS_UNROLL
    for (int i = 0; i < inputs; ++i) grad.w1(j, i) = NumberOps<T>::fma(delta_h, x[i], grad.w1(j, i));
  }
}

template <int I, int H, int O, class T>
MANYNETS_HD MANYNETS_MATH_INLINE void set_zero(Mlp<I, H, O, T>& net) {
  const int params = net.n_params();
  MANYNETS_UNROLL
  for (int q = 0; q < params; ++q) net.p[q] = T(0);
}

// The sample loops, split from the means so that a caller can walk a dataset
// in pieces (the tiled CUDA kernel walks shared-memory tiles): adding the
// pieces in sample order performs the same operations in the same order as one
// call over the whole dataset, so the result is bit for bit the same.

// 1 / samples, the weight of one sample in a mean (0 for no samples).
template <class T>
MANYNETS_HD MANYNETS_MATH_INLINE T mean_weight(int samples) {
  return samples > 0 ? T(1) / T(samples) : T(0);
}

// The mean from the sums over the samples and mean_weight.
template <class T>
MANYNETS_HD MANYNETS_MATH_INLINE Eval<T> mean_of(const Eval<T>& sum, T weight) {
  return {sum.loss * weight, sum.abs_error * weight};
}

// Adds the loss and abs error of `count` samples (xs: count x I, ts: count x O)
// to sum, in sample order.
template <class Math, int I, int H, int O, class T>
MANYNETS_HD MANYNETS_MATH_INLINE void accumulate_eval(const Mlp<I, H, O, T>& net, const T* xs, const T* ts,
                                                      int count, Activation f, Activation g, Eval<T>& sum) {
  using Net = Mlp<I, H, O, T>;
  const int inputs = net.n_inputs(), outputs = net.n_outputs();
  for (int s = 0; s < count; ++s) {
    T h[Net::max_hidden], o[Net::max_outputs];
    forward<Math>(net, xs + s * inputs, f, g, h, o);
    const Eval<T> e = sample_eval(o, ts + s * outputs, outputs);
    sum.loss += e.loss;
    sum.abs_error += e.abs_error;
  }
}

// Adds the loss and abs error of `count` samples to sum and `weight` times
// their gradients to grad, in sample order.
template <class Math, int I, int H, int O, class T>
MANYNETS_HD MANYNETS_MATH_INLINE void accumulate_loss_and_gradient(const Mlp<I, H, O, T>& net, const T* xs,
                                                                   const T* ts, int count, Activation f,
                                                                   Activation g, T weight, Eval<T>& sum,
                                                                   Mlp<I, H, O, T>& grad) {
  using Net = Mlp<I, H, O, T>;
  const int inputs = net.n_inputs(), outputs = net.n_outputs();
  for (int s = 0; s < count; ++s) {
    T h[Net::max_hidden], o[Net::max_outputs];
    const T* x = xs + s * inputs;
    const T* t = ts + s * outputs;
    forward<Math>(net, x, f, g, h, o);
    const Eval<T> e = sample_eval(o, t, outputs);
    sum.loss += e.loss;
    sum.abs_error += e.abs_error;
    backward(net, x, t, h, o, f, g, weight, grad);
  }
}

// Mean loss and abs error over `samples` samples (xs: samples x I, ts: samples x O).
template <class Math, int I, int H, int O, class T>
MANYNETS_HD MANYNETS_MATH_INLINE Eval<T> evaluate(const Mlp<I, H, O, T>& net, const T* xs, const T* ts,
                                                  int samples, Activation f, Activation g) {
  Eval<T> sum{T(0), T(0)};
  accumulate_eval<Math>(net, xs, ts, samples, f, g, sum);
  return mean_of(sum, mean_weight<T>(samples));
}

// Mean loss and abs error over the samples, and the mean gradient into grad.
template <class Math, int I, int H, int O, class T>
MANYNETS_HD MANYNETS_MATH_INLINE Eval<T> loss_and_gradient(const Mlp<I, H, O, T>& net, const T* xs,
                                                           const T* ts, int samples, Activation f,
                                                           Activation g, Mlp<I, H, O, T>& grad) {
  grad.shape_like(net);
  set_zero(grad);
  Eval<T> sum{T(0), T(0)};
  const T weight = mean_weight<T>(samples);
  accumulate_loss_and_gradient<Math>(net, xs, ts, samples, f, g, weight, sum, grad);
  return mean_of(sum, weight);
}

// ---- plain gradient descent on one sample, fused

// Whether train_network takes a step's gradient from one sample and applies it
// by plain gradient descent without weight decay: then sgd_backward_update can replace
// loss_and_gradient + update.
template <class T>
MANYNETS_HD inline bool fuses_sgd_step(const Hyper<T>& hp, int samples) {
  return hp.optimizer == Optimizer::sgd && !NumberOps<T>::any_nonzero(hp.weight_decay) &&
         (samples == 1 || (hp.mode == Mode::online && samples > 1));
}

// One plain gradient descent step on one sample's loss, given the sample's
// forward pass (h, o). It computes what loss_and_gradient(..., samples = 1, ...)
// followed by update() with Optimizer::sgd computes, with the same operations in
// the same order for every parameter (only the sign of a parameter moved by an
// exactly zero step can differ: the unfused gradient adds its terms to +0). It
// moves each parameter as soon as its gradient is known instead of collecting
// the whole gradient first, so no gradient array is live: a SIMD number type
// then keeps half as many vectors busy, and the cpu backend's loop spills less.
// The hidden deltas read W2 before W2 moves.
template <int I, int H, int O, class T>
MANYNETS_HD MANYNETS_MATH_INLINE void sgd_backward_update(Mlp<I, H, O, T>& net, const T* x, const T* t,
                                                          const T* h, const T* o, Activation f, Activation g,
                                                          T learning_rate, bool train_biases) {
  using Net = Mlp<I, H, O, T>;
  const int inputs = net.n_inputs(), hidden = net.n_hidden(), outputs = net.n_outputs();
  T delta_o[Net::max_outputs];
  MANYNETS_UNROLL
  for (int k = 0; k < outputs; ++k) delta_o[k] = (o[k] - t[k]) * activation_slope(g, o[k]);
  T delta_h[Net::max_hidden];
  MANYNETS_UNROLL
  for (int j = 0; j < hidden; ++j) {
    T back = delta_o[0] * net.w2(0, j);
    MANYNETS_UNROLL
    for (int k = 1; k < outputs; ++k) back = NumberOps<T>::fma(delta_o[k], net.w2(k, j), back);
    delta_h[j] = back * activation_slope(f, h[j]);
  }
  MANYNETS_UNROLL
  for (int k = 0; k < outputs; ++k) {
    if (train_biases) net.b2(k) = NumberOps<T>::fnma(learning_rate, delta_o[k], net.b2(k));
    MANYNETS_UNROLL
    for (int j = 0; j < hidden; ++j)
      net.w2(k, j) = NumberOps<T>::fnma(learning_rate, delta_o[k] * h[j], net.w2(k, j));
  }
  MANYNETS_UNROLL
  for (int j = 0; j < hidden; ++j) {
    if (train_biases) net.b1(j) = NumberOps<T>::fnma(learning_rate, delta_h[j], net.b1(j));
    MANYNETS_UNROLL
    for (int i = 0; i < inputs; ++i)
      net.w1(j, i) = NumberOps<T>::fnma(learning_rate, delta_h[j] * x[i], net.w1(j, i));
  }
}

// ---- optimizer update

// One update of every trained parameter from the gradient; biases stay as they
// are when the network does not train them. Weight decay adds weight_decay * w
// to each weight's gradient (L2 on the weights, not the biases); a network
// without it skips that product, so its bits are those of plain training.
template <class Math, int I, int H, int O, class T>
MANYNETS_HD MANYNETS_MATH_INLINE void update(Mlp<I, H, O, T>& net, const Mlp<I, H, O, T>& grad,
                                             OptState<I, H, O, T>& state, const Hyper<T>& hp) {
  // The loops run to the parameter count (a compile-time constant in a compiled
  // shape) and skip the untrained tail, so they unroll and a SIMD type's
  // parameters stay in registers.
  const int params = net.n_params(), weights = net.n_weights();
  const int trained = hp.train_biases ? params : weights;
  const bool decays = NumberOps<T>::any_nonzero(hp.weight_decay);
  auto gradient = [&](int q) {
    return decays && q < weights ? NumberOps<T>::fma(hp.weight_decay, net.p[q], grad.p[q]) : grad.p[q];
  };
  switch (hp.optimizer) {
    case Optimizer::sgd:
      MANYNETS_UNROLL
      for (int q = 0; q < params; ++q) {
        if (q < trained) net.p[q] = NumberOps<T>::fnma(hp.learning_rate, gradient(q), net.p[q]);
      }
      break;
    case Optimizer::momentum:
      MANYNETS_UNROLL
      for (int q = 0; q < params; ++q) {
        if (q >= trained) continue;
        state.m[q] = NumberOps<T>::fma(hp.momentum, state.m[q], gradient(q));
        net.p[q] = NumberOps<T>::fnma(hp.learning_rate, state.m[q], net.p[q]);
      }
      break;
    case Optimizer::adam: {
      state.beta1_power *= hp.adam_beta1;
      state.beta2_power *= hp.adam_beta2;
      // lr * sqrt(1 - beta2^t) / (1 - beta1^t) folds both bias corrections.
      const T first_correction = T(1) - state.beta1_power;
      const T second_correction = T(1) - state.beta2_power;
      MANYNETS_UNROLL
      for (int q = 0; q < params; ++q) {
        if (q >= trained) continue;
        const T g = gradient(q);
        state.m[q] = hp.adam_beta1 * state.m[q] + (T(1) - hp.adam_beta1) * g;
        state.v[q] = hp.adam_beta2 * state.v[q] + (T(1) - hp.adam_beta2) * g * g;
        const T m_hat = Math::div(state.m[q], first_correction);
        const T v_hat = Math::div(state.v[q], second_correction);
        net.p[q] -= Math::div(hp.learning_rate * m_hat, Math::sqrt(v_hat) + hp.adam_epsilon);
      }
      break;
    }
  }
}

// ---- the training loop of one network

template <class T>
struct Outcome {
  T loss;       // loss of the final parameters
  T abs_error;  // abs error of the final parameters
  std::int32_t steps;
  Status status;
};

// Where online mode takes the sample of a step: position step % samples of a
// per-network, per-epoch permutation.
MANYNETS_HD inline int online_sample(std::uint64_t seed, std::uint64_t id, std::int32_t step, int samples) {
  const std::uint32_t epoch = static_cast<std::uint32_t>(step / samples);
  return permuted_index(seed, id, epoch, step % samples, samples);
}

// Zero when the loss and every parameter are finite, NaN when one is not (the
// training loop's divergence test, shared with the SIMD loop of the cpu
// backend): x * 0 is 0 for a finite x and NaN for an infinite or NaN one, and a
// sum of zeros cannot overflow, so the test is exact where a plain sum of the
// values would also fire on finite values whose sum overflows.
template <int I, int H, int O, class T>
MANYNETS_HD MANYNETS_MATH_INLINE T divergence_probe(const Mlp<I, H, O, T>& net, T loss) {
  T sum = loss * T(0);
  const int params = net.n_params();
  MANYNETS_UNROLL
  for (int q = 0; q < params; ++q) sum += net.p[q] * T(0);
  return sum;
}

// The stop rule of every training loop, in its one order: diverged (the loss or
// a parameter is not finite), converged (loss <= target_loss), max_steps (step
// == max_steps). Returns whether a network stops at this step, and why. The cpu
// backend's lanes apply it lane by lane to values it has already tested.
template <class T>
MANYNETS_HD MANYNETS_MATH_INLINE bool stop_rule(bool finite, T loss, T target_loss, std::int32_t max_steps,
                                                std::int32_t step, Status& why) {
  if (!finite) {
    why = Status::diverged;
  } else if (loss <= target_loss) {
    why = Status::converged;
  } else if (step >= max_steps) {
    why = Status::max_steps;
  } else {
    return false;
  }
  return true;
}

// The stop rule for a network after evaluating it.
template <int I, int H, int O, class T>
MANYNETS_HD MANYNETS_MATH_INLINE bool stops_at(const Mlp<I, H, O, T>& net, const Eval<T>& e, T target_loss,
                                               std::int32_t max_steps, std::int32_t step, Status& why) {
  using std::isfinite;
  return stop_rule(static_cast<bool>(isfinite(divergence_probe(net, e.loss))), e.loss, target_loss, max_steps,
                   step, why);
}

// A recorder that records nothing, for runs without a curve.
struct NoCurve {
  template <class T>
  MANYNETS_HD void operator()(std::int32_t, T, T) const {}
};

// Trains one network in place until it converges, diverges or runs out of steps.
// At step s (0-based) it evaluates the parameters after s updates over the whole
// dataset; records that loss in slot s / curve_every when s is a multiple of
// curve_every (record(slot, loss, abs_error)); stops as diverged when the loss or
// a parameter is not finite, as converged when loss <= target_loss, as max_steps
// when s == max_steps; else applies update s + 1. The gradient is the mean over
// all samples (full mode) or one sample's (online mode).
//
// The tiled CUDA kernel splits this step into phases (tiled_begin_step,
// tiled_accumulate, tiled_finish_step in kernels/train_bodies.hpp) with the same
// operations in the same order; tests hold the two bit for bit. Writing this
// loop as those phases would leave one copy, but costs the fused kernel
// registers (sm_90, 2026-12-05: 56 -> 69 for the seed's kind, 94 -> 103 for the
// general 2-3-1), so the step stays written out here.
template <class Math, int I, int H, int O, class T, class Record>
MANYNETS_HD Outcome<T> train_network(Mlp<I, H, O, T>& net, OptState<I, H, O, T>& state, const Hyper<T>& hp,
                                     const T* xs, const T* ts, int samples, std::uint64_t seed,
                                     std::uint64_t id, std::int32_t curve_every, Record&& record) {
  const bool online = hp.mode == Mode::online && samples > 1;
  // Plain gradient descent on a one-sample gradient keeps the step's forward
  // pass (h, o) across the stop test and applies the gradient fused.
  const bool fused = fuses_sgd_step(hp, samples);
  const Activation f = hp.hidden_activation, g = hp.output_activation;
  // Zeroed although each path writes what it reads (grad unfused, h and o
  // fused): the compiler cannot see that, and the stores it proves dead go.
  using Net = Mlp<I, H, O, T>;
  const int inputs = net.n_inputs(), outputs = net.n_outputs();
  Net grad{};
  grad.shape_like(net);
  for (std::int32_t step = 0;; ++step) {
    Eval<T> e;
    T h[Net::max_hidden] = {}, o[Net::max_outputs] = {};
    const T* x = xs;
    const T* t = ts;
    if (online) {
      e = evaluate<Math>(net, xs, ts, samples, f, g);
      const int s = online_sample(seed, id, step, samples);
      x = xs + s * inputs;
      t = ts + s * outputs;
      if (fused) {
        forward<Math>(net, x, f, g, h, o);
      } else {
        loss_and_gradient<Math>(net, x, t, 1, f, g, grad);
      }
    } else if (fused) {
      // One sample: loss_and_gradient's mean over samples is that sample's value.
      forward<Math>(net, x, f, g, h, o);
      e = sample_eval(o, t, outputs);
    } else {
      e = loss_and_gradient<Math>(net, xs, ts, samples, f, g, grad);
    }
    if (curve_every > 0 && step % curve_every == 0) record(step / curve_every, e.loss, e.abs_error);

    Status status;
    if (stops_at(net, e, hp.target_loss, hp.max_steps, step, status))
      return {e.loss, e.abs_error, step, status};
    if (fused) {
      sgd_backward_update(net, x, t, h, o, f, g, hp.learning_rate, hp.train_biases);
    } else {
      update<Math>(net, grad, state, hp);
    }
  }
}

}  // namespace math
}  // namespace manynets

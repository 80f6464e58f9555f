// The elementwise bodies of the `cublas` backend, which trains a chunk of
// networks layer by layer: batched GEMMs (kernels/layered_gemm.hpp) for the
// matrix products, and these MANYNETS_HD functions of one element index for
// everything between them (activations, loss, deltas, stop rule, update). The
// __global__ wrappers (kernels/layered_kernels.cu) only map a thread to an
// element; the host tests run the same bodies for every index. All training
// math comes from manynets/detail/math.hpp; these bodies only index, load and store.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/train_bodies.hpp"
#include "manynets/detail/config.hpp"
#include "manynets/detail/math.hpp"
#include "manynets/types.hpp"

namespace manynets {
namespace kernels {

// ---- the layered layout
//
// Per-network blocks, network-major, so one network's matrices are contiguous
// and a strided-batched GEMM reaches network i at i * stride:
// - parameters (and gradients, moments): network i's num_params values at
//   [i * num_params], in the order W1 (H x I, column-major: W1(h, x) at h + x * H),
//   W2 (O x H, column-major: W2(o, h) at H*I + o + h * O), b1 (H), b2 (O).
// - activations: network i's H x S matrix (column-major: unit h of sample s at
//   h + s * H) at [i * H * S], and O x S for the outputs.
// - the dataset is shared: X (S x I, row-major) is the column-major I x S
//   matrix cuBLAS takes as it is, with batch stride 0.

// Where parameter q of math::Mlp's order lives in a network's layered block.
template <int I, int H, int O>
MANYNETS_HD constexpr int layered_offset(int q) {
  return q < H * I           ? (q / I) + (q % I) * H                              // W1(h, x): q = h*I + x
         : q < H * I + O * H ? H * I + ((q - H * I) / H) + ((q - H * I) % H) * O  // W2(o, h)
                             : q;                                                 // b1, b2: same order
}

template <int I, int H, int O, class T>
MANYNETS_HD void load_layered(math::Mlp<I, H, O, T>& net, const T* block, std::size_t i) {
  constexpr int P = math::Mlp<I, H, O, T>::num_params;
  const T* b = block + i * P;
  MANYNETS_UNROLL
  for (int q = 0; q < P; ++q) net.p[q] = b[layered_offset<I, H, O>(q)];
}

template <int I, int H, int O, class T>
MANYNETS_HD void store_layered(T* block, std::size_t i, const math::Mlp<I, H, O, T>& net) {
  constexpr int P = math::Mlp<I, H, O, T>::num_params;
  T* b = block + i * P;
  MANYNETS_UNROLL
  for (int q = 0; q < P; ++q) b[layered_offset<I, H, O>(q)] = net.p[q];
}

// Samples per loss partial sum: the loss and abs error of a network are summed
// over tiles of this many samples in parallel, then over the tiles. A dataset of
// up to this many samples is summed in math::evaluate's order.
constexpr int kLossTile = 256;

MANYNETS_HD inline int loss_tiles(int samples) {
  return (samples + kLossTile - 1) / kLossTile;
}

// The buffers of a layered run of `count` networks on `samples` samples.
template <class T>
struct LayeredWorkspace {
  T* params;               // (count, P) layered: the parameters after `step` updates
  T* grad;                 // (count, P) layered: this step's gradient
  T* moment1;              // (count, P): momentum's velocity or Adam's first moment
  T* moment2;              // (count, P): Adam's second moment
  T* beta_powers;          // (2, count): Adam's beta1^t and beta2^t
  T* hidden;               // (count, S, H): W1 X, then h = f(W1 X + b1); 0 where an online step skips
  T* output;               // (count, S, O): W2 h, then the output deltas
  T* hidden_delta;         // (count, S, H): W2^T delta_o, then the hidden deltas
  T* partial;              // (tiles, 2, count): per-tile sums of loss and abs error
  std::uint8_t* training;  // (count): 1 while the network trains, 0 once it stopped
};

// The shared dataset as the GEMMs and bodies read it.
template <class T>
struct LayeredData {
  const T* xs;    // (S, I) row-major = I x S column-major
  const T* ts;    // (S, O) row-major
  const T* ones;  // (S): all 1, the right-hand side of the bias-gradient GEMMs
  int samples;
};

// ---- bodies (functions of one element index; out-of-range indices do nothing)

// Step "-1", element i < count: the initial parameters into the layered block,
// a fresh optimizer state, every network training.
template <int I, int H, int O, class T>
MANYNETS_HD void layered_start_body(const TrainView<T>& v, const LayeredWorkspace<T>& ws, std::size_t i) {
  using Net = math::Mlp<I, H, O, T>;
  if (i >= v.count) return;
  Net net;
  load_params(net, v.in.init_params, v.stride, i);
  store_layered(ws.params, i, net);
  math::set_zero(net);
  store_layered(ws.grad, i, net);
  store_layered(ws.moment1, i, net);
  store_layered(ws.moment2, i, net);
  ws.beta_powers[i] = T(1);
  ws.beta_powers[v.count + i] = T(1);
  ws.training[i] = 1;
}

// Element e < count * S (network e / S, sample e % S): h = f(W1 x + b1) in
// place of the GEMM's W1 x.
template <class Math, int I, int H, int O, class T>
MANYNETS_HD void layered_hidden_body(const TrainView<T>& v, const LayeredWorkspace<T>& ws, int samples,
                                     std::size_t e) {
  using Net = math::Mlp<I, H, O, T>;
  const std::size_t s_count = static_cast<std::size_t>(samples);
  if (s_count == 0 || e >= v.count * s_count) return;
  const std::size_t i = e / s_count;
  if (ws.training[i] == 0) return;
  const Activation f = v.in.hidden_activation[i];
  const T* b1 = ws.params + i * Net::num_params + Net::b1_index(0);
  T* h = ws.hidden + e * H;
  MANYNETS_UNROLL
  for (int j = 0; j < H; ++j) h[j] = math::activate<Math>(f, h[j] + b1[j]);
}

// Element e < count * tiles (network e % count, tile e / count): o = g(W2 h + b2)
// for the tile's samples, their summed loss and abs error into the partial
// sums, and the output deltas (o - t) g'(o), weighted as math::backward weights
// them, in place of the GEMM's W2 h: 1/S each in full mode; in online mode 1
// for the step's one sample, so the gradient GEMMs give that sample's gradient
// while the loss is still the whole dataset's. Every other sample of an online
// network gets exact zeros as its output deltas and its h (the loss no longer
// needs h): a product 0 * h would be NaN where h overflowed, and then the
// gradient would not be the one sample's, as it is in math::train_network.
template <class Math, int I, int H, int O, class T>
MANYNETS_HD void layered_output_body(const TrainView<T>& v, const LayeredWorkspace<T>& ws,
                                     const LayeredData<T>& data, std::int32_t step, std::size_t e) {
  using Net = math::Mlp<I, H, O, T>;
  const int tiles = loss_tiles(data.samples);
  if (e >= v.count * static_cast<std::size_t>(tiles)) return;
  const std::size_t i = e % v.count;
  const int tile = static_cast<int>(e / v.count);
  if (ws.training[i] == 0) return;
  const Activation g = v.in.output_activation[i];
  const T* b2 = ws.params + i * Net::num_params + Net::b2_index(0);
  const bool online = v.in.mode[i] == Mode::online && data.samples > 1;
  const int chosen = online ? math::online_sample(v.seed, v.first_id + i, step, data.samples) : -1;
  const T full_weight = T(1) / T(data.samples);
  const int first = tile * kLossTile;
  const int last = first + kLossTile < data.samples ? first + kLossTile : data.samples;
  math::Eval<T> sum{T(0), T(0)};
  for (int s = first; s < last; ++s) {
    T* z = ws.output + (i * static_cast<std::size_t>(data.samples) + static_cast<std::size_t>(s)) * O;
    const T* t = data.ts + static_cast<std::size_t>(s) * O;
    T o[O];
    MANYNETS_UNROLL
    for (int k = 0; k < O; ++k) o[k] = math::activate<Math>(g, z[k] + b2[k]);
    const math::Eval<T> se = math::sample_eval(o, t, O);
    sum.loss += se.loss;
    sum.abs_error += se.abs_error;
    if (online && s != chosen) {
      T* h = ws.hidden + (i * static_cast<std::size_t>(data.samples) + static_cast<std::size_t>(s)) * H;
      MANYNETS_UNROLL
      for (int k = 0; k < O; ++k) z[k] = T(0);
      MANYNETS_UNROLL
      for (int j = 0; j < H; ++j) h[j] = T(0);
      continue;
    }
    const T weight = online ? T(1) : full_weight;
    MANYNETS_UNROLL
    for (int k = 0; k < O; ++k) z[k] = weight * (o[k] - t[k]) * math::activation_slope(g, o[k]);
  }
  ws.partial[(static_cast<std::size_t>(tile) * 2) * v.count + i] = sum.loss;
  ws.partial[(static_cast<std::size_t>(tile) * 2 + 1) * v.count + i] = sum.abs_error;
}

// Element i < count: the loss of the parameters after `step` updates (the
// partial sums over the tiles), its curve slot, and math::stops_at's decision;
// a network that stops writes its row of the results and trains no more.
template <int I, int H, int O, class T>
MANYNETS_HD void layered_decide_body(const TrainView<T>& v, const LayeredWorkspace<T>& ws, int samples,
                                     std::int32_t step, std::size_t i) {
  using Net = math::Mlp<I, H, O, T>;
  if (i >= v.count || ws.training[i] == 0) return;
  math::Eval<T> sum{T(0), T(0)};
  const int tiles = loss_tiles(samples);
  for (int tile = 0; tile < tiles; ++tile) {
    sum.loss += ws.partial[(static_cast<std::size_t>(tile) * 2) * v.count + i];
    sum.abs_error += ws.partial[(static_cast<std::size_t>(tile) * 2 + 1) * v.count + i];
  }
  const T scale = samples > 0 ? T(1) / T(samples) : T(0);
  const math::Eval<T> e{sum.loss * scale, sum.abs_error * scale};
  if (v.curve_every > 0 && step % v.curve_every == 0)
    CurveWriter<T>{v.out.curve_loss, v.out.curve_abs_error, v.stride, i}(step / v.curve_every, e.loss,
                                                                         e.abs_error);
  Net net;
  load_layered(net, ws.params, i);
  Status status;
  if (!math::stops_at(net, e, v.in.target_loss[i], v.in.max_steps[i], step, status)) return;
  ws.training[i] = 0;
  write_outcome(v, i, net, math::Outcome<T>{e.loss, e.abs_error, step, status});
}

// Element e < count * S: the hidden deltas (W2^T delta_o) f'(h) in place of
// the GEMM's W2^T delta_o.
template <int I, int H, int O, class T>
MANYNETS_HD void layered_hidden_delta_body(const TrainView<T>& v, const LayeredWorkspace<T>& ws, int samples,
                                           std::size_t e) {
  const std::size_t s_count = static_cast<std::size_t>(samples);
  if (s_count == 0 || e >= v.count * s_count) return;
  const std::size_t i = e / s_count;
  if (ws.training[i] == 0) return;
  const Activation f = v.in.hidden_activation[i];
  const T* h = ws.hidden + e * H;
  T* d = ws.hidden_delta + e * H;
  MANYNETS_UNROLL
  for (int j = 0; j < H; ++j) d[j] = d[j] * math::activation_slope(f, h[j]);
}

// Element i < count: the optimizer update that ends the step, from the
// gradient the GEMMs left in ws.grad.
template <class Math, int I, int H, int O, class T>
MANYNETS_HD void layered_update_body(const TrainView<T>& v, const LayeredWorkspace<T>& ws, std::size_t i) {
  using Net = math::Mlp<I, H, O, T>;
  if (i >= v.count || ws.training[i] == 0) return;
  Net net, grad, m, second;
  load_layered(net, ws.params, i);
  load_layered(grad, ws.grad, i);
  load_layered(m, ws.moment1, i);
  load_layered(second, ws.moment2, i);
  math::OptState<I, H, O, T> state;
  MANYNETS_UNROLL
  for (int q = 0; q < Net::num_params; ++q) {
    state.m[q] = m.p[q];
    state.v[q] = second.p[q];
  }
  state.beta1_power = ws.beta_powers[i];
  state.beta2_power = ws.beta_powers[v.count + i];
  math::update<Math>(net, grad, state, load_hyper(v.in, i));
  MANYNETS_UNROLL
  for (int q = 0; q < Net::num_params; ++q) {
    m.p[q] = state.m[q];
    second.p[q] = state.v[q];
  }
  store_layered(ws.params, i, net);
  store_layered(ws.moment1, i, m);
  store_layered(ws.moment2, i, second);
  ws.beta_powers[i] = state.beta1_power;
  ws.beta_powers[v.count + i] = state.beta2_power;
}

// ---- the bodies as function objects, for a launcher that runs one over a range

template <int I, int H, int O, class T>
struct LayeredStart {
  TrainView<T> v;
  LayeredWorkspace<T> ws;
  MANYNETS_HD void operator()(std::size_t i) const { layered_start_body<I, H, O>(v, ws, i); }
};

template <class Math, int I, int H, int O, class T>
struct LayeredHidden {
  TrainView<T> v;
  LayeredWorkspace<T> ws;
  int samples;
  MANYNETS_HD void operator()(std::size_t e) const { layered_hidden_body<Math, I, H, O>(v, ws, samples, e); }
};

template <class Math, int I, int H, int O, class T>
struct LayeredOutput {
  TrainView<T> v;
  LayeredWorkspace<T> ws;
  LayeredData<T> data;
  std::int32_t step;
  MANYNETS_HD void operator()(std::size_t e) const {
    layered_output_body<Math, I, H, O>(v, ws, data, step, e);
  }
};

template <int I, int H, int O, class T>
struct LayeredDecide {
  TrainView<T> v;
  LayeredWorkspace<T> ws;
  int samples;
  std::int32_t step;
  MANYNETS_HD void operator()(std::size_t i) const { layered_decide_body<I, H, O>(v, ws, samples, step, i); }
};

template <int I, int H, int O, class T>
struct LayeredHiddenDelta {
  TrainView<T> v;
  LayeredWorkspace<T> ws;
  int samples;
  MANYNETS_HD void operator()(std::size_t e) const { layered_hidden_delta_body<I, H, O>(v, ws, samples, e); }
};

template <class Math, int I, int H, int O, class T>
struct LayeredUpdate {
  TrainView<T> v;
  LayeredWorkspace<T> ws;
  MANYNETS_HD void operator()(std::size_t i) const { layered_update_body<Math, I, H, O>(v, ws, i); }
};

}  // namespace kernels
}  // namespace manynets

// The bodies of the CUDA training kernels: MANYNETS_HD functions of one
// network index, so the __global__ wrappers (kernels/train_kernels.cu) only map
// a thread to an index, and the host tests (tests/test_kernel_bodies.cpp) run
// the very same bodies for every index of a batch without a GPU. The tiled
// kernel's block loop is here too, written against a block whose phases the
// device and a host emulation each supply. All training math comes from
// manynets/detail/math.hpp; these bodies only load, store and index.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "manynets/detail/config.hpp"
#include "manynets/detail/math.hpp"
#include "manynets/types.hpp"

namespace manynets {
namespace kernels {

// ---- views of one launch's arrays (structure of arrays: row r of network i at [r * stride + i])

// Every array of a launch's blocks starts on a 256-byte boundary (a whole
// number of 32-thread float transactions), so rows never straddle an unaligned start.
inline std::size_t align_up(std::size_t bytes) {
  return (bytes + 255) / 256 * 256;
}

// Per-network inputs: initial parameters and hyperparameters (real ones in T,
// bool ones as 0 or 1).
template <class T>
struct NetworkInputs {
  const T* init_params;  // (params, stride); each hyperparameter (stride)
#define MANYNETS_INPUT_COLUMN(name, type, default_value) const in_number_type_t<stored_t<type>, T>* name;
  MANYNETS_HYPERPARAMETERS(MANYNETS_INPUT_COLUMN)
#undef MANYNETS_INPUT_COLUMN
};

// Per-network results.
template <class T>
struct NetworkOutputs {
  T* params;            // (params, stride): parameters when the network stopped
  T* loss;              // (stride)
  T* abs_error;         // (stride)
  std::int32_t* steps;  // (stride)
  Status* status;       // (stride)
  T* curve_loss;        // (curve_points, stride); unused when curve_every is 0
  T* curve_abs_error;   // (curve_points, stride)
};

// What one launch trains: networks 0 .. count-1 of the views, whose global ids
// start at first_id (a chunk of a larger batch has first_id = batch.first_id + offset,
// so its online-mode shuffles are those of the whole batch).
template <class T>
struct TrainView {
  NetworkInputs<T> in;
  NetworkOutputs<T> out;
  std::size_t count;   // networks in this launch
  std::size_t stride;  // distance between the rows of the SoA arrays (>= count)
  std::uint64_t seed;
  std::uint64_t first_id;
  std::int32_t curve_every;   // 0: no curve
  std::int32_t curve_points;  // slots per network in the curve arrays
  // The shape, which the general path (math::Mlp<0, 0, 0, T>) reads at run time.
  int inputs = 0, hidden = 0, outputs = 0;
};

// The dataset every network trains on: samples x I inputs and samples x O targets, row-major.
template <class T>
struct DatasetView {
  const T* xs;
  const T* ts;
  int samples;
};

// ---- what the networks of a launch share

// The optimizer and the activations of a launch's networks. A kernel body
// takes them as a Kind: AnyKind reads each network's own, FixedKind fixes them
// at compile time, so that a kernel compiled for it carries no code, optimizer
// state or branch for the others (on sm_90 the fused 2-2-2 kernel needs 56
// registers instead of 94, and the 4-8-3 one no longer spills). A launch may
// use FixedKind only when every network of it has that kind (launch_kind).
struct NetworkKind {
  Optimizer optimizer;
  Activation hidden, output;
};

struct AnyKind {
  template <class T>
  MANYNETS_HD static void fix(math::Hyper<T>&) {}
};

template <Optimizer Opt, Activation Hidden, Activation Output>
struct FixedKind {
  static constexpr NetworkKind kind{Opt, Hidden, Output};
  template <class T>
  MANYNETS_HD static void fix(math::Hyper<T>& hp) {
    hp.optimizer = Opt;
    hp.hidden_activation = Hidden;
    hp.output_activation = Output;
  }
};

// The kinds the fused kernels are compiled for, X(optimizer, hidden, output):
// each optimizer with sigmoid or tanh hidden units and sigmoid outputs. A
// launch of any other kind, or of mixed kinds, runs the AnyKind kernel.
#define MANYNETS_FOR_EACH_KIND(X) \
  X(sgd, sigmoid, sigmoid)        \
  X(momentum, sigmoid, sigmoid)   \
  X(adam, sigmoid, sigmoid)       \
  X(sgd, tanh, sigmoid)           \
  X(momentum, tanh, sigmoid)      \
  X(adam, tanh, sigmoid)

// ---- shared pieces of the fused and staged bodies

template <class Kind = AnyKind, class T>
MANYNETS_HD math::Hyper<T> load_hyper(const NetworkInputs<T>& in, std::size_t i) {
  math::Hyper<T> hp;
#define MANYNETS_LOAD_HYPERPARAMETER(name, type, default_value) \
  hp.name = static_cast<in_number_type_t<type, T>>(in.name[i]);
  MANYNETS_HYPERPARAMETERS(MANYNETS_LOAD_HYPERPARAMETER)
#undef MANYNETS_LOAD_HYPERPARAMETER
  Kind::fix(hp);  // the same values, known to the compiler
  return hp;
}

// The recorder math::train_network calls: slot t of network i at [t * stride + i].
template <class T>
struct CurveWriter {
  T* loss;
  T* abs_error;
  std::size_t stride;
  std::size_t i;

  MANYNETS_HD void operator()(std::int32_t slot, T l, T a) const {
    const std::size_t at = static_cast<std::size_t>(slot) * stride + i;
    loss[at] = l;
    abs_error[at] = a;
  }
};

// (The general network's shape is set before.)
template <int I, int H, int O, class T>
MANYNETS_HD void load_params(math::Mlp<I, H, O, T>& net, const T* params, std::size_t stride, std::size_t i) {
  const int count = net.n_params();
  MANYNETS_UNROLL
  for (int q = 0; q < count; ++q) net.p[q] = params[static_cast<std::size_t>(q) * stride + i];
}

template <int I, int H, int O, class T>
MANYNETS_HD void store_params(T* params, std::size_t stride, std::size_t i,
                              const math::Mlp<I, H, O, T>& net) {
  const int count = net.n_params();
  MANYNETS_UNROLL
  for (int q = 0; q < count; ++q) params[static_cast<std::size_t>(q) * stride + i] = net.p[q];
}

// Writes a stopped network's row of the results, and NaN into the curve slots
// after its last recorded one, so every element of the outputs is written by
// the body (no pre-filled buffers) and a slot it never reached reads "stopped".
template <int I, int H, int O, class T>
MANYNETS_HD void write_outcome(const TrainView<T>& v, std::size_t i, const math::Mlp<I, H, O, T>& net,
                               const math::Outcome<T>& outcome) {
  store_params(v.out.params, v.stride, i, net);
  v.out.loss[i] = outcome.loss;
  v.out.abs_error[i] = outcome.abs_error;
  v.out.steps[i] = outcome.steps;
  v.out.status[i] = outcome.status;
  if (v.curve_every > 0) {
    const T nan = static_cast<T>(NAN);
    for (std::int32_t t = outcome.steps / v.curve_every + 1; t < v.curve_points; ++t) {
      v.out.curve_loss[static_cast<std::size_t>(t) * v.stride + i] = nan;
      v.out.curve_abs_error[static_cast<std::size_t>(t) * v.stride + i] = nan;
    }
  }
}

// ---- the fused kernel: one network trained start to finish in registers

// Trains network i of the view (nothing when i >= count). I = H = O = 0 is the
// general path: the view's shape, at run time.
template <class Math, int I, int H, int O, class Kind = AnyKind, class T>
MANYNETS_HD void train_network_body(const TrainView<T>& v, const DatasetView<T>& data, std::size_t i) {
  using Net = math::Mlp<I, H, O, T>;
  if (i >= v.count) return;
  Net net;
  net.set_shape(v.inputs, v.hidden, v.outputs);
  load_params(net, v.in.init_params, v.stride, i);
  math::OptState<I, H, O, T> state;
  state.reset(net);
  const math::Hyper<T> hp = load_hyper<Kind>(v.in, i);
  const CurveWriter<T> record{v.out.curve_loss, v.out.curve_abs_error, v.stride, i};
  const math::Outcome<T> outcome = math::train_network<Math>(net, state, hp, data.xs, data.ts, data.samples,
                                                             v.seed, v.first_id + i, v.curve_every, record);
  write_outcome(v, i, net, outcome);
}

// The persistent (refill) loop: trains network `first`, then whichever network
// next() hands out, until next() returns an index >= count. On the device next()
// is an atomicAdd on a global work counter; the host tests hand indices out in
// any order. Each network's result depends only on its index, never on the
// thread or on what that thread trained before.
template <class Math, int I, int H, int O, class Kind = AnyKind, class T, class NextIndex>
MANYNETS_HD void train_networks_from(const TrainView<T>& v, const DatasetView<T>& data, std::size_t first,
                                     NextIndex&& next) {
  for (std::size_t i = first; i < v.count; i = next()) train_network_body<Math, I, H, O, Kind>(v, data, i);
}

// ---- the tiled fused kernel: a block walks a large dataset in shared-memory tiles

// When the dataset does not fit in shared memory, the threads of a block train
// in lockstep rounds, one training step of each thread's network per round.
// A round walks the dataset in tiles: every thread of the block, trained out or
// not, helps copy the tile into shared memory, then each thread still training
// adds the tile's samples to its step's sums. After the last tile each thread
// finishes its step as math::train_network does (curve slot, stop test,
// update), and a thread whose network stopped takes its next one for the next
// round. Every full-batch step walks the samples in the same order, so networks
// at different steps share a block, and each result is bit for bit what
// train_network_body gives: the same math.hpp operations in the same order.

// One tile of samples in shared memory: capacity x I inputs, then capacity x O targets.
template <class T>
struct TileView {
  T* xs;
  T* ts;
  int capacity;  // samples
};

// Floats a tile of `capacity` samples takes.
template <int I, int O>
MANYNETS_HD constexpr int tile_floats(int capacity) {
  return capacity * (I + O);
}

// The tile at `buffer`, which holds tile_floats<I, O>(capacity) values.
template <int I, int O, class T>
MANYNETS_HD TileView<T> tile_view(T* buffer, int capacity) {
  return {buffer, buffer + capacity * I, capacity};
}

// Thread `thread` of `threads`' share of copying samples first .. first+count-1
// into the tile: every threads-th value, so consecutive threads copy
// consecutive addresses.
template <int I, int O, class T>
MANYNETS_HD void load_tile_part(const TileView<T>& tile, const DatasetView<T>& data, int first, int count,
                                int thread, int threads) {
  const T* xs = data.xs + static_cast<std::size_t>(first) * I;
  const T* ts = data.ts + static_cast<std::size_t>(first) * O;
  for (int k = thread; k < count * I; k += threads) tile.xs[k] = xs[k];
  for (int k = thread; k < count * O; k += threads) tile.ts[k] = ts[k];
}

// What one thread of the tiled loop keeps between rounds: its network, the
// state of its training, and the sums of the step in progress.
template <int I, int H, int O, class T>
struct TiledNetwork {
  std::size_t i;  // the network; >= count: this thread has none left
  math::Mlp<I, H, O, T> net;
  math::Mlp<I, H, O, T> grad;  // the step's gradient (full-batch steps)
  math::OptState<I, H, O, T> state;
  math::Hyper<T> hp;
  math::Eval<T> sum;  // the step's loss and abs error sums over the samples so far
  std::int32_t step;
  bool online;  // math::train_network's `online` and `fused` for this network
  bool fused;
};

template <int I, int H, int O, class T>
MANYNETS_HD bool tiled_training(const TiledNetwork<I, H, O, T>& w, const TrainView<T>& v) {
  return w.i < v.count;
}

// Starts network i at step 0 (nothing when i >= count).
template <class Kind = AnyKind, int I, int H, int O, class T>
MANYNETS_HD void tiled_take(TiledNetwork<I, H, O, T>& w, const TrainView<T>& v, int samples, std::size_t i) {
  w.i = i;
  if (i >= v.count) return;
  load_params(w.net, v.in.init_params, v.stride, i);
  math::set_zero(w.grad);
  w.state.reset();
  w.hp = load_hyper<Kind>(v.in, i);
  w.step = 0;
  w.online = w.hp.mode == Mode::online && samples > 1;
  w.fused = math::fuses_sgd_step(w.hp, samples);
}

// Opens the round's step: empty sums (and gradient, when the step has one over the samples).
template <int I, int H, int O, class T>
MANYNETS_HD void tiled_begin_step(TiledNetwork<I, H, O, T>& w, const TrainView<T>& v) {
  if (!tiled_training(w, v)) return;
  w.sum = {T(0), T(0)};
  if (!w.online && !w.fused) math::set_zero(w.grad);
}

// Adds the tile's `count` samples to the step: loss and abs error in online
// mode (train_network's evaluate), loss, abs error and gradient in full mode
// (its loss_and_gradient); a fused one-sample step reads no tile.
template <class Math, int I, int H, int O, class T>
MANYNETS_HD void tiled_accumulate(TiledNetwork<I, H, O, T>& w, const TrainView<T>& v, const TileView<T>& tile,
                                  int count, int samples) {
  if (!tiled_training(w, v)) return;
  const Activation f = w.hp.hidden_activation, g = w.hp.output_activation;
  if (w.online) {
    math::accumulate_eval<Math>(w.net, tile.xs, tile.ts, count, f, g, w.sum);
  } else if (!w.fused) {
    math::accumulate_loss_and_gradient<Math>(w.net, tile.xs, tile.ts, count, f, g,
                                             math::mean_weight<T>(samples), w.sum, w.grad);
  }
}

// Closes the step once every tile is in, as math::train_network closes it: the
// online sample's gradient (read from `data`), the curve slot, the stop test and
// the update. A network that stops writes its results and the thread takes
// next(), to start at the next round.
template <class Math, class Kind = AnyKind, int I, int H, int O, class T, class NextIndex>
MANYNETS_HD void tiled_finish_step(TiledNetwork<I, H, O, T>& w, const TrainView<T>& v,
                                   const DatasetView<T>& data, NextIndex&& next) {
  if (!tiled_training(w, v)) return;
  const Activation f = w.hp.hidden_activation, g = w.hp.output_activation;
  math::Eval<T> e;
  T h[H] = {}, o[O] = {};
  const T* x = data.xs;
  const T* t = data.ts;
  if (w.online) {
    e = math::mean_of(w.sum, math::mean_weight<T>(data.samples));
    const int s = math::online_sample(v.seed, v.first_id + w.i, w.step, data.samples);
    x = data.xs + static_cast<std::size_t>(s) * I;
    t = data.ts + static_cast<std::size_t>(s) * O;
    if (w.fused) {
      math::forward<Math>(w.net, x, f, g, h, o);
    } else {
      math::loss_and_gradient<Math>(w.net, x, t, 1, f, g, w.grad);
    }
  } else if (w.fused) {
    math::forward<Math>(w.net, x, f, g, h, o);
    e = math::sample_eval(o, t, O);
  } else {
    e = math::mean_of(w.sum, math::mean_weight<T>(data.samples));
  }
  if (v.curve_every > 0 && w.step % v.curve_every == 0)
    CurveWriter<T>{v.out.curve_loss, v.out.curve_abs_error, v.stride, w.i}(w.step / v.curve_every, e.loss,
                                                                           e.abs_error);
  Status status;
  if (math::stops_at(w.net, e, w.hp.target_loss, w.hp.max_steps, w.step, status)) {
    write_outcome(v, w.i, w.net, math::Outcome<T>{e.loss, e.abs_error, w.step, status});
    tiled_take<Kind>(w, v, data.samples, next());
    return;
  }
  if (w.fused) {
    math::sgd_backward_update(w.net, x, t, h, o, f, g, w.hp.learning_rate, w.hp.train_biases);
  } else {
    math::update<Math>(w.net, w.grad, w.state, w.hp);
  }
  ++w.step;
}

// The block loop of the tiled kernel, written once for the device and for the
// host tests. Block supplies the phases: on the device each thread runs this
// loop and a phase acts on the calling thread (sync is __syncthreads,
// any_training __syncthreads_or); a host emulation runs each phase for every
// thread of the block in turn. Every thread runs the same rounds and tiles,
// trained out or not, so every thread reaches every barrier.
template <class Block>
MANYNETS_HD void run_tiled_block(Block& block, int samples, int tile_capacity) {
  block.start();  // each thread takes its first network
  while (block.any_training()) {
    block.begin_step();
    for (int first = 0; first < samples; first += tile_capacity) {
      const int count = samples - first < tile_capacity ? samples - first : tile_capacity;
      block.sync();  // every thread is done with the previous tile
      block.load_tile(first, count);
      block.sync();  // the tile is complete
      block.accumulate(count);
    }
    block.finish_step();  // a thread whose network stopped takes its next one
  }
}

// ---- the staged kernels: forward, backward and update as separate passes per step

// What the staged kernels keep in device memory between passes.
template <class T>
struct StagedWorkspace {
  T* params;               // (params, stride): the parameters after `step` updates
  T* grad;                 // (params, stride): this step's gradient
  T* moment1;              // (params, stride): momentum's velocity or Adam's first moment
  T* moment2;              // (params, stride): Adam's second moment
  T* beta_powers;          // (2, stride): Adam's beta1^t and beta2^t
  T* hidden;               // (samples * H, stride): h of every sample at this step
  T* output;               // (samples * O, stride): o of every sample at this step
  std::uint8_t* training;  // (stride): 1 while the network trains, 0 once it stopped
};

// The network of view v in each staged body: I = H = O = 0 is the general path,
// whose shape the view gives at run time (set_shape does nothing for the others).
template <int I, int H, int O, class T>
MANYNETS_HD void shape_from_view(math::Mlp<I, H, O, T>& net, const TrainView<T>& v) {
  net.set_shape(v.inputs, v.hidden, v.outputs);
}

// Parameters per network of view v.
template <int I, int H, int O, class T>
MANYNETS_HD int params_of(const TrainView<T>& v) {
  if constexpr (I == math::kRuntime) {
    return v.hidden * v.inputs + v.outputs * v.hidden + v.hidden + v.outputs;
  } else {
    return math::Mlp<I, H, O, T>::num_params;
  }
}

// Step "-1": the initial parameters, a fresh optimizer state, every network training.
template <int I, int H, int O, class T>
MANYNETS_HD void staged_start_body(const TrainView<T>& v, const StagedWorkspace<T>& ws, std::size_t i) {
  if (i >= v.count) return;
  const int count = params_of<I, H, O>(v);
  for (int q = 0; q < count; ++q) {
    const std::size_t at = static_cast<std::size_t>(q) * v.stride + i;
    ws.params[at] = v.in.init_params[at];
    ws.grad[at] = T(0);
    ws.moment1[at] = T(0);
    ws.moment2[at] = T(0);
  }
  ws.beta_powers[i] = T(1);
  ws.beta_powers[v.stride + i] = T(1);
  ws.training[i] = 1;
}

// Forward pass of step `step` over every sample (h and o kept for the backward
// pass), the loss of the parameters after `step` updates, its curve slot, and
// the stop decision of math::train_network in the same order: diverged (loss or
// a parameter not finite), converged (loss <= target), max_steps (step == max).
template <class Math, int I, int H, int O, class T>
MANYNETS_HD void staged_forward_body(const TrainView<T>& v, const StagedWorkspace<T>& ws,
                                     const DatasetView<T>& data, std::int32_t step, std::size_t i) {
  using Net = math::Mlp<I, H, O, T>;
  if (i >= v.count || ws.training[i] == 0) return;
  Net net;
  shape_from_view(net, v);
  load_params(net, ws.params, v.stride, i);
  const int inputs = net.n_inputs(), hidden = net.n_hidden(), outputs = net.n_outputs();
  const Activation f = v.in.hidden_activation[i];
  const Activation g = v.in.output_activation[i];
  math::Eval<T> sum{T(0), T(0)};
  for (int s = 0; s < data.samples; ++s) {
    T h[Net::max_hidden], o[Net::max_outputs];
    math::forward<Math>(net, data.xs + s * inputs, f, g, h, o);
    const math::Eval<T> e = math::sample_eval(o, data.ts + s * outputs, outputs);
    sum.loss += e.loss;
    sum.abs_error += e.abs_error;
    MANYNETS_UNROLL
    for (int j = 0; j < hidden; ++j)
      ws.hidden[static_cast<std::size_t>(s * hidden + j) * v.stride + i] = h[j];
    MANYNETS_UNROLL
    for (int k = 0; k < outputs; ++k)
      ws.output[static_cast<std::size_t>(s * outputs + k) * v.stride + i] = o[k];
  }
  const T scale = data.samples > 0 ? T(1) / T(data.samples) : T(0);
  const math::Eval<T> e{sum.loss * scale, sum.abs_error * scale};
  if (v.curve_every > 0 && step % v.curve_every == 0)
    CurveWriter<T>{v.out.curve_loss, v.out.curve_abs_error, v.stride, i}(step / v.curve_every, e.loss,
                                                                         e.abs_error);
  Status status;
  if (!math::stops_at(net, e, v.in.target_loss[i], v.in.max_steps[i], step, status)) return;
  ws.training[i] = 0;
  write_outcome(v, i, net, math::Outcome<T>{e.loss, e.abs_error, step, status});
}

// Backward pass of step `step`: the mean gradient over every sample (full mode)
// or the gradient of the step's one sample (online mode), from the stored h and o.
template <int I, int H, int O, class T>
MANYNETS_HD void staged_backward_body(const TrainView<T>& v, const StagedWorkspace<T>& ws,
                                      const DatasetView<T>& data, std::int32_t step, std::size_t i) {
  using Net = math::Mlp<I, H, O, T>;
  if (i >= v.count || ws.training[i] == 0) return;
  Net net, grad;
  shape_from_view(net, v);
  shape_from_view(grad, v);
  load_params(net, ws.params, v.stride, i);
  math::set_zero(grad);
  const int inputs = net.n_inputs(), hidden = net.n_hidden(), outputs = net.n_outputs();
  const Activation f = v.in.hidden_activation[i];
  const Activation g = v.in.output_activation[i];
  const bool online = v.in.mode[i] == Mode::online && data.samples > 1;
  const int first = online ? math::online_sample(v.seed, v.first_id + i, step, data.samples) : 0;
  const int last = online ? first + 1 : data.samples;
  const T weight = online ? T(1) : (data.samples > 0 ? T(1) / T(data.samples) : T(0));
  for (int s = first; s < last; ++s) {
    T h[Net::max_hidden], o[Net::max_outputs];
    MANYNETS_UNROLL
    for (int j = 0; j < hidden; ++j)
      h[j] = ws.hidden[static_cast<std::size_t>(s * hidden + j) * v.stride + i];
    MANYNETS_UNROLL
    for (int k = 0; k < outputs; ++k)
      o[k] = ws.output[static_cast<std::size_t>(s * outputs + k) * v.stride + i];
    math::backward(net, data.xs + s * inputs, data.ts + s * outputs, h, o, f, g, weight, grad);
  }
  store_params(ws.grad, v.stride, i, grad);
}

// The optimizer update that ends step `step`; it reads and writes only the
// optimizer state its optimizer uses.
template <class Math, int I, int H, int O, class T>
MANYNETS_HD void staged_update_body(const TrainView<T>& v, const StagedWorkspace<T>& ws, std::size_t i) {
  using Net = math::Mlp<I, H, O, T>;
  if (i >= v.count || ws.training[i] == 0) return;
  Net net, grad;
  shape_from_view(net, v);
  shape_from_view(grad, v);
  load_params(net, ws.params, v.stride, i);
  load_params(grad, ws.grad, v.stride, i);
  const int count = net.n_params();
  const math::Hyper<T> hp = load_hyper(v.in, i);
  const bool uses_m = hp.optimizer != Optimizer::sgd;
  const bool uses_v = hp.optimizer == Optimizer::adam;
  math::OptState<I, H, O, T> state;
  state.reset(net);
  if (uses_m) {
    for (int q = 0; q < count; ++q) state.m[q] = ws.moment1[static_cast<std::size_t>(q) * v.stride + i];
  }
  if (uses_v) {
    for (int q = 0; q < count; ++q) state.v[q] = ws.moment2[static_cast<std::size_t>(q) * v.stride + i];
    state.beta1_power = ws.beta_powers[i];
    state.beta2_power = ws.beta_powers[v.stride + i];
  }
  math::update<Math>(net, grad, state, hp);
  store_params(ws.params, v.stride, i, net);
  if (uses_m) {
    for (int q = 0; q < count; ++q) ws.moment1[static_cast<std::size_t>(q) * v.stride + i] = state.m[q];
  }
  if (uses_v) {
    for (int q = 0; q < count; ++q) ws.moment2[static_cast<std::size_t>(q) * v.stride + i] = state.v[q];
    ws.beta_powers[i] = state.beta1_power;
    ws.beta_powers[v.stride + i] = state.beta2_power;
  }
}

}  // namespace kernels
}  // namespace manynets

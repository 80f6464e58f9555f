// The cpu backend: math.hpp's training math instantiated on simd::Pack<K>
// (K xsimd float vectors, one network per lane). Networks are grouped by what a
// block must share (activations, optimizer, mode, trained biases) and trained a
// block at a time: parameters stay in registers for every step, stopped lanes
// are frozen by masks, and a block ends when all its lanes have stopped. Blocks
// are handed out to worker threads; chunks of the batch bound the scratch memory.
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <thread>
#include <vector>

#include "manynets/cpu.hpp"
#include "manynets/error.hpp"
#include "manynets/math.hpp"
#include "manynets/shapes.hpp"
#include "simd_math.hpp"

namespace manynets {
namespace cpu {
namespace {

// Vectors in flight per thread: enough independent dependency chains to hide
// exp and division latency (see docs/perf.md for the measurement that chose it).
constexpr int kVectors = MANYNETS_CPU_VECTORS;
using P = simd::Pack<kVectors>;
constexpr int kLanes = P::lanes;

// ---- grouping networks into uniform blocks

// What every network of a block shares; the rest (learning rate, momentum, Adam
// constants, target loss, step budget, parameters) varies lane by lane.
struct Kind {
  Activation hidden;
  Activation output;
  Optimizer optimizer;
  bool online;
  bool train_biases;
};

constexpr int kNumKinds = 4 * 4 * 3 * 2 * 2;

constexpr int kind_key(const Kind& k) {
  return (((static_cast<int>(k.hidden) * 4 + static_cast<int>(k.output)) * 3 +
           static_cast<int>(k.optimizer)) *
              2 +
          (k.online ? 1 : 0)) *
             2 +
         (k.train_biases ? 1 : 0);
}

constexpr Kind kind_of_key(int key) {
  return Kind{static_cast<Activation>(key / 48), static_cast<Activation>(key / 12 % 4),
              static_cast<Optimizer>(key / 4 % 3), key / 2 % 2 == 1, key % 2 == 1};
}

// Kinds compiled with their choices as constants (the worked example's sweep and
// its trained-bias variant); every other kind runs the generic block, which reads
// them at run time.
constexpr int kSeedKey = kind_key({Activation::sigmoid, Activation::sigmoid, Optimizer::sgd, false, false});
constexpr int kSeedBiasKey =
    kind_key({Activation::sigmoid, Activation::sigmoid, Optimizer::sgd, false, true});
constexpr int kGenericKey = -1;

// ---- one block

// Everything a block reads or writes besides its own lanes.
struct Context {
  const Batch* batch;
  Results* results;
  std::vector<float> xs;  // (samples, inputs)
  std::vector<float> ts;  // (samples, outputs)
  int samples;
};

// Trains `count` <= kLanes networks (batch indices ids[0..count)) of one kind.
// Lanes past `count` copy the last network and are inactive from the start.
// FusedSgd: the kind's steps are plain gradient descent on one sample's gradient
// (math::fuses_sgd_step), applied by math::sgd_backward_update.
template <class Math, int I, int H, int O, int FixedKey, bool FusedSgd>
void train_block(const Context& c, const Kind& runtime_kind, const std::uint32_t* ids, int count) {
  using Net = math::Mlp<I, H, O, P>;
  constexpr int kParams = Net::num_params;
  const Kind kind = FixedKey >= 0 ? kind_of_key(FixedKey) : runtime_kind;
  const Batch& b = *c.batch;
  Results& r = *c.results;
  const std::size_t n = b.size();
  std::array<std::size_t, kLanes> id;
  for (int l = 0; l < kLanes; ++l) id[l] = ids[std::min(l, count - 1)];

  alignas(64) float buf[kLanes];
  auto gather = [&](const auto& values) {
    for (int l = 0; l < kLanes; ++l) buf[l] = static_cast<float>(values[id[l]]);
    return P::load(buf);
  };

  Net net;
  for (int q = 0; q < kParams; ++q) {
    for (int l = 0; l < kLanes; ++l) buf[l] = static_cast<float>(b.init_params[q * n + id[l]]);
    net.p[q] = P::load(buf);
  }
  math::OptState<I, H, O, P> state;
  state.reset();
  math::Hyper<P> hp{gather(b.learning_rate),
                    gather(b.momentum),
                    gather(b.adam_beta1),
                    gather(b.adam_beta2),
                    gather(b.adam_epsilon),
                    gather(b.target_loss),
                    0,
                    kind.optimizer,
                    kind.hidden,
                    kind.output,
                    kind.online ? Mode::online : Mode::full,
                    kind.train_biases};
  const Activation f = kind.hidden, g = kind.output;

  // Per-lane bookkeeping; `active` mirrors active_lane for the vector tests.
  std::array<std::int32_t, kLanes> max_steps;
  alignas(64) float active_lane[kLanes];
  for (int l = 0; l < kLanes; ++l) {
    max_steps[l] = b.max_steps[id[l]];
    active_lane[l] = l < count ? 1.0f : 0.0f;
  }
  simd::Mask<kVectors> active = P::load(active_lane) > P(0.0f);
  bool all_active = count == kLanes;
  auto earliest_budget = [&] {
    std::int32_t m = max_allowed_steps;
    for (int l = 0; l < kLanes; ++l)
      if (active_lane[l] != 0.0f) m = std::min(m, max_steps[l]);
    return m;
  };
  std::int32_t next_budget_end = earliest_budget();

  // The dataset as broadcast vectors (full mode), and one sample per lane (online).
  std::vector<P> xs(c.xs.begin(), c.xs.end()), ts(c.ts.begin(), c.ts.end());
  P x_lane[I], t_lane[O];
  const std::int32_t curve_every = b.curve_every;

  Net grad;
  for (std::int32_t step = 0;; ++step) {
    math::Eval<P> e;
    // The step's sample and, when fused, its forward pass, kept for the update.
    P h[H], o[O];
    const P* x = xs.data();
    const P* t = ts.data();
    if (kind.online) {
      e = math::evaluate<Math>(net, xs.data(), ts.data(), c.samples, f, g);
      std::array<int, kLanes> sample;
      for (int l = 0; l < kLanes; ++l)
        sample[l] =
            active_lane[l] != 0.0f ? math::online_sample(b.seed, b.first_id + id[l], step, c.samples) : 0;
      for (int i = 0; i < I; ++i) {
        for (int l = 0; l < kLanes; ++l) buf[l] = c.xs[static_cast<std::size_t>(sample[l]) * I + i];
        x_lane[i] = P::load(buf);
      }
      for (int k = 0; k < O; ++k) {
        for (int l = 0; l < kLanes; ++l) buf[l] = c.ts[static_cast<std::size_t>(sample[l]) * O + k];
        t_lane[k] = P::load(buf);
      }
      x = x_lane;
      t = t_lane;
      if constexpr (FusedSgd) {
        math::forward<Math>(net, x, f, g, h, o);
      } else {
        math::loss_and_gradient<Math>(net, x, t, 1, f, g, grad);
      }
    } else if constexpr (FusedSgd) {
      math::forward<Math>(net, x, f, g, h, o);
      e = math::sample_eval<O>(o, t);
    } else {
      e = math::loss_and_gradient<Math>(net, x, t, c.samples, f, g, grad);
    }

    if (curve_every > 0 && step % curve_every == 0) {
      alignas(64) float loss[kLanes], abs_error[kLanes];
      e.loss.store(loss);
      e.abs_error.store(abs_error);
      const std::size_t slot = static_cast<std::size_t>(step / curve_every) * n;
      for (int l = 0; l < kLanes; ++l) {
        if (active_lane[l] == 0.0f) continue;
        r.curve_loss[slot + id[l]] = loss[l];
        r.curve_abs_error[slot + id[l]] = abs_error[l];
      }
    }

    // The stopping rule of math::train_network, lane by lane: diverged, then
    // converged, then out of steps. Lanes that stop write their results here.
    const P probe = math::divergence_probe(net, e.loss);
    const simd::Mask<kVectors> stopping = (!simd::is_finite(probe) | (e.loss <= hp.target_loss)) & active;
    if (simd::any(stopping) || step >= next_budget_end) {
      alignas(64) float loss[kLanes], abs_error[kLanes], probe_lane[kLanes], target[kLanes];
      alignas(64) float params[kParams][kLanes];
      e.loss.store(loss);
      e.abs_error.store(abs_error);
      probe.store(probe_lane);
      hp.target_loss.store(target);
      for (int q = 0; q < kParams; ++q) net.p[q].store(params[q]);
      for (int l = 0; l < kLanes; ++l) {
        if (active_lane[l] == 0.0f) continue;
        Status status;
        if (!std::isfinite(probe_lane[l])) {
          status = Status::diverged;
        } else if (loss[l] <= target[l]) {
          status = Status::converged;
        } else if (step >= max_steps[l]) {
          status = Status::max_steps;
        } else {
          continue;
        }
        const std::size_t i = id[l];
        for (int q = 0; q < kParams; ++q) r.params[q * n + i] = params[q][l];
        r.loss[i] = loss[l];
        r.abs_error[i] = abs_error[l];
        r.steps[i] = step;
        r.status[i] = status;
        active_lane[l] = 0.0f;
      }
      active = P::load(active_lane) > P(0.0f);
      all_active = false;
      next_budget_end = earliest_budget();
      if (!simd::any(active)) return;
    }

    if (all_active) {
      if constexpr (FusedSgd) {
        math::sgd_backward_update(net, x, t, h, o, f, g, hp.learning_rate, kind.train_biases);
      } else {
        math::update<Math>(net, grad, state, hp);
      }
    } else {
      // Stopped lanes keep their parameters and state, so whatever they held
      // (a diverged lane's NaN) cannot slow or disturb the lanes still training.
      const Net before = net;
      const math::OptState<I, H, O, P> state_before = state;
      if constexpr (FusedSgd) {
        math::sgd_backward_update(net, x, t, h, o, f, g, hp.learning_rate, kind.train_biases);
      } else {
        math::update<Math>(net, grad, state, hp);
      }
      for (int q = 0; q < kParams; ++q) {
        net.p[q] = simd::select(active, net.p[q], before.p[q]);
        state.m[q] = simd::select(active, state.m[q], state_before.m[q]);
        state.v[q] = simd::select(active, state.v[q], state_before.v[q]);
      }
      state.beta1_power = simd::select(active, state.beta1_power, state_before.beta1_power);
      state.beta2_power = simd::select(active, state.beta2_power, state_before.beta2_power);
    }
  }
}

// ---- chunks, threads and dispatch

using BlockFn = void (*)(const Context&, const Kind&, const std::uint32_t*, int);

// The block function of a kind on a dataset of `samples` samples.
template <class Math, int I, int H, int O>
BlockFn block_function(int key, int samples) {
  const Kind k = kind_of_key(key);
  // The same choice as math::fuses_sgd_step (k.online already means samples > 1).
  const bool fused = k.optimizer == Optimizer::sgd && (samples == 1 || k.online);
  if (key == kSeedKey)
    return fused ? &train_block<Math, I, H, O, kSeedKey, true> : &train_block<Math, I, H, O, kSeedKey, false>;
  if (key == kSeedBiasKey)
    return fused ? &train_block<Math, I, H, O, kSeedBiasKey, true>
                 : &train_block<Math, I, H, O, kSeedBiasKey, false>;
  return fused ? &train_block<Math, I, H, O, kGenericKey, true> : &train_block<Math, I, H, O, kGenericKey, false>;
}

struct Block {
  int key;
  std::size_t offset;  // into the chunk's grouped ids
  int count;
};

class CpuBackend : public Backend {
 public:
  CpuBackend(const BackendOptions& options, std::size_t chunk_networks)
      : threads_(options.threads), chunk_(std::max<std::size_t>(chunk_networks, 1)) {
    if (options.threads < 0)
      throw input_error("threads must be >= 0 (0 uses every core); got " + std::to_string(options.threads));
  }

  std::string name() const override { return "cpu"; }

  Results train(const Batch& batch, const Dataset& data) override {
    check_training_input(batch, data);
    require_backprop_rule(name(), batch);
    Results results;
    results.allocate(batch.shape(), batch.size(), batch.curve_every, batch.longest_run());
    results.backend = name();
    Context c{&batch, &results, std::vector<float>(data.x.begin(), data.x.end()),
              std::vector<float>(data.t.begin(), data.t.end()), static_cast<int>(data.samples())};
    const bool fast = batch.math_mode == MathMode::fast;
    std::array<BlockFn, kNumKinds> functions;
    dispatch_shape(batch.shape(), [&](auto tag) {
      using Tag = decltype(tag);
      for (int key = 0; key < kNumKinds; ++key) {
        functions[key] =
            fast ? block_function<simd::SimdFastMath, Tag::inputs, Tag::hidden, Tag::outputs>(key, c.samples)
                 : block_function<simd::SimdPreciseMath, Tag::inputs, Tag::hidden, Tag::outputs>(key, c.samples);
      }
      return 0;
    });
    for (std::size_t begin = 0; begin < batch.size(); begin += chunk_) {
      train_chunk(c, functions, begin, std::min(batch.size(), begin + chunk_));
    }
    return results;
  }

 private:
  void train_chunk(const Context& c, const std::array<BlockFn, kNumKinds>& functions, std::size_t begin,
                   std::size_t end) const {
    const Batch& b = *c.batch;
    // Group the chunk's networks by kind, keeping batch order within a kind.
    std::vector<std::uint8_t> keys(end - begin);
    std::array<std::size_t, kNumKinds + 1> start{};
    for (std::size_t i = begin; i < end; ++i) {
      const Kind k{b.hidden_activation[i], b.output_activation[i], b.optimizer[i],
                   b.mode[i] == Mode::online && c.samples > 1, b.train_biases[i] != 0};
      keys[i - begin] = static_cast<std::uint8_t>(kind_key(k));
      ++start[keys[i - begin] + 1];
    }
    for (int key = 0; key < kNumKinds; ++key) start[key + 1] += start[key];
    std::vector<std::uint32_t> ids(end - begin);
    std::array<std::size_t, kNumKinds> fill{};
    std::vector<Block> blocks;
    for (int key = 0; key < kNumKinds; ++key) {
      fill[key] = start[key];
      for (std::size_t o = start[key]; o < start[key + 1]; o += kLanes)
        blocks.push_back({key, o, static_cast<int>(std::min<std::size_t>(kLanes, start[key + 1] - o))});
    }
    for (std::size_t i = begin; i < end; ++i) ids[fill[keys[i - begin]]++] = static_cast<std::uint32_t>(i);
    // ids hold batch indices; a chunk never exceeds 2^32 networks.

    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    std::atomic<bool> failed{false};
    auto work = [&] {
      try {
        for (std::size_t k; !failed && (k = next.fetch_add(1)) < blocks.size();) {
          const Block& blk = blocks[k];
          functions[blk.key](c, kind_of_key(blk.key), ids.data() + blk.offset, blk.count);
        }
      } catch (...) {
        if (!failed.exchange(true)) failure = std::current_exception();
      }
    };
    const std::size_t workers = std::min<std::size_t>(thread_count(), blocks.size());
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
  }

  std::size_t thread_count() const {
    if (threads_ > 0) return static_cast<std::size_t>(threads_);
    return std::max(1u, std::thread::hardware_concurrency());
  }

  int threads_;
  std::size_t chunk_;
};

}  // namespace

int block_lanes() {
  return kLanes;
}
int vector_width() {
  return simd::vector_width;
}
std::string instruction_set() {
  return simd::instruction_set();
}

std::unique_ptr<Backend> make_backend(const BackendOptions& options, std::size_t chunk_networks) {
  return std::make_unique<CpuBackend>(options, chunk_networks);
}

}  // namespace cpu
}  // namespace manynets

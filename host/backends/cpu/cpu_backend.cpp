// The cpu backend: math.hpp's training math instantiated on simd::Pack<K>
// (K xsimd float vectors, one network per lane). Networks are grouped by what a
// block must share (activations, optimizer, mode, trained biases) into a queue
// per kind, and trained a block at a time: parameters stay in registers for
// every step, a lane whose network stops takes the queue's next network, lanes
// left without one are frozen by masks, and a block ends when all its lanes
// have stopped. Worker threads share the queues; chunks of the batch bound the
// scratch memory. A network's results do not depend on its block-mates.
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <thread>
#include <vector>

#include "host/backends/cpu/simd_math.hpp"
#include "manynets/cpu.hpp"
#include "manynets/detail/cpu_probe.hpp"
#include "manynets/detail/math.hpp"
#include "manynets/error.hpp"
#include "manynets/shapes.hpp"

namespace manynets {
namespace cpu {
namespace {

// Vectors in flight per thread: enough independent dependency chains to hide
// exp and division latency. The fused plain gradient descent step of the kinds
// compiled with their choices as constants (the worked example's) keeps no
// gradient or optimizer state, so it affords more (8 vectors: 128 networks per
// block with AVX-512); every other kind keeps kVectors. docs/perf.md has the
// measurements that chose both (docs/perf-log.md has the runs).
constexpr int kVectors = MANYNETS_CPU_VECTORS;
constexpr int kFusedVectors = MANYNETS_CPU_FUSED_VECTORS;
// Steps between the checkpoints a block rewinds to when it finds a lane that
// diverged since the last one (train_block).
constexpr std::int32_t kCheckEvery = 256;

// Keeps a step's pieces inline in the step loops, as MANYNETS_MATH_INLINE does
// for math.hpp: the parameters then stay in registers across them.
#if defined(__GNUC__)
#define MANYNETS_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define MANYNETS_ALWAYS_INLINE inline
#endif

// ---- grouping networks into uniform blocks

// What every network of a block shares; the rest (learning rate, momentum, Adam
// constants, weight decay, target loss, step budget, parameters) varies lane by
// lane. Whether a network decays its weights is shared, so that blocks without
// decay keep plain gradient descent's fused step.
struct Kind {
  Activation hidden;
  Activation output;
  Optimizer optimizer;
  bool online;
  bool train_biases;
  bool decays;
};

constexpr int kNumKinds = 4 * 4 * 3 * 2 * 2 * 2;

constexpr int kind_key(const Kind& k) {
  int key = static_cast<int>(k.hidden);
  key = key * 4 + static_cast<int>(k.output);
  key = key * 3 + static_cast<int>(k.optimizer);
  key = key * 2 + (k.online ? 1 : 0);
  key = key * 2 + (k.train_biases ? 1 : 0);
  return key * 2 + (k.decays ? 1 : 0);
}

constexpr Kind kind_of_key(int key) {
  return Kind{static_cast<Activation>(key / 96),
              static_cast<Activation>(key / 24 % 4),
              static_cast<Optimizer>(key / 8 % 3),
              key / 4 % 2 == 1,
              key / 2 % 2 == 1,
              key % 2 == 1};
}
static_assert(kind_key(kind_of_key(kNumKinds - 1)) == kNumKinds - 1, "kind keys round-trip");

// Kinds compiled with their choices as constants (the worked example's sweep and
// its trained-bias variant); every other kind runs the generic block, which reads
// them at run time.
constexpr int kSeedKey =
    kind_key({Activation::sigmoid, Activation::sigmoid, Optimizer::sgd, false, false, false});
constexpr int kSeedBiasKey =
    kind_key({Activation::sigmoid, Activation::sigmoid, Optimizer::sgd, false, true, false});
constexpr int kGenericKey = -1;

// ---- one block

// Lane l of a real hyperparameter; the others (codes, step budgets) are not kept
// lane by lane: the codes are the block's kind, the budgets train_block's own.
template <class P>
void set_lane_if_real(P& lanes, int l, double value) {
  simd::set_lane(lanes, l, static_cast<float>(value));
}
template <class C, class V>
void set_lane_if_real(C&, int, V) {}

// x, or the quiet NaN when x is a NaN. A diverged network's NaN has the sign
// and payload of whichever operand carried it into the step that made it, and
// the step's code (fused loop, masked loop, replay) and the order it gives
// operands depend on the block's other networks; written as the one NaN, the
// results keep the same bits whatever networks shared the block.
inline float one_nan(float x) {
  return x == x ? x : std::numeric_limits<float>::quiet_NaN();
}

// The dataset with every value broadcast to a Pack<K>, made once per run.
template <int K>
struct Broadcast {
  std::vector<simd::Pack<K>> xs, ts;
  Broadcast(const std::vector<float>& x, const std::vector<float>& t)
      : xs(x.begin(), x.end()), ts(t.begin(), t.end()) {}
};

const std::vector<float> kNoValues;

// Everything a block reads or writes besides its own lanes.
struct Context {
  Context(const Batch& b, Results& r, const Dataset& data)
      : batch(&b),
        results(&r),
        xs(data.x.begin(), data.x.end()),
        ts(data.t.begin(), data.t.end()),
        samples(static_cast<int>(data.samples())),
        general(xs, ts),
        fused(samples == 1 ? xs : kNoValues, samples == 1 ? ts : kNoValues) {}

  // The broadcast a block reads: `fused` for the fused kinds compiled as constants.
  template <bool FusedConstant>
  const auto& broadcast() const {
    if constexpr (FusedConstant) {
      return fused;
    } else {
      return general;
    }
  }

  const Batch* batch;
  Results* results;
  std::vector<float> xs;  // (samples, inputs)
  std::vector<float> ts;  // (samples, outputs)
  int samples;
  Broadcast<kVectors> general;
  // Read only by the fused kinds compiled as constants, which train in full
  // mode and so are fused only on a one-sample dataset; empty otherwise (a
  // large dataset broadcast to 8 vectors per value would be large).
  Broadcast<kFusedVectors> fused;
};

// Lane by lane, whether the loss alone stops a network: it is not finite or at
// most the target. The loss is never negative, so that is "not between the
// target and infinity".
template <int K>
simd::Mask<K> loss_stops(const simd::Pack<K>& loss, const simd::Pack<K>& target_loss) {
  return !((loss > target_loss) & (loss < simd::Pack<K>(std::numeric_limits<float>::infinity())));
}

// The steps between events of a block whose lanes are all active and that
// trains by the fused plain gradient descent step on a one-sample dataset: from
// `step` on, it applies update step + 1 until `event` or a step whose loss in
// some active lane is not finite or reaches its target, and returns that step,
// whose update it leaves to the caller. A function of its own so that g++ keeps
// its locals in registers. With at most two sigmoid or tanh outputs the loss
// needs no infinity test; stopped lanes train on at learning rate 0
// (docs/cpu-backend.md, "The fused loop's loss test").
template <class Math, int I, int H, int O, int K>
__attribute__((noinline)) std::int32_t fused_steps_until_event(
    math::Mlp<I, H, O, simd::Pack<K>>& net_io, const simd::Pack<K>* xs, const simd::Pack<K>* ts,
    simd::Pack<K> learning_rate, simd::Pack<K> target_loss, simd::Mask<K> active, Activation f, Activation g,
    bool train_biases, std::int32_t step, std::int32_t event) {
  using P = simd::Pack<K>;
  using Net = math::Mlp<I, H, O, P>;
  Net net = net_io;
  const int inputs = net.n_inputs(), outputs = net.n_outputs();
  P x[Net::max_inputs], t[Net::max_outputs];
  for (int i = 0; i < inputs; ++i) x[i] = xs[i];
  for (int k = 0; k < outputs; ++k) t[k] = ts[k];
  const bool loss_stays_finite = outputs <= 2 && (g == Activation::sigmoid || g == Activation::tanh);
  for (; step < event; ++step) {
    P h[Net::max_hidden], o[Net::max_outputs];
    math::forward<Math>(net, x, f, g, h, o);
    const P loss = math::sample_loss(o, t, outputs);
    if (loss_stays_finite ? simd::any((!(loss > target_loss)) & active)
                          : simd::any(loss_stops(loss, target_loss) & active))
      break;
    math::sgd_backward_update(net, x, t, h, o, f, g, learning_rate, train_biases);
  }
  net_io = net;
  return step;
}

// Vectors per block of a kind compiled with its choices as constants (or not),
// trained by the fused step (or not).
constexpr int block_vectors(int fixed_key, bool fused_sgd) {
  return fixed_key >= 0 && fused_sgd ? kFusedVectors : kVectors;
}

// The networks of one kind in a chunk (batch indices ids[0..size)), handed out
// to the blocks that train them a few at a time.
struct Queue {
  const std::uint32_t* ids = nullptr;
  std::size_t size = 0;
  std::atomic<std::size_t> next{0};
};

// Networks a block takes from its queue at a time: one vector's lanes, next to
// each other in the batch's arrays.
constexpr std::size_t kTake = static_cast<std::size_t>(simd::vector_width);
// A lane is refilled only up to this step, so that the block's step count stays
// below 2^31 with any network's budget (max_allowed_steps) ahead of it.
constexpr std::int32_t kLastRefillStep = std::numeric_limits<std::int32_t>::max() - max_allowed_steps - 1;

// Trains networks of one kind from `queue` until it is empty, kLanes at a time.
// A lane whose network stops takes the queue's next network at once (a refill);
// the full stop rule runs on event steps only, and a lane found diverged at an
// event sends the block back to its last checkpoint to replay the steps since,
// so the results are those of testing every step (docs/cpu-backend.md).
// FusedSgd: the kind's steps are plain gradient descent on one sample's
// gradient (math::fuses_sgd_step), applied by math::sgd_backward_update.
//
// A Block of a compiled shape lives on its thread's stack for one call of
// train_block; one of the general shape (I = H = O = 0), whose networks have
// room for the largest shape, on the heap. The pieces
// of a step are forced inline into the step loops, and the kind is a constant
// where the block is compiled for one (kind()), so that the compiler keeps the
// parameters in registers and folds the kind's choices.
template <class Math, int I, int H, int O, int FixedKey, bool FusedSgd>
class Block {
  static constexpr bool kFusedConstant = FixedKey >= 0 && FusedSgd;
  static constexpr int K = block_vectors(FixedKey, FusedSgd);
  using P = simd::Pack<K>;
  static constexpr int kLanes = P::lanes;
  using Net = math::Mlp<I, H, O, P>;
  using State = math::OptState<I, H, O, P>;

  // The step's sample and, when fused, its forward pass, kept for the update.
  struct StepData {
    math::Eval<P> e;
    P h[Net::max_hidden], o[Net::max_outputs];
    const P* x;
    const P* t;
  };

 public:
  Block(const Context& c, const Kind& runtime_kind, Queue& queue)
      : c_(c),
        b_(*c.batch),
        r_(*c.results),
        n_(b_.size()),
        curve_every_(b_.curve_every),
        runtime_kind_(runtime_kind),
        queue_(queue),
        xs_(c.broadcast<kFusedConstant>().xs),
        ts_(c.broadcast<kFusedConstant>().ts) {
    hp_.optimizer = kind().optimizer;
    hp_.hidden_activation = kind().hidden;
    hp_.output_activation = kind().output;
    hp_.mode = kind().online ? Mode::online : Mode::full;
    hp_.train_biases = kind().train_biases;
    const Shape shape = b_.shape();
    net_.set_shape(shape.inputs, shape.hidden, shape.outputs);
    grad_.shape_like(net_);
    state_.reset(net_);
    saved_net_ = net_;
    saved_state_ = state_;
  }

  void train() {
    while (start_block()) {
      saved_net_ = net_;
      saved_state_ = state_;
      saved_step_ = 0;
      replay_end_ = -1;
      last_checked_ = -1;
      furthest_ = 0;
      event_ = 0;
      refilled_at_ = -1;
      next_budget_end_ = earliest_budget();
      step_ = 0;
      while (simd::any(active_)) {
        if (simd::all(active_)) {
          run_steps<true>();
        } else {
          run_steps<false>();
        }
      }
    }
  }

 private:
  // The kind, a constant where the block is compiled for one, and its activations.
  Kind kind() const {
    if constexpr (FixedKey >= 0) {
      return kind_of_key(FixedKey);
    } else {
      return runtime_kind_;
    }
  }
  Activation f() const { return kind().hidden; }
  Activation g() const { return kind().output; }
  // The network's sizes: constants in a compiled shape.
  int param_count() const { return net_.n_params(); }
  int input_count() const { return net_.n_inputs(); }
  int output_count() const { return net_.n_outputs(); }

  // ---- the lanes and the queue

  // Takes the queue's next network into i; false once the queue is empty.
  bool take(std::size_t& i) {
    if (taken_ == taken_end_) {
      if (drained_) return false;
      const std::size_t first = queue_.next.fetch_add(kTake);
      drained_ = first >= queue_.size;
      if (drained_) return false;
      taken_ = first;
      taken_end_ = std::min(first + kTake, queue_.size);
    }
    i = queue_.ids[taken_++];
    return true;
  }
  bool queue_left() const { return taken_ < taken_end_ || !drained_; }

  // Lane l takes network i at block step `step`.
  void refill(int l, std::size_t i, std::int32_t step) {
    id_[l] = i;
    const int params = param_count();
    for (int q = 0; q < params; ++q)
      simd::set_lane(net_.p[q], l, static_cast<float>(b_.init_params[q * n_ + i]));
    if constexpr (!FusedSgd) {
      for (int q = 0; q < params; ++q) {
        simd::set_lane(state_.m[q], l, 0.0f);
        simd::set_lane(state_.v[q], l, 0.0f);
      }
      simd::set_lane(state_.beta1_power, l, 1.0f);
      simd::set_lane(state_.beta2_power, l, 1.0f);
    }
#define MANYNETS_SET_LANE(name, type, default_value) set_lane_if_real(hp_.name, l, b_.name[i]);
    MANYNETS_HYPERPARAMETERS(MANYNETS_SET_LANE)
#undef MANYNETS_SET_LANE
    max_steps_[l] = b_.max_steps[i];
    start_[l] = step;
    active_lane_[l] = 1.0f;
  }

  // A new block: its first networks, each in a lane as a refill at step 0.
  bool start_block() {
    int count = 0;
    for (std::size_t i; count < kLanes && take(i); ++count) refill(count, i, 0);
    if (count == 0) return false;
    for (int l = count; l < kLanes; ++l) {
      refill(l, id_[count - 1], 0);
      active_lane_[l] = 0.0f;
    }
    active_ = P::load(active_lane_) > P(0.0f);
    return true;
  }

  std::int32_t earliest_budget() const {
    std::int32_t m = std::numeric_limits<std::int32_t>::max();
    for (int l = 0; l < kLanes; ++l)
      if (active_lane_[l] != 0.0f) m = std::min(m, start_[l] + max_steps_[l]);
    return m;
  }

  // ---- one step

  std::int32_t next_event(std::int32_t step) const {
    if (step < replay_end_) return step + 1;
    std::int64_t next =
        std::min<std::int64_t>(next_budget_end_, (step / kCheckEvery + 1) * std::int64_t{kCheckEvery});
    if (curve_every_ > 0)
      next = std::min<std::int64_t>(next, (step / curve_every_ + 1) * std::int64_t{curve_every_});
    return static_cast<std::int32_t>(next);
  }

  // Evaluates the parameters after `step` updates; the abs error is left for
  // events when it costs a computation of its own.
  MANYNETS_ALWAYS_INLINE void evaluate_step(std::int32_t step, StepData& d) {
    d.x = xs_.data();
    d.t = ts_.data();
    if (kind().online) {
      d.e = math::evaluate<Math>(net_, xs_.data(), ts_.data(), c_.samples, f(), g());
      std::array<int, kLanes> sample;
      for (int l = 0; l < kLanes; ++l)
        sample[l] = active_lane_[l] != 0.0f
                        ? math::online_sample(b_.seed, b_.first_id + id_[l], step - start_[l], c_.samples)
                        : 0;
      const int inputs = input_count(), outputs = output_count();
      for (int i = 0; i < inputs; ++i) {
        for (int l = 0; l < kLanes; ++l) buf_[l] = c_.xs[static_cast<std::size_t>(sample[l]) * inputs + i];
        x_lane_[i] = P::load(buf_);
      }
      for (int k = 0; k < outputs; ++k) {
        for (int l = 0; l < kLanes; ++l) buf_[l] = c_.ts[static_cast<std::size_t>(sample[l]) * outputs + k];
        t_lane_[k] = P::load(buf_);
      }
      d.x = x_lane_;
      d.t = t_lane_;
      if constexpr (FusedSgd) {
        math::forward<Math>(net_, d.x, f(), g(), d.h, d.o);
      } else {
        math::loss_and_gradient<Math>(net_, d.x, d.t, 1, f(), g(), grad_);
      }
    } else if constexpr (FusedSgd) {
      math::forward<Math>(net_, d.x, f(), g(), d.h, d.o);
      d.e.loss = math::sample_loss(d.o, d.t, output_count());
    } else {
      d.e = math::loss_and_gradient<Math>(net_, d.x, d.t, c_.samples, f(), g(), grad_);
    }
  }

  // Applies update step + 1; once some lane has stopped, only to the active
  // lanes: stopped lanes keep their parameters and state, so whatever they held
  // (a diverged lane's NaN) cannot slow or disturb the lanes still training.
  template <bool EveryLaneActive>
  MANYNETS_ALWAYS_INLINE void update_step(const StepData& d) {
    const Net before = net_;
    const State state_before = state_;
    if constexpr (FusedSgd) {
      math::sgd_backward_update(net_, d.x, d.t, d.h, d.o, f(), g(), hp_.learning_rate, kind().train_biases);
    } else {
      math::update<Math>(net_, grad_, state_, hp_);
    }
    if constexpr (!EveryLaneActive) {
      const int params = param_count();
      for (int q = 0; q < params; ++q) net_.p[q] = simd::select(active_, net_.p[q], before.p[q]);
      if constexpr (!FusedSgd) {
        for (int q = 0; q < params; ++q) {
          state_.m[q] = simd::select(active_, state_.m[q], state_before.m[q]);
          state_.v[q] = simd::select(active_, state_.v[q], state_before.v[q]);
        }
        state_.beta1_power = simd::select(active_, state_.beta1_power, state_before.beta1_power);
        state_.beta2_power = simd::select(active_, state_.beta2_power, state_before.beta2_power);
      }
    }
  }

  // The steps between events, from step_ on: it stops at the event step or at
  // a step whose loss stops some active lane, evaluated and not yet updated.
  // They run in a loop of their own so the compiler keeps its registers for
  // them and spills around the events instead.
  template <bool EveryLaneActive>
  MANYNETS_ALWAYS_INLINE void steps_until_event(StepData& d) {
    if constexpr (FusedSgd) {
      if (!kind().online)
        step_ =
            fused_steps_until_event<Math>(net_, xs_.data(), ts_.data(), hp_.learning_rate, hp_.target_loss,
                                          active_, f(), g(), kind().train_biases, step_, event_);
    }
    for (;; ++step_) {
      evaluate_step(step_, d);
      if (step_ >= event_ || simd::any(loss_stops(d.e.loss, hp_.target_loss) & active_)) break;
      update_step<EveryLaneActive>(d);
    }
  }

  // ---- events

  // Runs steps from step_ on until every lane has stopped; while every lane is
  // active (a separate loop, free of the masking), only until the first stops.
  template <bool EveryLaneActive>
  void run_steps() {
    for (;;) {
      // Zeroed once per event although each step writes what it reads: the
      // compiler cannot see that the abs error waits for an event.
      StepData d{};
      steps_until_event<EveryLaneActive>(d);
      math::Eval<P>& e = d.e;
      if constexpr (FusedSgd) {
        if (!kind().online) e.abs_error = math::sample_abs_error(d.o, d.t, output_count());
      }
      furthest_ = std::max(furthest_, step_);
      const simd::Mask<K> finite = simd::is_finite(math::divergence_probe(net_, e.loss));
      // A lane found diverged after untested steps may have diverged at one of them.
      if (step_ - 1 > last_checked_ && simd::any((!finite) & active_)) {
        rewind();
        continue;
      }
      last_checked_ = step_;
      if (curve_every_ > 0 && step_ % curve_every_ == 0) record_curves(e);
      retire_stopped_lanes(e, finite);
      if (refill_free_lanes()) continue;  // this step again, for the new lanes' step 0
      if (!simd::any(active_)) return;
      // Every active lane is finite here, so this is a step to rewind to.
      if (step_ % kCheckEvery == 0 || step_ == refilled_at_) {
        saved_net_ = net_;
        if constexpr (!FusedSgd) saved_state_ = state_;
        saved_step_ = step_;
      }
      event_ = next_event(step_);
      // A change between every lane active and some lane not: the other
      // loop applies this step's update.
      if (EveryLaneActive != simd::all(active_)) return;
      update_step<EveryLaneActive>(d);
      ++step_;
    }
  }

  // Back to the last checkpoint, to replay the steps since one by one.
  // (The fused step has no optimizer state: only its parameters are saved.)
  void rewind() {
    net_ = saved_net_;
    if constexpr (!FusedSgd) state_ = saved_state_;
    replay_end_ = step_;
    event_ = saved_step_;
    last_checked_ = saved_step_ - 1;
    step_ = saved_step_;
  }

  void record_curves(const math::Eval<P>& e) {
    alignas(64) float loss[kLanes], abs_error[kLanes];
    e.loss.store(loss);
    e.abs_error.store(abs_error);
    for (int l = 0; l < kLanes; ++l) {
      if (active_lane_[l] == 0.0f) continue;
      const std::size_t slot = static_cast<std::size_t>((step_ - start_[l]) / curve_every_) * n_;
      r_.curve_loss[slot + id_[l]] = one_nan(loss[l]);
      r_.curve_abs_error[slot + id_[l]] = one_nan(abs_error[l]);
    }
  }

  // Lanes that stop at this step write their results and leave the block.
  void retire_stopped_lanes(const math::Eval<P>& e, simd::Mask<K> finite) {
    alignas(64) float loss[kLanes], abs_error[kLanes], finite_lane[kLanes], target[kLanes];
    e.loss.store(loss);
    e.abs_error.store(abs_error);
    simd::select(finite, P(1.0f), P(0.0f)).store(finite_lane);
    hp_.target_loss.store(target);
    bool stopped = false;
    const int params = param_count();
    for (int l = 0; l < kLanes; ++l) {
      if (active_lane_[l] == 0.0f) continue;
      Status status;
      if (!math::stop_rule(finite_lane[l] != 0.0f, loss[l], target[l], max_steps_[l], step_ - start_[l],
                           status))
        continue;
      const std::size_t i = id_[l];
      for (int q = 0; q < params; ++q) {
        net_.p[q].store(buf_);
        r_.params[q * n_ + i] = one_nan(buf_[l]);
      }
      r_.loss[i] = one_nan(loss[l]);
      r_.abs_error[i] = one_nan(abs_error[l]);
      r_.steps[i] = step_ - start_[l];
      r_.status[i] = status;
      // Slots recorded before a replay found that this lane had stopped earlier.
      if (curve_every_ > 0) {
        for (std::int32_t slot = (step_ - start_[l]) / curve_every_ + 1;
             slot <= (furthest_ - start_[l]) / curve_every_; ++slot) {
          r_.curve_loss[static_cast<std::size_t>(slot) * n_ + i] = kNaN;
          r_.curve_abs_error[static_cast<std::size_t>(slot) * n_ + i] = kNaN;
        }
      }
      active_lane_[l] = 0.0f;
      simd::set_lane(hp_.learning_rate, l, 0.0f);  // frozen in the fused steps
      stopped = true;
    }
    if (stopped) {
      active_ = P::load(active_lane_) > P(0.0f);
      next_budget_end_ = earliest_budget();
    }
  }

  // Lanes without a network take the queue's next ones; when recording curves,
  // only at a slot's step, so that every network's slots fall on the block's (a
  // stopped lane waits for the next slot). Returns whether any lane did: then
  // this step is an event again, and the checkpoint.
  bool refill_free_lanes() {
    if (!queue_left() || simd::all(active_) || step_ > kLastRefillStep ||
        (curve_every_ != 0 && step_ % curve_every_ != 0))
      return false;
    bool refilled = false;
    std::size_t i;
    for (int l = 0; l < kLanes; ++l) {
      if (active_lane_[l] != 0.0f) continue;
      if (!take(i)) break;
      refill(l, i, step_);
      refilled = true;
    }
    if (!refilled) return false;
    active_ = P::load(active_lane_) > P(0.0f);
    next_budget_end_ = earliest_budget();
    refilled_at_ = step_;
    event_ = step_;
    return true;
  }

  static constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

  const Context& c_;
  const Batch& b_;
  Results& r_;
  const std::size_t n_;
  const std::int32_t curve_every_;
  const Kind runtime_kind_;

  // The networks taken from the queue and not yet in a lane: ids[taken_, taken_end_).
  Queue& queue_;
  std::size_t taken_ = 0, taken_end_ = 0;
  bool drained_ = false;

  // Per lane: its network, its step budget and the block step its network
  // started at; active_ mirrors active_lane_ for the vector tests.
  std::array<std::size_t, kLanes> id_;
  std::array<std::int32_t, kLanes> max_steps_, start_;
  alignas(64) float active_lane_[kLanes];
  simd::Mask<K> active_;
  Net net_{};
  State state_{};
  math::Hyper<P> hp_{};
  Net grad_;

  // The dataset as broadcast vectors (full mode), and one sample per lane (online).
  const std::vector<P>& xs_;
  const std::vector<P>& ts_;
  P x_lane_[Net::max_inputs], t_lane_[Net::max_outputs];
  alignas(64) float buf_[kLanes];

  // Where the block rewinds to, and the event bookkeeping.
  Net saved_net_;
  State saved_state_;
  std::int32_t saved_step_ = 0;
  std::int32_t replay_end_ = -1;    // the steps of a replay, each an event, end here
  std::int32_t last_checked_ = -1;  // the last step whose parameters were tested
  std::int32_t furthest_ = 0;       // the furthest event step, replays aside
  std::int32_t event_ = 0;
  std::int32_t refilled_at_ = -1;  // the last step at which lanes were refilled
  std::int32_t next_budget_end_ = 0;
  std::int32_t step_ = 0;
};

template <class Math, int I, int H, int O, int FixedKey, bool FusedSgd>
void train_block(const Context& c, const Kind& runtime_kind, Queue& queue) {
  using B = Block<Math, I, H, O, FixedKey, FusedSgd>;
  if constexpr (I == math::kRuntime) {
    std::make_unique<B>(c, runtime_kind, queue)->train();
  } else {
    B(c, runtime_kind, queue).train();
  }
}

// ---- chunks, threads and dispatch

// A kind's block function and the networks its blocks hold.
struct BlockRunner {
  void (*train)(const Context&, const Kind&, Queue&);
};

template <class Math, int I, int H, int O, int FixedKey, bool FusedSgd>
BlockRunner block_runner() {
  return {&train_block<Math, I, H, O, FixedKey, FusedSgd>};
}

// The block runner of a kind on a dataset of `samples` samples.
template <class Math, int I, int H, int O>
BlockRunner block_runner_for(int key, int samples) {
  const Kind k = kind_of_key(key);
  // The same choice as math::fuses_sgd_step (k.online already means samples > 1).
  const bool fused = k.optimizer == Optimizer::sgd && !k.decays && (samples == 1 || k.online);
  // The general shape reads every kind at run time.
  if constexpr (I != math::kRuntime) {
    if (key == kSeedKey)
      return fused ? block_runner<Math, I, H, O, kSeedKey, true>()
                   : block_runner<Math, I, H, O, kSeedKey, false>();
    if (key == kSeedBiasKey)
      return fused ? block_runner<Math, I, H, O, kSeedBiasKey, true>()
                   : block_runner<Math, I, H, O, kSeedBiasKey, false>();
  }
  return fused ? block_runner<Math, I, H, O, kGenericKey, true>()
               : block_runner<Math, I, H, O, kGenericKey, false>();
}

class CpuBackend : public Backend {
 public:
  CpuBackend(const BackendOptions& options, std::size_t chunk_networks)
      : threads_(options.threads),
        general_path_(options.general_path),
        chunk_(std::max<std::size_t>(chunk_networks, 1)) {
    if (options.threads < 0)
      throw input_error("threads must be >= 0 (0 uses every core); got " + std::to_string(options.threads));
  }

  std::string name() const override { return "cpu"; }

  void train_into(Results& results, const Batch& batch, const Dataset& data) override {
    const Context c(batch, results, data);
    const bool fast = batch.math_mode == MathMode::fast;
    std::array<BlockRunner, kNumKinds> runners;
    dispatch_shape(
        batch.shape(),
        [&](auto tag) {
          using Tag = decltype(tag);
          for (int key = 0; key < kNumKinds; ++key) {
            runners[key] =
                fast ? block_runner_for<simd::SimdFastMath, Tag::inputs, Tag::hidden, Tag::outputs>(key,
                                                                                                    c.samples)
                     : block_runner_for<simd::SimdPreciseMath, Tag::inputs, Tag::hidden, Tag::outputs>(
                           key, c.samples);
          }
          return 0;
        },
        general_path_);
    for (std::size_t begin = 0; begin < batch.size(); begin += chunk_) {
      train_chunk(c, runners, begin, std::min(batch.size(), begin + chunk_));
    }
  }

 private:
  void train_chunk(const Context& c, const std::array<BlockRunner, kNumKinds>& runners, std::size_t begin,
                   std::size_t end) const {
    const Batch& b = *c.batch;
    // Group the chunk's networks by kind, keeping batch order within a kind.
    std::vector<std::uint16_t> keys(end - begin);
    std::array<std::size_t, kNumKinds + 1> start{};
    for (std::size_t i = begin; i < end; ++i) {
      const Kind k{b.hidden_activation[i], b.output_activation[i],
                   b.optimizer[i],         b.mode[i] == Mode::online && c.samples > 1,
                   b.train_biases[i] != 0, b.weight_decay[i] != 0};
      keys[i - begin] = static_cast<std::uint16_t>(kind_key(k));
      ++start[keys[i - begin] + 1];
    }
    for (int key = 0; key < kNumKinds; ++key) start[key + 1] += start[key];
    std::vector<std::uint32_t> ids(end - begin);
    std::array<std::size_t, kNumKinds> fill{};
    for (int key = 0; key < kNumKinds; ++key) fill[key] = start[key];
    for (std::size_t i = begin; i < end; ++i) ids[fill[keys[i - begin]]++] = static_cast<std::uint32_t>(i);
    // ids hold batch indices; a chunk never exceeds 2^32 networks.
    std::array<Queue, kNumKinds> queues;
    for (int key = 0; key < kNumKinds; ++key) {
      queues[key].ids = ids.data() + start[key];
      queues[key].size = start[key + 1] - start[key];
    }

    // Every worker trains blocks of each kind in turn until its queue is
    // empty: workers share a kind while it lasts, and one moves on to the next
    // while another finishes its last networks.
    std::exception_ptr failure;
    std::atomic<bool> failed{false};
    auto work = [&] {
      try {
        for (int key = 0; key < kNumKinds && !failed; ++key) {
          if (queues[key].size > 0) runners[key].train(c, kind_of_key(key), queues[key]);
        }
      } catch (...) {
        if (!failed.exchange(true)) failure = std::current_exception();
      }
    };
    const std::size_t workers =
        std::min<std::size_t>(worker_threads(threads_), (end - begin + kTake - 1) / kTake);
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
  }

  int threads_;
  bool general_path_;
  std::size_t chunk_;
};

}  // namespace

int block_lanes() {
  return simd::Pack<kFusedVectors>::lanes;
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

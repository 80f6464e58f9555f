// Host launches of the CUDA kernels' bodies (kernels/train_bodies.hpp): each
// body runs on the host for every index of a batch, as a grid of threads would
// run it, through the same staging (host/backends/cuda/staging.hpp) the CUDA backend uses,
// and is compared with the reference backend and with math.hpp run directly.
// No GPU needed: indexing, recording, early stop, refill and chunk offsets are
// checked here, in CI. The tiled fused kernel's block loop (run_tiled_block)
// runs here too, on an emulated block whose threads take each phase in turn.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "double_run_check.hpp"
#include "host/backends/cuda/device_runner.hpp"
#include "host/backends/cuda/staging.hpp"
#include "kernels/train_bodies.hpp"
#include "manynets/presets.hpp"
#include "manynets/reference.hpp"
#include "manynets/shapes.hpp"
#include "manynets/validate.hpp"
#include "math_driver.hpp"
#include "random_batches.hpp"
#include "validation_check.hpp"

namespace manynets {
namespace {

using testing::random_batch;
using testing::random_dataset;

// Tolerances, and why:
// - host-launched bodies in float against math.hpp's own training loop in float
//   (tests/math_driver.hpp): the same operations in the same order on the same
//   compiler, so every bit must agree (params, loss, steps, status, every curve slot).
// - host-launched bodies in double against the double reference: the formulas
//   in another order; 1e-9 relative over a few hundred steps, chaotic and
//   diverged networks by status only (double_run_check.hpp).
// - float bodies on the worked example against the reference over 10000
//   steps: validate.hpp's worked_example_relative on the final loss, as for
//   math.hpp in float.
// - float bodies on random hyperparameters against the reference: as
//   `manynets validate` compares them (validation_check.hpp), precise tolerances
//   in both math modes (on the host both compute the same).
// - staged bodies against the fused body: the same math.hpp calls on values
//   stored and reloaded in the same type, so bit for bit.
// - tiled bodies against the fused body: the same math.hpp operations, the
//   samples summed in the same order whatever the tiles, so bit for bit.
const ValidationTolerances kTolerances = validation_tolerances(MathMode::precise);

// A host "block" is this many threads; batch sizes below are not multiples of it.
constexpr std::size_t kBlock = 32;
// Samples per tile of the tiled launches unless a test says otherwise: the
// datasets below have 3 to 5 samples, so a round spans several tiles, the last
// one short.
constexpr int kTestTile = 2;

// ---- host launches

// Output blocks start poisoned, so an element a body forgot to write differs
// from the expected value (a NaN curve slot included: the poison is not NaN).
std::vector<double> poisoned_block(std::size_t bytes) {
  std::vector<double> block(bytes / sizeof(double) + 1);
  std::memset(block.data(), 0xA5, block.size() * sizeof(double));
  return block;
}

template <class T>
std::vector<T> to_number_type(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

enum class Launch {
  plain,           // one thread per network, whole blocks (threads past the end do nothing)
  refill_dealt,    // few threads; every further network dealt to a random thread
  refill_threads,  // real host threads taking networks from one atomic counter
  staged,          // start, then forward / backward / update per step
  tiled,           // the tiled block loop, one thread per network, whole blocks
  tiled_refill,    // the tiled block loop, few small blocks, further networks dealt to random threads
};

// One block of the tiled fused kernel on the host: each phase of
// run_tiled_block runs for every thread of the block in turn, which is what
// the device's barriers guarantee. The tile is a host buffer filled with NaN
// before every load (shared memory holds the previous tile, or anything), so a
// sample the loop did not load makes a loss NaN; a guard after it checks that
// no load writes past the tile.
template <class Math, class Kind, int I, int H, int O, class T>
struct HostTiledBlock {
  static constexpr std::size_t kGuard = 8;
  const kernels::TrainView<T>& v;
  const kernels::DatasetView<T>& data;
  int capacity;
  std::vector<std::vector<std::size_t>> networks;  // per thread, in the order it takes them
  std::vector<std::size_t> taken;
  std::vector<kernels::TiledNetwork<I, H, O, T>> threads;
  std::vector<T> buffer;
  kernels::TileView<T> tile;

  HostTiledBlock(const kernels::TrainView<T>& view, const kernels::DatasetView<T>& d, int tile_capacity,
                 std::vector<std::vector<std::size_t>> dealt)
      : v(view),
        data(d),
        capacity(tile_capacity),
        networks(std::move(dealt)),
        taken(networks.size(), 0),
        threads(networks.size()),
        buffer(static_cast<std::size_t>(kernels::tile_floats<I, O>(tile_capacity)) + kGuard, T(-7)),
        tile(kernels::tile_view<I, O>(buffer.data(), tile_capacity)) {}

  std::size_t next(std::size_t t) {
    return taken[t] < networks[t].size() ? networks[t][taken[t]++] : v.count;
  }
  void start() {
    for (std::size_t t = 0; t < threads.size(); ++t)
      kernels::tiled_take<Kind>(threads[t], v, data.samples, next(t));
  }
  bool any_training() const {
    return std::any_of(threads.begin(), threads.end(),
                       [&](const auto& w) { return kernels::tiled_training(w, v); });
  }
  void sync() const {}
  void load_tile(int first, int count) {
    EXPECT_LE(count, capacity);
    std::fill(buffer.begin(), buffer.end() - kGuard, static_cast<T>(NAN));
    const int n = static_cast<int>(threads.size());
    for (int t = 0; t < n; ++t) kernels::load_tile_part<I, O>(tile, data, first, count, t, n);
  }
  void begin_step() {
    for (auto& w : threads) kernels::tiled_begin_step(w, v);
  }
  void accumulate(int count) {
    for (auto& w : threads) kernels::tiled_accumulate<Math>(w, v, tile, count, data.samples);
  }
  void finish_step() {
    for (std::size_t t = 0; t < threads.size(); ++t)
      kernels::tiled_finish_step<Math, Kind>(threads[t], v, data, [&]() { return next(t); });
  }
  void run() {
    kernels::run_tiled_block(*this, data.samples, capacity);
    for (std::size_t k = buffer.size() - kGuard; k < buffer.size(); ++k)
      EXPECT_EQ(buffer[k], T(-7)) << "a tile load wrote past the tile";
    for (std::size_t t = 0; t < threads.size(); ++t)
      EXPECT_EQ(taken[t], networks[t].size()) << "thread " << t << " left networks untrained";
  }
};

// Deals networks 0 .. count-1 to `threads` threads: thread t takes network t
// first, as the device's threads take the counter's first values; every
// further network goes to a random thread.
std::vector<std::vector<std::size_t>> deal_networks(std::size_t count, std::size_t threads,
                                                    std::mt19937& rng) {
  std::vector<std::vector<std::size_t>> dealt(threads);
  for (std::size_t t = 0; t < threads && t < count; ++t) dealt[t].push_back(t);
  for (std::size_t i = threads; i < count; ++i) dealt[rng() % threads].push_back(i);
  return dealt;
}

template <class Math, class Kind, int I, int H, int O, class T>
void launch(Launch how, const kernels::TrainView<T>& v, const kernels::DatasetView<T>& data,
            std::int32_t longest, std::uint32_t order_seed, int tile_capacity) {
  const std::size_t grid = (v.count + kBlock - 1) / kBlock * kBlock;
  switch (how) {
    case Launch::plain:
      for (std::size_t i = 0; i < grid; ++i) kernels::train_network_body<Math, I, H, O, Kind>(v, data, i);
      return;
    case Launch::refill_dealt: {
      // 5 "threads" take networks 0..4 first, as the device's do; the rest go to
      // threads in a random interleaving, which a work counter could produce.
      const std::size_t threads = 5;
      std::mt19937 rng(order_seed);
      std::vector<std::vector<std::size_t>> taken(threads);
      for (std::size_t i = threads; i < v.count; ++i) taken[rng() % threads].push_back(i);
      std::vector<std::size_t> thread_order(threads);
      std::iota(thread_order.begin(), thread_order.end(), 0);
      std::shuffle(thread_order.begin(), thread_order.end(), rng);
      for (const std::size_t t : thread_order) {
        std::size_t k = 0;
        auto next = [&]() { return k < taken[t].size() ? taken[t][k++] : v.count; };
        kernels::train_networks_from<Math, I, H, O, Kind>(v, data, t, next);
      }
      return;
    }
    case Launch::refill_threads: {
      const std::size_t threads = 3;
      std::atomic<std::size_t> counter{threads};
      std::vector<std::thread> pool;
      for (std::size_t t = 0; t < threads; ++t) {
        pool.emplace_back([&, t]() {
          kernels::train_networks_from<Math, I, H, O, Kind>(v, data, t,
                                                            [&]() { return counter.fetch_add(1); });
        });
      }
      for (std::thread& th : pool) th.join();
      return;
    }
    case Launch::staged: {
      const cuda::WorkspaceLayout<T> wl(Shape{v.inputs, v.hidden, v.outputs}, v.stride,
                                        static_cast<std::size_t>(data.samples));
      std::vector<double> ws_block = poisoned_block(wl.bytes);
      const kernels::StagedWorkspace<T> ws = wl.view(ws_block.data());
      for (std::size_t i = 0; i < grid; ++i) kernels::staged_start_body<I, H, O>(v, ws, i);
      for (std::int32_t step = 0;; ++step) {
        for (std::size_t i = 0; i < grid; ++i)
          kernels::staged_forward_body<Math, I, H, O>(v, ws, data, step, i);
        if (step >= longest) break;
        for (std::size_t i = 0; i < grid; ++i) kernels::staged_backward_body<I, H, O>(v, ws, data, step, i);
        for (std::size_t i = 0; i < grid; ++i) kernels::staged_update_body<Math, I, H, O>(v, ws, i);
      }
      for (std::size_t i = 0; i < v.count; ++i)
        EXPECT_EQ(ws.training[i], 0) << "network " << i << " still trains";
      return;
    }
    case Launch::tiled:
    case Launch::tiled_refill:
      break;
  }
  // The tiled bodies exist for the compiled shapes only.
  if constexpr (I == math::kRuntime) {
    ADD_FAILURE() << "the general path has no tiled bodies";
  } else {
    switch (how) {
      case Launch::tiled:
        for (std::size_t first = 0; first < grid; first += kBlock) {
          std::vector<std::vector<std::size_t>> own(kBlock);
          for (std::size_t t = 0; t < kBlock; ++t) own[t].push_back(first + t);
          HostTiledBlock<Math, Kind, I, H, O, T>(v, data, tile_capacity, std::move(own)).run();
        }
        return;
      case Launch::tiled_refill: {
        // Two blocks of 5 threads: each thread trains several networks, and the
        // blocks run dry at different rounds.
        const std::size_t blocks = 2, threads = 5;
        std::mt19937 rng(order_seed);
        std::vector<std::vector<std::size_t>> dealt = deal_networks(v.count, blocks * threads, rng);
        for (std::size_t b = 0; b < blocks; ++b) {
          std::vector<std::vector<std::size_t>> mine(dealt.begin() + b * threads,
                                                     dealt.begin() + (b + 1) * threads);
          HostTiledBlock<Math, Kind, I, H, O, T>(v, data, tile_capacity, std::move(mine)).run();
        }
        return;
      }
      default:
        return;
    }
  }
}

// Trains `batch` as the CUDA backend does, on the host: chunks of `chunk`
// networks (0: one chunk) packed into input blocks, launched, unpacked; the
// bodies compiled for Kind (the general ones unless a test says otherwise).
// `general`: the general path's bodies (math::Mlp<0, 0, 0, T>) for every shape.
template <class T, class Math = math::PreciseMath, class Kind = kernels::AnyKind>
Results host_train(const Batch& batch, const Dataset& data, Launch how, std::size_t chunk = 0,
                   std::uint32_t order_seed = 1, int tile_capacity = kTestTile, bool general = false) {
  Results r;
  r.allocate(batch.shape(), batch.size(), batch.curve_every, batch.longest_run());
  r.backend = "host launch";
  const std::vector<T> xs = to_number_type<T>(data.x), ts = to_number_type<T>(data.t);
  const kernels::DatasetView<T> dv{xs.data(), ts.data(), static_cast<int>(data.samples())};
  const std::size_t n = batch.size();
  if (chunk == 0) chunk = std::max<std::size_t>(n, 1);
  dispatch_shape(
      batch.shape(),
      [&](auto tag) {
        using Tag = decltype(tag);
        for (std::size_t first = 0; first < n; first += chunk) {
          const std::size_t count = std::min(chunk, n - first);
          const cuda::InputLayout<T> il(batch.num_params(), count);
          const cuda::OutputLayout<T> ol(batch.num_params(), count, r.curve_points);
          std::vector<double> in_block = poisoned_block(il.bytes), out_block = poisoned_block(ol.bytes);
          cuda::pack_inputs<T>(in_block.data(), batch, first, count);
          const kernels::TrainView<T> v =
              cuda::chunk_view<T>(batch, first, count, r.curve_points, in_block.data(), out_block.data());
          launch<Math, Kind, Tag::inputs, Tag::hidden, Tag::outputs>(
              how, v, dv, batch.longest_run(), order_seed + static_cast<std::uint32_t>(first), tile_capacity);
          cuda::unpack_outputs<T>(r, out_block.data(), first, count);
        }
      },
      general);
  return r;
}

// ---- comparisons

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b));
}

// Every output of every network equal, bit for bit (NaN equals NaN).
void expect_identical(const Results& got, const Results& want, const std::string& what) {
  ASSERT_EQ(got.n, want.n) << what;
  ASSERT_EQ(got.curve_points, want.curve_points) << what;
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < want.n && mismatches < 10; ++i) {
    bool same = got.status[i] == want.status[i] && got.steps[i] == want.steps[i] &&
                same_bits(got.loss[i], want.loss[i]) && same_bits(got.abs_error[i], want.abs_error[i]);
    for (int q = 0; q < want.shape.num_params(); ++q)
      same = same && same_bits(got.param(i, q), want.param(i, q));
    for (std::size_t t = 0; t < want.curve_points; ++t) {
      same = same && same_bits(got.curve_loss_at(t, i), want.curve_loss_at(t, i)) &&
             same_bits(got.curve_abs_error_at(t, i), want.curve_abs_error_at(t, i));
    }
    if (!same) {
      ++mismatches;
      ADD_FAILURE() << what << ": network " << i << " differs (status " << to_string(got.status[i]) << " vs "
                    << to_string(want.status[i]) << ", steps " << got.steps[i] << " vs " << want.steps[i]
                    << ", loss " << got.loss[i] << " vs " << want.loss[i] << ")";
    }
  }
}

struct StatusCounts {
  std::size_t converged = 0, max_steps = 0, diverged = 0;
};
StatusCounts count_statuses(const Results& r) {
  StatusCounts c;
  for (const Status s : r.status) {
    c.converged += s == Status::converged;
    c.max_steps += s == Status::max_steps;
    c.diverged += s == Status::diverged;
  }
  return c;
}

// Double bodies against the reference: statuses all equal; values of the
// non-chaotic, non-diverged networks to kDoubleRunTolerance.
void expect_matches_reference(const Results& got, const Batch& batch, const Dataset& data) {
  const std::size_t compared = testing::expect_double_run_matches_reference(got, batch, data);
  if (batch.size() > 20) {
    EXPECT_GT(compared, batch.size() / 3) << "too few networks compared by value";
  }
}

// ---- tests

TEST(KernelBodies, FusedBodyInDoubleMatchesReferenceWithEveryStatus) {
  for (const std::size_t n : {std::size_t{1}, std::size_t{37}, std::size_t{203}}) {
    std::mt19937 rng(7 + static_cast<unsigned>(n));
    const Shape shape{2, 3, 1};
    const Dataset data = random_dataset(rng, shape, 5);
    const Batch batch = random_batch(rng, shape, n, 300);
    const Results got = host_train<double>(batch, data, Launch::plain);
    expect_matches_reference(got, batch, data);
    if (n > 100) {
      const StatusCounts c = count_statuses(got);
      EXPECT_GT(c.converged, 0u);
      EXPECT_GT(c.max_steps, 0u);
      EXPECT_GT(c.diverged, 0u);
    }
  }
}

TEST(KernelBodies, StagedBodiesInDoubleMatchReference) {
  std::mt19937 rng(11);
  const Shape shape{2, 2, 2};
  const Dataset data = random_dataset(rng, shape, 4);
  const Batch batch = random_batch(rng, shape, 203, 200);
  expect_matches_reference(host_train<double>(batch, data, Launch::staged), batch, data);
}

// Every launch form, every compiled shape, float: bit for bit what math.hpp's
// own loop gives network by network.
TEST(KernelBodies, EveryLaunchFormEqualsMathHppBitForBitInEveryShape) {
  const auto check_shape = [](Shape shape) {
    std::mt19937 rng(21 + shape.hidden);
    const Dataset data = random_dataset(rng, shape, 3);
    const Batch batch = random_batch(rng, shape, 101, 120);
    const Results want = testing::train_with_math<float>(batch, data);
    const std::string s = to_string(shape);
    expect_identical(host_train<float>(batch, data, Launch::plain), want, s + " plain");
    expect_identical(host_train<float>(batch, data, Launch::refill_dealt), want, s + " refill (dealt)");
    expect_identical(host_train<float>(batch, data, Launch::refill_threads), want, s + " refill (threads)");
    expect_identical(host_train<float>(batch, data, Launch::staged), want, s + " staged");
    expect_identical(host_train<float>(batch, data, Launch::tiled), want, s + " tiled");
    expect_identical(host_train<float>(batch, data, Launch::tiled_refill), want, s + " tiled (refill)");
  };
#define MANYNETS_CHECK_SHAPE(I, H, O) check_shape(Shape{I, H, O});
  MANYNETS_FOR_EACH_SHAPE(MANYNETS_CHECK_SHAPE)
#undef MANYNETS_CHECK_SHAPE
}

// The general path (the code of every shape that is not compiled in) run on a
// compiled shape gives what that shape's own code gives, bit for bit: the same
// math.hpp operations in the same order, with the sizes read at run time.
TEST(KernelBodies, GeneralPathEqualsTheCompiledBodiesBitForBitInEveryCompiledShape) {
  const auto check_shape = [](Shape shape) {
    std::mt19937 rng(51 + shape.hidden);
    const Dataset data = random_dataset(rng, shape, 3);
    const Batch batch = random_batch(rng, shape, 67, 120);
    const Results want = host_train<float>(batch, data, Launch::plain);
    const std::string s = to_string(shape);
    expect_identical(host_train<float>(batch, data, Launch::plain, 0, 1, kTestTile, true), want,
                     s + " general, plain");
    expect_identical(host_train<float>(batch, data, Launch::refill_dealt, 0, 1, kTestTile, true), want,
                     s + " general, refill");
    expect_identical(host_train<float>(batch, data, Launch::staged, 0, 1, kTestTile, true), want,
                     s + " general, staged");
    expect_identical(testing::train_with_math<float>(batch, data, true), want, s + " math.hpp general");
  };
#define MANYNETS_CHECK_SHAPE(I, H, O) check_shape(Shape{I, H, O});
  MANYNETS_FOR_EACH_SHAPE(MANYNETS_CHECK_SHAPE)
#undef MANYNETS_CHECK_SHAPE
}

// Shapes that are not compiled in, to the limits: double bodies match the
// reference; float bodies match math.hpp's loop bit for bit in every launch form.
TEST(KernelBodies, GeneralPathTrainsShapesThatAreNotCompiled) {
  for (const Shape shape : {Shape{1, 1, 1}, Shape{2, 5, 1}, Shape{3, 4, 2}, Shape{16, 64, 16}}) {
    const bool largest = shape.hidden == 64;
    std::mt19937 rng(61 + shape.hidden);
    const Dataset data = random_dataset(rng, shape, largest ? 3 : 5);
    const Batch batch = random_batch(rng, shape, largest ? 11 : 61, largest ? 30 : 150);
    const std::string s = to_string(shape);
    SCOPED_TRACE(s);
    expect_matches_reference(host_train<double>(batch, data, Launch::plain), batch, data);
    const Results want = testing::train_with_math<float>(batch, data);
    expect_identical(host_train<float>(batch, data, Launch::plain), want, s + " plain");
    expect_identical(host_train<float>(batch, data, Launch::refill_threads, 7), want, s + " refill, chunks");
    expect_identical(host_train<float>(batch, data, Launch::staged, 7), want, s + " staged, chunks");
    expect_matches_reference(host_train<double>(batch, data, Launch::staged), batch, data);
  }
}

TEST(KernelBodies, RefillResultsDoNotDependOnWhichThreadTrainedWhichNetwork) {
  std::mt19937 rng(31);
  const Shape shape{2, 2, 2};
  const Dataset data = random_dataset(rng, shape, 4);
  const Batch batch = random_batch(rng, shape, 157, 150);
  const Results plain = host_train<float>(batch, data, Launch::plain);
  for (std::uint32_t order = 1; order <= 4; ++order) {
    expect_identical(host_train<float>(batch, data, Launch::refill_dealt, 0, order * 977), plain,
                     "refill order " + std::to_string(order));
  }
}

TEST(KernelBodies, ChunksWithOffsetsEqualOneWholeLaunch) {
  std::mt19937 rng(41);
  const Shape shape{2, 3, 1};
  const Dataset data = random_dataset(rng, shape, 5);  // online mode shuffles by global id
  const Batch batch = random_batch(rng, shape, 130, 100);
  const Results whole = host_train<float>(batch, data, Launch::plain);
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{64}, std::size_t{129}}) {
    const std::string c = " chunk " + std::to_string(chunk);
    expect_identical(host_train<float>(batch, data, Launch::plain, chunk), whole, "plain" + c);
    expect_identical(host_train<float>(batch, data, Launch::refill_dealt, chunk), whole, "refill" + c);
    expect_identical(host_train<float>(batch, data, Launch::staged, chunk), whole, "staged" + c);
    expect_identical(host_train<float>(batch, data, Launch::tiled_refill, chunk), whole, "tiled" + c);
  }
}

// Views into one big block at an offset (pointers + first, stride = whole
// batch) train networks first.. exactly as a launch over the whole block does.
TEST(KernelBodies, PointerOffsetViewsWithBatchStrideTrainTheRightNetworks) {
  std::mt19937 rng(43);
  const Shape shape{2, 2, 2};
  const Dataset data = random_dataset(rng, shape, 3);
  const Batch batch = random_batch(rng, shape, 90, 80);
  const Results whole = testing::train_with_math<float>(batch, data);
  const std::size_t n = batch.size();
  const std::size_t points = whole.curve_points;
  const cuda::InputLayout<float> il(batch.num_params(), n);
  const cuda::OutputLayout<float> ol(batch.num_params(), n, points);
  std::vector<double> in_block = poisoned_block(il.bytes), out_block = poisoned_block(ol.bytes);
  cuda::pack_inputs<float>(in_block.data(), batch, 0, n);
  const kernels::TrainView<float> all =
      cuda::chunk_view<float>(batch, 0, n, points, in_block.data(), out_block.data());
  const std::vector<float> xs = to_number_type<float>(data.x), ts = to_number_type<float>(data.t);
  const kernels::DatasetView<float> dv{xs.data(), ts.data(), static_cast<int>(data.samples())};
  for (std::size_t first = 0; first < n; first += 25) {
    kernels::TrainView<float> v = all;
    v.count = std::min<std::size_t>(25, n - first);
    v.first_id = batch.first_id + first;
    auto shift = [first](auto*& p) { p += first; };
    shift(v.in.init_params), shift(v.in.learning_rate), shift(v.in.momentum), shift(v.in.adam_beta1);
    shift(v.in.adam_beta2), shift(v.in.adam_epsilon), shift(v.in.target_loss), shift(v.in.max_steps);
    shift(v.in.optimizer), shift(v.in.hidden_activation), shift(v.in.output_activation), shift(v.in.mode);
    shift(v.in.train_biases), shift(v.out.params), shift(v.out.loss), shift(v.out.abs_error);
    shift(v.out.steps), shift(v.out.status), shift(v.out.curve_loss), shift(v.out.curve_abs_error);
    for (std::size_t i = 0; i < kBlock; ++i)
      kernels::train_network_body<math::PreciseMath, 2, 2, 2>(v, dv, i);
  }
  Results got;
  got.allocate(batch.shape(), n, batch.curve_every, batch.longest_run());
  cuda::unpack_outputs<float>(got, out_block.data(), 0, n);
  expect_identical(got, whole, "offset views");
}

TEST(KernelBodies, EmptyAndSingleNetworkBatches) {
  std::mt19937 rng(51);
  const Shape shape{2, 2, 1};
  const Dataset data = random_dataset(rng, shape, 4);
  for (const Launch how : {Launch::plain, Launch::refill_dealt, Launch::refill_threads, Launch::staged,
                           Launch::tiled, Launch::tiled_refill}) {
    const Batch empty(shape, 0);
    const Results none = host_train<float>(empty, data, how);
    EXPECT_EQ(none.n, 0u);
    EXPECT_TRUE(none.loss.empty());
    const Batch one = random_batch(rng, shape, 1, 50);
    expect_identical(host_train<float>(one, data, how), testing::train_with_math<float>(one, data), "n = 1");
  }
}

// Curves every R steps, early stop at the target loss, and NaN after a stop.
TEST(KernelBodies, CurveSlotsAreRecordedEveryRStepsAndNaNAfterTheStop) {
  const Preset seed = make_preset("seed");
  Batch batch(seed.shape, 3);
  NetworkConfig c = seed.config;
  c.max_steps = 1000;
  c.target_loss = 2e-3;  // the worked example gets there well before 1000 steps at lr 1..3
  for (std::size_t i = 0; i < 3; ++i) {
    c.learning_rate = static_cast<double>(1 + i);
    batch.set_config(i, c);
  }
  initialize(batch, seed.init);
  batch.curve_every = 10;
  for (const Launch how : {Launch::plain, Launch::staged, Launch::tiled}) {
    const Results r = host_train<double>(batch, seed.data, how);
    const Results ref = reference::make_backend()->train(batch, seed.data);
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(r.status[i], Status::converged);
      EXPECT_EQ(r.steps[i], ref.steps[i]);
      EXPECT_LT(r.steps[i], 1000);
      const std::size_t last = static_cast<std::size_t>(r.steps[i] / 10);
      for (std::size_t t = 0; t < r.curve_points; ++t) {
        if (t <= last) {
          EXPECT_NEAR(r.curve_loss_at(t, i), ref.curve_loss_at(t, i), 1e-6 * ref.curve_loss_at(t, i));
        } else {
          EXPECT_TRUE(std::isnan(r.curve_loss_at(t, i))) << "slot " << t << " after the stop";
          EXPECT_TRUE(std::isnan(r.curve_abs_error_at(t, i)));
        }
      }
    }
  }
}

TEST(KernelBodies, FastMathBodiesOnTheHostEqualPreciseOnes) {
  std::mt19937 rng(61);
  const Shape shape{2, 2, 2};
  const Dataset data = random_dataset(rng, shape, 4);
  const Batch batch = random_batch(rng, shape, 77, 100);
  const Results precise = host_train<float, math::PreciseMath>(batch, data, Launch::plain);
  expect_identical(host_train<float, math::FastMath>(batch, data, Launch::plain), precise, "fast plain");
  expect_identical(host_train<float, math::FastMath>(batch, data, Launch::staged), precise, "fast staged");
}

TEST(KernelBodies, WorkedExampleInFloatStaysCloseToReference) {
  const Preset seed = make_preset("seed");
  Batch batch(seed.shape, 1);
  NetworkConfig c = seed.config;
  c.max_steps = 10000;
  batch.set_config(0, c);
  initialize(batch, seed.init);
  const Results ref = reference::make_backend()->train(batch, seed.data);
  for (const Launch how : {Launch::plain, Launch::staged}) {
    const Results got = host_train<float>(batch, seed.data, how);
    EXPECT_EQ(got.status[0], Status::max_steps);
    EXPECT_EQ(got.steps[0], 10000);
    EXPECT_NEAR(got.loss[0] / ref.loss[0], 1.0, kTolerances.worked_example_relative);
  }
}

// test_cuda_backend's random batch (2-3-1, 1037 networks, 300 steps, every
// kind and status) trained by the fused and staged bodies on the host in float.
// On an H200 (shared/gpu-runs/2026-12-04) the cuda and cuda-staged backends
// ended far from the reference on the networks below, listed per math mode, when
// every network was compared by value. validate's classification compares each
// of them by status only (chaotic, or Adam noise); the host launches end far
// from the reference on the same kind of networks, and pass validate with it.
TEST(KernelBodies, GpuRandomBatchPassesValidateWhichComparesTheGpuOutliersByStatus) {
  const std::vector<std::size_t> precise_outliers = {85,  92,  131, 141, 190, 278, 325,
                                                     381, 421, 479, 565, 637, 647, 897};
  const std::vector<std::size_t> fast_outliers = {92, 131, 421, 479, 513, 565, 647};
  for (const MathMode mode : {MathMode::precise, MathMode::fast}) {
    std::mt19937 rng(2024);
    const Shape shape{2, 3, 1};
    const Dataset data = random_dataset(rng, shape, 5);
    Batch batch = random_batch(rng, shape, 1037, 300);
    // The batch the H200 ran, which had no weight decay (random_batch draws no
    // number for it, so the rest is unchanged).
    std::fill(batch.weight_decay.begin(), batch.weight_decay.end(), 0.0);
    batch.math_mode = mode;
    const testing::ReferenceRuns refs = testing::reference_runs(batch, data);
    for (const std::size_t i : mode == MathMode::precise ? precise_outliers : fast_outliers)
      EXPECT_NE(refs.comparison[i], RunComparison::by_value) << to_string(mode) << " network " << i;
    EXPECT_GT(refs.count(RunComparison::by_value), batch.size() * 2 / 3) << to_string(mode);
    testing::ReferenceRuns all_by_value = refs;
    all_by_value.tolerances.chaos_threshold = std::numeric_limits<double>::infinity();
    all_by_value.tolerances.adam_noise_learning_rate = std::numeric_limits<double>::infinity();
    for (const Launch how : {Launch::plain, Launch::staged}) {
      const std::string what = std::string(to_string(mode)) + (how == Launch::plain ? " fused" : " staged");
      const Results got = host_train<float>(batch, data, how);
      testing::expect_validates(batch, data, refs, got, what);
      // Compared by value, networks fail; each one is a network validate compares by status.
      const ValidationReport direct =
          testing::compare_with_reference(batch, data, all_by_value, got, batch.size());
      std::size_t past_tolerance = 0;
      for (const NetworkDeviation& d : direct.worst) {
        if (d.ratio <= 1) continue;
        ++past_tolerance;
        EXPECT_NE(refs.comparison[d.id - batch.first_id], RunComparison::by_value)
            << what << " network " << d.id - batch.first_id << ": " << d.quantity << " at " << d.ratio;
      }
      EXPECT_GE(past_tolerance, 4u) << what;
    }
  }
}

// The staged kernels step by step: after k forward/backward/update passes the
// workspace holds what the fused body ends with when its budget is k steps.
TEST(KernelBodies, StagedParametersAfterEachStepEqualFusedRunOfThatLength) {
  std::mt19937 rng(71);
  const Shape shape{2, 2, 2};
  const Dataset data = random_dataset(rng, shape, 3);
  const Batch batch = random_batch(rng, shape, 45, 40);
  const std::size_t n = batch.size();
  const std::vector<float> xs = to_number_type<float>(data.x), ts = to_number_type<float>(data.t);
  const kernels::DatasetView<float> dv{xs.data(), ts.data(), static_cast<int>(data.samples())};
  const std::size_t points = curve_points_for(batch.curve_every, batch.longest_run());
  const cuda::InputLayout<float> il(batch.num_params(), n);
  const cuda::OutputLayout<float> ol(batch.num_params(), n, points);
  const cuda::WorkspaceLayout<float> wl(shape, n, data.samples());
  std::vector<double> in_block = poisoned_block(il.bytes), out_block = poisoned_block(ol.bytes),
                      ws_block = poisoned_block(wl.bytes);
  cuda::pack_inputs<float>(in_block.data(), batch, 0, n);
  const kernels::TrainView<float> v =
      cuda::chunk_view<float>(batch, 0, n, points, in_block.data(), out_block.data());
  const kernels::StagedWorkspace<float> ws = wl.view(ws_block.data());
  for (std::size_t i = 0; i < n; ++i) kernels::staged_start_body<2, 2, 2>(v, ws, i);
  for (std::int32_t k = 0; k <= 12; ++k) {
    Batch shorter = batch;
    for (std::int32_t& s : shorter.max_steps) s = std::min(s, k);
    const Results fused = testing::train_with_math<float>(shorter, data);
    for (std::size_t i = 0; i < n; ++i) {
      for (int q = 0; q < batch.num_params(); ++q)
        ASSERT_TRUE(same_bits(ws.params[static_cast<std::size_t>(q) * n + i], fused.param(i, q)))
            << "after " << k << " steps, network " << i << " param " << q;
    }
    for (std::size_t i = 0; i < n; ++i)
      kernels::staged_forward_body<math::PreciseMath, 2, 2, 2>(v, ws, dv, k, i);
    for (std::size_t i = 0; i < n; ++i) kernels::staged_backward_body<2, 2, 2>(v, ws, dv, k, i);
    for (std::size_t i = 0; i < n; ++i) kernels::staged_update_body<math::PreciseMath, 2, 2, 2>(v, ws, i);
  }
}

// ---- the tiled fused kernel's block loop

// Every value of samples first .. first+count-1 lands in its place in the tile,
// whatever the block's thread count, and nothing else in the tile is written.
TEST(TiledBodies, TileLoadCopiesExactlyTheTilesSamples) {
  std::mt19937 rng(81);
  const Dataset data = random_dataset(rng, Shape{4, 8, 3}, 29);
  const std::vector<float> xs = to_number_type<float>(data.x), ts = to_number_type<float>(data.t);
  const kernels::DatasetView<float> dv{xs.data(), ts.data(), 29};
  const int capacity = 11;
  for (const int threads : {1, 3, 32, 128}) {
    for (int first = 0; first < 29; first += capacity) {
      const int count = std::min(capacity, 29 - first);
      std::vector<float> buffer(kernels::tile_floats<4, 3>(capacity), -7.0f);
      const kernels::TileView<float> tile = kernels::tile_view<4, 3>(buffer.data(), capacity);
      for (int t = 0; t < threads; ++t) kernels::load_tile_part<4, 3>(tile, dv, first, count, t, threads);
      for (int s = 0; s < capacity; ++s) {
        for (int i = 0; i < 4; ++i) {
          const float want = s < count ? xs[static_cast<std::size_t>((first + s) * 4 + i)] : -7.0f;
          ASSERT_EQ(tile.xs[s * 4 + i], want) << threads << " threads, first " << first << ", sample " << s;
        }
        for (int k = 0; k < 3; ++k) {
          const float want = s < count ? ts[static_cast<std::size_t>((first + s) * 3 + k)] : -7.0f;
          ASSERT_EQ(tile.ts[s * 3 + k], want) << threads << " threads, first " << first << ", sample " << s;
        }
      }
    }
  }
}

// Tiles that divide the sample count and tiles that do not, one-sample tiles,
// a tile as large as the dataset and larger: the tiled loop gives, bit for bit,
// what train_network_body gives, in full and online mode, with every optimizer,
// networks that stop at different rounds (budgets, targets, divergence) and
// curves, for 2-2-2 and for 4-8-3.
TEST(TiledBodies, EqualTheFusedBodyBitForBitForEveryTileAndSampleCount) {
  const auto check_shape = [](Shape shape) {
    for (const int samples : {1, 2, 5, 37}) {
      std::mt19937 rng(91 + static_cast<unsigned>(samples) + static_cast<unsigned>(shape.hidden));
      const Dataset data = random_dataset(rng, shape, samples);
      const Batch batch = random_batch(rng, shape, 97, 60);
      const Results want = host_train<float>(batch, data, Launch::plain);
      for (const int tile : {1, 3, 8, samples, 64}) {
        const std::string what =
            to_string(shape) + ", " + std::to_string(samples) + " samples, tile " + std::to_string(tile);
        expect_identical(host_train<float>(batch, data, Launch::tiled, 0, 1, tile), want, what);
        expect_identical(host_train<float>(batch, data, Launch::tiled_refill, 0, 1, tile), want,
                         what + " refill");
      }
    }
  };
  check_shape(Shape{2, 2, 2});
  check_shape(Shape{4, 8, 3});
}

// The workload the tiled kernel exists for, scaled down: a moons dataset of
// many samples, every optimizer, full and online mode, networks converging,
// running out of steps and diverging at different rounds, several networks per
// thread. Bit for bit train_network_body, and in double the reference.
TEST(TiledBodies, MoonsWithEveryStatusEqualsTheFusedBodyAndTheReference) {
  const Shape shape{2, 3, 1};
  const Dataset data = make_two_class_dataset("moons", 301, 1);
  std::mt19937 rng(101);
  Batch batch = random_batch(rng, shape, 131, 200);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    // Below the 0.125 of a constant output of 0.5: a network must learn to get there.
    if (i % 3 == 0) batch.target_loss[i] = 0.08;
  }
  const Results plain = host_train<float>(batch, data, Launch::plain);
  const StatusCounts c = count_statuses(plain);
  EXPECT_GT(c.converged, 0u);
  EXPECT_GT(c.max_steps, 0u);
  EXPECT_GT(c.diverged, 0u);
  std::vector<std::int32_t> steps(plain.steps.begin(), plain.steps.end());
  std::sort(steps.begin(), steps.end());
  EXPECT_GT(std::unique(steps.begin(), steps.end()) - steps.begin(), 20) << "networks stop at few rounds";
  for (std::size_t i = 0; i < plain.n; ++i) {
    if (plain.status[i] == Status::converged) {
      EXPECT_GT(plain.steps[i], 0) << "network " << i;
    }
  }
  for (std::uint32_t order = 1; order <= 3; ++order) {
    expect_identical(host_train<float>(batch, data, Launch::tiled_refill, 0, order * 131, 64), plain,
                     "refill order " + std::to_string(order));
  }
  expect_identical(host_train<float>(batch, data, Launch::tiled, 0, 1, 100), plain, "tiled");
  expect_matches_reference(host_train<double>(batch, data, Launch::tiled_refill, 0, 1, 64), batch, data);
}

// ---- kernels compiled for what a launch's networks share

// A kernel compiled for a kind (FixedKind) trains networks of that kind bit for
// bit as the general kernel (AnyKind) does: fixing the optimizer and the
// activations at compile time changes the code, never the values. Every
// compiled kind, both math modes, plain, refill and tiled launches, with the
// random batch's modes, weight decay, curves and statuses.
template <class Math, class Kind>
void expect_kind_matches_general(Optimizer optimizer, Activation hidden, Activation output) {
  for (const Shape shape : {Shape{2, 2, 2}, Shape{2, 3, 1}, Shape{4, 8, 3}}) {
    std::mt19937 rng(37 + static_cast<unsigned>(shape.hidden));
    const Dataset data = random_dataset(rng, shape, 5);
    Batch batch = random_batch(rng, shape, 53, 60);
    std::fill(batch.optimizer.begin(), batch.optimizer.end(), optimizer);
    std::fill(batch.hidden_activation.begin(), batch.hidden_activation.end(), hidden);
    std::fill(batch.output_activation.begin(), batch.output_activation.end(), output);
    const std::string what =
        to_string(shape) + " " + to_string(optimizer) + "/" + to_string(hidden) + "/" + to_string(output);
    const Results general = host_train<float, Math>(batch, data, Launch::plain);
    for (const Launch how : {Launch::plain, Launch::refill_threads, Launch::tiled, Launch::tiled_refill}) {
      expect_identical(host_train<float, Math, Kind>(batch, data, how), general,
                       what + ", launch " + std::to_string(static_cast<int>(how)));
    }
  }
}

TEST(NetworkKinds, EveryCompiledKindTrainsBitForBitAsTheGeneralKernel) {
  int kinds = 0;
#define MANYNETS_CHECK_KIND(OPT, HIDDEN, OUTPUT)                                             \
  {                                                                                          \
    using Kind = kernels::FixedKind<Optimizer::OPT, Activation::HIDDEN, Activation::OUTPUT>; \
    expect_kind_matches_general<math::PreciseMath, Kind>(Optimizer::OPT, Activation::HIDDEN, \
                                                         Activation::OUTPUT);                \
    expect_kind_matches_general<math::FastMath, Kind>(Optimizer::OPT, Activation::HIDDEN,    \
                                                      Activation::OUTPUT);                   \
    ++kinds;                                                                                 \
  }
  MANYNETS_FOR_EACH_KIND(MANYNETS_CHECK_KIND)
#undef MANYNETS_CHECK_KIND
  EXPECT_EQ(kinds, 6);
}

// The kind a launch may be compiled for: only what every network of the chunk shares.
TEST(NetworkKinds, LaunchKindIsWhatEveryNetworkOfTheChunkShares) {
  Batch batch(Shape{2, 2, 1}, 6);
  NetworkConfig c;
  c.optimizer = Optimizer::adam;
  c.hidden_activation = Activation::tanh;
  for (std::size_t i = 0; i < 6; ++i) batch.set_config(i, c);
  batch.learning_rate[2] = 3.0;  // what a kind does not fix may differ
  batch.hidden_activation[4] = Activation::relu;
  const auto all = cuda::launch_kind(batch, 0, 4);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->optimizer, Optimizer::adam);
  EXPECT_EQ(all->hidden, Activation::tanh);
  EXPECT_EQ(all->output, Activation::sigmoid);
  EXPECT_FALSE(cuda::launch_kind(batch, 0, 6).has_value());
  EXPECT_FALSE(cuda::launch_kind(batch, 3, 2).has_value());
  EXPECT_TRUE(cuda::launch_kind(batch, 5, 1).has_value());
  EXPECT_FALSE(cuda::launch_kind(batch, 0, 0).has_value());
  batch.optimizer[1] = Optimizer::sgd;
  EXPECT_FALSE(cuda::launch_kind(batch, 0, 2).has_value());
  batch.output_activation[5] = Activation::identity;
  EXPECT_EQ(cuda::launch_kind(batch, 5, 1)->output, Activation::identity);
}

// ---- what the cuda and cublas backends share around their kernels

TEST(DeviceRunner, ChunksFitTheMemoryShareThePinnedBudgetAndTheCap) {
  cuda::ChunkCost cost;
  cost.device_bytes = 1000;
  const std::size_t free_bytes = 1000000;  // 0.7 of it holds 700 networks' buffers
  EXPECT_EQ(cuda::networks_per_chunk(cost, free_bytes, 10000, 0, "advice"), 700u);
  EXPECT_EQ(cuda::networks_per_chunk(cost, free_bytes, 500, 0, "advice"), 500u);
  EXPECT_EQ(cuda::networks_per_chunk(cost, free_bytes, 10000, 300, "advice"), 300u);
  cost.in_flight = 2;  // two streams' buffers
  EXPECT_EQ(cuda::networks_per_chunk(cost, free_bytes, 10000, 0, "advice"), 350u);
  cost.pinned_bytes = 100;
  cost.pinned_budget = 20000;  // 200 networks' staging
  EXPECT_EQ(cuda::networks_per_chunk(cost, free_bytes, 10000, 0, "advice"), 200u);
  EXPECT_EQ(cuda::networks_per_chunk(cost, free_bytes, 0, 0, "advice"), 0u);
  try {
    cuda::networks_per_chunk(cost, 1000, 10, 0, "record fewer curve points");
    ADD_FAILURE() << "one network does not fit in 1000 bytes";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::runtime);
    const std::string message = e.what();
    EXPECT_NE(message.find("1000 bytes of device memory"), std::string::npos) << message;
    EXPECT_NE(message.find("record fewer curve points"), std::string::npos) << message;
  }
}

TEST(DeviceRunner, LongestRunIsTheChunksOwn) {
  Batch b(Shape{2, 2, 1}, 5);
  const std::int32_t steps[] = {10, 50, 20, 70, 30};
  for (std::size_t i = 0; i < 5; ++i) b.max_steps[i] = steps[i];
  EXPECT_EQ(cuda::longest_in(b, 0, 5), 70);
  EXPECT_EQ(cuda::longest_in(b, 0, 3), 50);
  EXPECT_EQ(cuda::longest_in(b, 4, 1), 30);
  EXPECT_EQ(cuda::longest_in(b, 2, 0), 0);
}

}  // namespace
}  // namespace manynets

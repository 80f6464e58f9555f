// Hyperparameter sweeps: a SweepSpec (value lists, linear and log ranges for
// every hyperparameter, shapes, replicates, grid or random search), its
// expansion into one Batch + Dataset per shape, and the run that trains them
// in chunks on any backend. Network ids are global and key every random draw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "manynets/backend.hpp"
#include "manynets/batch.hpp"
#include "manynets/dataset.hpp"
#include "manynets/init.hpp"
#include "manynets/limits.hpp"  // max_sweep_networks
#include "manynets/results.hpp"
#include "manynets/types.hpp"

namespace manynets {

// The values of one numeric hyperparameter: a list "a,b,c", a linear range
// "a:b:n" (n values from a to b, ends included; a > b runs downwards) or a log
// range "a:b:n:log" (n values evenly spaced in log, both ends > 0).
struct NumberAxis {
  enum class Kind { list, linear, log };
  Kind kind = Kind::list;
  std::vector<double> values;  // the grid values in order; empty: take the preset's value
  double low = 0, high = 0;    // ranges: the ends as given (random draws fall between them)

  static NumberAxis single(double v);
  static NumberAxis list(std::vector<double> v);
  static NumberAxis linear(double first, double last, int n);
  static NumberAxis log(double first, double last, int n);

  bool empty() const { return values.empty(); }
  std::size_t size() const { return values.size(); }  // grid values, as a list axis' size()
  // Whether a sweep varies it: more than one grid value, or a range of random draws.
  bool varies(bool random) const;
  // A random draw from u in (0, 1): a list picks one value, a linear range is
  // uniform between its ends, a log range log-uniform.
  double draw(double u) const;
};

// Parses a list or range for `option` (named in messages); every value a plain
// finite decimal. Throws an invalid_input Error for "a:b:c", n < 1, a log range
// with an end <= 0, a mixture of list and range, or a malformed number.
NumberAxis parse_number_axis(const std::string& option, const std::string& text);

// The axes of a sweep, declared once, in the grid's order (the last varies
// fastest). HYPER(name, field, option) is a hyperparameter of the network: the
// Batch column and NetworkConfig member `name`, swept by SweepSpec::field, set
// by --option. OTHER(name, field, option) is an axis that is not a column of
// the Batch: the shape (one plan group each) and the initialisation. The order
// is also that of runs.csv's columns and the summary's tables; a random sweep
// keys axis k's draws by k, so a new axis goes last.
#define MANYNETS_SWEEP_AXES(HYPER, OTHER)                           \
  OTHER(shape, shapes, "shape")                                     \
  HYPER(learning_rate, learning_rate, "lr")                         \
  HYPER(momentum, momentum, "momentum")                             \
  HYPER(optimizer, optimizers, "optimizer")                         \
  HYPER(hidden_activation, hidden_activations, "hidden-activation") \
  HYPER(output_activation, output_activations, "output-activation") \
  OTHER(init, inits, "init")                                        \
  HYPER(max_steps, max_steps, "steps")                              \
  HYPER(target_loss, target_loss, "target-loss")                    \
  HYPER(train_biases, train_biases, "train-biases")                 \
  HYPER(mode, modes, "mode")                                        \
  HYPER(weight_decay, weight_decay, "weight-decay")
// For the kind of row a use of MANYNETS_SWEEP_AXES leaves out.
#define MANYNETS_SKIP_AXIS(name, field, option)

// The axes by name, in MANYNETS_SWEEP_AXES order; to_string gives the name as
// runs.csv heads its column ("learning_rate").
enum class Hyperparameter : std::uint8_t {
#define MANYNETS_AXIS_ENUM(name, field, option) name,
  MANYNETS_SWEEP_AXES(MANYNETS_AXIS_ENUM, MANYNETS_AXIS_ENUM)
#undef MANYNETS_AXIS_ENUM
};
#define MANYNETS_AXIS_COUNT(name, field, option) +1
constexpr int hyperparameter_count = 0 MANYNETS_SWEEP_AXES(MANYNETS_AXIS_COUNT, MANYNETS_AXIS_COUNT);
#undef MANYNETS_AXIS_COUNT
const char* to_string(Hyperparameter h);
const char* option_name(Hyperparameter h);  // "lr": its option, without "--"
// Whether the axis holds numbers (a NumberAxis) rather than a list of names.
bool is_numeric(Hyperparameter h);

// What to sweep. Every empty axis takes the preset's (or --data's) value.
struct SweepSpec {
  std::string preset;     // built-in workload; empty with data_path, "seed" when both are empty
  std::string data_path;  // CSV dataset (needs shapes)
  std::vector<Shape> shapes;
  // --hidden: hidden widths that replace the hidden size of every shape (the
  // preset's, --shape's or, for --data without --shape, the one the CSV header
  // implies), so that a sweep varies the width like any other axis; empty: the
  // shapes as they are.
  std::vector<int> hidden;

  NumberAxis learning_rate, momentum, weight_decay, max_steps, target_loss;
  std::vector<Optimizer> optimizers;
  std::vector<Activation> hidden_activations, output_activations;
  std::vector<InitSpec> inits;
  std::vector<bool> train_biases;
  std::vector<Mode> modes;

  // Replicates per configuration; they differ only in their random draws (keyed by
  // network id), so a configuration with nothing random (init seed, full mode) is
  // trained once whatever this says.
  int seeds = 1;
  std::size_t random = 0;  // 0: the grid (product of every axis); N: N configurations drawn from the axes
  std::uint64_t seed = 1;  // the run seed: keys initial weights, shuffles and random draws
  Rule rule = Rule::backprop;
  MathMode math_mode = MathMode::precise;  // the float backends' math; the reference is double either way
};

// The spec's option names as the command line and config files spell them
// (lr, momentum, optimizer, hidden-activation, ..., seeds, random, seed, rule).
const std::vector<std::string>& sweep_spec_keys();
// Builds a spec from option texts keyed by those names (the flag without "--");
// keys it does not know are ignored. Throws an invalid_input Error naming the
// option for every bad value.
SweepSpec make_sweep_spec(const std::map<std::string, std::string>& texts);
// Reads a JSON config file: one object whose keys are option names and whose
// values are strings in the command-line syntax, numbers, booleans (on/off) or
// arrays (value lists). Returns the option texts; throws an invalid_input Error
// naming the file for unreadable files, bad JSON, or keys outside `known_keys`.
std::map<std::string, std::string> read_sweep_config(const std::string& path,
                                                     const std::vector<std::string>& known_keys);

// One shape's networks: a Batch whose network i has global id batch.first_id + i.
struct SweepGroup {
  Shape shape{};
  Dataset data;
  Batch batch;
  std::vector<std::uint16_t> init;           // (n): index into SweepPlan::spec.inits
  std::vector<std::uint32_t> replicate;      // (n): 0 .. seeds-1 within its configuration
  std::vector<std::uint64_t> configuration;  // (n): which grid point or random draw
};

struct SweepPlan {
  SweepSpec spec;                  // resolved: every axis holds at least one value
  std::string workload;            // "preset xor" or "data FILE"
  std::vector<SweepGroup> groups;  // one per shape, in the order of spec.shapes
  std::size_t networks() const;
};

// Resolves the spec against its preset or dataset and expands it: the grid in the
// order shape, lr, momentum, optimizer, hidden, output activation, init, steps,
// target loss, biases, mode, weight decay, replicate (the last varies fastest), or N random
// draws grouped by shape. Initial parameters come from initialize() keyed by
// (spec.seed, id). Throws an invalid_input Error for a spec that cannot run.
SweepPlan expand(const SweepSpec& spec);

// Trained networks and the curves of the chosen ones.
struct SweepCurve {
  std::uint64_t id = 0;
  std::int32_t every = 1;
  std::vector<float> loss, abs_error;  // slot t: after t * every updates, up to the network's last step
};

struct SweepResults {
  std::string backend;
  std::vector<Results> results;  // one per plan group, without curves
  std::vector<SweepCurve> curves;
  double seconds = 0;    // training time
  double net_steps = 0;  // updates applied, summed over networks
  // Networks this run trained; the others' results came from saved chunks.
  std::size_t trained = 0;
};

struct SweepRunOptions {
  // Ids whose loss curves to keep (sorted or not); empty: none.
  std::vector<std::uint64_t> curve_ids;
  std::int32_t curve_every = 0;  // 0: about 300 points over the longest run
  // Called after every chunk with the networks done so far, of all, and the
  // updates and seconds so far.
  std::function<void(std::size_t done, std::size_t total, double net_steps, double seconds)> progress;
  // Upper bound on networks per chunk (0: no bound besides the adaptive size).
  std::size_t max_chunk = 0;
  // A directory (created if missing) that keeps every completed chunk's results,
  // each file written to a temporary name, synced and renamed, so a run killed at
  // any moment leaves only whole chunks. A later run of the same plan on the same
  // backend with the same curve settings takes the chunks found there instead of
  // training them again; a directory left by a different sweep is refused with an
  // invalid_input Error. Empty: nothing is kept. The caller removes the directory
  // once it has what it needs.
  std::string checkpoint_dir;
  // More directories of saved chunks (checkpoint_dirs of other runs of the same
  // plan, such as its shards), read and never written; one that holds another
  // plan's state is refused with an invalid_input Error naming it.
  std::vector<std::string> checkpoint_sources;
  // Trains only the networks whose ids lie in [first_id, end_id) (the others'
  // results are left unset); the default trains every network.
  std::uint64_t first_id = 0;
  std::uint64_t end_id = std::numeric_limits<std::uint64_t>::max();
};

// Trains every group on `backend` in chunks whose size adapts to take about a
// second each, so progress can be shown; a network's result never depends on the
// chunk it was in, so chunks taken from options.checkpoint_dir and chunks trained
// now give the same SweepResults (except `seconds`, which adds up the chunks'
// training times, whichever run trained them).
SweepResults run_sweep(const SweepPlan& plan, Backend& backend, const SweepRunOptions& options = {});

// Shard k of n of a sweep of `networks` networks: ids [networks k / n,
// networks (k + 1) / n). The n shards cover every id once, in order, and differ
// in size by at most one network. Needs k < n.
struct IdRange {
  std::uint64_t begin = 0, end = 0;
  std::uint64_t size() const { return end - begin; }
};
IdRange shard_range(std::uint64_t networks, std::uint64_t k, std::uint64_t n);

// The networks whose results `dir` (a SweepRunOptions::checkpoint_dir) holds, or
// 0 when it holds no chunk; for messages and tests.
std::size_t checkpointed_networks(const std::string& dir);

// The default curve interval: about 300 points over `longest` steps.
std::int32_t default_curve_every(std::int32_t longest);
// `count` ids spread evenly over 0 .. networks-1 (all of them when count >= networks).
std::vector<std::uint64_t> sample_ids(std::size_t networks, std::size_t count);

}  // namespace manynets

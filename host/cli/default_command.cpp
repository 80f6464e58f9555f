// `manynets` with no arguments: the main job on an embedded default. A sweep of
// the worked example (preset seed) over 16 log-spaced learning rates from 0.05
// to 10 and initialisations (the example's own weights, and 256 uniform:1
// draws), on the best backend, run through the same code as `manynets sweep`,
// writing its files and plots to ./manynets-out/.
#include "cli/commands.hpp"

namespace manynets {
namespace cli {

namespace {

constexpr int learning_rate_count = 16;
constexpr double lowest_learning_rate = 0.05;
constexpr double highest_learning_rate = 10.0;
constexpr int random_initialisations = 256;
constexpr std::int32_t sweep_steps = 5000;
constexpr double sweep_target_loss = 1e-4;

}  // namespace

int run_default_command() {
  SweepJob job;
  // Built from option texts, as `manynets sweep` builds it, so that the texts
  // saved for --resume make exactly this sweep. The example's weights are
  // trained once per rate; uniform:1 256 times, each draw its own.
  job.options = {
      {"preset", "seed"},
      {"lr", number_text(lowest_learning_rate) + ":" + number_text(highest_learning_rate) + ":" +
                 std::to_string(learning_rate_count) + ":log"},
      {"init", "seed,uniform:1"},
      {"seeds", std::to_string(random_initialisations)},
      {"steps", std::to_string(sweep_steps)},
      {"target-loss", number_text(sweep_target_loss)},
  };
  job.spec = make_sweep_spec(job.options);
  job.backend = "auto";
  job.out_dir = "manynets-out";
  job.title =
      "manynets " + version() +
      ": the worked example over 16 learning rates (0.05 to 10, log-spaced) x its own weights and 256 "
      "uniform:1 "
      "initialisations\n(the same as: manynets sweep --preset seed --lr 0.05:10:16:log --init seed,uniform:1 "
      "--seeds 256 --steps 5000 --target-loss 0.0001 --out manynets-out)";
  const int status = run_sweep_job(job);
  std::cout
      << "\nnext: 'manynets sweep --help' for your own sweeps; 'manynets train --preset seed' trains the "
         "worked example step by step; 'manynets --help' shows every command\n";
  return status;
}

}  // namespace cli
}  // namespace manynets

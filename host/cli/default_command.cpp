// `manynets` with no arguments: the main job on an embedded default. It sweeps
// the worked example over 12 log-spaced learning rates and 5 initialisations (the
// example's weights and uniform:1 with run seeds 1-4) in one batch on the best
// backend, then summarises how many converged, per learning rate, and the best.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/format.hpp"

namespace manynets {
namespace cli {

namespace {

constexpr int learning_rate_count = 12;
constexpr double lowest_learning_rate = 0.05;
constexpr double highest_learning_rate = 5.0;
constexpr std::int32_t sweep_steps = 5000;
constexpr double sweep_target_loss = 1e-4;

struct InitChoice {
  InitSpec spec;
  std::uint64_t seed;  // the run seed that keys its random draws, as `train --seed` takes it
};

std::string init_label(const InitChoice& c) {
  return c.spec.kind == InitSpec::Kind::seed ? to_string(c.spec)
                                             : to_string(c.spec) + " with run seed " + std::to_string(c.seed);
}

// The `manynets train` line that retrains network (lr, init) on its own.
std::string reproduce_command(double lr, const InitChoice& c) {
  std::string line = "manynets train --preset seed --lr " + shortest(lr) + " --init " + to_string(c.spec);
  if (c.spec.kind != InitSpec::Kind::seed) line += " --seed " + std::to_string(c.seed);
  return line + " --target-loss " + shortest(sweep_target_loss);
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t m = values.size() / 2;
  return values.size() % 2 ? values[m] : 0.5 * (values[m - 1] + values[m]);
}

std::string median_text(const std::vector<double>& values, int digits) {
  return values.empty() ? "-" : format_g(median(values), digits);
}

}  // namespace

int run_default_command() {
  const Preset preset = make_preset("seed");

  std::vector<double> learning_rates(learning_rate_count);
  for (int k = 0; k < learning_rate_count; ++k) {
    learning_rates[static_cast<std::size_t>(k)] =
        lowest_learning_rate * std::pow(highest_learning_rate / lowest_learning_rate,
                                        static_cast<double>(k) / (learning_rate_count - 1));
  }
  learning_rates.back() = highest_learning_rate;  // exactly, not 5.000000000000001

  std::vector<InitChoice> inits = {{InitSpec{InitSpec::Kind::seed, 1.0}, 1}};
  for (std::uint64_t s = 1; s <= 4; ++s) inits.push_back({InitSpec{InitSpec::Kind::uniform, 1.0}, s});

  // Each initialisation drawn as `train` draws it (one network, id 0, its run
  // seed), so the reproduce line below retrains exactly the same network.
  std::vector<std::vector<double>> init_params;
  for (const InitChoice& c : inits) {
    Batch scratch(preset.shape, 1);
    scratch.seed = c.seed;
    scratch.first_id = 0;
    initialize(scratch, c.spec);
    init_params.push_back(scratch.init_params);
  }

  // Network i = k * inits + j: learning rate k, initialisation j.
  Batch batch(preset.shape, learning_rates.size() * inits.size());
  for (std::size_t k = 0; k < learning_rates.size(); ++k) {
    for (std::size_t j = 0; j < inits.size(); ++j) {
      const std::size_t i = k * inits.size() + j;
      NetworkConfig config = preset.config;
      config.learning_rate = learning_rates[k];
      config.max_steps = sweep_steps;
      config.target_loss = sweep_target_loss;
      batch.set_config(i, config);
      batch.set_params(i, init_params[j].data());
    }
  }
  batch.seed = 1;
  batch.first_id = 0;
  batch.curve_every = 0;

  const std::unique_ptr<Backend> backend = make_backend("auto");
  const auto start = std::chrono::steady_clock::now();
  const Results r = backend->train(batch, preset.data);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::size_t converged = 0, ran_out = 0, diverged = 0;
  double net_steps = 0;
  std::size_t best = 0, fastest = r.n;
  for (std::size_t i = 0; i < r.n; ++i) {
    net_steps += r.steps[i];
    if (r.status[i] == Status::converged) {
      ++converged;
      if (fastest == r.n || r.steps[i] < r.steps[fastest]) fastest = i;
    } else if (r.status[i] == Status::diverged) {
      ++diverged;
    } else {
      ++ran_out;
    }
    // A non-finite loss (a diverged network) never wins, and loses to any finite one.
    if (std::isfinite(r.loss[i]) && !(r.loss[best] <= r.loss[i])) best = i;
  }

  const NetworkConfig& c = preset.config;
  std::cout << "manynets " << version() << ": the worked example (preset seed, " << to_string(preset.shape)
            << " " << to_string(c.hidden_activation) << "/" << to_string(c.output_activation) << ", "
            << to_string(c.optimizer) << ", biases " << (c.train_biases ? "trained" : "fixed") << ")\n"
            << "swept over " << learning_rates.size() << " learning rates from "
            << shortest(lowest_learning_rate) << " to " << shortest(highest_learning_rate)
            << " (log-spaced) x " << inits.size() << " initialisations (seed; uniform:1 with run seeds 1-4)\n"
            << r.n << " networks, up to " << sweep_steps << " steps, target loss "
            << shortest(sweep_target_loss) << ", backend " << backend->name() << ": " << format_g(seconds, 3)
            << " s, " << format_g(seconds > 0 ? net_steps / seconds : 0.0, 3) << " net-steps/s\n\n";
  std::cout << "converged " << converged << ", ran out of steps " << ran_out << ", diverged " << diverged
            << "\n\n";

  std::cout << pad_left("learning rate", 15) << pad_left("converged", 12) << pad_left("median loss", 16)
            << pad_left("median steps to target", 25) << "\n";
  for (std::size_t k = 0; k < learning_rates.size(); ++k) {
    std::vector<double> losses, steps_to_target;
    std::size_t ok = 0;
    for (std::size_t j = 0; j < inits.size(); ++j) {
      const std::size_t i = k * inits.size() + j;
      if (std::isfinite(r.loss[i])) losses.push_back(r.loss[i]);
      if (r.status[i] == Status::converged) {
        ++ok;
        steps_to_target.push_back(r.steps[i]);
      }
    }
    std::cout << pad_left(format_g(learning_rates[k], 4), 15)
              << pad_left(std::to_string(ok) + "/" + std::to_string(inits.size()), 12)
              << pad_left(median_text(losses, 4), 16) << pad_left(median_text(steps_to_target, 6), 25)
              << "\n";
  }

  const auto describe = [&](std::size_t i) {
    const std::size_t k = i / inits.size(), j = i % inits.size();
    return "lr " + format_g(learning_rates[k], 4) + ", init " + init_label(inits[j]) + ": loss " +
           format_g(r.loss[i], 4) + " after " + std::to_string(r.steps[i]) + " steps (" +
           to_string(r.status[i]) + ")\n    reproduce: " + reproduce_command(learning_rates[k], inits[j]);
  };
  std::cout << "\n";
  if (r.n > 0 && std::isfinite(r.loss[best]))
    std::cout << "best (lowest final loss): " << describe(best) << "\n";
  if (fastest < r.n) std::cout << "fastest to the target: " << describe(fastest) << "\n";
  std::cout << "\nnext: 'manynets train --preset seed' trains the worked example step by step; "
               "'manynets --help' shows every command and option\n";
  return 0;
}

}  // namespace cli
}  // namespace manynets

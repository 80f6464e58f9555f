// Batch: per-network hyperparameters and initial parameters in structure-of-arrays
// layout, with the range checks every backend relies on (validate()).
#include "manynets/batch.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "manynets/error.hpp"
#include "manynets/results.hpp"

namespace manynets {

namespace {

// The largest loss curve (both curves together) a batch may ask for, so a tiny
// recording interval cannot exhaust memory.
constexpr double max_curve_bytes = 8.0 * 1024 * 1024 * 1024;

// The shortest decimal text that reads back as the same double.
std::string number_text(double v) {
  char buf[40];
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v || std::isnan(v)) break;
  }
  return buf;
}

template <class T>
void check_size(const std::vector<T>& v, std::size_t want, const char* what) {
  if (v.size() != want) {
    throw input_error(std::string("batch array ") + what + " has " + std::to_string(v.size()) +
                      " entries but the batch needs " + std::to_string(want) +
                      "; resize it or build the batch with Batch(shape, n)");
  }
}

}  // namespace

Batch::Batch(Shape shape, std::size_t n) : shape_(shape), n_(n) {
  if (shape.inputs < 1 || shape.hidden < 1 || shape.outputs < 1) {
    throw input_error("shape " + to_string(shape) + " has an empty layer; every size must be at least 1");
  }
  learning_rate.resize(n);
  optimizer.resize(n);
  momentum.resize(n);
  adam_beta1.resize(n);
  adam_beta2.resize(n);
  adam_epsilon.resize(n);
  hidden_activation.resize(n);
  output_activation.resize(n);
  max_steps.resize(n);
  target_loss.resize(n);
  train_biases.resize(n);
  mode.resize(n);
  set_config_all(NetworkConfig{});
  init_params.assign(static_cast<std::size_t>(num_params()) * n, 0.0);
}

void Batch::set_config(std::size_t i, const NetworkConfig& c) {
  if (i >= n_) {
    throw input_error("network index " + std::to_string(i) + " is out of range; the batch has " +
                      std::to_string(n_) + " networks");
  }
  learning_rate[i] = c.learning_rate;
  optimizer[i] = c.optimizer;
  momentum[i] = c.momentum;
  adam_beta1[i] = c.adam_beta1;
  adam_beta2[i] = c.adam_beta2;
  adam_epsilon[i] = c.adam_epsilon;
  hidden_activation[i] = c.hidden_activation;
  output_activation[i] = c.output_activation;
  max_steps[i] = c.max_steps;
  target_loss[i] = c.target_loss;
  train_biases[i] = c.train_biases ? 1 : 0;
  mode[i] = c.mode;
}

NetworkConfig Batch::config(std::size_t i) const {
  if (i >= n_) {
    throw input_error("network index " + std::to_string(i) + " is out of range; the batch has " +
                      std::to_string(n_) + " networks");
  }
  NetworkConfig c;
  c.learning_rate = learning_rate[i];
  c.optimizer = optimizer[i];
  c.momentum = momentum[i];
  c.adam_beta1 = adam_beta1[i];
  c.adam_beta2 = adam_beta2[i];
  c.adam_epsilon = adam_epsilon[i];
  c.hidden_activation = hidden_activation[i];
  c.output_activation = output_activation[i];
  c.max_steps = max_steps[i];
  c.target_loss = target_loss[i];
  c.train_biases = train_biases[i] != 0;
  c.mode = mode[i];
  return c;
}

void Batch::set_config_all(const NetworkConfig& c) {
  for (std::size_t i = 0; i < n_; ++i) set_config(i, c);
}

void Batch::set_params(std::size_t i, const double* values) {
  if (i >= n_) {
    throw input_error("network index " + std::to_string(i) + " is out of range; the batch has " +
                      std::to_string(n_) + " networks");
  }
  for (int p = 0; p < num_params(); ++p) param(i, p) = values[p];
}

std::int32_t Batch::longest_run() const {
  std::int32_t longest = 0;
  for (std::size_t i = 0; i < n_ && i < max_steps.size(); ++i) longest = std::max(longest, max_steps[i]);
  return longest;
}

void Batch::validate() const {
  check_size(learning_rate, n_, "learning_rate");
  check_size(optimizer, n_, "optimizer");
  check_size(momentum, n_, "momentum");
  check_size(adam_beta1, n_, "adam_beta1");
  check_size(adam_beta2, n_, "adam_beta2");
  check_size(adam_epsilon, n_, "adam_epsilon");
  check_size(hidden_activation, n_, "hidden_activation");
  check_size(output_activation, n_, "output_activation");
  check_size(max_steps, n_, "max_steps");
  check_size(target_loss, n_, "target_loss");
  check_size(train_biases, n_, "train_biases");
  check_size(mode, n_, "mode");
  check_size(init_params, static_cast<std::size_t>(num_params()) * n_, "init_params");

  if (curve_every < 0) {
    throw input_error("curve recording interval " + std::to_string(curve_every) +
                      " is negative; use 0 (no curve) or a positive number of steps");
  }

  for (std::size_t i = 0; i < n_; ++i) {
    const std::string net = "network " + std::to_string(i) +
                            (first_id != 0 ? " (id " + std::to_string(first_id + i) + ")" : std::string()) +
                            ": ";
    const double lr = learning_rate[i];
    if (!std::isfinite(lr) || lr < 0) {
      throw input_error(net + "learning rate " + number_text(lr) + " is " +
                        (std::isfinite(lr) ? "negative" : "not finite") + "; use a finite value >= 0");
    }
    if (static_cast<unsigned>(optimizer[i]) > static_cast<unsigned>(Optimizer::adam)) {
      throw input_error(net + "optimizer code " + std::to_string(static_cast<unsigned>(optimizer[i])) +
                        " is not an optimizer; use sgd, momentum or adam");
    }
    if (!(momentum[i] >= 0 && momentum[i] < 1)) {
      throw input_error(net + "momentum " + number_text(momentum[i]) +
                        " is outside [0, 1); use a value in [0, 1)");
    }
    if (!(adam_beta1[i] >= 0 && adam_beta1[i] < 1)) {
      throw input_error(net + "Adam beta1 " + number_text(adam_beta1[i]) +
                        " is outside [0, 1); use a value in [0, 1), e.g. 0.9");
    }
    if (!(adam_beta2[i] >= 0 && adam_beta2[i] < 1)) {
      throw input_error(net + "Adam beta2 " + number_text(adam_beta2[i]) +
                        " is outside [0, 1); use a value in [0, 1), e.g. 0.999");
    }
    if (!std::isfinite(adam_epsilon[i]) || adam_epsilon[i] <= 0) {
      throw input_error(net + "Adam epsilon " + number_text(adam_epsilon[i]) +
                        " must be finite and > 0; use e.g. 1e-8");
    }
    for (Activation a : {hidden_activation[i], output_activation[i]}) {
      if (static_cast<unsigned>(a) > static_cast<unsigned>(Activation::identity)) {
        throw input_error(net + "activation code " + std::to_string(static_cast<unsigned>(a)) +
                          " is not an activation; use sigmoid, tanh, relu or identity");
      }
    }
    if (max_steps[i] < 0 || max_steps[i] > max_allowed_steps) {
      throw input_error(net + "max steps " + std::to_string(max_steps[i]) + " is outside 0.." +
                        std::to_string(max_allowed_steps) + "; use a step count in that range");
    }
    if (std::isnan(target_loss[i]) || target_loss[i] < 0) {
      throw input_error(net + "target loss " + number_text(target_loss[i]) +
                        " must be >= 0; use 0 to train for all max steps");
    }
    if (train_biases[i] > 1) {
      throw input_error(net + "train_biases " + std::to_string(train_biases[i]) + " must be 0 or 1");
    }
    if (static_cast<unsigned>(mode[i]) > static_cast<unsigned>(Mode::online)) {
      throw input_error(net + "mode code " + std::to_string(static_cast<unsigned>(mode[i])) +
                        " is not a mode; use full or online");
    }
    for (int p = 0; p < num_params(); ++p) {
      if (!std::isfinite(param(i, p))) {
        throw input_error(net + "initial parameter " + param_name(shape_, p) + " is " +
                          number_text(param(i, p)) + "; every initial parameter must be finite");
      }
    }
  }

  const double bytes_per_point = static_cast<double>(n_) * 2.0 * sizeof(float);
  const double curve_bytes =
      static_cast<double>(curve_points_for(curve_every, longest_run())) * bytes_per_point;
  if (curve_bytes > max_curve_bytes) {
    // The smallest interval that fits: points = longest / every + 1 <= max_points.
    const double max_points = std::floor(max_curve_bytes / bytes_per_point);
    std::string advice = "train fewer networks per batch or record no curve (interval 0)";
    if (max_points >= 2) {
      const double min_every = std::ceil(static_cast<double>(longest_run()) / (max_points - 1));
      advice = "record every " + number_text(min_every) + " steps or more, or train fewer networks per batch";
    }
    throw input_error("loss curves recorded every " + std::to_string(curve_every) + " steps for " +
                      std::to_string(n_) + " networks of up to " + std::to_string(longest_run()) +
                      " steps need " + number_text(std::ceil(curve_bytes / (1024.0 * 1024 * 1024))) +
                      " GiB, over the 8 GiB limit; " + advice);
  }
}

}  // namespace manynets

// Batch: per-network hyperparameters and initial parameters in structure-of-arrays
// layout, with the range checks every backend relies on (validate()).
#include "manynets/batch.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <type_traits>
#include <utility>

#include "manynets/error.hpp"
#include "manynets/number_text.hpp"
#include "manynets/results.hpp"

namespace manynets {

namespace {

// The largest loss curve (both curves together) a batch may ask for, so a tiny
// recording interval cannot exhaust memory.
constexpr double max_curve_bytes = 8.0 * 1024 * 1024 * 1024;

template <class T>
void check_size(const std::vector<T>& v, std::size_t want, const char* what) {
  if (v.size() != want) {
    throw input_error(std::string("batch array ") + what + " has " + std::to_string(v.size()) +
                      " entries but the batch needs " + std::to_string(want) +
                      "; resize it or build the batch with Batch(shape, n)");
  }
}

// The first number in the file at `path` ("max" or a missing file: 0).
std::size_t number_in_file(const char* path) {
  std::ifstream in(path);
  unsigned long long v = 0;
  return in >> v ? static_cast<std::size_t>(v) : 0;
}

// MemAvailable of /proc/meminfo in bytes; 0 when unknown.
std::size_t meminfo_available() {
  std::ifstream in("/proc/meminfo");
  for (std::string key; in >> key;) {
    unsigned long long kib = 0;
    if (key == "MemAvailable:" && in >> kib) return static_cast<std::size_t>(kib) * 1024;
    in.ignore(1 << 12, '\n');
  }
  return 0;
}

}  // namespace

std::size_t batch_memory_bytes(std::size_t networks, int params) {
  // Per network: the Batch's hyperparameters and initial parameters; the plan's
  // init, replicate and configuration index; the Results' parameters, loss, abs
  // error, steps and status; the summary's per-row copies of loss and steps
  // (~64 bytes over its tables).
  double hyperparameters = 0;
  for_each_hyperparameter([&](const char*, auto, auto column) {
    hyperparameters += sizeof(typename std::remove_reference_t<decltype(std::declval<Batch&>().*column)>::value_type);
  });
  const double batch = hyperparameters + 8.0 * params;
  const double plan = 2 + 4 + 8;
  const double results = 8.0 * params + 8 + 8 + 4 + 1;
  const double summary = 64;
  // Half again for the chunk in training, vector growth and the allocator.
  const double margin = 1.5;
  return static_cast<std::size_t>(static_cast<double>(networks) * (batch + plan + results + summary) * margin);
}

std::size_t available_memory_bytes() {
  if (const char* limit = std::getenv("MANYNETS_MEMORY_LIMIT")) {
    const std::string text = limit;
    errno = 0;
    char* end = nullptr;
    const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || errno == ERANGE) {
      throw input_error("MANYNETS_MEMORY_LIMIT must be a whole number of bytes, got '" + text +
                        "'; unset it to use the memory the machine has");
    }
    return static_cast<std::size_t>(v);
  }
  std::size_t available = meminfo_available();
  if (available == 0) {
    const long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0) available = static_cast<std::size_t>(pages) * static_cast<std::size_t>(page);
  }
  // A container's limit is not in /proc/meminfo: cgroup v2, then v1.
  std::size_t cgroup = number_in_file("/sys/fs/cgroup/memory.max");
  if (cgroup > 0) {
    const std::size_t used = number_in_file("/sys/fs/cgroup/memory.current");
    cgroup = cgroup > used ? cgroup - used : 0;
  } else {
    const std::size_t limit = number_in_file("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    const std::size_t used = number_in_file("/sys/fs/cgroup/memory/memory.usage_in_bytes");
    // v1 reports "no limit" as a number near 2^63.
    if (limit > 0 && limit < (std::size_t{1} << 60)) cgroup = limit > used ? limit - used : 0;
  }
  if (cgroup > 0 && (available == 0 || cgroup < available)) available = cgroup;
  return available;
}

Batch::Batch(Shape shape, std::size_t n) : shape_(shape), n_(n) {
  if (shape.inputs < 1 || shape.hidden < 1 || shape.outputs < 1) {
    throw input_error("shape " + to_string(shape) + " has an empty layer; every size must be at least 1");
  }
  for_each_hyperparameter([&](const char*, auto, auto column) { (this->*column).resize(n); });
  set_config_all(NetworkConfig{});
  init_params.assign(static_cast<std::size_t>(num_params()) * n, 0.0);
}

void Batch::set_config(std::size_t i, const NetworkConfig& c) {
  if (i >= n_) {
    throw input_error("network index " + std::to_string(i) + " is out of range; the batch has " +
                      std::to_string(n_) + " networks");
  }
  for_each_hyperparameter([&](const char*, auto field, auto column) {
    (this->*column)[i] = static_cast<typename std::remove_reference_t<decltype(this->*column)>::value_type>(c.*field);
  });
}

NetworkConfig Batch::config(std::size_t i) const {
  if (i >= n_) {
    throw input_error("network index " + std::to_string(i) + " is out of range; the batch has " +
                      std::to_string(n_) + " networks");
  }
  NetworkConfig c;
  for_each_hyperparameter([&](const char*, auto field, auto column) {
    c.*field = static_cast<std::remove_reference_t<decltype(c.*field)>>((this->*column)[i]);
  });
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
  for_each_hyperparameter([&](const char* name, auto, auto column) { check_size(this->*column, n_, name); });
  check_size(init_params, static_cast<std::size_t>(num_params()) * n_, "init_params");

  if (curve_every < 0) {
    throw input_error("curve recording interval " + std::to_string(curve_every) +
                      " is negative; use 0 (no curve) or a positive number of steps");
  }

  for (std::size_t i = 0; i < n_; ++i) {
    // The message's prefix, built only for a message (a million networks pass).
    const auto net = [&] {
      return "network " + std::to_string(i) +
             (first_id != 0 ? " (id " + std::to_string(first_id + i) + ")" : std::string()) + ": ";
    };
    const double lr = learning_rate[i];
    if (!std::isfinite(lr) || lr < 0) {
      throw input_error(net() + "learning rate " + number_text(lr) + " is " +
                        (std::isfinite(lr) ? "negative" : "not finite") + "; use a finite value >= 0");
    }
    if (static_cast<unsigned>(optimizer[i]) > static_cast<unsigned>(Optimizer::adam)) {
      throw input_error(net() + "optimizer code " + std::to_string(static_cast<unsigned>(optimizer[i])) +
                        " is not an optimizer; use sgd, momentum or adam");
    }
    if (!(momentum[i] >= 0 && momentum[i] < 1)) {
      throw input_error(net() + "momentum " + number_text(momentum[i]) +
                        " is outside [0, 1); use a value in [0, 1)");
    }
    if (!(adam_beta1[i] >= 0 && adam_beta1[i] < 1)) {
      throw input_error(net() + "Adam beta1 " + number_text(adam_beta1[i]) +
                        " is outside [0, 1); use a value in [0, 1), e.g. 0.9");
    }
    if (!(adam_beta2[i] >= 0 && adam_beta2[i] < 1)) {
      throw input_error(net() + "Adam beta2 " + number_text(adam_beta2[i]) +
                        " is outside [0, 1); use a value in [0, 1), e.g. 0.999");
    }
    if (!std::isfinite(adam_epsilon[i]) || adam_epsilon[i] <= 0) {
      throw input_error(net() + "Adam epsilon " + number_text(adam_epsilon[i]) +
                        " must be finite and > 0; use e.g. 1e-8");
    }
    if (!std::isfinite(weight_decay[i]) || weight_decay[i] < 0) {
      throw input_error(net() + "weight decay " + number_text(weight_decay[i]) +
                        " must be finite and >= 0; use 0 for none, or e.g. 1e-4");
    }
    for (Activation a : {hidden_activation[i], output_activation[i]}) {
      if (static_cast<unsigned>(a) > static_cast<unsigned>(Activation::identity)) {
        throw input_error(net() + "activation code " + std::to_string(static_cast<unsigned>(a)) +
                          " is not an activation; use sigmoid, tanh, relu or identity");
      }
    }
    if (max_steps[i] < 0 || max_steps[i] > max_allowed_steps) {
      throw input_error(net() + "max steps " + std::to_string(max_steps[i]) + " is outside 0.." +
                        std::to_string(max_allowed_steps) + "; use a step count in that range");
    }
    if (std::isnan(target_loss[i]) || target_loss[i] < 0) {
      throw input_error(net() + "target loss " + number_text(target_loss[i]) +
                        " must be >= 0; use 0 to train for all max steps");
    }
    if (train_biases[i] > 1) {
      throw input_error(net() + "train_biases " + std::to_string(train_biases[i]) + " must be 0 or 1");
    }
    if (static_cast<unsigned>(mode[i]) > static_cast<unsigned>(Mode::online)) {
      throw input_error(net() + "mode code " + std::to_string(static_cast<unsigned>(mode[i])) +
                        " is not a mode; use full or online");
    }
    for (int p = 0; p < num_params(); ++p) {
      if (!std::isfinite(param(i, p))) {
        throw input_error(net() + "initial parameter " + param_name(shape_, p) + " is " +
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

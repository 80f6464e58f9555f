// The backend registry (names, construction by name, "auto") and the input
// checks every backend runs before training.
#include "manynets/backend.hpp"

#include <cmath>
#include <string>

#include "manynets/error.hpp"
#include "manynets/reference.hpp"

namespace manynets {

namespace {

struct BackendEntry {
  const char* name;
  std::unique_ptr<Backend> (*make)(const BackendOptions&);
};

// Every backend this build provides, best first; "auto" takes the first. A new
// backend is one line here (inside #if MANYNETS_CUDA_COMPILED for a CUDA one).
const BackendEntry backend_table[] = {
    {"reference", [](const BackendOptions&) { return reference::make_backend(); }},
};

}  // namespace

std::vector<std::string> available_backends() {
  std::vector<std::string> names;
  for (const BackendEntry& e : backend_table) names.emplace_back(e.name);
  return names;
}

std::unique_ptr<Backend> make_backend(const std::string& name, const BackendOptions& options) {
  if (name == "auto") return backend_table[0].make(options);
  std::string choices;
  for (const BackendEntry& e : backend_table) {
    if (name == e.name) return e.make(options);
    choices += std::string(e.name) + ", ";
  }
  throw input_error("unknown backend '" + name + "'; use one of " + choices + "auto");
}

void check_training_input(const Batch& batch, const Dataset& data) {
  const Shape s = batch.shape();
  const std::string what =
      "dataset " + (data.name.empty() ? std::string("(unnamed)") : "'" + data.name + "'");
  if (data.inputs != s.inputs || data.outputs != s.outputs) {
    throw input_error(what + " has " + std::to_string(data.inputs) + " inputs and " +
                      std::to_string(data.outputs) + " outputs but shape " + to_string(s) + " needs " +
                      std::to_string(s.inputs) + " and " + std::to_string(s.outputs) +
                      "; use a dataset or shape that match");
  }
  const std::size_t samples = data.samples();
  if (samples == 0) throw input_error(what + " has no samples; it needs at least one");
  if (data.x.size() != samples * static_cast<std::size_t>(data.inputs) ||
      data.t.size() != samples * static_cast<std::size_t>(data.outputs)) {
    throw input_error(what + " has " + std::to_string(data.x.size()) + " input values and " +
                      std::to_string(data.t.size()) + " target values, which is not a whole number of " +
                      std::to_string(data.inputs) + "-input, " + std::to_string(data.outputs) +
                      "-output samples");
  }
  for (std::size_t k = 0; k < data.x.size(); ++k) {
    if (!std::isfinite(data.x[k])) {
      throw input_error(what + ": sample " + std::to_string(k / data.inputs + 1) + " input x" +
                        std::to_string(k % data.inputs + 1) +
                        " is not finite; every value must be a finite number");
    }
  }
  for (std::size_t k = 0; k < data.t.size(); ++k) {
    if (!std::isfinite(data.t[k])) {
      throw input_error(what + ": sample " + std::to_string(k / data.outputs + 1) + " target t" +
                        std::to_string(k % data.outputs + 1) +
                        " is not finite; every value must be a finite number");
    }
  }
  batch.validate();
}

}  // namespace manynets

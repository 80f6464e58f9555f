// The backend registry (names, construction by name, "auto"), and the one entry
// point of every backend: the input checks before training.
#include <cmath>
#include <string>

#include "manynets/backend.hpp"
#include "manynets/cpu.hpp"
#include "manynets/devices.hpp"
#include "manynets/error.hpp"
#include "manynets/reference.hpp"
#include "manynets/version.hpp"

#if MANYNETS_CUDA_COMPILED
#include "host/backends/cuda/cublas_backend.hpp"
#include "host/backends/cuda/cuda_backend.hpp"
#endif

namespace manynets {

namespace {

struct BackendEntry {
  const char* name;
  std::unique_ptr<Backend> (*make)(const BackendOptions&);
};

// Every backend this build provides, best first; "auto" takes cuda when a device
// is usable, else the first entry that needs none (resolve_auto_backend). A new
// backend is one line here (inside #if MANYNETS_CUDA_COMPILED for a CUDA one).
const BackendEntry backend_table[] = {
#if MANYNETS_CUDA_COMPILED
    {"cuda", [](const BackendOptions& o) { return cuda::make_backend(cuda::Kernels::fused, o); }},
    {"cuda-staged", [](const BackendOptions& o) { return cuda::make_backend(cuda::Kernels::staged, o); }},
    {"cublas", [](const BackendOptions& o) { return cuda::make_cublas_backend(o); }},
#endif
    {"cpu", [](const BackendOptions& o) { return cpu::make_backend(o); }},
    {"reference", [](const BackendOptions&) { return reference::make_backend(); }},
};

bool needs_cuda(const std::string& name) {
  return name == "cuda" || name == "cuda-staged" || name == "cublas";
}

}  // namespace

std::string resolve_auto_backend(std::string* note) {
  std::string why;
  if (!cuda_devices(&why).empty()) {
    if (note) note->clear();
    return "cuda";
  }
  std::string fallback = "reference";
  for (const BackendEntry& e : backend_table) {
    if (!needs_cuda(e.name)) {
      fallback = e.name;
      break;
    }
  }
  if (note) *note = "no CUDA device is available (" + why + "); backend auto uses " + fallback;
  return fallback;
}

std::vector<std::string> available_backends() {
  std::vector<std::string> names;
  for (const BackendEntry& e : backend_table) names.emplace_back(e.name);
  return names;
}

std::unique_ptr<Backend> make_backend(const std::string& name, const BackendOptions& options) {
  if (name == "auto") return make_backend(resolve_auto_backend(), options);
#if !MANYNETS_CUDA_COMPILED
  if (needs_cuda(name))
    throw input_error("no CUDA device is available (built without CUDA); use --backend cpu or reference");
#endif
  std::string choices;
  for (const BackendEntry& e : backend_table) {
    if (name == e.name) return e.make(options);
    choices += std::string(e.name) + ", ";
  }
  throw input_error("unknown backend '" + name + "'; use one of " + choices + "auto");
}

Results Backend::train(const Batch& batch, const Dataset& data) {
  check_training_input(batch, data);
  if (!implements(batch.rule)) {
    throw input_error("backend " + name() + " implements rule backprop only; got " + to_string(batch.rule) +
                      " (use --backend reference)");
  }
  Results results;
  results.allocate(batch.shape(), batch.size(), batch.curve_every, batch.longest_run());
  results.backend = name();
  train_into(results, batch, data);
  return results;
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

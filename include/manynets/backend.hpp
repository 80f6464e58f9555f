// The Backend interface: trains every network of a Batch on a Dataset and
// returns Results. A backend never parses flags or writes files.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "manynets/batch.hpp"
#include "manynets/dataset.hpp"
#include "manynets/results.hpp"

namespace manynets {

// Every backend trains through one entry point, train(), which checks what it
// is given once for all of them and calls the backend's own train_into.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // Trains every network of `batch` on `data`. Throws Error on invalid input (a
  // shape the backend lacks, a dataset that does not fit the shape, a rule it
  // does not implement) or on a failure while running.
  Results train(const Batch& batch, const Dataset& data);
  // Seconds the last train() spent in device kernels, timed with CUDA events
  // (its wall time adds transfers and host work); negative for a backend that
  // runs on the host.
  virtual double last_kernel_seconds() const { return -1; }
  // Whether this backend implements `rule`; the seed program's lives in the reference only.
  virtual bool implements(Rule rule) const { return rule == Rule::backprop; }

 protected:
  // Trains a batch that fits `data` and asks for a rule this backend implements
  // into `results`, already sized for it: every curve slot NaN (what a slot after
  // a network stopped must read), `backend` named.
  virtual void train_into(Results& results, const Batch& batch, const Dataset& data) = 0;
};

// How a backend is set up; each backend reads the fields that concern it.
struct BackendOptions {
  int threads = 0;     // cpu: worker threads; 0 uses every core
  bool refill = true;  // cuda: a thread whose network stopped takes the next untrained one
  int device = 0;      // cuda: which CUDA device
  // cuda: networks per chunk (a batch trains chunk by chunk, copies overlapping
  // compute); 0 sizes chunks from the device's free memory.
  std::size_t chunk_networks = 0;
  // cpu, cuda: train the compiled shapes by the general path too, the code every
  // other shape runs (for tests and benchmarks that compare the two).
  bool general_path = false;
};

// The backend "auto" stands for in this process: cuda when a CUDA device is
// usable, else the first backend that needs none. `note` (optional) receives a
// one-line note when auto falls back, saying why ("" when it picks cuda).
std::string resolve_auto_backend(std::string* note = nullptr);

// Backend names this build provides, in order of preference.
std::vector<std::string> available_backends();
// Builds a backend by name; "auto" picks the best one available. Throws an
// invalid_input Error listing the available names for an unknown one.
std::unique_ptr<Backend> make_backend(const std::string& name, const BackendOptions& options = {});

// Checks that a batch and a dataset fit each other (shape, sizes, values) and
// throws an invalid_input Error otherwise; Backend::train calls it first.
void check_training_input(const Batch& batch, const Dataset& data);

}  // namespace manynets

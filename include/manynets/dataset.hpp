// A dataset shared by every network of a run: samples of inputs x and targets t,
// loaded from CSV (header x1..xI,t1..tO) or built by a preset.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include "manynets/limits.hpp"  // max_dataset_samples, max_csv_bytes

namespace manynets {

struct Dataset {
  std::string name;  // preset name or file path, for messages and reports
  int inputs = 0;
  int outputs = 0;
  std::vector<double> x;  // (samples, inputs), row-major
  std::vector<double> t;  // (samples, outputs), row-major

  std::size_t samples() const { return inputs > 0 ? x.size() / static_cast<std::size_t>(inputs) : 0; }
  double input(std::size_t s, int i) const { return x[s * static_cast<std::size_t>(inputs) + i]; }
  double target(std::size_t s, int k) const { return t[s * static_cast<std::size_t>(outputs) + k]; }
};

// Reads a CSV dataset for a network with `inputs` inputs and `outputs` outputs.
// The header must be exactly x1..xI,t1..tO (columns in any order); every cell a
// finite number. Throws an invalid_input Error naming the file, line and column.
Dataset load_csv(const std::string& path, int inputs, int outputs);
// The number of input and target columns the header of a CSV file names
// (x1..xI, t1..tO), read before the shape is known; load_csv checks the rest.
struct CsvColumns {
  int inputs = 0;
  int outputs = 0;
};
CsvColumns csv_columns(const std::string& path);
// The same from a stream; `name` stands for the file in messages.
Dataset parse_csv(std::istream& in, const std::string& name, int inputs, int outputs);

}  // namespace manynets

// Fuzz target: the CSV dataset parser (manynets::parse_csv). The first byte picks
// the network's inputs and outputs; the rest is the file's text. An accepted
// dataset must hold whole rows of finite numbers.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "fuzz_check.hpp"
#include "manynets/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  using namespace manynets;
  if (size == 0) return 0;
  const int inputs = 1 + bytes[0] % 4;         // 1..4
  const int outputs = 1 + (bytes[0] / 4) % 3;  // 1..3
  std::istringstream in(std::string(reinterpret_cast<const char*>(bytes) + 1, size - 1));
  try {
    const Dataset d = parse_csv(in, "fuzz.csv", inputs, outputs);
    fuzz::check(d.inputs == inputs && d.outputs == outputs, "dataset sizes differ from the shape");
    fuzz::check(d.samples() >= 1 && d.samples() <= max_dataset_samples, "sample count out of range");
    fuzz::check(d.x.size() == d.samples() * inputs && d.t.size() == d.samples() * outputs, "ragged dataset");
    for (const double v : d.x) fuzz::check(std::isfinite(v), "non-finite input accepted");
    for (const double v : d.t) fuzz::check(std::isfinite(v), "non-finite target accepted");
  } catch (const Error& e) {
    fuzz::check_rejection(e);
  } catch (const std::exception& e) {
    fuzz::check_other_exception(e);
  }
  return 0;
}

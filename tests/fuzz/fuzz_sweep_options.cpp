// Fuzz target: the sweep option parsers. The whole input goes to the list and
// range parser (parse_number_axis); then, read as lines "key=value", to
// make_sweep_spec, which parses every option text (lists, ranges, names, shapes,
// inits, counts). Small sweeps on a preset are expanded too.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "fuzz_check.hpp"
#include "fuzz_expand.hpp"
#include "manynets/sweep.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  using namespace manynets;
  const std::string text(reinterpret_cast<const char*>(bytes), size);
  try {
    const NumberAxis axis = parse_number_axis("lr", text);
    fuzz::check(!axis.values.empty(), "an axis with no values");
    for (const double v : axis.values) fuzz::check(std::isfinite(v), "non-finite axis value");
    if (axis.kind == NumberAxis::Kind::log) fuzz::check(axis.low > 0 && axis.high > 0, "log range end <= 0");
    for (const double u : {1e-9, 0.25, 0.5, 0.999999}) {
      fuzz::check(std::isfinite(axis.draw(u)), "non-finite random draw");
    }
  } catch (const Error& e) {
    fuzz::check_rejection(e);
  } catch (const std::exception& e) {
    fuzz::check_other_exception(e);
  }

  std::map<std::string, std::string> texts;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    const std::size_t eq = line.find('=');
    if (eq != std::string::npos) texts[line.substr(0, eq)] = line.substr(eq + 1);
    pos = end + 1;
  }
  fuzz::check_spec(texts);
  return 0;
}

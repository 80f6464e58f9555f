// Text helpers for the command's reports: numbers at a chosen precision,
// padding for aligned tables, and joined lists. A value a user may copy into
// another command is written with number_text (manynets/number_text.hpp).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "manynets/number_text.hpp"

namespace manynets {
namespace cli {

// printf's %.*g: `digits` significant digits, trailing zeros dropped.
inline std::string format_g(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

inline std::string pad_left(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

inline std::string pad_right(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

inline std::string join(const std::vector<std::string>& items, const std::string& separator = ", ") {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

}  // namespace cli
}  // namespace manynets

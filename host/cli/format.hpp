// Text helpers for the command's reports: numbers at a chosen precision, the
// shortest text that reads back to the same double (for values a user may copy
// into another command), padding for aligned tables, and joined lists.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace manynets {
namespace cli {

// printf's %.*g: `digits` significant digits, trailing zeros dropped.
inline std::string format_g(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

// The fewest significant digits that read back as exactly v ("0.5", not "0.50000000000000000").
inline std::string shortest(double v) {
  for (int digits = 1; digits < 17; ++digits) {
    const std::string s = format_g(v, digits);
    if (std::strtod(s.c_str(), nullptr) == v) return s;
  }
  return format_g(v, 17);
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

// The one exception type of manynets. Its kind tells a caller whether the
// input was at fault (fix the input; the command exits 2) or the run failed
// (exit 1); the message is one line saying what is wrong and what to do.
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>

namespace manynets {

// `text` with line breaks and other control characters written as escapes
// (\n, \r, \t, \xNN): a message quoting what the user typed or a file held
// stays one line whatever that was.
inline std::string one_line(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned>(u));
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

enum class ErrorKind {
  invalid_input,  // bad flag, value, file or dataset: the user must change it
  runtime,        // a failure while running: out of memory, a device error, I/O
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(one_line(message)), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

// Shorthands for the two kinds.
inline Error input_error(const std::string& message) {
  return Error(ErrorKind::invalid_input, message);
}
inline Error runtime_error(const std::string& message) {
  return Error(ErrorKind::runtime, message);
}

}  // namespace manynets

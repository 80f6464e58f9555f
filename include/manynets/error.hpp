// The one exception type of manynets. Its kind tells a caller whether the
// input was at fault (fix the input; the command exits 2) or the run failed
// (exit 1); the message is one line saying what is wrong and what to do.
#pragma once

#include <stdexcept>
#include <string>

namespace manynets {

enum class ErrorKind {
  invalid_input,  // bad flag, value, file or dataset: the user must change it
  runtime,        // a failure while running: out of memory, a device error, I/O
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
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

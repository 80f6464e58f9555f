// Shared by the fuzz targets: what every input must leave true. A bad input may
// only end in a manynets::Error of kind invalid_input whose message is one
// line; anything else (another exception, a memory error, undefined behaviour,
// a broken invariant of what was parsed) aborts, which the fuzzer reports.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "manynets/error.hpp"

namespace manynets {
namespace fuzz {

[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz check failed: %s\n", what.c_str());
  std::abort();
}

inline void check(bool ok, const std::string& what) {
  if (!ok) fail(what);
}

// A rejection: an invalid_input Error with a one-line message (a library caller
// gets the message as it is; only the command flattens what it prints).
inline void check_rejection(const Error& e) {
  check(e.kind() == ErrorKind::invalid_input,
        std::string("bad input reported as a runtime failure: ") + e.what());
  const std::string m = e.what();
  check(!m.empty(), "empty error message");
  check(m.find_first_of("\r\n") == std::string::npos, "error message spans lines: " + m);
}

// Any other exception is a finding, unless its message contains the text of
// MANYNETS_FUZZ_TOLERATE (a known finding, so a run can look past it).
inline void check_other_exception(const std::exception& e) {
  const char* known = std::getenv("MANYNETS_FUZZ_TOLERATE");
  if (known != nullptr && *known != '\0' && std::string(e.what()).find(known) != std::string::npos) return;
  fail(std::string("an exception that is not a manynets::Error escaped: ") + e.what());
}

}  // namespace fuzz
}  // namespace manynets

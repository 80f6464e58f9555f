// Helpers shared by the test files: checking that a call fails with a clear
// input error.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "manynets/error.hpp"

namespace manynets {
namespace testing {

// Runs f and expects an invalid_input Error whose one-line message holds every
// one of `parts`; returns the message (empty when nothing was thrown).
inline std::string expect_input_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_input) << e.what();
    const std::string msg = e.what();
    for (const std::string& p : parts)
      EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "message is not one line: " << msg;
    return msg;
  }
  ADD_FAILURE() << "no Error thrown; expected one mentioning " << (parts.empty() ? "" : parts[0]);
  return "";
}

}  // namespace testing
}  // namespace manynets

// The one text manynets gives a number (manynets/number_text.hpp).
#include "manynets/number_text.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

namespace manynets {

namespace {

template <class T>
char* put_number(char* p, T v) {
  if (std::isnan(v)) {
    std::memcpy(p, "nan", 3);
    return p + 3;
  }
  if (v == 0) {
    *p = '0';
    return p + 1;
  }
  return std::to_chars(p, p + 32, v).ptr;
}

}  // namespace

char* format_number(char* buf, double v) {
  return put_number(buf, v);
}

char* format_number(char* buf, float v) {
  return put_number(buf, v);
}

std::string number_text(double v) {
  char buf[32];
  return std::string(buf, format_number(buf, v));
}

}  // namespace manynets

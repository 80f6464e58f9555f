// The one text manynets gives a number, in files and messages alike: the
// shortest that reads back as exactly the same value (std::to_chars), "0" for
// either zero and "nan" for every NaN, whatever its sign bit (x86's default NaN
// is negative, and the same result must read the same from every backend).
#pragma once

#include <string>

namespace manynets {

// Writes v's text at buf (room for 32 bytes) and returns its end. A float gets
// the float's own shortest text ("0.1", not "0.100000001").
char* format_number(char* buf, double v);
char* format_number(char* buf, float v);

std::string number_text(double v);

}  // namespace manynets

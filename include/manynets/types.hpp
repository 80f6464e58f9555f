// Vocabulary types of manynets: network shapes, activations, optimizers,
// training modes and statuses, with their names as the command line and the
// output files spell them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace manynets {

// A fully connected I-H-O network with one hidden layer.
struct Shape {
  int inputs = 2;
  int hidden = 2;
  int outputs = 2;

  // Parameters in DESIGN.md's order: W1 (H x I, row-major), W2 (O x H), b1 (H), b2 (O).
  constexpr int num_params() const { return hidden * inputs + outputs * hidden + hidden + outputs; }
  constexpr bool operator==(const Shape& o) const {
    return inputs == o.inputs && hidden == o.hidden && outputs == o.outputs;
  }
  constexpr bool operator!=(const Shape& o) const { return !(*this == o); }
};

enum class Activation : std::uint8_t { sigmoid, tanh, relu, identity };
enum class Optimizer : std::uint8_t { sgd, momentum, adam };
// full: every step uses the mean gradient over all samples.
// online: every step uses one sample, in a per-network shuffled order per epoch.
enum class Mode : std::uint8_t { full, online };
// Why a network stopped training.
enum class Status : std::uint8_t {
  max_steps,  // ran all its steps without reaching its target loss
  converged,  // reached its target loss
  diverged,   // its loss or a parameter stopped being finite
};
// precise: library exp and IEEE division; fast: hardware approximations where a
// device has them (on the host both modes compute the same thing).
enum class MathMode : std::uint8_t { precise, fast };
// backprop: the exact gradient. seed_blog: the seed program's update with its two
// mistakes (reference backend, 2-2-2 sigmoid/sigmoid only), to reproduce its figure.
enum class Rule : std::uint8_t { backprop, seed_blog };

const char* to_string(Activation a);
const char* to_string(Optimizer o);
const char* to_string(Mode m);
const char* to_string(Status s);
const char* to_string(MathMode m);
const char* to_string(Rule r);
std::string to_string(const Shape& s);  // "2-2-2"

// Parsers for the names above; they throw manynets::Error (invalid_input) with a
// message that lists the accepted names.
Activation parse_activation(const std::string& name);
Optimizer parse_optimizer(const std::string& name);
Mode parse_mode(const std::string& name);
MathMode parse_math_mode(const std::string& name);
Rule parse_rule(const std::string& name);
Shape parse_shape(const std::string& text);  // "I-H-O" within the limits below

// The layer sizes manynets trains (limits.hpp), as a message names them:
// "1..16 inputs, 1..64 hidden units and 1..16 outputs"; check_shape_limits
// throws an invalid_input Error naming them for a shape beyond them.
std::string shape_limits();
void check_shape_limits(const Shape& s);

// Parameter names in DESIGN.md's order: w1..w8, b1[0], b1[1], b2[0], b2[1] for 2-2-2;
// W1 entries continue the numbering w1.., then W2, then b1[h], b2[o] for other shapes.
std::string param_name(const Shape& s, int p);

}  // namespace manynets

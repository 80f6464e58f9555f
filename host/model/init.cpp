// Initial parameters: the worked example's values, or random draws keyed by
// (seed, network id, parameter index) so a network starts the same in any batch
// size, chunk or backend.
#include "manynets/init.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "manynets/error.hpp"
#include "manynets/number_text.hpp"
#include "manynets/presets.hpp"
#include "manynets/detail/random.hpp"

namespace manynets {

namespace {

const char* const init_usage = "use one of seed, uniform:A, normal:S, xavier (A and S finite and > 0)";

double parse_scale(const std::string& text, const std::string& value, const char* what) {
  const char* begin = value.c_str();
  char* end = nullptr;
  const double v = value.empty() ? NAN : std::strtod(begin, &end);
  if (value.empty() || end != begin + value.size()) {
    throw input_error("bad init '" + text + "': " + what + " '" + value + "' is not a number; " + init_usage);
  }
  if (!std::isfinite(v) || v <= 0) {
    throw input_error("bad init '" + text + "': " + what + " " + value + " must be finite and > 0; " +
                      init_usage);
  }
  return v;
}

}  // namespace

InitSpec parse_init(const std::string& text) {
  InitSpec spec;
  if (text == "seed") {
    spec.kind = InitSpec::Kind::seed;
  } else if (text == "xavier") {
    spec.kind = InitSpec::Kind::xavier;
  } else if (text.rfind("uniform:", 0) == 0) {
    spec.kind = InitSpec::Kind::uniform;
    spec.scale = parse_scale(text, text.substr(8), "half-width");
  } else if (text.rfind("normal:", 0) == 0) {
    spec.kind = InitSpec::Kind::normal;
    spec.scale = parse_scale(text, text.substr(7), "standard deviation");
  } else if (text == "uniform" || text == "normal") {
    throw input_error("bad init '" + text + "': it needs a scale, e.g. " + text + ":1; " + init_usage);
  } else {
    throw input_error("unknown init '" + text + "'; " + init_usage);
  }
  return spec;
}

std::string to_string(const InitSpec& spec) {
  switch (spec.kind) {
    case InitSpec::Kind::seed:
      return "seed";
    case InitSpec::Kind::uniform:
      return "uniform:" + number_text(spec.scale);
    case InitSpec::Kind::normal:
      return "normal:" + number_text(spec.scale);
    case InitSpec::Kind::xavier:
      return "xavier";
  }
  return "unknown";
}

void initialize(Batch& batch, const InitSpec& spec) {
  initialize(batch, spec, 0, batch.size());
}

void initialize(Batch& batch, const InitSpec& spec, std::size_t begin, std::size_t end) {
  const Shape s = batch.shape();
  const int params = batch.num_params();
  if (begin > end || end > batch.size()) {
    throw input_error("initialize: networks " + std::to_string(begin) + ".." + std::to_string(end) +
                      " are outside the batch of " + std::to_string(batch.size()));
  }

  if (spec.kind == InitSpec::Kind::seed) {
    if (s != Shape{2, 2, 2}) {
      throw input_error("init 'seed' holds the worked example's 2-2-2 weights and does not fit shape " +
                        to_string(s) + "; use uniform:A, normal:S or xavier");
    }
    double values[12];
    for (int p = 0; p < 8; ++p) values[p] = seed_example::weights[p];
    values[8] = values[9] = seed_example::b1;
    values[10] = values[11] = seed_example::b2;
    for (std::size_t i = begin; i < end; ++i) batch.set_params(i, values);
    return;
  }
  if ((spec.kind == InitSpec::Kind::uniform || spec.kind == InitSpec::Kind::normal) &&
      !(std::isfinite(spec.scale) && spec.scale > 0)) {
    throw input_error("init " + to_string(spec) + " needs a finite scale > 0");
  }

  const int w1_count = s.hidden * s.inputs;
  const int weight_count = w1_count + s.outputs * s.hidden;
  const double xavier_w1 = std::sqrt(6.0 / (s.inputs + s.hidden));
  const double xavier_w2 = std::sqrt(6.0 / (s.hidden + s.outputs));
  const double two_pi = 6.283185307179586476925286766559;

  for (std::size_t i = begin; i < end; ++i) {
    const std::uint64_t id = batch.first_id + i;
    for (int p = 0; p < params; ++p) {
      const auto w = random_words(batch.seed, id, static_cast<std::uint32_t>(p), RandomPurpose::init);
      const double u = unit_open(w.v[0], w.v[1]);
      double value = 0.0;
      switch (spec.kind) {
        case InitSpec::Kind::uniform:
          value = spec.scale * (2.0 * u - 1.0);
          break;
        case InitSpec::Kind::normal: {
          // Box-Muller: one normal draw from two uniforms in (0, 1).
          const double u2 = unit_open(w.v[2], w.v[3]);
          value = spec.scale * std::sqrt(-2.0 * std::log(u)) * std::cos(two_pi * u2);
          break;
        }
        case InitSpec::Kind::xavier:
          if (p < weight_count) value = (p < w1_count ? xavier_w1 : xavier_w2) * (2.0 * u - 1.0);
          break;
        case InitSpec::Kind::seed:
          break;
      }
      batch.param(i, p) = value;
    }
  }
}

}  // namespace manynets

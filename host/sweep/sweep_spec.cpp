// Sweep specs: parsing value lists and ranges, option texts and JSON config
// files into a SweepSpec, and expanding a spec into one Batch per shape with
// global network ids (grid product or random draws from Philox).
#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "host/sweep/axes.hpp"
#include "manynets/dataset.hpp"
#include "manynets/detail/random.hpp"
#include "manynets/error.hpp"
#include "manynets/presets.hpp"
#include "manynets/shapes.hpp"
#include "manynets/sweep.hpp"
#include "manynets/writers.hpp"

namespace manynets {

namespace {

std::string in_quotes(const std::string& text) {
  return "'" + text + "'";
}

// Splits on ','; an empty cell ("0.1,,0.5" or a trailing comma) is an error.
std::vector<std::string> split_list(const std::string& option, const std::string& text) {
  std::vector<std::string> cells;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t comma = text.find(',', pos);
    cells.push_back(text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    if (cells.back().empty()) {
      throw input_error("--" + option + " " + in_quotes(text) +
                        " has an empty value; write a list as a,b,c with no empty entries");
    }
    if (comma == std::string::npos) return cells;
    pos = comma + 1;
  }
}

// A plain finite decimal ("0.5", "1e-3"); no hex, spaces, nan or inf.
double parse_decimal(const std::string& option, const std::string& whole, const std::string& text) {
  const bool plain = !text.empty() && text.find_first_not_of("0123456789+-.eE") == std::string::npos;
  errno = 0;
  char* end = nullptr;
  const double v = plain ? std::strtod(text.c_str(), &end) : 0.0;
  if (!plain || end != text.c_str() + text.size() || !std::isfinite(v)) {
    if (text == whole) {
      throw input_error("--" + option + " " + in_quotes(text) + " is not a finite number such as 0.5");
    }
    throw input_error("--" + option + " " + in_quotes(whole) + ": " + in_quotes(text) +
                      " is not a finite number; use lists a,b,c or ranges a:b:n or a:b:n:log");
  }
  return v;
}

long long parse_count(const std::string& option, const std::string& whole, const std::string& text,
                      long long min, long long max) {
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  errno = 0;
  const long long v = digits && text.size() < 19 ? std::strtoll(text.c_str(), nullptr, 10) : -1;
  if (!digits || v < min || v > max) {
    throw input_error("--" + option + " " + in_quotes(whole) + ": " + in_quotes(text) +
                      " must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return v;
}

// Checks every grid value (and a range's ends) against [min, max] or [min, max).
void check_axis(const std::string& option, const std::string& text, const NumberAxis& axis, double min,
                double max, bool max_open, const std::string& advice) {
  std::vector<double> all = axis.values;
  if (axis.kind != NumberAxis::Kind::list) {
    all.push_back(axis.low);
    all.push_back(axis.high);
  }
  for (double v : all) {
    if (v < min || v > max || (max_open && v == max)) {
      throw input_error("--" + option + " " + in_quotes(text) + ": value " + number_text(v) +
                        " is out of range; " + advice);
    }
  }
}

template <class T>
std::size_t distinct_count(const std::vector<T>& values) {
  std::size_t n = 0;
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (std::find(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values[k]) ==
        values.begin() + static_cast<std::ptrdiff_t>(k))
      ++n;
  }
  return n;
}

// One configuration: for every axis (in Hyperparameter order) its number, or
// the index into its list.
using Config = std::array<double, hyperparameter_count>;

constexpr std::size_t axis(Hyperparameter h) {
  return static_cast<std::size_t>(h);
}

// Refuses a sweep whose batches and results would not fit in the memory left,
// before they are allocated.
void check_memory(const std::vector<Shape>& shapes, const std::vector<std::size_t>& networks) {
  std::size_t need = 0, total = 0;
  for (std::size_t s = 0; s < shapes.size(); ++s) {
    need += batch_memory_bytes(networks[s], shapes[s].num_params());
    total += networks[s];
  }
  const std::size_t available = available_memory_bytes();
  if (available == 0 || need <= available) return;
  // Three significant digits in the largest unit that keeps a whole number.
  const auto size_text = [](std::size_t bytes) {
    const double b = static_cast<double>(bytes);
    const char* unit = b >= 1e9 ? " GB" : b >= 1e6 ? " MB" : " kB";
    const double scale = b >= 1e9 ? 1e9 : b >= 1e6 ? 1e6 : 1e3;
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", b / scale);
    return text + std::string(unit);
  };
  const std::size_t fits =
      need > 0 ? static_cast<std::size_t>(static_cast<double>(total) * static_cast<double>(available) /
                                          static_cast<double>(need))
               : total;
  throw input_error(std::to_string(total) + " networks need about " + size_text(need) +
                    " of memory, more than the " + size_text(available) +
                    " available; split the sweep into chunks of at most about " + std::to_string(fits) +
                    " networks (fewer values, --seeds or --random N per run, each run with its own --out)");
}

// One cell of a list axis.
Shape parse_cell(const std::string&, const std::string&, const std::string& cell, const Shape*) {
  return parse_shape(cell);
}
Optimizer parse_cell(const std::string&, const std::string&, const std::string& cell, const Optimizer*) {
  return parse_optimizer(cell);
}
Activation parse_cell(const std::string&, const std::string&, const std::string& cell, const Activation*) {
  return parse_activation(cell);
}
InitSpec parse_cell(const std::string&, const std::string&, const std::string& cell, const InitSpec*) {
  return parse_init(cell);
}
Mode parse_cell(const std::string&, const std::string&, const std::string& cell, const Mode*) {
  return parse_mode(cell);
}
bool parse_cell(const std::string& option, const std::string& whole, const std::string& cell, const bool*) {
  if (cell != "on" && cell != "off")
    throw input_error("--" + option + " expects on or off (a sweep also takes on,off), got " +
                      in_quotes(whole));
  return cell == "on";
}

template <class V>
void parse_axis(Hyperparameter, const std::string& option, const std::string& text, std::vector<V>& list) {
  list.clear();
  for (const std::string& cell : split_list(option, text))
    list.push_back(parse_cell(option, text, cell, static_cast<const V*>(nullptr)));
}

// A numeric axis, checked against the range of its hyperparameter.
void parse_axis(Hyperparameter h, const std::string& option, const std::string& text, NumberAxis& axis) {
  axis = parse_number_axis(option, text);
  switch (h) {
    case Hyperparameter::learning_rate:
      check_axis(option, text, axis, 0, HUGE_VAL, false, "learning rates must be >= 0");
      break;
    case Hyperparameter::momentum:
      check_axis(option, text, axis, 0, 1, true, "momentum must be in [0, 1)");
      break;
    case Hyperparameter::weight_decay:
      check_axis(option, text, axis, 0, HUGE_VAL, false, "weight decays must be >= 0");
      break;
    case Hyperparameter::target_loss:
      check_axis(option, text, axis, 0, HUGE_VAL, false, "target losses must be >= 0");
      break;
    case Hyperparameter::max_steps:
      check_axis(option, text, axis, 1, max_allowed_steps, false,
                 "step counts must be from 1 to " + std::to_string(max_allowed_steps));
      if (axis.kind == NumberAxis::Kind::list) {
        for (double v : axis.values) {
          if (v != std::floor(v))
            throw input_error("--" + option + " " + in_quotes(text) + ": " + number_text(v) +
                              " is not a whole number of steps");
        }
      }
      for (double& v : axis.values) v = axes::step_count(v);  // ranges land on whole steps
      break;
    default:
      throw std::logic_error("no range for the numeric axis " + option);
  }
}

}  // namespace

// ---- NumberAxis

NumberAxis NumberAxis::single(double v) {
  return list({v});
}

NumberAxis NumberAxis::list(std::vector<double> v) {
  NumberAxis a;
  a.kind = Kind::list;
  a.values = std::move(v);
  if (!a.values.empty()) {
    a.low = *std::min_element(a.values.begin(), a.values.end());
    a.high = *std::max_element(a.values.begin(), a.values.end());
  }
  return a;
}

NumberAxis NumberAxis::linear(double first, double last, int n) {
  NumberAxis a;
  a.kind = Kind::linear;
  a.low = first;
  a.high = last;
  for (int k = 0; k < n; ++k) a.values.push_back(n == 1 ? first : first + (last - first) * k / (n - 1));
  if (n > 1) a.values.back() = last;
  return a;
}

NumberAxis NumberAxis::log(double first, double last, int n) {
  NumberAxis a;
  a.kind = Kind::log;
  a.low = first;
  a.high = last;
  const double lf = std::log(first), ll = std::log(last);
  for (int k = 0; k < n; ++k) a.values.push_back(n == 1 ? first : std::exp(lf + (ll - lf) * k / (n - 1)));
  if (!a.values.empty()) a.values.front() = first;
  if (n > 1) a.values.back() = last;
  return a;
}

bool NumberAxis::varies(bool random) const {
  if (random && kind != Kind::list) return low != high;
  return distinct_count(values) > 1;
}

double NumberAxis::draw(double u) const {
  switch (kind) {
    case Kind::linear:
      return low + u * (high - low);
    case Kind::log:
      return std::exp(std::log(low) + u * (std::log(high) - std::log(low)));
    case Kind::list:
    default: {
      const std::size_t k = std::min(values.size() - 1, static_cast<std::size_t>(u * values.size()));
      return values[k];
    }
  }
}

NumberAxis parse_number_axis(const std::string& option, const std::string& text) {
  if (text.empty()) throw input_error("--" + option + " needs a value, a list a,b,c or a range a:b:n[:log]");
  if (text.find(':') == std::string::npos) {
    std::vector<double> values;
    for (const std::string& cell : split_list(option, text))
      values.push_back(parse_decimal(option, text, cell));
    return NumberAxis::list(std::move(values));
  }
  if (text.find(',') != std::string::npos) {
    throw input_error("--" + option + " " + in_quotes(text) +
                      " mixes a list and a range; give either a,b,c or a:b:n[:log]");
  }
  std::vector<std::string> parts;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t colon = text.find(':', pos);
    parts.push_back(text.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos));
    if (colon == std::string::npos) break;
    pos = colon + 1;
  }
  if (parts.size() < 3 || parts.size() > 4 || (parts.size() == 4 && parts[3] != "log")) {
    throw input_error("--" + option + " " + in_quotes(text) +
                      " is not a range; write a:b:n (n values from a to b) or a:b:n:log (log-spaced)");
  }
  const double first = parse_decimal(option, text, parts[0]);
  const double last = parse_decimal(option, text, parts[1]);
  const int n = static_cast<int>(parse_count(option, text, parts[2], 1, max_range_values));
  if (parts.size() == 4) {
    if (!(first > 0 && last > 0)) {
      throw input_error("--" + option + " " + in_quotes(text) + ": a log range needs both ends > 0");
    }
    return NumberAxis::log(first, last, n);
  }
  return NumberAxis::linear(first, last, n);
}

// ---- option texts and config files

const char* to_string(Hyperparameter h) {
  static const char* const names[] = {
#define MANYNETS_AXIS_NAME(name, field, option) #name,
      MANYNETS_SWEEP_AXES(MANYNETS_AXIS_NAME, MANYNETS_AXIS_NAME)
#undef MANYNETS_AXIS_NAME
  };
  const std::size_t k = axis(h);
  return k < hyperparameter_count ? names[k] : "unknown";
}

const char* option_name(Hyperparameter h) {
  static const char* const options[] = {
#define MANYNETS_AXIS_OPTION(name, field, option) option,
      MANYNETS_SWEEP_AXES(MANYNETS_AXIS_OPTION, MANYNETS_AXIS_OPTION)
#undef MANYNETS_AXIS_OPTION
  };
  const std::size_t k = axis(h);
  return k < hyperparameter_count ? options[k] : "unknown";
}

bool is_numeric(Hyperparameter h) {
  static const bool numeric[] = {
#define MANYNETS_AXIS_NUMERIC(name, field, option) axes::is_numeric(SweepSpec{}.field),
      MANYNETS_SWEEP_AXES(MANYNETS_AXIS_NUMERIC, MANYNETS_AXIS_NUMERIC)
#undef MANYNETS_AXIS_NUMERIC
  };
  const std::size_t k = axis(h);
  return k < hyperparameter_count && numeric[k];
}

// --hidden's widths: a list or range of whole numbers from 1 to the hidden
// limit (a range's values rounded to whole widths), each once, in order.
std::vector<int> parse_hidden_widths(const std::string& text) {
  const NumberAxis axis = parse_number_axis("hidden", text);
  const std::string need =
      "hidden widths must be whole numbers from 1 to " + std::to_string(max_network_hidden);
  if (axis.kind != NumberAxis::Kind::list) {
    if (axis.low < 1 || axis.high < 1 || axis.low > max_network_hidden || axis.high > max_network_hidden)
      throw input_error("--hidden " + in_quotes(text) + ": " + need);
  }
  std::vector<int> widths;
  for (double v : axis.values) {
    if (axis.kind == NumberAxis::Kind::list && v != std::floor(v))
      throw input_error("--hidden " + in_quotes(text) + ": " + number_text(v) + " is not a whole number; " +
                        need);
    const double w = std::round(v);
    if (!(w >= 1 && w <= max_network_hidden)) throw input_error("--hidden " + in_quotes(text) + ": " + need);
    const int width = static_cast<int>(w);
    if (std::find(widths.begin(), widths.end(), width) == widths.end()) widths.push_back(width);
  }
  return widths;
}

// Gives every shape each of --hidden's widths in turn, each resulting shape
// once: 2-2-1 with --hidden 1:4:4 becomes 2-1-1, 2-2-1, 2-3-1, 2-4-1.
void apply_hidden_widths(SweepSpec& spec) {
  if (spec.hidden.empty()) return;
  std::vector<Shape> shapes;
  for (const Shape& s : spec.shapes) {
    for (int width : spec.hidden) {
      const Shape w{s.inputs, width, s.outputs};
      if (std::find(shapes.begin(), shapes.end(), w) == shapes.end()) shapes.push_back(w);
    }
  }
  spec.shapes = std::move(shapes);
  spec.hidden.clear();
}

const std::vector<std::string>& sweep_spec_keys() {
  static const std::vector<std::string> keys = {
      "preset",
      "data",
      "hidden",
#define MANYNETS_AXIS_OPTION(name, field, option) option,
      MANYNETS_SWEEP_AXES(MANYNETS_AXIS_OPTION, MANYNETS_AXIS_OPTION)
#undef MANYNETS_AXIS_OPTION
          "seeds",
      "random",
      "seed",
      "rule",
      "math"};
  return keys;
}

SweepSpec make_sweep_spec(const std::map<std::string, std::string>& texts) {
  SweepSpec spec;
  const auto get = [&texts](const char* key, std::string& value) {
    const auto it = texts.find(key);
    if (it == texts.end()) return false;
    value = it->second;
    return true;
  };
  std::string t;
  if (get("preset", t)) {
    if (t.find(',') != std::string::npos)
      throw input_error("--preset takes one preset per sweep, got " + in_quotes(t));
    spec.preset = t;
  }
  if (get("data", t)) spec.data_path = t;
#define MANYNETS_PARSE_AXIS(name, field, option) \
  if (get(option, t)) parse_axis(Hyperparameter::name, option, t, spec.field);
  MANYNETS_SWEEP_AXES(MANYNETS_PARSE_AXIS, MANYNETS_PARSE_AXIS)
#undef MANYNETS_PARSE_AXIS
  if (get("hidden", t)) spec.hidden = parse_hidden_widths(t);
  if (get("seeds", t)) spec.seeds = static_cast<int>(parse_count("seeds", t, t, 1, 1000000));
  if (get("random", t)) {
    spec.random = static_cast<std::size_t>(parse_count("random", t, t, 1, max_sweep_networks));
  }
  if (get("seed", t)) {
    const bool digits =
        !t.empty() && t.size() <= 20 && t.find_first_not_of("0123456789") == std::string::npos;
    errno = 0;
    const unsigned long long v = digits ? std::strtoull(t.c_str(), nullptr, 10) : 0;
    if (!digits || errno == ERANGE)
      throw input_error("--seed expects a whole number >= 0, got " + in_quotes(t));
    spec.seed = v;
  }
  if (get("rule", t)) spec.rule = parse_rule(t);
  if (get("math", t)) spec.math_mode = parse_math_mode(t);
  // Without --steps, rule seed-blog replays the seed program's whole run.
  if (spec.rule == Rule::seed_blog && spec.max_steps.empty()) {
    spec.max_steps = NumberAxis::single(seed_example::program_updates);
  }
  return spec;
}

std::map<std::string, std::string> read_sweep_config(const std::string& path,
                                                     const std::vector<std::string>& known_keys) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw input_error("the config file '" + path + "' is a directory; give --config a JSON file");
  }
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > max_config_bytes) {
    throw input_error("the config file '" + path + "' is too large (" + std::to_string(size) +
                      " bytes, limit " + std::to_string(max_config_bytes) +
                      "); a config holds a few option texts such as {\"lr\": \"0.1:2:8:log\"}");
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw input_error("cannot read the config file '" + path +
                      "': " + (errno ? std::strerror(errno) : "unknown error") +
                      "; give --config a readable JSON file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw input_error("cannot read the config file '" + path + "'; give --config a readable JSON file");
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    // parse_error, and out_of_range for a number past the double range (1e400).
    std::string why = e.what();
    for (char& c : why) c = c == '\n' ? ' ' : c;
    throw input_error("config file '" + path + "' is not valid JSON: " + why);
  }
  if (!j.is_object()) {
    throw input_error("config file '" + path +
                      "' must hold one JSON object such as {\"lr\": \"0.1:2:8:log\"}");
  }
  std::map<std::string, std::string> texts;
  std::string known;
  for (const std::string& k : known_keys) known += (known.empty() ? "" : ", ") + k;
  const auto scalar = [&path](const std::string& key, const nlohmann::json& v) -> std::string {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "on" : "off";
    if (v.is_number_integer()) return v.dump();
    if (v.is_number()) return number_text(v.get<double>());
    throw input_error("config file '" + path + "': \"" + key + "\" has a value " + v.dump() +
                      " that is not a string, number or boolean");
  };
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find(known_keys.begin(), known_keys.end(), it.key()) == known_keys.end()) {
      throw input_error("config file '" + path + "': unknown key \"" + it.key() + "\"; keys are " + known);
    }
    if (it.value().is_array()) {
      std::string joined;
      for (const nlohmann::json& v : it.value()) joined += (joined.empty() ? "" : ",") + scalar(it.key(), v);
      texts[it.key()] = joined;
    } else {
      texts[it.key()] = scalar(it.key(), it.value());
    }
  }
  return texts;
}

// ---- expansion

std::size_t SweepPlan::networks() const {
  std::size_t n = 0;
  for (const SweepGroup& g : groups) n += g.batch.size();
  return n;
}

namespace {

// What a sweep trains on: a dataset per shape, and the values its empty axes take.
struct Workload {
  std::vector<Dataset> datasets;
  NetworkConfig base;
  InitSpec base_init;
  std::string description;  // "preset xor" or "data FILE"
};

Workload load_data_workload(SweepSpec& spec) {
  if (!spec.preset.empty()) throw input_error("--preset and --data exclude each other; give one of them");
  if (spec.shapes.empty() && !spec.hidden.empty()) {
    const CsvColumns columns = csv_columns(spec.data_path);
    spec.shapes.push_back(Shape{columns.inputs, spec.hidden.front(), columns.outputs});
  }
  if (spec.shapes.empty()) {
    throw input_error(
        "--data needs --shape I-H-O, or --hidden W, to know its network (e.g. --shape 2-2-1 for x1,x2,t1)");
  }
  apply_hidden_widths(spec);
  Workload w;
  for (const Shape& s : spec.shapes) {
    check_shape_limits(s);
    w.datasets.push_back(load_csv(spec.data_path, s.inputs, s.outputs));
  }
  w.base_init = InitSpec{InitSpec::Kind::uniform, 1.0};
  w.description = "data " + spec.data_path;
  return w;
}

// Fills in the seed preset, and the preset's own shape, when the spec names none; the
// defaults are those of the last shape's variant of the preset.
Workload load_preset_workload(SweepSpec& spec) {
  if (spec.preset.empty()) spec.preset = "seed";
  if (spec.shapes.empty()) spec.shapes.push_back(make_preset(spec.preset).shape);
  apply_hidden_widths(spec);
  Workload w;
  for (const Shape& s : spec.shapes) {
    check_shape_limits(s);
    Preset p = make_preset(spec.preset, &s);
    w.base = p.config;
    w.base_init = p.init;
    w.datasets.push_back(std::move(p.data));
  }
  w.description = "preset " + spec.preset;
  return w;
}

void check_shapes_distinct(const std::vector<Shape>& shapes) {
  for (std::size_t k = 0; k < shapes.size(); ++k) {
    for (std::size_t j = 0; j < k; ++j) {
      if (shapes[j] == shapes[k])
        throw input_error("--shape lists " + to_string(shapes[k]) + " twice; list each shape once");
    }
  }
}

// The shapes are filled in with the workload.
void fill_empty_axes(SweepSpec& spec, const NetworkConfig& base, const InitSpec& base_init) {
#define MANYNETS_FILL_AXIS(name, field, option) \
  if (spec.field.empty()) spec.field = axes::only<decltype(spec.field)>(base.name);
  MANYNETS_SWEEP_AXES(MANYNETS_FILL_AXIS, MANYNETS_SKIP_AXIS)
#undef MANYNETS_FILL_AXIS
  if (spec.inits.empty()) spec.inits = {base_init};
}

// A network keeps its init as a 16-bit index, and init 'seed' is a fixed 2-2-2 network.
void check_inits_fit(const SweepSpec& spec) {
  if (spec.inits.size() > 65535) throw input_error("--init lists more than 65535 initialisations");
  for (const InitSpec& init : spec.inits) {
    if (init.kind == InitSpec::Kind::seed) {
      for (const Shape& s : spec.shapes) {
        if (s != Shape{2, 2, 2})
          throw input_error("init 'seed' holds the worked example's 2-2-2 weights and does not fit shape " +
                            to_string(s) + "; use uniform:A, normal:S or xavier");
      }
    }
  }
}

Error too_many_networks() {
  return input_error("the sweep has more than " + std::to_string(max_sweep_networks) +
                     " networks; use fewer values, fewer --seeds, or --random N");
}

// The configurations of a resolved spec: the grid product of its axes in Axis order
// (the last varies fastest), or spec.random draws from them. Configuration c is
// computed again on every use, so none need to be kept.
class ConfigSpace {
 public:
  explicit ConfigSpace(const SweepSpec& spec) : spec_(spec) {
#define MANYNETS_AXIS_SIZE(name, field, option) sizes_[axis(Hyperparameter::name)] = spec.field.size();
    MANYNETS_SWEEP_AXES(MANYNETS_AXIS_SIZE, MANYNETS_AXIS_SIZE)
#undef MANYNETS_AXIS_SIZE
    if (spec.random > 0) {
      count_ = spec.random;
      return;
    }
    for (std::size_t s : sizes_) {
      if (s > max_sweep_networks || count_ * s > max_sweep_networks) throw too_many_networks();
      count_ *= s;
    }
  }

  const SweepSpec& spec() const {
    return spec_;
  }
  std::uint64_t count() const {
    return count_;
  }
  Config at(std::uint64_t c) const {
    return spec_.random > 0 ? drawn(c) : decoded(c);
  }

  static std::size_t index(const Config& cfg, Hyperparameter h) {
    return static_cast<std::size_t>(cfg[axis(h)]);
  }

  // Replicates differ only in random draws: none for the example's weights in full mode.
  std::size_t replicates(const Config& cfg) const {
    const bool deterministic = spec_.inits[index(cfg, Hyperparameter::init)].kind == InitSpec::Kind::seed &&
                               spec_.modes[index(cfg, Hyperparameter::mode)] == Mode::full;
    return deterministic ? 1 : static_cast<std::size_t>(spec_.seeds);
  }

  // Calls visit(c, config) for every configuration of shape s, in order.
  template <class Visit>
  void for_each_of_shape(std::size_t s, Visit visit) const {
    if (spec_.random > 0) {
      for (std::uint64_t c = 0; c < count_; ++c) {
        const Config cfg = drawn(c);
        if (index(cfg, Hyperparameter::shape) == s) visit(c, cfg);
      }
    } else {
      const std::uint64_t per = count_ / sizes_[axis(Hyperparameter::shape)];
      for (std::uint64_t c = s * per; c < (s + 1) * per; ++c) visit(c, decoded(c));
    }
  }

 private:
  // Grid point c: the last axis varies fastest.
  Config decoded(std::uint64_t c) const {
    std::size_t idx[hyperparameter_count];
    for (int a = hyperparameter_count - 1; a >= 0; --a) {
      idx[a] = static_cast<std::size_t>(c % sizes_[a]);
      c /= sizes_[a];
    }
    Config cfg;
#define MANYNETS_DECODE_AXIS(name, field, option) \
  cfg[axis(Hyperparameter::name)] = axes::at(spec_.field, idx[axis(Hyperparameter::name)]);
    MANYNETS_SWEEP_AXES(MANYNETS_DECODE_AXIS, MANYNETS_DECODE_AXIS)
#undef MANYNETS_DECODE_AXIS
    return cfg;
  }

  // One Philox draw per axis, keyed by (spec.seed, c, axis).
  Config drawn(std::uint64_t c) const {
    double u[hyperparameter_count];
    for (std::uint32_t a = 0; a < hyperparameter_count; ++a) {
      const auto w = random_words(spec_.seed, c, a, RandomPurpose::sweep_draw);
      u[a] = unit_open(w.v[0], w.v[1]);
    }
    Config cfg;
#define MANYNETS_DRAW_AXIS(name, field, option) \
  cfg[axis(Hyperparameter::name)] = axes::draw(spec_.field, u[axis(Hyperparameter::name)]);
    MANYNETS_SWEEP_AXES(MANYNETS_DRAW_AXIS, MANYNETS_DRAW_AXIS)
#undef MANYNETS_DRAW_AXIS
    return cfg;
  }

  const SweepSpec& spec_;
  std::size_t sizes_[hyperparameter_count] = {};
  std::uint64_t count_ = 1;
};

// Counted keeping nothing, so that a sweep too large for memory is refused
// before anything is allocated.
std::vector<std::size_t> networks_per_shape(const ConfigSpace& space) {
  std::vector<std::size_t> per_shape(space.spec().shapes.size(), 0);
  std::size_t total = 0;
  for (std::uint64_t c = 0; c < space.count(); ++c) {
    const Config cfg = space.at(c);
    const std::size_t r = space.replicates(cfg);
    per_shape[ConfigSpace::index(cfg, Hyperparameter::shape)] += r;
    total += r;
    if (total > max_sweep_networks) throw too_many_networks();
  }
  return per_shape;
}

// The networks of shape s, ids from first_id: every configuration's replicates with
// their hyperparameters and initial parameters.
SweepGroup make_group(const ConfigSpace& space, const NetworkConfig& base, std::size_t s, const Dataset& data,
                      std::size_t networks, std::uint64_t first_id) {
  const SweepSpec& spec = space.spec();
  SweepGroup g;
  g.shape = spec.shapes[s];
  g.data = data;
  g.batch = Batch(g.shape, networks);
  g.batch.seed = spec.seed;
  g.batch.first_id = first_id;
  g.batch.rule = spec.rule;
  g.batch.math_mode = spec.math_mode;
  g.batch.curve_every = 0;
  g.init.resize(networks);
  g.replicate.resize(networks);
  g.configuration.resize(networks);
  Batch& b = g.batch;
  // Every hyperparameter is a sweep axis except Adam's constants, which keep
  // the workload's values: a new row of MANYNETS_HYPERPARAMETERS needs a row
  // of MANYNETS_SWEEP_AXES too.
#define MANYNETS_COUNT_ROW(...) +1
  static_assert(0 MANYNETS_HYPERPARAMETERS(MANYNETS_COUNT_ROW) ==
                    3 + 0 MANYNETS_SWEEP_AXES(MANYNETS_COUNT_ROW, MANYNETS_SKIP_AXIS),
                "a hyperparameter that is not a sweep axis");
#undef MANYNETS_COUNT_ROW
  std::size_t i = 0;
  space.for_each_of_shape(s, [&](std::uint64_t c, const Config& cfg) {
    // The workload's hyperparameters with the configuration's on top.
    NetworkConfig config = base;
#define MANYNETS_APPLY_AXIS(name, field, option) \
  config.name = axes::network_value<decltype(config.name)>(spec.field, cfg[axis(Hyperparameter::name)]);
    MANYNETS_SWEEP_AXES(MANYNETS_APPLY_AXIS, MANYNETS_SKIP_AXIS)
#undef MANYNETS_APPLY_AXIS
    const std::size_t init = ConfigSpace::index(cfg, Hyperparameter::init);
    const std::size_t r = space.replicates(cfg);
    for (std::size_t k = 0; k < r; ++k, ++i) {
      b.set_config(i, config);
      g.init[i] = static_cast<std::uint16_t>(init);
      g.replicate[i] = static_cast<std::uint32_t>(k);
      g.configuration[i] = c;
    }
    initialize(b, spec.inits[init], i - r, i);
  });
  return g;
}

}  // namespace

SweepPlan expand(const SweepSpec& input) {
  SweepPlan plan;
  plan.spec = input;
  SweepSpec& spec = plan.spec;
  if (spec.seeds < 1) throw input_error("--seeds must be at least 1, got " + std::to_string(spec.seeds));
  const Workload workload = spec.data_path.empty() ? load_preset_workload(spec) : load_data_workload(spec);
  plan.workload = workload.description;
  check_shapes_distinct(spec.shapes);
  fill_empty_axes(spec, workload.base, workload.base_init);
  check_inits_fit(spec);

  const ConfigSpace space(spec);
  const std::vector<std::size_t> per_shape = networks_per_shape(space);
  check_memory(spec.shapes, per_shape);
  std::uint64_t next_id = 0;
  for (std::size_t s = 0; s < spec.shapes.size(); ++s) {
    plan.groups.push_back(make_group(space, workload.base, s, workload.datasets[s], per_shape[s], next_id));
    next_id += per_shape[s];
  }
  return plan;
}

}  // namespace manynets

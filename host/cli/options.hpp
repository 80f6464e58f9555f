// The options that describe a workload (preset or CSV data, shape, hyperparameters,
// initialisation, backend) as the command line gives them, and their strict
// translation into a TrainSpec. Every bad value becomes an invalid_input Error
// that names the option and says what it accepts.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <map>
#include <string>

#include "manynets/manynets.hpp"

namespace manynets {
namespace cli {

// An option's text exactly as given; `given()` tells it apart from an omitted one.
struct TextOption {
  std::string value;
  CLI::Option* option = nullptr;
  bool given() const { return option != nullptr && option->count() > 0; }
};

// The workload options shared by train and sweep (and later validate and bench).
// train takes single values; sweep reads the same texts as lists and ranges.
struct NetworkOptions {
  TextOption preset, data, shape, hidden;
  TextOption steps, learning_rate, optimizer, momentum, weight_decay;
  TextOption hidden_activation, output_activation;
  TextOption init, seed, target_loss, train_biases, mode, rule, math, backend, threads;
};

// Registers NetworkOptions' flags on a subcommand.
void add_network_options(CLI::App& app, NetworkOptions& options);

// One network's workload: what the options describe once parsed and checked.
struct TrainSpec {
  std::string preset;       // the preset's name; empty when the data came from --data
  std::string source;       // "preset seed" or "data FILE", for reports
  std::string description;  // the preset's description; empty for --data
  Shape shape{};
  Dataset data;
  NetworkConfig config;
  InitSpec init;
  std::uint64_t seed = 1;  // the run seed: keys random initialisation and online shuffles
  Rule rule = Rule::backprop;
  MathMode math_mode = MathMode::precise;
  std::string backend = "reference";
};

// The given workload options' texts keyed by the names make_sweep_spec reads (the
// flag without "--": lr, momentum, ..., backend, threads).
std::map<std::string, std::string> network_option_texts(const NetworkOptions& options);

// Builds the spec of train, a sweep of one network: the options are read and
// checked by make_sweep_spec and expanded by expand, as a sweep's, each holding a
// single value. Throws an invalid_input Error for any bad value or combination.
TrainSpec make_train_spec(const NetworkOptions& options);

// The backend settings the options give (--threads); throws an invalid_input Error
// for a bad value.
BackendOptions make_backend_options(const NetworkOptions& options);

// Strict parsers for single option values; `option` names the flag in messages.
// Numbers are plain decimals: "0.5x", "nan", "inf", "0x1p3" and " 1" are rejected,
// and a list or range ("a,b,c", "a:b:n") is pointed to `manynets sweep`.
double parse_number(const std::string& option, const std::string& text);
std::int64_t parse_whole_number(const std::string& option, const std::string& text, std::int64_t min,
                                std::int64_t max);
// Throws when `text` looks like a list (a ',' anywhere, or a ':' in a number).
void reject_value_list(const std::string& option, const std::string& text, bool numeric);

}  // namespace cli
}  // namespace manynets

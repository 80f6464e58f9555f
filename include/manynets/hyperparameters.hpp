// The per-network hyperparameters, declared once. Each row of
// MANYNETS_HYPERPARAMETERS(X) is X(name, type, default) and becomes a field of
// NetworkConfig, a column of Batch, a field of the math's Hyper<T> and of the
// kernels' staged inputs, and a term of a sweep's resume fingerprint; a new
// hyperparameter is one more row here plus what it means to the math.
#pragma once

#include <cstdint>
#include <type_traits>

#include "manynets/types.hpp"

// In order: the optimizer and its constants, the activations, the stopping rule,
// what is trained and how the samples are taken.
#define MANYNETS_HYPERPARAMETERS(X)                 \
  X(learning_rate, double, 0.5)                     \
  X(optimizer, Optimizer, Optimizer::sgd)           \
  X(momentum, double, 0.9)                          \
  X(adam_beta1, double, 0.9)                        \
  X(adam_beta2, double, 0.999)                      \
  X(adam_epsilon, double, 1e-8)                     \
  X(weight_decay, double, 0.0)                      \
  X(hidden_activation, Activation, Activation::sigmoid) \
  X(output_activation, Activation, Activation::sigmoid) \
  X(max_steps, std::int32_t, 5000)                  \
  X(target_loss, double, 0.0)                       \
  X(train_biases, bool, true)                       \
  X(mode, Mode, Mode::full)

namespace manynets {

// A Batch column's element type for a hyperparameter of type V: bool is kept as
// one byte (0 or 1), since std::vector<bool> has no contiguous data to copy.
template <class V>
using stored_t = std::conditional_t<std::is_same_v<V, bool>, std::uint8_t, V>;

// The type of a hyperparameter of type V where a network computes in number
// type T (float on a GPU, a SIMD pack in the cpu backend): real values become T,
// codes and counts stay as they are.
template <class V, class T>
using in_number_type_t = std::conditional_t<std::is_same_v<V, double>, T, V>;

}  // namespace manynets

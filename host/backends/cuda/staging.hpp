// Host-side staging of a chunk of a Batch for the training kernels: where each
// array lives in one contiguous input block and one output block (so a chunk
// crosses to and from the GPU in one copy each way), packing a chunk of a
// Batch into the input block, and unpacking the output block into Results.
// Plain C++: the CUDA backend uses it with pinned buffers, the host tests with
// vectors, so the packing and offsets that a GPU run relies on are tested in CI.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <type_traits>

#include "kernels/train_bodies.hpp"  // TrainView, align_up
#include "manynets/batch.hpp"
#include "manynets/results.hpp"

namespace manynets {
namespace cuda {

// Byte offsets of a chunk of `count` networks (stride = count) in the input block:
// the initial parameters, then each hyperparameter's column in T (real ones) or
// as the Batch stores it.
template <class T>
struct InputLayout {
  std::size_t init_params = 0, bytes = 0;
#define MANYNETS_INPUT_OFFSET(name, type, default_value) std::size_t name = 0;
  MANYNETS_HYPERPARAMETERS(MANYNETS_INPUT_OFFSET)
#undef MANYNETS_INPUT_OFFSET

  InputLayout(int num_params, std::size_t count) {
    std::size_t at = 0;
    auto place = [&](std::size_t& field, std::size_t size) {
      field = at;
      at = kernels::align_up(at + size);
    };
    place(init_params, sizeof(T) * count * static_cast<std::size_t>(num_params));
#define MANYNETS_PLACE_INPUT(name, type, default_value) \
  place(name, sizeof(in_number_type_t<stored_t<type>, T>) * count);
    MANYNETS_HYPERPARAMETERS(MANYNETS_PLACE_INPUT)
#undef MANYNETS_PLACE_INPUT
    bytes = at;
  }

  kernels::NetworkInputs<T> view(const void* block) const {
    const auto* b = static_cast<const unsigned char*>(block);
    kernels::NetworkInputs<T> v;
    v.init_params = reinterpret_cast<const T*>(b + init_params);
#define MANYNETS_VIEW_INPUT(name, type, default_value) \
  v.name = reinterpret_cast<const in_number_type_t<stored_t<type>, T>*>(b + name);
    MANYNETS_HYPERPARAMETERS(MANYNETS_VIEW_INPUT)
#undef MANYNETS_VIEW_INPUT
    return v;
  }
};

// Byte offsets of a chunk of `count` networks (stride = count) in the output block.
template <class T>
struct OutputLayout {
  std::size_t params = 0, loss = 0, abs_error = 0, steps = 0, status = 0, curve_loss = 0, curve_abs_error = 0,
              bytes = 0;

  OutputLayout(int num_params, std::size_t count, std::size_t curve_points) {
    std::size_t at = 0;
    auto place = [&](std::size_t& field, std::size_t size) {
      field = at;
      at = kernels::align_up(at + size);
    };
    place(params, sizeof(T) * count * static_cast<std::size_t>(num_params));
    place(loss, sizeof(T) * count);
    place(abs_error, sizeof(T) * count);
    place(steps, sizeof(std::int32_t) * count);
    place(status, sizeof(Status) * count);
    place(curve_loss, sizeof(T) * count * curve_points);
    place(curve_abs_error, sizeof(T) * count * curve_points);
    bytes = at;
  }

  kernels::NetworkOutputs<T> view(void* block) const {
    auto* b = static_cast<unsigned char*>(block);
    return {reinterpret_cast<T*>(b + params),         reinterpret_cast<T*>(b + loss),
            reinterpret_cast<T*>(b + abs_error),      reinterpret_cast<std::int32_t*>(b + steps),
            reinterpret_cast<Status*>(b + status),    reinterpret_cast<T*>(b + curve_loss),
            reinterpret_cast<T*>(b + curve_abs_error)};
  }
};

// The TrainView of networks first .. first+count-1 of `batch` staged in the two
// blocks (stride = count).
template <class T>
kernels::TrainView<T> chunk_view(const Batch& batch, std::size_t first, std::size_t count,
                                 std::size_t curve_points, const void* input_block, void* output_block) {
  const InputLayout<T> in(batch.num_params(), count);
  const OutputLayout<T> out(batch.num_params(), count, curve_points);
  return {in.view(input_block),
          out.view(output_block),
          count,
          count,
          batch.seed,
          batch.first_id + first,
          batch.curve_every,
          static_cast<std::int32_t>(curve_points),
          batch.shape().inputs,
          batch.shape().hidden,
          batch.shape().outputs};
}

// Copies networks first .. first+count-1 of `batch` into the input block, in T.
template <class T>
void pack_inputs(void* block, const Batch& batch, std::size_t first, std::size_t count) {
  const InputLayout<T> l(batch.num_params(), count);
  auto* b = static_cast<unsigned char*>(block);
  const std::size_t n = batch.size();
  T* params = reinterpret_cast<T*>(b + l.init_params);
  for (int q = 0; q < batch.num_params(); ++q) {
    const double* src = batch.init_params.data() + static_cast<std::size_t>(q) * n + first;
    T* dst = params + static_cast<std::size_t>(q) * count;
    for (std::size_t i = 0; i < count; ++i) dst[i] = static_cast<T>(src[i]);
  }
  auto convert = [&](std::size_t offset, const auto& src) {
    using Staged = in_number_type_t<typename std::decay_t<decltype(src)>::value_type, T>;
    Staged* dst = reinterpret_cast<Staged*>(b + offset);
    for (std::size_t i = 0; i < count; ++i) dst[i] = static_cast<Staged>(src[first + i]);
  };
#define MANYNETS_PACK_INPUT(name, type, default_value) convert(l.name, batch.name);
  MANYNETS_HYPERPARAMETERS(MANYNETS_PACK_INPUT)
#undef MANYNETS_PACK_INPUT
}

// The kind networks first .. first+count-1 of `batch` share, or none when
// their optimizers or activations differ (or there are none).
inline std::optional<kernels::NetworkKind> launch_kind(const Batch& batch, std::size_t first,
                                                       std::size_t count) {
  if (count == 0) return std::nullopt;
  const kernels::NetworkKind kind{batch.optimizer[first], batch.hidden_activation[first],
                                  batch.output_activation[first]};
  for (std::size_t i = first + 1; i < first + count; ++i) {
    if (batch.optimizer[i] != kind.optimizer || batch.hidden_activation[i] != kind.hidden ||
        batch.output_activation[i] != kind.output)
      return std::nullopt;
  }
  return kind;
}

// Copies the output block of networks first .. first+count-1 into `results`
// (allocated for the whole batch).
template <class T>
void unpack_outputs(Results& results, const void* block, std::size_t first, std::size_t count) {
  const int num_params = results.shape.num_params();
  const OutputLayout<T> l(num_params, count, results.curve_points);
  const auto* b = static_cast<const unsigned char*>(block);
  const std::size_t n = results.n;
  const T* params = reinterpret_cast<const T*>(b + l.params);
  for (int q = 0; q < num_params; ++q) {
    const T* src = params + static_cast<std::size_t>(q) * count;
    double* dst = results.params.data() + static_cast<std::size_t>(q) * n + first;
    for (std::size_t i = 0; i < count; ++i) dst[i] = static_cast<double>(src[i]);
  }
  const T* loss = reinterpret_cast<const T*>(b + l.loss);
  const T* abs_error = reinterpret_cast<const T*>(b + l.abs_error);
  for (std::size_t i = 0; i < count; ++i) {
    results.loss[first + i] = static_cast<double>(loss[i]);
    results.abs_error[first + i] = static_cast<double>(abs_error[i]);
  }
  if (count > 0) {
    std::memcpy(results.steps.data() + first, b + l.steps, count * sizeof(std::int32_t));
    std::memcpy(results.status.data() + first, b + l.status, count * sizeof(Status));
  }
  const T* curve_loss = reinterpret_cast<const T*>(b + l.curve_loss);
  const T* curve_abs_error = reinterpret_cast<const T*>(b + l.curve_abs_error);
  for (std::size_t t = 0; t < results.curve_points; ++t) {
    for (std::size_t i = 0; i < count; ++i) {
      results.curve_loss[t * n + first + i] = static_cast<float>(curve_loss[t * count + i]);
      results.curve_abs_error[t * n + first + i] = static_cast<float>(curve_abs_error[t * count + i]);
    }
  }
}

// Byte offsets of the staged kernels' workspace for `count` networks.
template <class T>
struct WorkspaceLayout {
  std::size_t params = 0, grad = 0, moment1 = 0, moment2 = 0, beta_powers = 0, hidden = 0, output = 0,
              training = 0, bytes = 0;

  WorkspaceLayout(Shape shape, std::size_t count, std::size_t samples) {
    std::size_t at = 0;
    auto place = [&](std::size_t& field, std::size_t size) {
      field = at;
      at = kernels::align_up(at + size);
    };
    const std::size_t p = static_cast<std::size_t>(shape.num_params());
    for (std::size_t* f : {&params, &grad, &moment1, &moment2}) place(*f, sizeof(T) * p * count);
    place(beta_powers, sizeof(T) * 2 * count);
    place(hidden, sizeof(T) * samples * static_cast<std::size_t>(shape.hidden) * count);
    place(output, sizeof(T) * samples * static_cast<std::size_t>(shape.outputs) * count);
    place(training, count);
    bytes = at;
  }

  kernels::StagedWorkspace<T> view(void* block) const {
    auto* b = static_cast<unsigned char*>(block);
    return {reinterpret_cast<T*>(b + params),      reinterpret_cast<T*>(b + grad),
            reinterpret_cast<T*>(b + moment1),     reinterpret_cast<T*>(b + moment2),
            reinterpret_cast<T*>(b + beta_powers), reinterpret_cast<T*>(b + hidden),
            reinterpret_cast<T*>(b + output),      reinterpret_cast<std::uint8_t*>(b + training)};
  }
};

}  // namespace cuda
}  // namespace manynets

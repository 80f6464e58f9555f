// Test helper: trains every network of a Batch with math.hpp on the host, in
// number type T, and returns Results laid out like a backend's. It lets the
// tests compare the one source of training math with the reference directly.
#pragma once

#include <cstddef>
#include <vector>

#include "manynets/batch.hpp"
#include "manynets/dataset.hpp"
#include "manynets/detail/math.hpp"
#include "manynets/results.hpp"
#include "manynets/shapes.hpp"

namespace manynets {
namespace testing {

// A network's hyperparameters in number type T, as the backends load them.
template <class T>
math::Hyper<T> hyper_of(const NetworkConfig& c) {
  math::Hyper<T> hp;
#define MANYNETS_HYPER_OF(name, type, default_value) hp.name = static_cast<in_number_type_t<type, T>>(c.name);
  MANYNETS_HYPERPARAMETERS(MANYNETS_HYPER_OF)
#undef MANYNETS_HYPER_OF
  return hp;
}

template <class T>
math::Hyper<T> hyper_of(const Batch& b, std::size_t i) {
  return hyper_of<T>(b.config(i));
}

// `general`: every shape by the general path (math::Mlp<0, 0, 0, T>), as
// dispatch_shape sends the shapes that are not compiled in.
template <class T, class Math = math::PreciseMath>
Results train_with_math(const Batch& batch, const Dataset& data, bool general = false) {
  Results r;
  r.allocate(batch.shape(), batch.size(), batch.curve_every, batch.longest_run());
  r.backend = "math.hpp";
  const std::vector<T> xs(data.x.begin(), data.x.end());
  const std::vector<T> ts(data.t.begin(), data.t.end());
  const int samples = static_cast<int>(data.samples());
  const std::size_t n = batch.size();
  const Shape shape = batch.shape();
  dispatch_shape(
      shape,
      [&](auto tag) {
        using Tag = decltype(tag);
        using Net = math::Mlp<Tag::inputs, Tag::hidden, Tag::outputs, T>;
        for (std::size_t i = 0; i < n; ++i) {
          Net net;
          net.set_shape(shape.inputs, shape.hidden, shape.outputs);
          for (int q = 0; q < net.n_params(); ++q) net.p[q] = static_cast<T>(batch.param(i, q));
          math::OptState<Tag::inputs, Tag::hidden, Tag::outputs, T> state;
          state.reset(net);
          auto record = [&](std::int32_t slot, T loss, T abs_error) {
            r.curve_loss[static_cast<std::size_t>(slot) * n + i] = static_cast<float>(loss);
            r.curve_abs_error[static_cast<std::size_t>(slot) * n + i] = static_cast<float>(abs_error);
          };
          const auto out =
              math::train_network<Math>(net, state, hyper_of<T>(batch, i), xs.data(), ts.data(), samples,
                                        batch.seed, batch.first_id + i, batch.curve_every, record);
          for (int q = 0; q < net.n_params(); ++q) r.params[static_cast<std::size_t>(q) * n + i] = net.p[q];
          r.loss[i] = out.loss;
          r.abs_error[i] = out.abs_error;
          r.steps[i] = out.steps;
          r.status[i] = out.status;
        }
      },
      general);
  return r;
}

}  // namespace testing
}  // namespace manynets

// The step sequence of the `cublas` backend, written once for the device and
// the host: the workspace layout of a chunk, and the loop of GEMMs and
// elementwise passes per training step. The backend instantiates it with cuBLAS
// and kernel launches (kernels/layered_kernels.cu); the host tests with
// HostGemm and plain loops over the element indices, on the same buffers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/layered_bodies.hpp"
#include "kernels/layered_gemm.hpp"
#include "manynets/types.hpp"

namespace manynets {
namespace kernels {

// Byte offsets of the layered workspace of `count` networks on `samples` samples.
template <class T>
struct LayeredWorkspaceLayout {
  std::size_t params = 0, grad = 0, moment1 = 0, moment2 = 0, beta_powers = 0, hidden = 0, output = 0,
              hidden_delta = 0, partial = 0, training = 0, bytes = 0;

  LayeredWorkspaceLayout(Shape shape, std::size_t count, std::size_t samples) {
    std::size_t at = 0;
    auto place = [&](std::size_t& field, std::size_t size) {
      field = at;
      at = align_up(at + size);
    };
    const std::size_t p = static_cast<std::size_t>(shape.num_params());
    const std::size_t h = static_cast<std::size_t>(shape.hidden), o = static_cast<std::size_t>(shape.outputs);
    const std::size_t tiles = (samples + kLossTile - 1) / kLossTile;
    for (std::size_t* f : {&params, &grad, &moment1, &moment2}) place(*f, sizeof(T) * p * count);
    place(beta_powers, sizeof(T) * 2 * count);
    place(hidden, sizeof(T) * count * samples * h);
    place(output, sizeof(T) * count * samples * o);
    place(hidden_delta, sizeof(T) * count * samples * h);
    place(partial, sizeof(T) * tiles * 2 * count);
    place(training, count);
    bytes = at;
  }

  LayeredWorkspace<T> view(void* block) const {
    auto* b = static_cast<unsigned char*>(block);
    return {reinterpret_cast<T*>(b + params),      reinterpret_cast<T*>(b + grad),
            reinterpret_cast<T*>(b + moment1),     reinterpret_cast<T*>(b + moment2),
            reinterpret_cast<T*>(b + beta_powers), reinterpret_cast<T*>(b + hidden),
            reinterpret_cast<T*>(b + output),      reinterpret_cast<T*>(b + hidden_delta),
            reinterpret_cast<T*>(b + partial),     reinterpret_cast<std::uint8_t*>(b + training)};
  }
};

// Trains every network of `v` layer by layer. `launch(name, count, body)` runs
// body(e) for e = 0 .. count-1 (any order: each element writes only its own
// outputs); `gemm` does the matrix products. The loop contract is
// math::train_network's: evaluate and decide at every step, update only the
// networks still training; at step `longest` every network has stopped.
template <class Math, int I, int H, int O, class T, class Launch>
void run_layered_steps(const TrainView<T>& v, const LayeredWorkspace<T>& ws, const LayeredData<T>& data,
                       std::int32_t longest, Gemm<T>& gemm, Launch&& launch) {
  using Net = math::Mlp<I, H, O, T>;
  if (v.count == 0) return;
  constexpr int P = Net::num_params;
  const int S = data.samples;
  const std::size_t n = v.count;
  const std::size_t elements = n * static_cast<std::size_t>(S);
  const std::size_t tile_elements = n * static_cast<std::size_t>(loss_tiles(S));
  const long long batch = static_cast<long long>(n);
  const long long hs = static_cast<long long>(H) * S, os = static_cast<long long>(O) * S;
  T* const w1 = ws.params;
  T* const w2 = ws.params + Net::w2_index(0, 0);
  T* const grad_w1 = ws.grad;
  T* const grad_w2 = ws.grad + Net::w2_index(0, 0);
  T* const grad_b1 = ws.grad + Net::b1_index(0);
  T* const grad_b2 = ws.grad + Net::b2_index(0);
  const Transpose nt = Transpose::no, tr = Transpose::yes;

  launch("layered_start", n, LayeredStart<I, H, O, T>{v, ws});
  for (std::int32_t step = 0;; ++step) {
    // Forward: hidden = f(W1 X + b1), output = g(W2 hidden + b2), the loss and the output deltas.
    gemm.strided_batched({nt, nt, H, S, I, w1, H, P, data.xs, I, 0, ws.hidden, H, hs, batch});
    launch("layered_hidden", elements, LayeredHidden<Math, I, H, O, T>{v, ws, S});
    gemm.strided_batched({nt, nt, O, S, H, w2, O, P, ws.hidden, H, hs, ws.output, O, os, batch});
    launch("layered_output", tile_elements, LayeredOutput<Math, I, H, O, T>{v, ws, data, step});
    launch("layered_decide", n, LayeredDecide<I, H, O, T>{v, ws, S, step});
    if (step >= longest) break;
    // Backward: hidden deltas (W2^T delta_o) f'(h); gradients delta_o h^T, delta_h X^T
    // and the bias gradients as sums over samples (products with a vector of ones).
    gemm.strided_batched({tr, nt, H, S, O, w2, O, P, ws.output, O, os, ws.hidden_delta, H, hs, batch});
    launch("layered_hidden_delta", elements, LayeredHiddenDelta<I, H, O, T>{v, ws, S});
    gemm.strided_batched({nt, tr, O, H, S, ws.output, O, os, ws.hidden, H, hs, grad_w2, O, P, batch});
    gemm.strided_batched({nt, tr, H, I, S, ws.hidden_delta, H, hs, data.xs, I, 0, grad_w1, H, P, batch});
    gemm.strided_batched({nt, nt, O, 1, S, ws.output, O, os, data.ones, S, 0, grad_b2, O, P, batch});
    gemm.strided_batched({nt, nt, H, 1, S, ws.hidden_delta, H, hs, data.ones, S, 0, grad_b1, H, P, batch});
    launch("layered_update", n, LayeredUpdate<Math, I, H, O, T>{v, ws});
  }
}

}  // namespace kernels
}  // namespace manynets

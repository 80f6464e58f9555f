// The matrix products of the `cublas` backend behind one small interface: a
// strided-batched GEMM C_b = op(A_b) op(B_b) over batch entries b, column-major
// as cuBLAS defines it. The backend runs it with cuBLAS on the device; HostGemm
// is the same product as plain loops, so the host tests run the backend's whole
// step sequence (kernels/layered_steps.hpp) without a GPU.
#pragma once

#include <cstddef>
#include <string>

#include "manynets/error.hpp"

namespace manynets {
namespace kernels {

enum class Transpose { no, yes };

// C_b (m x n, leading dimension ldc) = op(A_b) (m x k) op(B_b) (k x n) for
// b = 0 .. batch-1, where X_b starts at x + b * stride_x (stride 0: one matrix
// shared by every entry). alpha is 1 and beta 0: C is written, never read.
template <class T>
struct GemmCall {
  Transpose op_a, op_b;
  int m, n, k;
  const T* a;
  int lda;
  long long stride_a;
  const T* b;
  int ldb;
  long long stride_b;
  T* c;
  int ldc;
  long long stride_c;
  long long batch;
};

template <class T>
class Gemm {
 public:
  virtual ~Gemm() = default;
  virtual void strided_batched(const GemmCall<T>& call) = 0;
};

// Checks a call's dimensions as cuBLAS would, naming what is wrong.
template <class T>
void check_gemm_call(const GemmCall<T>& g) {
  const int rows_a = g.op_a == Transpose::no ? g.m : g.k;
  const int rows_b = g.op_b == Transpose::no ? g.k : g.n;
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw runtime_error("GEMM call: " + what);
  };
  need(g.m >= 0 && g.n >= 0 && g.k >= 0 && g.batch >= 0, "negative dimension");
  need(g.lda >= (rows_a > 1 ? rows_a : 1), "lda " + std::to_string(g.lda) + " < rows of A");
  need(g.ldb >= (rows_b > 1 ? rows_b : 1), "ldb " + std::to_string(g.ldb) + " < rows of B");
  need(g.ldc >= (g.m > 1 ? g.m : 1), "ldc " + std::to_string(g.ldc) + " < m");
}

// The product as plain loops, summing over k in order (in T: the host tests
// run the step sequence in double too).
template <class T>
class HostGemm : public Gemm<T> {
 public:
  void strided_batched(const GemmCall<T>& g) override {
    check_gemm_call(g);
    for (long long e = 0; e < g.batch; ++e) {
      const T* a = g.a + e * g.stride_a;
      const T* b = g.b + e * g.stride_b;
      T* c = g.c + e * g.stride_c;
      for (int col = 0; col < g.n; ++col) {
        for (int row = 0; row < g.m; ++row) {
          T sum = T(0);
          for (int x = 0; x < g.k; ++x) {
            const T av = g.op_a == Transpose::no ? a[row + static_cast<std::size_t>(x) * g.lda]
                                                 : a[x + static_cast<std::size_t>(row) * g.lda];
            const T bv = g.op_b == Transpose::no ? b[x + static_cast<std::size_t>(col) * g.ldb]
                                                 : b[col + static_cast<std::size_t>(x) * g.ldb];
            sum += av * bv;
          }
          c[row + static_cast<std::size_t>(col) * g.ldc] = sum;
        }
      }
    }
  }
};

}  // namespace kernels
}  // namespace manynets

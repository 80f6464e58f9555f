// The SIMD number type the cpu backend instantiates math.hpp on: Pack<K>, K
// independent xsimd vectors of floats (one network per lane) whose every
// operation is K independent vector instructions, so one thread keeps K
// dependency chains in flight. Also its NumberOps and the two host SIMD math
// policies. Host only: math.hpp itself never includes xsimd (nvcc compiles it).
#pragma once

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "manynets/detail/math.hpp"

namespace manynets {
namespace simd {

using Vec = xsimd::batch<float>;
using VecMask = xsimd::batch_bool<float>;
// Lanes of one vector: 16 with AVX-512, 8 with AVX2, 4 with SSE/NEON.
constexpr int vector_width = static_cast<int>(Vec::size);

// a b + c and c - a b, each rounded once. xsimd 10 has no AVX-512 kernel for
// fma or fnma: its generic one writes a * b + c (and -a * b + c, the -a a
// subtraction from zero) and leaves the fusing to the compiler, which g++ does
// only where the product's every use is in the same basic block; once it has
// hoisted a product out of a branch it rounds twice, and the SIMD math then
// parts from math.hpp's scalar std::fma. So with AVX-512 these are the FMA
// instructions themselves.
inline Vec fused_multiply_add(Vec a, Vec b, Vec c) {
#if XSIMD_WITH_AVX512F
  return _mm512_fmadd_ps(a, b, c);
#else
  return xsimd::fma(a, b, c);
#endif
}
inline Vec fused_negated_multiply_add(Vec a, Vec b, Vec c) {
#if XSIMD_WITH_AVX512F
  return _mm512_fnmadd_ps(a, b, c);
#else
  return xsimd::fnma(a, b, c);
#endif
}

// Whether fused_multiply_add rounds once, as an FMA instruction does (AVX-512,
// FMA3, AArch64). The baseline x86-64 build (MANYNETS_NATIVE=OFF) has none:
// there xsimd multiplies, then adds, rounding twice.
constexpr bool kSingleRoundingFma =
    XSIMD_WITH_AVX512F || XSIMD_WITH_FMA3_SSE || XSIMD_WITH_FMA3_AVX || XSIMD_WITH_NEON64;

// The name of the instruction set xsimd targets in this translation unit.
inline const char* instruction_set() {
  return xsimd::default_arch::name();
}

// ---- Mask<K>: a lane-wise condition of a Pack<K>

template <int K>
struct Mask {
  VecMask m[K];

  friend Mask operator&(const Mask& a, const Mask& b) {
    Mask r;
    for (int k = 0; k < K; ++k) r.m[k] = a.m[k] && b.m[k];
    return r;
  }
  friend Mask operator|(const Mask& a, const Mask& b) {
    Mask r;
    for (int k = 0; k < K; ++k) r.m[k] = a.m[k] || b.m[k];
    return r;
  }
  friend Mask operator!(const Mask& a) {
    Mask r;
    for (int k = 0; k < K; ++k) r.m[k] = !a.m[k];
    return r;
  }
};

template <int K>
bool any(const Mask<K>& a) {
  VecMask acc = a.m[0];
  for (int k = 1; k < K; ++k) acc = acc || a.m[k];
  return xsimd::any(acc);
}

template <int K>
bool all(const Mask<K>& a) {
  VecMask acc = a.m[0];
  for (int k = 1; k < K; ++k) acc = acc && a.m[k];
  return xsimd::all(acc);
}

// ---- Pack<K>: K vectors, K * vector_width lanes

template <int K>
struct Pack {
  static_assert(K >= 1, "a Pack holds at least one vector");
  static constexpr int lanes = K * vector_width;
  Vec v[K];

  Pack() = default;
  Pack(float x) {  // NOLINT(google-explicit-constructor): math.hpp writes T(0), T(samples)
    for (int k = 0; k < K; ++k) v[k] = Vec(x);
  }

  static Pack load(const float* p) {  // p: `lanes` floats
    Pack r;
    for (int k = 0; k < K; ++k) r.v[k] = Vec::load_unaligned(p + k * vector_width);
    return r;
  }
  void store(float* p) const {
    for (int k = 0; k < K; ++k) v[k].store_unaligned(p + k * vector_width);
  }

#define MANYNETS_PACK_ASSIGN_OP(op)             \
  Pack& operator op(const Pack& o) {            \
    for (int k = 0; k < K; ++k) v[k] op o.v[k]; \
    return *this;                               \
  }
  MANYNETS_PACK_ASSIGN_OP(+=)
  MANYNETS_PACK_ASSIGN_OP(-=)
  MANYNETS_PACK_ASSIGN_OP(*=)
  MANYNETS_PACK_ASSIGN_OP(/=)
#undef MANYNETS_PACK_ASSIGN_OP

  friend Pack operator+(Pack a, const Pack& b) {
    return a += b;
  }
  friend Pack operator-(Pack a, const Pack& b) {
    return a -= b;
  }
  friend Pack operator*(Pack a, const Pack& b) {
    return a *= b;
  }
  friend Pack operator/(Pack a, const Pack& b) {
    return a /= b;
  }
  friend Pack operator-(const Pack& a) {
    Pack r;
    for (int k = 0; k < K; ++k) r.v[k] = -a.v[k];
    return r;
  }

#define MANYNETS_PACK_COMPARE(op)                            \
  friend Mask<K> operator op(const Pack& a, const Pack& b) { \
    Mask<K> r;                                               \
    for (int k = 0; k < K; ++k) r.m[k] = a.v[k] op b.v[k];   \
    return r;                                                \
  }
  MANYNETS_PACK_COMPARE(<)
  MANYNETS_PACK_COMPARE(<=)
  MANYNETS_PACK_COMPARE(>)
#undef MANYNETS_PACK_COMPARE
};

// Lane-wise: a where the mask holds, else b.
template <int K>
Pack<K> select(const Mask<K>& m, const Pack<K>& a, const Pack<K>& b) {
  Pack<K> r;
  for (int k = 0; k < K; ++k) r.v[k] = xsimd::select(m.m[k], a.v[k], b.v[k]);
  return r;
}

template <int K>
Mask<K> is_finite(const Pack<K>& a) {
  Mask<K> r;
  for (int k = 0; k < K; ++k) r.m[k] = xsimd::isfinite(a.v[k]);
  return r;
}

// Sets lane l of a Pack to x, the other lanes as they were: a blend of x's
// broadcast in registers (writing the lane through memory and reading the
// vector back would stall the load until the store retires).
template <int K>
void set_lane(Pack<K>& a, int l, float x) {
  alignas(64) static constexpr float kLaneIndex[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  static_assert(vector_width <= 16, "kLaneIndex covers the vector");
  const VecMask lane = Vec::load_aligned(kLaneIndex) == Vec(static_cast<float>(l % vector_width));
  a.v[l / vector_width] = xsimd::select(lane, Vec(x), a.v[l / vector_width]);
}

// Applies a Vec -> Vec function to each vector of a Pack.
template <int K, class F>
Pack<K> map(const Pack<K>& a, F f) {
  Pack<K> r;
  for (int k = 0; k < K; ++k) r.v[k] = f(a.v[k]);
  return r;
}

// e^x of N vectors for fast mode: Cephes' expf scheme with a one-fnma range
// reduction and a degree-5 polynomial, each step applied to all N vectors
// before the next so that N dependency chains run side by side. Within 5.6 ulp
// of std::exp on [-87, 88]; inputs clamped to [-87.3, 88.0], NaN passes
// (docs/cpu-backend.md, "exp in fast mode").
template <int N>
inline void exp_cephes(const Vec (&x_in)[N], Vec (&y)[N]) {
  Vec x[N], t[N], k[N], r[N], p[N];
#if XSIMD_WITH_AVX512F
  const Vec shifter(12582912.0f);  // 1.5 * 2^23
#else
  const Vec shifter(12583039.0f);  // 1.5 * 2^23 + 127
#endif
  // min and max keep a NaN in their second operand.
  for (int i = 0; i < N; ++i) x[i] = xsimd::min(Vec(88.0f), x_in[i]);
  for (int i = 0; i < N; ++i) x[i] = xsimd::max(Vec(-87.3f), x[i]);
  for (int i = 0; i < N; ++i) t[i] = fused_multiply_add(x[i], Vec(1.44269504088896341f), shifter);
  for (int i = 0; i < N; ++i) k[i] = t[i] - shifter;
  if constexpr (kSingleRoundingFma) {
    for (int i = 0; i < N; ++i) r[i] = fused_negated_multiply_add(k[i], Vec(0x1.62e43p-1f), x[i]);  // ln2
  } else {
    // k ln2 rounded before the subtraction would err by up to 35 ulp at large
    // |x|; with Cephes' split, k times its first part (9 bits) is exact.
    for (int i = 0; i < N; ++i) r[i] = fused_negated_multiply_add(k[i], Vec(0.693359375f), x[i]);
    for (int i = 0; i < N; ++i) r[i] = fused_negated_multiply_add(k[i], Vec(-2.12194440e-4f), r[i]);
  }
  for (int i = 0; i < N; ++i) p[i] = fused_multiply_add(Vec(8.31250008e-3f), r[i], Vec(4.18903306e-2f));
  for (int i = 0; i < N; ++i) p[i] = fused_multiply_add(p[i], r[i], Vec(1.66671157e-1f));
  for (int i = 0; i < N; ++i) p[i] = fused_multiply_add(p[i], r[i], Vec(4.99992311e-1f));
  for (int i = 0; i < N; ++i) p[i] = fused_multiply_add(p[i], r[i], Vec(1.0f));
  for (int i = 0; i < N; ++i) p[i] = fused_multiply_add(p[i], r[i], Vec(1.0f));
#if XSIMD_WITH_AVX512F
  for (int i = 0; i < N; ++i) y[i] = _mm512_scalef_ps(p[i], k[i]);
#else
  using IVec = xsimd::batch<std::int32_t>;
  for (int i = 0; i < N; ++i) y[i] = p[i] * xsimd::bitwise_cast<Vec>(xsimd::bitwise_cast<IVec>(t[i]) << 23);
#endif
}

inline Vec exp_cephes(Vec x) {
  Vec in[1] = {x}, out[1];
  exp_cephes(in, out);
  return out[0];
}

// 1 / b of N vectors from the hardware's reciprocal estimate (xsimd::reciprocal:
// 14 bits with AVX-512, 12 with AVX2) refined by one Newton step, r (2 - b r), to
// about 1 ulp: unlike a division it does not wait on the divider, whose one
// unit otherwise serialises the block's vectors at every sigmoid layer. Step by
// step across the vectors, as exp_cephes.
template <int N>
inline void reciprocal_fast(const Vec (&b)[N], Vec (&r)[N]) {
  Vec e[N];
  for (int i = 0; i < N; ++i) r[i] = xsimd::reciprocal(b[i]);
  for (int i = 0; i < N; ++i) e[i] = fused_negated_multiply_add(b[i], r[i], Vec(1.0f));
  for (int i = 0; i < N; ++i) r[i] = fused_multiply_add(e[i], r[i], r[i]);
}

// a / b as a times reciprocal_fast(b).
inline Vec divide_fast(Vec a, Vec b) {
  Vec in[1] = {b}, r[1];
  reciprocal_fast(in, r);
  return a * r[0];
}

#if XSIMD_WITH_AVX512F
// xsimd::exp of N vectors for precise mode, in 16 instructions per vector
// where xsimd takes 20, step by step across the vectors as exp_cephes is. Its
// multiply-adds are single-rounding FMAs, which xsimd leaves to the compiler;
// compiled here without contraction, xsimd::exp may differ from it in the last
// bit (docs/cpu-backend.md, "exp in precise mode").
template <int N>
inline void exp_xsimd_steps(const Vec (&x)[N], Vec (&y)[N]) {
  Vec k[N], r[N], r2[N], p[N];
  const Vec shifter(12582912.0f);  // 1.5 * 2^23
  for (int i = 0; i < N; ++i)
    k[i] = _mm512_mul_round_ps(x[i], xsimd::constants::invlog_2<Vec>(),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  for (int i = 0; i < N; ++i) k[i] = k[i] + shifter;
  for (int i = 0; i < N; ++i) k[i] = k[i] - shifter;
  for (int i = 0; i < N; ++i) r[i] = fused_negated_multiply_add(k[i], xsimd::constants::log_2hi<Vec>(), x[i]);
  for (int i = 0; i < N; ++i) r[i] = fused_negated_multiply_add(k[i], xsimd::constants::log_2lo<Vec>(), r[i]);
  for (int i = 0; i < N; ++i) r2[i] = r[i] * r[i];
  // xsimd's coefficients: 0x3ab778cf, 0x3c098d8b, 0x3d2aa957, 0x3e2aa9a5, 0.5.
  for (int i = 0; i < N; ++i) p[i] = fused_multiply_add(Vec(0x1.6ef19ep-10f), r[i], Vec(0x1.131b16p-7f));
  for (int i = 0; i < N; ++i) p[i] = fused_multiply_add(p[i], r[i], Vec(0x1.5552aep-5f));
  for (int i = 0; i < N; ++i) p[i] = fused_multiply_add(p[i], r[i], Vec(0x1.55534ap-3f));
  for (int i = 0; i < N; ++i) p[i] = fused_multiply_add(p[i], r[i], Vec(0.5f));
  for (int i = 0; i < N; ++i) p[i] = fused_multiply_add(p[i], r2[i], r[i]);
  for (int i = 0; i < N; ++i) p[i] = p[i] + Vec(1.0f);
  for (int i = 0; i < N; ++i) {
    const __mmask16 finite_or_nan = _mm512_cmp_ps_mask(k[i], Vec(-127.0f), _CMP_NLE_UQ);
    const __mmask16 overflows = _mm512_cmp_ps_mask(x[i], xsimd::constants::maxlog<Vec>(), _CMP_GE_OQ);
    y[i] = _mm512_mask_mov_ps(_mm512_maskz_scalef_ps(finite_or_nan, p[i], k[i]), overflows,
                              xsimd::constants::infinity<Vec>());
  }
}
#endif

// ---- math policies for Pack<K>

// xsimd's exp and tanh (a few ulp), IEEE division and square root. With
// AVX-512 the exp is exp_xsimd_steps: the same values, step by step across the
// Pack's vectors.
struct SimdPreciseMath {
  template <int K>
  static Pack<K> exp(const Pack<K>& x) {
#if XSIMD_WITH_AVX512F
    Pack<K> y;
    exp_xsimd_steps(x.v, y.v);
    return y;
#else
    return map(x, [](const Vec& a) { return xsimd::exp(a); });
#endif
  }
  template <int K>
  static Pack<K> tanh(const Pack<K>& x) {
    return map(x, [](const Vec& a) { return xsimd::tanh(a); });
  }
  template <int K>
  static Pack<K> div(const Pack<K>& a, const Pack<K>& b) {
    return a / b;
  }
  template <int K>
  static Pack<K> sqrt(const Pack<K>& x) {
    return map(x, [](const Vec& a) { return xsimd::sqrt(a); });
  }
};

// MathMode::fast on the host: exp_cephes in place of xsimd::exp and
// a times reciprocal_fast(b) in place of division; the rest as precise.
struct SimdFastMath : SimdPreciseMath {
  template <int K>
  static Pack<K> exp(const Pack<K>& x) {
    Pack<K> y;
    exp_cephes(x.v, y.v);
    return y;
  }
  template <int K>
  static Pack<K> div(const Pack<K>& a, const Pack<K>& b) {
    Pack<K> r;
    reciprocal_fast(b.v, r.v);
    return a * r;
  }
};

template <MathMode M>
using SimdMathFor = typename std::conditional<M == MathMode::fast, SimdFastMath, SimdPreciseMath>::type;

}  // namespace simd

namespace math {

// Pack<K>'s lane-wise versions of math.hpp's `?:` operations, same values as the
// scalar ones lane by lane (abs differs only in the sign of a zero, which the
// sums that use it starting from +0 cannot show).
template <int K>
struct NumberOps<simd::Pack<K>> {
  using P = simd::Pack<K>;
  static P relu(const P& z) { return simd::select(z > P(0.0f), z, P(0.0f)); }
  static P positive_indicator(const P& y) { return simd::select(y > P(0.0f), P(1.0f), P(0.0f)); }
  static P abs(const P& d) {
    return simd::map(d, [](const simd::Vec& a) { return xsimd::abs(a); });
  }
  static bool any_nonzero(const P& x) { return simd::any((x < P(0.0f)) | (x > P(0.0f))); }
  static P fma(const P& a, const P& b, const P& c) {
    P r;
    for (int k = 0; k < K; ++k) r.v[k] = simd::fused_multiply_add(a.v[k], b.v[k], c.v[k]);
    return r;
  }
  static P fnma(const P& a, const P& b, const P& c) {
    P r;
    for (int k = 0; k < K; ++k) r.v[k] = simd::fused_negated_multiply_add(a.v[k], b.v[k], c.v[k]);
    return r;
  }
};

}  // namespace math
}  // namespace manynets

// Vectorised exponential over contiguous arrays, for the softmax of the batched kernels.
//
//   exp_shift_sum(x, n, m):  x[i] <- exp(x[i] - m) in place, returns the sum of the new x[i].
//
// With AVX2 and FMA (the default x86-64-v3 build) it runs 4 doubles / 8 floats per step:
//   k = round(x / ln 2) (by the 1.5 * 2^52 resp. 1.5 * 2^23 rounding constant),
//   r = x - k ln 2 (two-part ln 2, fused), |r| <= ln 2 / 2,
//   exp(r) by a degree 11 (float: 6) polynomial, Horner's scheme,
//   times 2^k: added to the exponent field when the whole vector is in the normal range
//   (|x| <= 708, float 86), else as 2^k1 * 2^k2 with k1 + k2 = k, so that results near overflow
//   and subnormal results come out right.
// Measured against std::exp (tests/unit/core_vexp.cpp): at most 2 ulp in double and float over the whole
// range, exp(-inf) = 0, exp(+inf) = inf, overflow to inf, NaN in -> NaN out.
// Why not Eigen's exp: Eigen 3.4's double exp divides and scales by 2^k with a generic ldexp
// (four multiplies and an emulated double -> int64 conversion on AVX2); at n = 64 it took 6 cycles
// per score, half of the whole MHA forward. This one takes about 3 (measured on this project's
// AMD EPYC host: 0.8-1.0 ns per double against Eigen's 1.6-2.0).
// Without AVX2/FMA the scalar loop calls std::exp (same contract, exact to libm).
// The sum is accumulated in 4 (8) lanes and then reduced: not the same bits as a left-to-right sum.
#pragma once
#include "core/simd.hpp"

#include <cmath>
#include <cstddef>
#include <type_traits>

namespace attnlab::core {

namespace detail {
#ifdef ATTNLAB_SIMD_AVX2
// exp(r) for |r| <= ln 2 / 2 by Horner's scheme: degree 11 (double) and 6 (float) polynomials
// interpolating exp at the Chebyshev nodes of that interval (near-minimax; relative error
// 1.7e-17 resp. 2.0e-8 with the coefficients as rounded here, i.e. under 0.1 resp. 0.2 ulp).
inline __m256d exp_poly_pd(__m256d r) {
  static constexpr double c[] = {2.5110037605963777e-08,  2.763263963904103e-07, 2.755724091857897e-06,
                                 2.4801485482328494e-05, 0.00019841269890047113, 0.0013888888952314775,
                                 0.008333333333319601,   0.0416666666664881,     0.1666666666666668,
                                 0.5000000000000019,     1.0,                    1.0};
  __m256d p = _mm256_set1_pd(c[0]);
  for (int j = 1; j < 12; ++j) p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(c[j]));
  return p;
}
inline __m256 exp_poly_ps(__m256 r) {
  static constexpr float c[] = {0.0013941108f, 0.008375126f, 0.04166635f, 0.16666415f, 0.5f, 1.0f, 1.0f};
  __m256 p = _mm256_set1_ps(c[0]);
  for (int j = 1; j < 7; ++j) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c[j]));
  return p;
}

// k = round(x / ln 2) through the rounding constant (t holds k in its low mantissa bits), and
// r = x - k ln 2 with ln 2 in two parts (fdlibm's split), fused.
inline __m256d exp_reduce_pd(__m256d x, __m256d& t, __m256d& k) {
  const __m256d magic = _mm256_set1_pd(6755399441055744.0);  // 1.5 * 2^52
  t = _mm256_fmadd_pd(x, _mm256_set1_pd(1.4426950408889634), magic);
  k = _mm256_sub_pd(t, magic);
  const __m256d r = _mm256_fnmadd_pd(k, _mm256_set1_pd(6.93147180369123816490e-01), x);
  return _mm256_fnmadd_pd(k, _mm256_set1_pd(1.90821492927058770002e-10), r);
}
inline __m256 exp_reduce_ps(__m256 x, __m256& t, __m256& k) {
  const __m256 magic = _mm256_set1_ps(12582912.0f);  // 1.5 * 2^23
  t = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504f), magic);
  k = _mm256_sub_ps(t, magic);
  const __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693145751953125f), x);
  return _mm256_fnmadd_ps(k, _mm256_set1_ps(1.428606765330187045e-06f), r);
}

// Fast path, every lane with |x| <= 708 (float: 86), so that exp(x) is a normal number: 2^k is
// applied by adding k to the exponent field of p (k << 52 taken from t's low bits).
inline __m256d exp_fast_pd(__m256d x) {
  __m256d t, k;
  const __m256d p = exp_poly_pd(exp_reduce_pd(x, t, k));
  return _mm256_castsi256_pd(_mm256_add_epi64(_mm256_castpd_si256(p), _mm256_slli_epi64(_mm256_castpd_si256(t), 52)));
}
inline __m256 exp_fast_ps(__m256 x) {
  __m256 t, k;
  const __m256 p = exp_poly_ps(exp_reduce_ps(x, t, k));
  return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(p), _mm256_slli_epi32(_mm256_castps_si256(t), 23)));
}

// Whole range: x clamped (max/min take their second operand on NaN, so NaN stays NaN) to where
// the result is 0 resp. inf in any case, and 2^k applied as 2^k1 * 2^k2, k1 = round(k / 2),
// each factor a normal number built from its exponent bits, so that results near overflow and
// subnormal results come out right. Same polynomial: lanes in the fast range get the same bits.
inline __m256d exp_full_pd(__m256d x) {
  x = _mm256_max_pd(_mm256_set1_pd(-746.0), x);
  x = _mm256_min_pd(_mm256_set1_pd(710.0), x);
  __m256d t, k;
  const __m256d p = exp_poly_pd(exp_reduce_pd(x, t, k));
  const __m256d magic = _mm256_set1_pd(6755399441055744.0);
  const __m256d k1 = _mm256_sub_pd(_mm256_fmadd_pd(k, _mm256_set1_pd(0.5), magic), magic);
  const __m256d k2 = _mm256_sub_pd(k, k1);
  const __m256d bias = _mm256_set1_pd(6755399441055744.0 + 1023.0);
  const __m256d s1 = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_castpd_si256(_mm256_add_pd(k1, bias)), 52));
  const __m256d s2 = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_castpd_si256(_mm256_add_pd(k2, bias)), 52));
  return _mm256_mul_pd(_mm256_mul_pd(p, s1), s2);
}
inline __m256 exp_full_ps(__m256 x) {
  x = _mm256_max_ps(_mm256_set1_ps(-105.0f), x);
  x = _mm256_min_ps(_mm256_set1_ps(89.0f), x);
  __m256 t, k;
  const __m256 p = exp_poly_ps(exp_reduce_ps(x, t, k));
  const __m256 magic = _mm256_set1_ps(12582912.0f);
  const __m256 k1 = _mm256_sub_ps(_mm256_fmadd_ps(k, _mm256_set1_ps(0.5f), magic), magic);
  const __m256 k2 = _mm256_sub_ps(k, k1);
  const __m256 bias = _mm256_set1_ps(12582912.0f + 127.0f);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(_mm256_add_ps(k1, bias)), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(_mm256_add_ps(k2, bias)), 23));
  return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

// exp of 4 (8) lanes: the fast path when every lane is in its range (ordered compare: a NaN
// lane takes the full path), else the full path.
inline __m256d exp_pd(__m256d x) {
  const __m256d ax = _mm256_andnot_pd(_mm256_set1_pd(-0.0), x);
  if (_mm256_movemask_pd(_mm256_cmp_pd(ax, _mm256_set1_pd(708.0), _CMP_LE_OQ)) == 0xF) return exp_fast_pd(x);
  return exp_full_pd(x);
}
inline __m256 exp_ps(__m256 x) {
  const __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  if (_mm256_movemask_ps(_mm256_cmp_ps(ax, _mm256_set1_ps(86.0f), _CMP_LE_OQ)) == 0xFF) return exp_fast_ps(x);
  return exp_full_ps(x);
}
inline __m256d exp_v(__m256d x) { return exp_pd(x); }
inline __m256 exp_v(__m256 x) { return exp_ps(x); }

#endif
}  // namespace detail

// x[i] <- exp(x[i] - m) for i < n, in place; returns the sum of the new values. S: float or double.
template <class S> S exp_shift_sum(S* x, std::ptrdiff_t n, S m) {
  static_assert(std::is_same_v<S, double> || std::is_same_v<S, float>, "exp_shift_sum: float or double");
  std::ptrdiff_t i = 0;
  S sum = 0;
#ifdef ATTNLAB_SIMD_AVX2
  using O = simd::Simd<S>;
  constexpr int W = O::W;
  const typename O::V mv = O::set1(m);
  typename O::V acc = O::zero();
  for (; i + W <= n; i += W) {
    const typename O::V e = detail::exp_v(O::sub(O::load(x + i), mv));
    O::store(x + i, e);
    acc = O::add(acc, e);
  }
  if (i < n) {  // the tail through the same kernel, so that every entry gets the same function
    S buf[W] = {};
    const std::ptrdiff_t rest = n - i;
    for (std::ptrdiff_t j = 0; j < rest; ++j) buf[j] = x[i + j] - m;
    O::store(buf, detail::exp_v(O::load(buf)));
    for (std::ptrdiff_t j = 0; j < rest; ++j) {
      x[i + j] = buf[j];
      sum += buf[j];
    }
    i = n;
  }
  sum += O::hsum(acc);
#endif
  for (; i < n; ++i) {
    x[i] = std::exp(x[i] - m);
    sum += x[i];
  }
  return sum;
}

}  // namespace attnlab::core

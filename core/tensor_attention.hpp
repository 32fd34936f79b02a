// Tensor (Kronecker) attention of order t >= 2 and its polynomial-feature factored evaluation.
//
// Inputs: Q (n x d), key slots K_1..K_{t-1} and value slots V_1..V_{t-1} (each n x d).
//   scores S = Q (K_1 (/) ... (/) K_{t-1})^T / d   (n x n^{t-1}),
//   output  D^{-1} f(S) (V_1 (/) ... (/) V_{t-1}),  D = diag(f(S) 1),
// where (/) is the column-wise Kronecker (Khatri-Rao) product: row j1 n^{m-1} + ... + jm of
// X_1 (/) ... (/) X_m is the entrywise product X_1[j1,:] o ... o X_m[jm,:]. f = exp gives tensor
// attention (t = 2: ordinary exp(Q K^T / d) attention); f = P_g (truncated Taylor series of exp,
// degree g) gives polynomial attention, which factors through feature matrices
//   U_1[i, a] = c_a Q[i,:]^a,  U_{k+1}[j, a] = K_k[j,:]^a,  c_a = 1 / (a! d^{|a|}),
// one column per multi-index a in N^d with |a| <= g, so that P_g(S) = U_1 (U_2 (/) ... (/) U_t)^T
// and, by the Kronecker-Hadamard identity,
//   P_g(S) (V_1 (/) ... ) = U_1 [o_k U_{k+1}^T V_k],  P_g(S) 1 = U_1 [o_k U_{k+1}^T 1].
// Nothing of size n^{t-1} is formed on that path.
//
// Operation counters (OpCount) are accumulated by the kernels from the loop bounds they actually
// execute: one multiply-add (or multiply, or add) per inner iteration, one exp per exp call;
// comparisons, subtractions of the row maximum and index arithmetic are not counted.
// Everything is templated on the scalar (double, float, boost::multiprecision).
#pragma once
#include "core/linalg.hpp"
#include "core/rng.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace attnlab::core {

// ---------------------------------------------------------------- operation counters
struct OpCount {
  long long madd = 0;  // multiply-adds, multiplies, adds, divisions
  long long exps = 0;  // exp evaluations
  long long total() const { return madd + exps; }
  OpCount& operator+=(const OpCount& o) {
    madd += o.madd;
    exps += o.exps;
    return *this;
  }
};

// ---------------------------------------------------------------- Kronecker-type products
// Column-wise Kronecker (Khatri-Rao) product of m >= 1 factors with equal column counts:
// X_k is n_k x d; the result is (n_1 ... n_m) x d, row j_1 n_2...n_m + ... + j_m equal to
// X_1[j_1,:] o ... o X_m[j_m,:]. Factors are combined left to right.
template <class S> Mat<S> khatri_rao(const std::vector<Mat<S>>& X, OpCount* ops = nullptr) {
  if (X.empty()) throw std::invalid_argument("khatri_rao: no factors");
  const Eigen::Index d = X[0].cols();
  Mat<S> acc = X[0];
  for (size_t k = 1; k < X.size(); ++k) {
    if (X[k].cols() != d) throw std::invalid_argument("khatri_rao: column counts differ");
    const Eigen::Index a = acc.rows(), b = X[k].rows();
    Mat<S> next(a * b, d);
    for (Eigen::Index l = 0; l < d; ++l)
      for (Eigen::Index i = 0; i < a; ++i)
        for (Eigen::Index j = 0; j < b; ++j) next(i * b + j, l) = acc(i, l) * X[k](j, l);
    if (ops) ops->madd += static_cast<long long>(a) * b * d;
    acc = std::move(next);
  }
  return acc;
}
template <class S> Mat<S> khatri_rao(const Mat<S>& X, const Mat<S>& Y) { return khatri_rao<S>(std::vector<Mat<S>>{X, Y}); }

// Row-wise Kronecker (face-splitting) product: X is n x p, Y is n x q; row i of the result
// (n x pq) is X[i,:] (x) Y[i,:], entry (i, a q + b) = X(i,a) Y(i,b).
template <class S> Mat<S> row_kronecker(const Mat<S>& X, const Mat<S>& Y) {
  if (X.rows() != Y.rows()) throw std::invalid_argument("row_kronecker: row counts differ");
  const Eigen::Index p = X.cols(), q = Y.cols();
  Mat<S> R(X.rows(), p * q);
  for (Eigen::Index a = 0; a < p; ++a)
    for (Eigen::Index b = 0; b < q; ++b) R.col(a * q + b) = X.col(a).cwiseProduct(Y.col(b));
  return R;
}

// Ordinary Kronecker product of two matrices (for identities in tests).
template <class S> Mat<S> kronecker(const Mat<S>& A, const Mat<S>& B) {
  Mat<S> R(A.rows() * B.rows(), A.cols() * B.cols());
  for (Eigen::Index i = 0; i < A.rows(); ++i)
    for (Eigen::Index j = 0; j < A.cols(); ++j)
      R.block(i * B.rows(), j * B.cols(), B.rows(), B.cols()) = A(i, j) * B;
  return R;
}

// ---------------------------------------------------------------- multi-indices
// Every a in N^d with |a| <= g, in graded lexicographic order (degree 0, then degree 1
// e_0, e_1, ..., then degree 2 (2,0,..), (1,1,0,..), ...). Entry 0 is the zero index. Every
// other entry a has a parent (a minus the unit at its last nonzero coordinate `coord`), which
// comes earlier; `inv_count` = 1 / a[coord] (so that c_a = c_parent / (d * a[coord])).
struct MultiIndexSet {
  int d = 0, g = 0;
  std::vector<std::vector<int>> alpha;
  std::vector<int> parent, coord, degree;
  std::size_t size() const { return alpha.size(); }
};
MultiIndexSet multi_indices(int d, int g);

// ---------------------------------------------------------------- truncated Taylor series of exp
// P_g(s) = sum_{m=0}^{g} s^m / m!, by a running term (term <- term * s / m).
template <class S> S taylor_exp(const S& s, int g) {
  S term = S(1), sum = S(1);
  for (int m = 1; m <= g; ++m) {
    term = term * s / S(m);
    sum += term;
  }
  return sum;
}

// ---------------------------------------------------------------- scores (small sizes)
// The explicit n x n^{t-1} score matrix S = Q (K_1 (/) ... )^T / d (tests, claim measurements
// on small sizes; the attention kernels below never form it).
template <class S> Mat<S> tensor_scores(const Mat<S>& Q, const std::vector<Mat<S>>& K) {
  const Mat<S> KK = khatri_rao<S>(K);
  return (Q * KK.transpose()) / S(Q.cols());
}

// ---------------------------------------------------------------- naive (reference) kernel
enum class ScoreMap { exp_shifted, taylor };

namespace detail {
inline void check_slots(Eigen::Index n, Eigen::Index d, size_t nk, size_t nv, Eigen::Index qrows) {
  if (nk == 0 || nk != nv) throw std::invalid_argument("tensor attention: need t-1 >= 1 key and value slots");
  (void)n;
  (void)d;
  (void)qrows;
}
}  // namespace detail

// Naive order-t tensor attention with score map f: exp with the row maximum subtracted (online:
// per tile of pairs, the running maximum rescales the accumulators, as flash attention does), or
// the Taylor polynomial P_g without a shift. Cost n^t (2d + 2) plus the products of the slots.
// Blocked into matrix products: a pair is (prefix p over slots 1..t-2, last index j), row
// p n + j of K_1 (/) ... (/) K_{t-1}. For a block of kQB query rows and one prefix p (a tile of n
// pairs), the scores are the GEMM-shaped block (Q_blk o KP_p) K_{t-1}^T / d (kQB x n; KP_p the
// prefix's Khatri-Rao row), the weights f(scores) are evaluated on the whole block (Eigen's
// vectorised exp), the numerator is the product (weights) V_{t-1} (kQB x d) times the prefix's
// value row VP_p (broadcast), and the denominator the block's row sums. Same math as the
// pair-by-pair loop; only the rounding order differs. Nothing of size n^{t-1} is stored per query
// (the prefix products are n^{t-2} x d). Threaded over query blocks (OpenMP, `threads`): every
// block has a fixed size and is computed by one thread in a fixed order, so results and counts are
// bit-identical for any thread count.
template <class S>
Mat<S> tensor_attention_kernel(const Mat<S>& Q, const std::vector<Mat<S>>& K, const std::vector<Mat<S>>& V,
                               ScoreMap map, int g, OpCount* ops = nullptr, int threads = 1) {
  detail::check_slots(Q.rows(), Q.cols(), K.size(), V.size(), Q.rows());
  const Eigen::Index n = Q.rows(), d = Q.cols();
  for (size_t k = 0; k < K.size(); ++k)
    if (K[k].cols() != d || V[k].cols() != d || K[k].rows() != n || V[k].rows() != n)
      throw std::invalid_argument("tensor attention: slot shapes differ from Q");
  const size_t m = K.size();  // t - 1 slots
  OpCount pre;
  // Prefix products over slots 1..t-2 (one row of ones for t = 2): row p = j_1 n^{t-3} + ... + j_{t-2}.
  Mat<S> KP, VP;
  if (m >= 2) {
    KP = khatri_rao<S>(std::vector<Mat<S>>(K.begin(), K.end() - 1), &pre);
    VP = khatri_rao<S>(std::vector<Mat<S>>(V.begin(), V.end() - 1), &pre);
  }
  const Eigen::Index P = m >= 2 ? KP.rows() : 1;  // number of prefixes (tiles of n pairs)
  const Mat<S>& KL = K[m - 1];
  const Mat<S>& VL = V[m - 1];
  const Mat<S> KLt = KL.transpose();  // d x n
  const Mat<S> Qs = Q / S(d);
  pre.madd += static_cast<long long>(n) * d;
  Mat<S> out(n, d);
  constexpr Eigen::Index kQB = 32;
  const Eigen::Index blocks = (n + kQB - 1) / kQB;
  const int nt = std::max(1, threads);
  std::vector<OpCount> slot(static_cast<size_t>(blocks));
  const double ninf = -std::numeric_limits<double>::infinity();
  // Small problems run on the calling thread: waking a team costs more than the work (results are
  // identical either way).
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1 && double(P) * double(n) * double(n) * double(d) >= 2e5)
  for (Eigen::Index b = 0; b < blocks; ++b) {
    const Eigen::Index i0 = b * kQB, nb = std::min(n, i0 + kQB) - i0;
    OpCount c;
    Mat<S> QP(nb, d), Sc(nb, n), Num(nb, d);
    Mat<S> acc = Mat<S>::Zero(nb, d);
    Vec<S> den = Vec<S>::Zero(nb), mx = Vec<S>::Constant(nb, S(ninf));
    for (Eigen::Index p = 0; p < P; ++p) {
      if (m >= 2) {
        QP = Qs.middleRows(i0, nb) * KP.row(p).asDiagonal();
        c.madd += static_cast<long long>(nb) * d;
      } else {
        QP = Qs.middleRows(i0, nb);
      }
      Sc.noalias() = QP * KLt;
      c.madd += static_cast<long long>(nb) * n * d;
      if (map == ScoreMap::exp_shifted) {
        for (Eigen::Index q = 0; q < nb; ++q) {
          const S tmax = Sc.row(q).maxCoeff();
          if (tmax > mx(q)) {  // rescale the accumulators to the new maximum
            if (p > 0) {
              using std::exp;
              const S f = exp(S(mx(q) - tmax));
              acc.row(q) *= f;
              den(q) *= f;
              c.exps += 1;
              c.madd += d + 1;
            }
            mx(q) = tmax;
          }
        }
        Sc = (Sc.array().colwise() - mx.array()).exp().matrix();
        c.exps += static_cast<long long>(nb) * n;
      } else {
        Sc = Sc.unaryExpr([g](const S& v) { return taylor_exp(v, g); });
        c.madd += static_cast<long long>(nb) * n * 2 * g;  // g (multiply, divide) pairs and g adds, counted 2g
      }
      den += Sc.rowwise().sum();
      Num.noalias() = Sc * VL;
      c.madd += static_cast<long long>(nb) * n * (d + 1);
      if (m >= 2) {
        acc += Num * VP.row(p).asDiagonal();
        c.madd += static_cast<long long>(nb) * d;
      } else {
        acc += Num;
      }
    }
    for (Eigen::Index q = 0; q < nb; ++q) {
      for (Eigen::Index l = 0; l < d; ++l) out(i0 + q, l) = acc(q, l) / den(q);
      c.madd += d;
    }
    slot[static_cast<size_t>(b)] = c;
  }
  if (ops) {
    *ops += pre;
    for (const auto& c : slot) *ops += c;
  }
  return out;
}

// Exact tensor attention (exp, row maximum subtracted).
template <class S>
Mat<S> tensor_attention_naive(const Mat<S>& Q, const std::vector<Mat<S>>& K, const std::vector<Mat<S>>& V,
                              OpCount* ops = nullptr, int threads = 1) {
  return tensor_attention_kernel<S>(Q, K, V, ScoreMap::exp_shifted, 0, ops, threads);
}
// Materialised polynomial attention diag(P_g(S) 1)^{-1} P_g(S) (V_1 (/) ...), evaluated score by
// score (no shift; P_g has no shift invariance).
template <class S>
Mat<S> tensor_attention_poly_materialized(const Mat<S>& Q, const std::vector<Mat<S>>& K, const std::vector<Mat<S>>& V,
                                          int g, OpCount* ops = nullptr, int threads = 1) {
  return tensor_attention_kernel<S>(Q, K, V, ScoreMap::taylor, g, ops, threads);
}

// ---------------------------------------------------------------- polynomial features
// Feature matrix with one column per multi-index of `mi` (n x r): F[i, a] = X[i,:]^a, times
// c_a = 1 / (a! d^{|a|}) when `with_coefficients`. Each column is its parent column times one
// coordinate (n multiplications; with coefficients the scalar 1 / (d a[coord]) is folded into the
// coordinate first, one more multiplication).
template <class S> Mat<S> poly_features(const Mat<S>& X, const MultiIndexSet& mi, bool with_coefficients, OpCount* ops = nullptr) {
  if (X.cols() != mi.d) throw std::invalid_argument("poly_features: column count differs from d");
  const Eigen::Index n = X.rows(), r = static_cast<Eigen::Index>(mi.size());
  Mat<S> F(n, r);
  F.col(0).setOnes();
  long long m = 0;
  for (Eigen::Index a = 1; a < r; ++a) {
    const int p = mi.parent[a], l = mi.coord[a];
    if (with_coefficients) {
      const S w = S(1) / (S(mi.d) * S(mi.alpha[a][l]));
      for (Eigen::Index i = 0; i < n; ++i) F(i, a) = F(i, p) * (X(i, l) * w);
      m += 2 * n;
    } else {
      for (Eigen::Index i = 0; i < n; ++i) F(i, a) = F(i, p) * X(i, l);
      m += n;
    }
  }
  if (ops) ops->madd += m;
  return F;
}

// The factors of P_g(S): U[0] = coefficient features of Q, U[k] = features of K_k (k = 1..t-1).
template <class S> std::vector<Mat<S>> poly_factors(const Mat<S>& Q, const std::vector<Mat<S>>& K, const MultiIndexSet& mi,
                                                    OpCount* ops = nullptr) {
  std::vector<Mat<S>> U;
  U.push_back(poly_features<S>(Q, mi, true, ops));
  for (const auto& k : K) U.push_back(poly_features<S>(k, mi, false, ops));
  return U;
}

// Result of the factored evaluation.
template <class S> struct FactoredResult {
  Mat<S> out;   // n x d
  Vec<S> den;   // approximate row sums U_1 w (n)
  long long rank = 0;  // r = number of multi-indices
};

// Factored polynomial attention (step 6 of the polynomial method):
//   W = o_k U_{k+1}^T V_{pair[k]},  w = o_k U_{k+1}^T 1,  out = diag(U_1 w)^{-1} U_1 W.
// `value_slot` (optional) pairs key slot k with value slot value_slot[k]; the identity holds only
// for the identity pairing (a permutation is the "swapped value pairing" control).
template <class S>
FactoredResult<S> tensor_attention_factored(const Mat<S>& Q, const std::vector<Mat<S>>& K, const std::vector<Mat<S>>& V,
                                            const MultiIndexSet& mi, OpCount* ops = nullptr,
                                            const std::vector<int>& value_slot = {}) {
  detail::check_slots(Q.rows(), Q.cols(), K.size(), V.size(), Q.rows());
  const Eigen::Index n = Q.rows(), d = Q.cols(), r = static_cast<Eigen::Index>(mi.size());
  OpCount c;
  const std::vector<Mat<S>> U = poly_factors<S>(Q, K, mi, &c);
  Mat<S> W(r, d);
  Vec<S> w(r);
  for (size_t k = 0; k < K.size(); ++k) {
    const int vs = value_slot.empty() ? static_cast<int>(k) : value_slot[k];
    const Mat<S>& Uk = U[k + 1];
    const Mat<S>& Vk = V[static_cast<size_t>(vs)];
    Mat<S> Wk(r, d);
    Vec<S> wk(r);
    for (Eigen::Index a = 0; a < r; ++a) {
      const S* u = Uk.data() + a * n;  // column a, contiguous
      S sum = S(0);
      for (Eigen::Index j = 0; j < n; ++j) sum += u[j];
      wk(a) = sum;
      for (Eigen::Index l = 0; l < d; ++l) {
        const S* v = Vk.data() + l * n;
        S acc = S(0);
        for (Eigen::Index j = 0; j < n; ++j) acc += u[j] * v[j];
        Wk(a, l) = acc;
      }
    }
    c.madd += static_cast<long long>(n) * r * (d + 1);
    if (k == 0) {
      W = std::move(Wk);
      w = std::move(wk);
    } else {
      for (Eigen::Index a = 0; a < r; ++a) {
        for (Eigen::Index l = 0; l < d; ++l) W(a, l) *= Wk(a, l);
        w(a) *= wk(a);
      }
      c.madd += static_cast<long long>(r) * (d + 1);
    }
  }
  FactoredResult<S> res;
  res.rank = r;
  const Mat<S>& U1 = U[0];
  res.den = Vec<S>::Zero(n);
  Mat<S> num = Mat<S>::Zero(n, d);
  for (Eigen::Index a = 0; a < r; ++a) {
    const S* u = U1.data() + a * n;
    const S wa = w(a);
    for (Eigen::Index i = 0; i < n; ++i) res.den(i) += u[i] * wa;
    for (Eigen::Index l = 0; l < d; ++l) {
      const S Wal = W(a, l);
      S* o = num.data() + l * n;
      for (Eigen::Index i = 0; i < n; ++i) o[i] += u[i] * Wal;
    }
  }
  c.madd += static_cast<long long>(n) * r * (d + 1);
  res.out.resize(n, d);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index l = 0; l < d; ++l) res.out(i, l) = num(i, l) / res.den(i);
  c.madd += static_cast<long long>(n) * d;
  if (ops) *ops += c;
  return res;
}

// Every degree 0..mi.g of the factored evaluation in one pass, streaming over rows (no n x r
// feature matrix is stored). The graded order makes the multi-indices of degree <= g the first
// r_g = C(d+g, d) entries of `mi`, so the degree-g result is the prefix sum of the degree-mi.g one:
// key features are built one row at a time (r scalars) and accumulated into W_k = U_{k+1}^T V_k and
// w_k = U_{k+1}^T 1 (row order j = 0..n-1, as tensor_attention_factored does); each query row's
// numerator and denominator are accumulated over the multi-indices in order and read off at every
// r_g. Results are bit-identical to tensor_attention_factored(Q, K, V, multi_indices(d, g)) for
// every g (same operations in the same order) in a build without FMA; with FMA (x86-64-v3, the
// default) the two paths are contracted differently and agree to about 1e-16 relative. Memory: 2 r (d + 1) + 2 r scalars (r = mi.size()),
// e.g. 106 MB in double at d = 8, g = 16 (r = 735471), independent of n.
// Returns element g = result of degree g (out, den; rank = r_g), g = 0..G with G = mi.g, or
// G = min(g_hi, mi.g) when g_hi >= 0 (only the prefix of `mi` up to degree G is used).
template <class S>
std::vector<FactoredResult<S>> tensor_attention_factored_all_degrees(const Mat<S>& Q, const std::vector<Mat<S>>& K,
                                                                     const std::vector<Mat<S>>& V, const MultiIndexSet& mi,
                                                                     OpCount* ops = nullptr, int g_hi = -1) {
  detail::check_slots(Q.rows(), Q.cols(), K.size(), V.size(), Q.rows());
  if (Q.cols() != mi.d) throw std::invalid_argument("tensor_attention_factored_all_degrees: column count differs from d");
  const int G = g_hi < 0 ? mi.g : std::min(g_hi, mi.g);  // highest degree evaluated
  std::vector<Eigen::Index> r_end(static_cast<size_t>(G) + 1, 0);  // r_g = number of indices of degree <= g
  for (Eigen::Index a = 0; a < static_cast<Eigen::Index>(mi.size()) && mi.degree[a] <= G; ++a)
    r_end[static_cast<size_t>(mi.degree[a])] = a + 1;
  const Eigen::Index n = Q.rows(), d = Q.cols(), r = r_end[static_cast<size_t>(G)];
  OpCount c;
  std::vector<S> f(static_cast<size_t>(r));
  std::vector<S> W, w, Wk, wk;  // W: r x d row-major
  for (size_t k = 0; k < K.size(); ++k) {
    const Mat<S>& X = K[k];
    const Mat<S>& Vk = V[k];
    Wk.assign(static_cast<size_t>(r * d), S(0));
    wk.assign(static_cast<size_t>(r), S(0));
    for (Eigen::Index j = 0; j < n; ++j) {
      f[0] = S(1);
      for (Eigen::Index a = 1; a < r; ++a) f[a] = f[mi.parent[a]] * X(j, mi.coord[a]);
      for (Eigen::Index a = 0; a < r; ++a) {
        const S u = f[a];
        wk[a] += u;
        S* row = Wk.data() + a * d;
        for (Eigen::Index l = 0; l < d; ++l) row[l] += u * Vk(j, l);
      }
    }
    c.madd += static_cast<long long>(n) * (r - 1) + static_cast<long long>(n) * r * (d + 1);
    if (k == 0) {
      W.swap(Wk);
      w.swap(wk);
    } else {
      for (Eigen::Index a = 0; a < r; ++a) {
        for (Eigen::Index l = 0; l < d; ++l) W[a * d + l] *= Wk[a * d + l];
        w[a] *= wk[a];
      }
      c.madd += static_cast<long long>(r) * (d + 1);
    }
  }
  std::vector<FactoredResult<S>> res(static_cast<size_t>(G) + 1);
  for (int g = 0; g <= G; ++g) {
    res[g].rank = r_end[static_cast<size_t>(g)];
    res[g].den = Vec<S>::Zero(n);
    res[g].out.resize(n, d);
  }
  std::vector<S> coef(static_cast<size_t>(r), S(1));  // 1 / (d a[coord]) per entry
  for (Eigen::Index a = 1; a < r; ++a) coef[a] = S(1) / (S(mi.d) * S(mi.alpha[a][mi.coord[a]]));
  std::vector<S> num(static_cast<size_t>(d));
  for (Eigen::Index i = 0; i < n; ++i) {
    f[0] = S(1);
    for (Eigen::Index a = 1; a < r; ++a) f[a] = f[mi.parent[a]] * (Q(i, mi.coord[a]) * coef[a]);
    S den = S(0);
    std::fill(num.begin(), num.end(), S(0));
    int g = 0;
    for (Eigen::Index a = 0; a < r; ++a) {
      const S u = f[a];
      den += u * w[a];
      const S* row = W.data() + a * d;
      for (Eigen::Index l = 0; l < d; ++l) num[l] += u * row[l];
      while (g <= G && a + 1 == r_end[static_cast<size_t>(g)]) {
        res[g].den(i) = den;
        for (Eigen::Index l = 0; l < d; ++l) res[g].out(i, l) = num[l] / den;
        ++g;
      }
    }
  }
  c.madd += 2 * static_cast<long long>(n) * (r - 1) + static_cast<long long>(n) * r * (d + 1) +
            static_cast<long long>(n) * d * (G + 1);
  if (ops) *ops += c;
  return res;
}

// The low-rank factors with the n x n^{t-1} approximate attention matrix A~ = U_1 (U_2 (/) ...)^T
// built explicitly before multiplying with the values (the "materialised low rank" path):
// features, UU = U_2 (/) ... (/) U_t (n^{t-1} x r), VV, A~ (n x n^{t-1}, n^t r), then A~ VV and A~ 1.
template <class S>
Mat<S> tensor_attention_lowrank_materialized(const Mat<S>& Q, const std::vector<Mat<S>>& K, const std::vector<Mat<S>>& V,
                                             const MultiIndexSet& mi, OpCount* ops = nullptr, int threads = 1,
                                             Mat<S>* A_out = nullptr) {
  detail::check_slots(Q.rows(), Q.cols(), K.size(), V.size(), Q.rows());
  const Eigen::Index n = Q.rows(), d = Q.cols(), r = static_cast<Eigen::Index>(mi.size());
  OpCount c;
  const std::vector<Mat<S>> U = poly_factors<S>(Q, K, mi, &c);
  using RowMat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const RowMat UU = khatri_rao<S>(std::vector<Mat<S>>(U.begin() + 1, U.end()), &c);
  const RowMat VV = khatri_rao<S>(V, &c);
  const RowMat U1 = U[0];
  const Eigen::Index P = UU.rows();
  RowMat A(n, P);
  const int nt = std::max(1, threads);
  std::vector<OpCount> slot(static_cast<size_t>(n));
  Mat<S> out(n, d);
#pragma omp parallel for schedule(static) num_threads(nt)
  for (Eigen::Index i = 0; i < n; ++i) {
    OpCount ci;
    const S* u1 = U1.data() + i * r;
    for (Eigen::Index p = 0; p < P; ++p) {
      const S* uu = UU.data() + p * r;
      S v = S(0);
      for (Eigen::Index a = 0; a < r; ++a) v += u1[a] * uu[a];
      A(i, p) = v;
    }
    ci.madd += static_cast<long long>(P) * r;
    std::vector<S> acc(static_cast<size_t>(d), S(0));
    S den = S(0);
    for (Eigen::Index p = 0; p < P; ++p) {
      const S w = A(i, p);
      const S* vr = VV.data() + p * d;
      for (Eigen::Index l = 0; l < d; ++l) acc[l] += w * vr[l];
      den += w;
    }
    ci.madd += static_cast<long long>(P) * (d + 1);
    for (Eigen::Index l = 0; l < d; ++l) out(i, l) = acc[l] / den;
    ci.madd += d;
    slot[static_cast<size_t>(i)] = ci;
  }
  if (ops) {
    *ops += c;
    for (const auto& s : slot) *ops += s;
  }
  if (A_out) *A_out = A;
  return out;
}

// ---------------------------------------------------------------- input families
struct TensorInputs {
  MatrixXd Q;
  std::vector<MatrixXd> K, V;  // t-1 slots each
};
// uniform(B): Q, K_k iid U[-B, B]; V_k iid U[-1, 1]. Drawn in the order Q, K_1.., V_1.., column-major.
TensorInputs tensor_inputs_uniform(int n, int d, int t, double B, PhiloxStream& rng);
// extremal(B): Q, K_k = B * (iid +-1); Q[0,:] = +B, Q[1,:] = -B (when n >= 2), K_k[0,:] = +B for
// every k; V_k = K_k / B. Scores then include +B^t and -B^t exactly.
TensorInputs tensor_inputs_extremal(int n, int d, int t, double B, PhiloxStream& rng);

}  // namespace attnlab::core

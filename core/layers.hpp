// Transformer building blocks on token-major matrices (X is n x d, one token per row), templated
// on the scalar so that double and boost::multiprecision (core/multiprecision.hpp) run the same
// code: composite (1,inf) norms and the token-centred residual, multi-head softmax attention with
// merged or factored value/output maps, optional biases, a frozen-attention input and a carried
// score state (modern-Hopfield style), per-token LayerNorm, a token-wise ReLU MLP, residual
// blocks (pure attention, +skip, +MLP, pre-/post-LN, full block), stacks, the path decomposition
// of a pure attention stack, a position-gated output projection, and (double only) rank decisions
// with a gap rule, affine rank, and nullity.
#pragma once
#include "core/attention.hpp"
#include "core/linalg.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

namespace attnlab::core {

// ---------------------------------------------------------------- norms and residuals

// ||A||_1 = largest column sum of |A_ij|.
template <class S> S norm_1(const Mat<S>& A) {
  using std::abs;
  S best = S(0);
  for (Eigen::Index j = 0; j < A.cols(); ++j) {
    S s = S(0);
    for (Eigen::Index i = 0; i < A.rows(); ++i) s += abs(A(i, j));
    if (s > best) best = s;
  }
  return best;
}
// ||A||_inf = largest row sum of |A_ij|.
template <class S> S norm_inf(const Mat<S>& A) {
  using std::abs;
  S best = S(0);
  for (Eigen::Index i = 0; i < A.rows(); ++i) {
    S s = S(0);
    for (Eigen::Index j = 0; j < A.cols(); ++j) s += abs(A(i, j));
    if (s > best) best = s;
  }
  return best;
}
// Composite sqrt(||A||_1 ||A||_inf): sub-multiplicative, NOT subadditive (not a norm).
template <class S> S norm_1inf(const Mat<S>& A) {
  using std::sqrt;
  return sqrt(norm_1(A) * norm_inf(A));
}
template <class S> S max_abs(const Mat<S>& A) {
  using std::abs;
  S best = S(0);
  for (Eigen::Index j = 0; j < A.cols(); ++j)
    for (Eigen::Index i = 0; i < A.rows(); ++i)
      if (abs(A(i, j)) > best) best = abs(A(i, j));
  return best;
}

// C_n X: every column minus its mean over tokens.
template <class S> Mat<S> centre_tokens(const Mat<S>& X) {
  Mat<S> R = X;
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    S m = S(0);
    for (Eigen::Index i = 0; i < X.rows(); ++i) m += X(i, j);
    m /= S(X.rows());
    for (Eigen::Index i = 0; i < X.rows(); ++i) R(i, j) -= m;
  }
  return R;
}
// X Pi_d: every row minus its mean over features.
template <class S> Mat<S> centre_features(const Mat<S>& X) {
  Mat<S> R = X;
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    S m = S(0);
    for (Eigen::Index j = 0; j < X.cols(); ++j) m += X(i, j);
    m /= S(X.cols());
    for (Eigen::Index j = 0; j < X.cols(); ++j) R(i, j) -= m;
  }
  return R;
}
// Column-mean residual m(X) = ||C_n X||_{1,inf} (an upper bound on the minimal residual
// min_x ||X - 1 x^T||_{1,inf}) and the relative residual rho(X) = m(X) / ||X||_{1,inf}.
template <class S> S residual_measure(const Mat<S>& X) { return norm_1inf<S>(centre_tokens<S>(X)); }
template <class S> S relative_residual(const Mat<S>& X) { return residual_measure<S>(X) / norm_1inf<S>(X); }

// Mean pairwise cosine similarity of the rows (i < j).
template <class S> S mean_pairwise_cosine(const Mat<S>& X) {
  using std::sqrt;
  const Eigen::Index n = X.rows();
  std::vector<S> nrm(n);
  for (Eigen::Index i = 0; i < n; ++i) nrm[i] = sqrt(X.row(i).squaredNorm());
  S sum = S(0);
  long long cnt = 0;
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = i + 1; j < n; ++j, ++cnt) sum += X.row(i).dot(X.row(j)) / (nrm[i] * nrm[j]);
  return cnt ? sum / S(cnt) : S(1);
}

// ---------------------------------------------------------------- attention

// One head in the row convention: scores (X W_Q + 1 b_Q^T)(X W_K + 1 b_K^T)^T * scale,
// value path P X W_V W_O. W_Q, W_K are d x d_qk; W_V is d x d_v; W_O is d_v x d, or empty
// (then W_V is the merged d x d map W_h of [Dong et al.]). Empty biases are absent.
template <class S> struct AttnHead {
  Mat<S> WQ, WK, WV, WO;
  Vec<S> bQ, bK;
  Mat<S> merged() const { return WO.size() ? Mat<S>(WV * WO) : WV; }  // W_h (d x d)
  Mat<S> qk() const { return WQ * WK.transpose(); }                    // W_QK (d x d)
  Eigen::Index dqk() const { return WQ.cols(); }
};

template <class S> struct AttnLayer {
  std::vector<AttnHead<S>> heads;
  Vec<S> b;          // output bias (d), empty = none
  double scale = 0;  // score scale; 0 = 1/sqrt(d_qk)

  S score_scale() const {
    using std::sqrt;
    return scale > 0 ? S(scale) : S(1) / sqrt(S(heads.at(0).dqk()));
  }
  Mat<S> scores(size_t h, const Mat<S>& X) const {
    const AttnHead<S>& hd = heads[h];
    Mat<S> Q = X * hd.WQ, K = X * hd.WK;
    if (hd.bQ.size()) Q.rowwise() += hd.bQ.transpose();
    if (hd.bK.size()) K.rowwise() += hd.bK.transpose();
    return (Q * K.transpose()) * score_scale();
  }
  // Value path of head h with attention P: P X W_V (W_O).
  Mat<S> head_value(size_t h, const Mat<S>& P, const Mat<S>& X) const {
    const AttnHead<S>& hd = heads[h];
    Mat<S> Z = P * (X * hd.WV);
    if (hd.WO.size()) Z = Z * hd.WO;
    return Z;
  }
  // MHA(X) = sum_h P_h X W_h + 1 b^T (heads summed in index order). P_out receives the
  // attention matrices; with P_frozen the given matrices are used instead of softmax(scores).
  Mat<S> forward(const Mat<S>& X, std::vector<Mat<S>>* P_out = nullptr,
                 const std::vector<Mat<S>>* P_frozen = nullptr) const {
    if (P_out) P_out->clear();
    Mat<S> Y;
    for (size_t h = 0; h < heads.size(); ++h) {
      const Mat<S> P = P_frozen ? P_frozen->at(h) : softmax_rows<S>(scores(h, X), false);
      const Mat<S> Z = head_value(h, P, X);
      if (h == 0) Y = Z; else Y += Z;
      if (P_out) P_out->push_back(P);
    }
    if (b.size()) Y.rowwise() += b.transpose();
    return Y;
  }
  // Carried score state (one n x n matrix per head): with an empty `state`, the state becomes
  // first_weight * scores (1 = the layer's own scores, 0 = a zero initial state followed by one
  // update); otherwise state <- a' state + (1 - a') scores. P_h = softmax(state_h).
  Mat<S> forward_carried(const Mat<S>& X, std::vector<Mat<S>>& state, double a_prime, bool zero_init = false) const {
    const bool first = state.empty();
    if (first) state.resize(heads.size());
    Mat<S> Y;
    for (size_t h = 0; h < heads.size(); ++h) {
      const Mat<S> Sc = scores(h, X);
      if (first) state[h] = zero_init ? Mat<S>(Sc * S(1 - a_prime)) : Sc;
      else state[h] = state[h] * S(a_prime) + Sc * S(1 - a_prime);
      const Mat<S> Z = head_value(h, softmax_rows<S>(state[h], false), X);
      if (h == 0) Y = Z; else Y += Z;
    }
    if (b.size()) Y.rowwise() += b.transpose();
    return Y;
  }
};

// ---------------------------------------------------------------- LayerNorm and MLP

// Per-token LN(x) = g .* (x - mu 1) / sqrt(sigma^2 + eps) + b (sigma^2 the biased variance over
// features). Empty g = ones, empty b = zeros. A token with sigma^2 + eps = 0 throws.
template <class S> struct LayerNorm {
  Vec<S> g, b;
  double eps = 1e-5;
  Vec<S> scales(const Mat<S>& X) const {  // s_i = sqrt(sigma_i^2 + eps)
    using std::sqrt;
    const Mat<S> C = centre_features<S>(X);
    Vec<S> s(X.rows());
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      const S v = C.row(i).squaredNorm() / S(X.cols()) + S(eps);
      if (!(v > S(0))) throw std::domain_error("LayerNorm: token with zero variance and eps = 0");
      s(i) = sqrt(v);
    }
    return s;
  }
  Mat<S> apply(const Mat<S>& X) const {
    Mat<S> Y = centre_features<S>(X);
    const Vec<S> s = scales(X);
    for (Eigen::Index i = 0; i < X.rows(); ++i) Y.row(i) /= s(i);
    if (g.size()) Y = Y * g.asDiagonal();
    if (b.size()) Y.rowwise() += b.transpose();
    return Y;
  }
};

// f(Z) = relu(Z W1 + 1 b1^T) W2 + 1 b2^T, W1 d x w, W2 w x d; empty biases are absent.
template <class S> struct ReluMlp {
  Mat<S> W1, W2;
  Vec<S> b1, b2;
  Mat<S> apply(const Mat<S>& Z) const {
    Mat<S> U = Z * W1;
    if (b1.size()) U.rowwise() += b1.transpose();
    for (Eigen::Index j = 0; j < U.cols(); ++j)
      for (Eigen::Index i = 0; i < U.rows(); ++i)
        if (U(i, j) < S(0)) U(i, j) = S(0);
    Mat<S> Y = U * W2;
    if (b2.size()) Y.rowwise() += b2.transpose();
    return Y;
  }
};

// ---------------------------------------------------------------- blocks and stacks

enum class LnPlace { none, post, pre };

// One block. Attention sublayer: A = MHA(pre ? LN1(X) : X); Y = skip ? X + A : A; post: Y = LN1(Y).
// MLP sublayer (if mlp): F = f(pre ? LN2(Y) : Y); Z = skip ? Y + F : F; post: Z = LN2(Z).
// Variants: pure SAN {skip=false}; SAN+skip {skip}; SAN+MLP (Cor. 3.2 form) {mlp}; post-LN block
// without MLP {skip, post}; full post-LN transformer block {skip, mlp, post}; pre-LN {skip, pre}.
template <class S> struct Block {
  AttnLayer<S> attn;
  bool skip = false, mlp = false;
  LnPlace ln = LnPlace::none;
  ReluMlp<S> f;
  LayerNorm<S> ln1, ln2;

  Mat<S> forward(const Mat<S>& X, std::vector<Mat<S>>* P_out = nullptr,
                 const std::vector<Mat<S>>* P_frozen = nullptr) const {
    const Mat<S> A = attn.forward(ln == LnPlace::pre ? ln1.apply(X) : X, P_out, P_frozen);
    Mat<S> Y = skip ? Mat<S>(X + A) : A;
    if (ln == LnPlace::post) Y = ln1.apply(Y);
    if (!mlp) return Y;
    const Mat<S> F = f.apply(ln == LnPlace::pre ? ln2.apply(Y) : Y);
    Mat<S> Z = skip ? Mat<S>(Y + F) : F;
    if (ln == LnPlace::post) Z = ln2.apply(Z);
    return Z;
  }
};

// X^0 = X, X^l = block_l(X^{l-1}); returns X^0..X^L. P_out (if given) receives per layer the
// attention matrices; P_frozen (if given) supplies them per layer instead of softmax.
template <class S>
std::vector<Mat<S>> stack_forward(const std::vector<Block<S>>& blocks, const Mat<S>& X,
                                  std::vector<std::vector<Mat<S>>>* P_out = nullptr,
                                  const std::vector<std::vector<Mat<S>>>* P_frozen = nullptr) {
  std::vector<Mat<S>> xs{X};
  if (P_out) P_out->assign(blocks.size(), {});
  for (size_t l = 0; l < blocks.size(); ++l)
    xs.push_back(blocks[l].forward(xs.back(), P_out ? &(*P_out)[l] : nullptr, P_frozen ? &P_frozen->at(l) : nullptr));
  return xs;
}

// Path decomposition of a bias-free attention stack (pure or with skips) given its attention
// matrices P[l][h] and merged maps W[l][h]: X^L = sum over paths (h_1..h_L) of
// P^L_{h_L} ... P^1_{h_1} X W^1_{h_1} ... W^L_{h_L}; with skip each h_l also takes the value
// "identity" (P = I, W = I). Enumerates every path (cost (H+skip)^L): for tests.
template <class S>
Mat<S> path_sum(const std::vector<std::vector<Mat<S>>>& P, const std::vector<std::vector<Mat<S>>>& W,
                const Mat<S>& X, bool skip) {
  const size_t L = P.size();
  const size_t H = P.at(0).size();
  const size_t choices = H + (skip ? 1 : 0);
  size_t total = 1;
  for (size_t l = 0; l < L; ++l) total *= choices;
  Mat<S> out = Mat<S>::Zero(X.rows(), X.cols());
  for (size_t code = 0; code < total; ++code) {
    size_t c = code;
    Mat<S> left = Mat<S>::Identity(X.rows(), X.rows()), right = Mat<S>::Identity(X.cols(), X.cols());
    for (size_t l = 0; l < L; ++l) {
      const size_t h = c % choices;
      c /= choices;
      if (h < H) {
        left = Mat<S>(P[l][h] * left);
        right = Mat<S>(right * W[l][h]);
      }
    }
    out += left * X * right;
  }
  return out;
}

// ---------------------------------------------------------------- output projections

// Per-head outputs Z_h (n x d_k) summed after per-head projections W_{O,h} (d_k x d): sum_h Z_h W_{O,h} + 1 b^T.
template <class S> struct HeadOutputProjection {
  std::vector<Mat<S>> WO;  // H blocks, d_k x d
  Vec<S> b;                // d, empty = none
  long long parameter_count() const {
    long long c = b.size();
    for (const auto& w : WO) c += w.size();
    return c;
  }
  Mat<S> apply(const std::vector<Mat<S>>& Z) const {
    Mat<S> Y = Z.at(0) * WO.at(0);
    for (size_t h = 1; h < Z.size(); ++h) Y += Z[h] * WO[h];
    if (b.size()) Y.rowwise() += b.transpose();
    return Y;
  }
  // The same map as one GEMM on the concatenation [Z_1 ... Z_H] (n x H d_k) with W_O stacked.
  Mat<S> apply_concat(const std::vector<Mat<S>>& Z) const {
    Eigen::Index dk = Z.at(0).cols(), n = Z[0].rows();
    Mat<S> C(n, dk * Eigen::Index(Z.size())), W(dk * Eigen::Index(Z.size()), WO[0].cols());
    for (size_t h = 0; h < Z.size(); ++h) {
      C.middleCols(Eigen::Index(h) * dk, dk) = Z[h];
      W.middleRows(Eigen::Index(h) * dk, dk) = WO[h];
    }
    Mat<S> Y = C * W;
    if (b.size()) Y.rowwise() += b.transpose();
    return Y;
  }
};

// Position-gated output projection: y_i = sum_h gamma_{i,h} z_{i,h} W_{O,h} + b_O with
// gamma_{i,h} = sigmoid(p_i^T u_h + c_h), p_i the position embedding of token i.
template <class S> struct GatedOutputProjection {
  HeadOutputProjection<S> proj;
  Mat<S> U;  // H x d (row h = u_h)
  Vec<S> c;  // H
  long long parameter_count() const { return proj.parameter_count() + U.size() + c.size(); }
  Mat<S> gates(const Mat<S>& Pos) const {  // n x H
    using std::exp;
    Mat<S> G = Pos * U.transpose();
    for (Eigen::Index i = 0; i < G.rows(); ++i)
      for (Eigen::Index h = 0; h < G.cols(); ++h) G(i, h) = S(1) / (S(1) + exp(-(G(i, h) + c(h))));
    return G;
  }
  Mat<S> apply(const std::vector<Mat<S>>& Z, const Mat<S>& Pos) const {
    const Mat<S> G = gates(Pos);
    std::vector<Mat<S>> Zg = Z;
    for (size_t h = 0; h < Z.size(); ++h) Zg[h] = G.col(Eigen::Index(h)).asDiagonal() * Z[h];
    return proj.apply(Zg);
  }
};

// ---------------------------------------------------------------- rank decisions (double)

// Numerical rank with the gap rule: k = #{sigma_i > tol * ref}, ref = sigma_1 unless given
// (> 0); gap_lo = sigma_k / ref (1 when k = 0), gap_hi = sigma_{k+1} / ref (0 when k = min(m, n)).
// Unambiguous iff gap_lo >= lo and gap_hi <= hi.
struct RankDecision {
  int rank = 0;
  double gap_lo = 1, gap_hi = 0;
  bool ambiguous = false;
};
inline RankDecision rank_decision_of_sv(const VectorXd& s, double tol = 1e-9, double ref = -1, double lo = 1e-6,
                                        double hi = 1e-12) {
  RankDecision d;
  const double r = ref > 0 ? ref : (s.size() ? s(0) : 0.0);
  if (!(r > 0)) {  // zero matrix
    d.rank = 0;
    d.gap_lo = 1;
    d.gap_hi = 0;
    return d;
  }
  for (Eigen::Index i = 0; i < s.size(); ++i)
    if (s(i) > tol * r) ++d.rank;
  d.gap_lo = d.rank == 0 ? 1.0 : s(d.rank - 1) / r;
  d.gap_hi = d.rank >= s.size() ? 0.0 : s(d.rank) / r;
  d.ambiguous = !(d.gap_lo >= lo && d.gap_hi <= hi);
  return d;
}
inline RankDecision rank_decision(const MatrixXd& A, double tol = 1e-9, double ref = -1) {
  return rank_decision_of_sv(singular_values<double>(A), tol, ref);
}
// Affine rank aff(Y) = rank(C_n Y), decided relative to sigma_max(Y) of the uncentred matrix;
// 0 when sigma_max(C_n Y) <= 1e-12 sigma_max(Y).
inline RankDecision affine_rank(const MatrixXd& Y, double tol = 1e-9) {
  const VectorXd sy = singular_values<double>(Y);
  const double ref = sy.size() ? sy(0) : 0.0;
  const VectorXd sc = singular_values<double>(centre_tokens<double>(Y));
  if (!(ref > 0) || (sc.size() && sc(0) <= 1e-12 * ref) || sc.size() == 0) {
    RankDecision d;
    d.rank = 0;
    d.gap_lo = 1;
    d.gap_hi = (ref > 0 && sc.size()) ? sc(0) / ref : 0.0;
    d.ambiguous = false;
    return d;
  }
  return rank_decision_of_sv(sc, tol, ref);
}
// Orthonormal basis (columns, d x k) of the row space of A, rank by the gap rule.
inline MatrixXd row_space_basis(const MatrixXd& A, RankDecision* dec = nullptr, double tol = 1e-9) {
  const ThinSvd<double> sv = thin_svd<double>(A);
  const RankDecision d = rank_decision_of_sv(sv.s, tol);
  if (dec) *dec = d;
  return sv.V.leftCols(d.rank);
}
// Nullity of A: columns minus the number of singular values above tol_rel * sigma_max * max(rows, cols).
inline int nullity(const MatrixXd& A, double tol_rel = 1e-10) {
  const VectorXd s = singular_values<double>(A);
  if (s.size() == 0 || !(s(0) > 0)) return int(A.cols());
  const double t = tol_rel * s(0) * double(std::max(A.rows(), A.cols()));
  int r = 0;
  for (Eigen::Index i = 0; i < s.size(); ++i)
    if (s(i) > t) ++r;
  return int(A.cols()) - r;
}

}  // namespace attnlab::core

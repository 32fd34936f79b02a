// Factorized multi-head attention: y_i = sum_h sum_j alpha^h_ij(X) V_h x_j.
// Each head supplies an n x n coefficient matrix alpha^h (row i = query position,
// column j = key position) and a value map V_h (p x d). Coefficient providers:
//  - softmax of bilinear scores, s_ij = (W_Q x_i).(W_K x_j)/sqrt(d_k) + b_ij, optional causal
//    mask and additive bias (e.g. ALiBi), row maximum subtracted;
//  - positional (causal Toeplitz) tables c(i-j), signed and unnormalised;
//  - explicit per-input coefficients.
// Sequences are token-major: X is n x d, Y is n x p. Templated on the scalar.
#pragma once
#include "core/linalg.hpp"

#include <cmath>
#include <vector>

namespace attnlab::core {

// ALiBi-style bias b_ij = -m (i - j) (for all i, j; the causal mask removes j > i).
template <class S = double> Mat<S> alibi_bias(int n, double m) {
  Mat<S> b(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) b(i, j) = S(-m * double(i - j));
  return b;
}

// Row-wise softmax of scores S. With `causal`, entries j > i are excluded (weight 0).
// The row maximum over the visible entries is subtracted first, so huge logits are safe.
template <class S> Mat<S> softmax_rows(const Mat<S>& scores, bool causal) {
  using std::exp;
  const Eigen::Index n = scores.rows(), m = scores.cols();
  Mat<S> A = Mat<S>::Zero(n, m);
  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::Index last = causal ? std::min<Eigen::Index>(i, m - 1) : m - 1;
    S mx = scores(i, 0);
    for (Eigen::Index j = 1; j <= last; ++j)
      if (scores(i, j) > mx) mx = scores(i, j);
    S sum = S(0);
    for (Eigen::Index j = 0; j <= last; ++j) {
      A(i, j) = exp(scores(i, j) - mx);
      sum += A(i, j);
    }
    for (Eigen::Index j = 0; j <= last; ++j) A(i, j) /= sum;
  }
  return A;
}

// One softmax head: W_Q, W_K (d_k x d), W_V (d_v x d), W_O (p x d_v). Value map V = W_O W_V.
template <class S> struct SoftmaxHead {
  Mat<S> WQ, WK, WV, WO;
  Mat<S> value_map() const { return WO * WV; }
  Eigen::Index dk() const { return WQ.rows(); }
};

struct SoftmaxOptions {
  bool causal = true;
  const Mat<double>* bias = nullptr;  // additive n x n bias (double), or none
};

// Scores s_ij = (W_Q x_i).(W_K x_j)/sqrt(d_k) + b_ij.
template <class S> Mat<S> softmax_scores(const SoftmaxHead<S>& h, const Mat<S>& X, const SoftmaxOptions& opt) {
  using std::sqrt;
  const Mat<S> Q = X * h.WQ.transpose(), K = X * h.WK.transpose();
  Mat<S> s = (Q * K.transpose()) / sqrt(S(h.dk()));
  if (opt.bias) s += opt.bias->template cast<S>();
  return s;
}

template <class S> Mat<S> softmax_weights(const SoftmaxHead<S>& h, const Mat<S>& X, const SoftmaxOptions& opt) {
  return softmax_rows<S>(softmax_scores(h, X, opt), opt.causal);
}

// Causal Toeplitz coefficient matrix P_ij = c(i - j) for i >= j (c has at least n entries).
template <class S> Mat<S> toeplitz_causal(const Vec<S>& c, int n) {
  Mat<S> P = Mat<S>::Zero(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j <= i; ++j) P(i, j) = c(i - j);
  return P;
}

// Per-head coefficients and value maps of one layer on one input.
template <class S> struct FactorizedLayer {
  std::vector<Mat<S>> alpha;  // H matrices, n x n
  std::vector<Mat<S>> V;      // H value maps, p x d
};

// Per-head outputs alpha_h X V_h^T (n x p each).
template <class S> std::vector<Mat<S>> head_outputs(const FactorizedLayer<S>& L, const Mat<S>& X) {
  std::vector<Mat<S>> out;
  out.reserve(L.alpha.size());
  for (size_t h = 0; h < L.alpha.size(); ++h) out.push_back(L.alpha[h] * (X * L.V[h].transpose()));
  return out;
}

// Y = sum_h alpha_h X V_h^T (n x p); heads summed in index order.
template <class S> Mat<S> factorized_forward(const FactorizedLayer<S>& L, const Mat<S>& X) {
  Mat<S> Y = Mat<S>::Zero(X.rows(), L.V.empty() ? 0 : L.V[0].rows());
  for (size_t h = 0; h < L.alpha.size(); ++h) Y += L.alpha[h] * (X * L.V[h].transpose());
  return Y;
}

// Vector-Jacobian product of factorized_forward with the coefficients held fixed:
// dL/dX = sum_h alpha_h^T G V_h (n x d) for G = dL/dY (n x p). This is the exact backward pass
// of a layer whose coefficients do not depend on X (positional tables, explicit per-input
// coefficients), where J_{i,j} = sum_h alpha^h_ij V_h. It is NOT the softmax Jacobian (that one
// has a score path too: MultiHeadSoftmax::backward).
template <class S> Mat<S> factorized_backward(const FactorizedLayer<S>& L, const Mat<S>& G) {
  Mat<S> dX = Mat<S>::Zero(G.rows(), L.V.empty() ? 0 : L.V[0].cols());
  for (size_t h = 0; h < L.alpha.size(); ++h) dX += L.alpha[h].transpose() * (G * L.V[h]);
  return dX;
}

// Interaction operator W_ij = sum_h alpha^h_ij V_h (p x d).
template <class S> Mat<S> interaction_operator(const FactorizedLayer<S>& L, int i, int j) {
  Mat<S> W = Mat<S>::Zero(L.V[0].rows(), L.V[0].cols());
  for (size_t h = 0; h < L.alpha.size(); ++h) W += L.alpha[h](i, j) * L.V[h];
  return W;
}

// Rows vec(W_ij) for every pair (causal pairs j <= i when `causal`, else all), i-major.
template <class S> Mat<S> interaction_rows(const FactorizedLayer<S>& L, bool causal) {
  const int n = static_cast<int>(L.alpha[0].rows());
  const Eigen::Index pd = L.V[0].size();
  const int P = causal ? n * (n + 1) / 2 : n * n;
  Mat<S> R(P, pd);
  int r = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j <= (causal ? i : n - 1); ++j) R.row(r++) = vec<S>(interaction_operator(L, i, j)).transpose();
  return R;
}

// A multi-head softmax layer (standard MHA: y_i = sum_h W_O^h sum_j alpha^h_ij W_V^h x_j).
template <class S> struct MultiHeadSoftmax {
  std::vector<SoftmaxHead<S>> heads;

  FactorizedLayer<S> factorize(const Mat<S>& X, const SoftmaxOptions& opt) const {
    FactorizedLayer<S> L;
    for (const auto& h : heads) {
      L.alpha.push_back(softmax_weights(h, X, opt));
      L.V.push_back(h.value_map());
    }
    return L;
  }
  Mat<S> forward(const Mat<S>& X, const SoftmaxOptions& opt) const { return factorized_forward(factorize(X, opt), X); }

  // Vector-Jacobian product: dL/dX (n x d) given G = dL/dY (n x p), through values,
  // softmax and scores (the score path included). Bias is input-independent.
  Mat<S> backward(const Mat<S>& X, const Mat<S>& G, const SoftmaxOptions& opt) const {
    using std::sqrt;
    Mat<S> dX = Mat<S>::Zero(X.rows(), X.cols());
    for (const auto& h : heads) {
      const Mat<S> Q = X * h.WQ.transpose(), K = X * h.WK.transpose(), Vx = X * h.WV.transpose();
      const S scale = S(1) / sqrt(S(h.dk()));
      Mat<S> s = (Q * K.transpose()) * scale;
      if (opt.bias) s += opt.bias->template cast<S>();
      const Mat<S> A = softmax_rows<S>(s, opt.causal);
      const Mat<S> dZ = G * h.WO;                   // n x d_v
      const Mat<S> dA = dZ * Vx.transpose();        // n x n
      const Mat<S> dVx = A.transpose() * dZ;        // n x d_v
      Mat<S> dS(A.rows(), A.cols());
      for (Eigen::Index i = 0; i < A.rows(); ++i) {
        S dot = S(0);
        for (Eigen::Index j = 0; j < A.cols(); ++j) dot += A(i, j) * dA(i, j);
        for (Eigen::Index j = 0; j < A.cols(); ++j) dS(i, j) = A(i, j) * (dA(i, j) - dot);
      }
      const Mat<S> dQ = dS * K * scale, dK = dS.transpose() * Q * scale;
      dX += dVx * h.WV + dQ * h.WQ + dK * h.WK;
    }
    return dX;
  }

  // Vector-Jacobian product for a cotangent on one output row only, G = e_i g^T (g in R^p):
  // the same formulas as backward() restricted to query row i (its scores, softmax and score
  // path), so it costs O(n d) per head instead of O(n^2 d). Returns dL/dX (n x d); row j is
  // g^T J_{i,j}. The row-i sum sum_j alpha_ij dA_ij runs over j in index order, as in backward().
  Mat<S> backward_row(const Mat<S>& X, Eigen::Index i, const Vec<S>& g, const SoftmaxOptions& opt) const {
    using std::exp;
    using std::sqrt;
    const Eigen::Index n = X.rows();
    const Eigen::Index last = opt.causal ? i : n - 1;
    Mat<S> dX = Mat<S>::Zero(n, X.cols());
    for (const auto& h : heads) {
      const S scale = S(1) / sqrt(S(h.dk()));
      const Vec<S> q = h.WQ * X.row(i).transpose();            // d_k
      const Mat<S> K = X.topRows(last + 1) * h.WK.transpose();  // keys 0..last
      const Mat<S> Vx = X.topRows(last + 1) * h.WV.transpose();
      Vec<S> s = (K * q) * scale;
      if (opt.bias)
        for (Eigen::Index j = 0; j <= last; ++j) s(j) += S((*opt.bias)(i, j));
      S mx = s(0);
      for (Eigen::Index j = 1; j <= last; ++j)
        if (s(j) > mx) mx = s(j);
      Vec<S> a(last + 1);
      S sum = S(0);
      for (Eigen::Index j = 0; j <= last; ++j) {
        a(j) = exp(s(j) - mx);
        sum += a(j);
      }
      for (Eigen::Index j = 0; j <= last; ++j) a(j) /= sum;
      const Vec<S> dz = h.WO.transpose() * g;  // d_v
      const Vec<S> dA = Vx * dz;               // last + 1
      S dot = S(0);
      for (Eigen::Index j = 0; j <= last; ++j) dot += a(j) * dA(j);
      Vec<S> dS(last + 1);
      for (Eigen::Index j = 0; j <= last; ++j) dS(j) = a(j) * (dA(j) - dot);
      const Vec<S> dq = (K.transpose() * dS) * scale;  // d_k
      const Vec<S> wvT_dz = h.WV.transpose() * dz;      // d
      const Vec<S> wkT_q = h.WK.transpose() * q;        // d
      for (Eigen::Index j = 0; j <= last; ++j)
        dX.row(j) += (a(j) * wvT_dz + (dS(j) * scale) * wkT_q).transpose();
      dX.row(i) += (h.WQ.transpose() * dq).transpose();
    }
    return dX;
  }

  // Jacobian block J_{i,j} = d y_i / d x_j (p x d), from p vector-Jacobian products.
  Mat<S> jacobian_block(const Mat<S>& X, int i, int j, const SoftmaxOptions& opt) const {
    const Eigen::Index p = heads[0].WO.rows();
    Mat<S> J(p, X.cols());
    for (Eigen::Index r = 0; r < p; ++r) {
      Mat<S> G = Mat<S>::Zero(X.rows(), p);
      G(i, r) = S(1);
      J.row(r) = backward(X, G, opt).row(j);
    }
    return J;
  }
};

}  // namespace attnlab::core

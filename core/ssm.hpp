// Linear state-space models h_t = A h_{t-1} + B x_t, y_t = C h_t + D x_t (h_{-1} = 0):
// recurrence forward pass, vector-Jacobian product through the recurrence (adjoint),
// closed-form convolution kernel K_0 = CB + D, K_m = C A^m B, impulse responses read off
// the simulator, and generators of dynamics matrices. Sequences are token-major (n x d).
#pragma once
#include "core/linalg.hpp"

#include <vector>

namespace attnlab::core {

template <class S> struct LinearSSM {
  Mat<S> A, B, C, D;  // N x N, N x d, p x N, p x d (D may be zero)

  Eigen::Index state_dim() const { return A.rows(); }
  Eigen::Index in_dim() const { return B.cols(); }
  Eigen::Index out_dim() const { return C.rows(); }

  // Y (n x p) from X (n x d) by the recurrence.
  Mat<S> forward(const Mat<S>& X) const {
    const Eigen::Index n = X.rows();
    Mat<S> Y(n, out_dim());
    Vec<S> h = Vec<S>::Zero(state_dim());
    for (Eigen::Index t = 0; t < n; ++t) {
      const Vec<S> x = X.row(t).transpose();
      h = A * h + B * x;
      Y.row(t) = (C * h + D * x).transpose();
    }
    return Y;
  }

  // dL/dX (n x d) given G = dL/dY (n x p): adjoint recurrence
  // lambda_t = C^T g_t + A^T lambda_{t+1}, dx_t = B^T lambda_t + D^T g_t.
  Mat<S> backward(const Mat<S>& G) const {
    const Eigen::Index n = G.rows();
    Mat<S> dX(n, in_dim());
    Vec<S> lam = Vec<S>::Zero(state_dim());
    for (Eigen::Index t = n - 1; t >= 0; --t) {
      const Vec<S> g = G.row(t).transpose();
      lam = C.transpose() * g + A.transpose() * lam;
      dX.row(t) = (B.transpose() * lam + D.transpose() * g).transpose();
    }
    return dX;
  }

  // Closed-form lag operators K_0..K_{n-1} (p x d): G <- B, repeat {K_m = C G; G <- A G}.
  std::vector<Mat<S>> kernel(int n) const {
    std::vector<Mat<S>> K;
    K.reserve(n);
    Mat<S> G = B;
    for (int m = 0; m < n; ++m) {
      K.push_back(C * G);
      G = A * G;
    }
    if (n > 0) K[0] += D;
    return K;
  }

  // Lag operators read off the simulator: feed the unit vector e_c at position 0 (zeros
  // elsewhere); y_m is column c of W_{m,0} = K_m.
  std::vector<Mat<S>> impulse_response(int n) const {
    std::vector<Mat<S>> K(n, Mat<S>(out_dim(), in_dim()));
    for (Eigen::Index c = 0; c < in_dim(); ++c) {
      Mat<S> X = Mat<S>::Zero(n, in_dim());
      X(0, c) = S(1);
      const Mat<S> Y = forward(X);
      for (int m = 0; m < n; ++m) K[m].col(c) = Y.row(m).transpose();
    }
    return K;
  }

  // Jacobian block d y_t / d x_s (p x d) from p vector-Jacobian products through backward().
  Mat<S> jacobian_block(int n, int t, int s) const {
    Mat<S> J(out_dim(), in_dim());
    for (Eigen::Index r = 0; r < out_dim(); ++r) {
      Mat<S> G = Mat<S>::Zero(n, out_dim());
      G(t, r) = S(1);
      J.row(r) = backward(G).row(s);
    }
    return J;
  }
};

// Lag matrix [vec K_0, ..., vec K_{n-1}] (pd x n), column-major vec.
template <class S> Mat<S> lag_matrix(const std::vector<Mat<S>>& K) {
  Mat<S> L(K.at(0).size(), static_cast<Eigen::Index>(K.size()));
  for (size_t m = 0; m < K.size(); ++m) L.col(m) = vec<S>(K[m]);
  return L;
}

// Weighted lag matrix L diag(sqrt(n - m)): lag m occurs in n - m causal pairs.
template <class S> Mat<S> weighted_lag_matrix(const std::vector<Mat<S>>& K) {
  Mat<S> L = lag_matrix(K);
  const Eigen::Index n = L.cols();
  using std::sqrt;
  for (Eigen::Index m = 0; m < n; ++m) L.col(m) *= sqrt(S(n - m));
  return L;
}

// Generators of dynamics matrices.
// Normal dynamics A = Q M Q^T: Q Haar-orthogonal; M block diagonal with 1x1 blocks
// lambda ~ U(-rho_max, rho_max) and 2x2 blocks r R(theta), r ~ U(r_lo, rho_max),
// theta ~ U(theta_lo, theta_hi); each block is 2x2 with probability 1/2 while >= 2 rows remain.
struct NormalDynamicsOptions {
  double rho_max = 0.95, r_lo = 0.3, theta_lo = 0.2, theta_hi = 3.0;
};
MatrixXd normal_dynamics(int N, PhiloxStream& rng, const NormalDynamicsOptions& opt = {});
// Shift: A e_r = e_{r+1}, A e_N = 0 (ones on the subdiagonal).
MatrixXd shift_matrix(int N);

}  // namespace attnlab::core

// Nadaraya-Watson (kernel smoother) estimators and Monte Carlo moment helpers for ensembles of
// estimators. The NW references evaluate kernel values directly (no max subtraction), sum, then
// divide: they share no code with the softmax path of core/attention.hpp, so comparing the two
// is a real test. Also: head-subspace constructors (angle family, disjoint coordinate blocks),
// design-exact moments of linear smoothers, the exact bias-variance-covariance split of sample
// moments (1/T normalisation, two-pass, Neumaier sums), the parabolic vertex of a gridded curve
// with a censoring flag, and Kendall's tau. Header-only.
#pragma once
#include "core/linalg.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace attnlab::core {

// ---------------------------------------------------------------- compensated sums
// Neumaier's compensated summation.
struct NeumaierSum {
  double s = 0, c = 0;
  void add(double x) {
    const double t = s + x;
    if (std::abs(s) >= std::abs(x)) c += (s - t) + x;
    else c += (x - t) + s;
    s = t;
  }
  double value() const { return s + c; }
};

inline double neumaier_mean(const std::vector<double>& x) {
  if (x.empty()) throw std::invalid_argument("neumaier_mean: empty");
  NeumaierSum s;
  for (double v : x) s.add(v);
  return s.value() / double(x.size());
}

// ---------------------------------------------------------------- NW references
// Result of a direct NW evaluation at one query: weights w (n), output (1 x d_v), and the largest
// magnitude of any exponent passed to exp (Lambda).
template <class S> struct NwResult {
  Vec<S> w;
  Mat<S> out;  // 1 x dv
  double max_abs_exponent = 0;
};

// Direct NW with precomputed exponents e_i: K_i = exp(e_i), w_i = K_i / sum_j K_j, out = w^T V.
// No max subtraction: the caller keeps |e_i| small enough (<= ~700) for exp not to overflow.
template <class S> NwResult<S> nw_from_exponents(const Vec<S>& e, const Mat<S>& V) {
  using std::exp;
  using std::abs;
  NwResult<S> r;
  const Eigen::Index n = e.size();
  if (V.rows() != n) throw std::invalid_argument("nw_from_exponents: V must have one row per key");
  Vec<S> K(n);
  S sum = S(0);
  for (Eigen::Index i = 0; i < n; ++i) {
    K(i) = exp(e(i));
    sum += K(i);
    r.max_abs_exponent = std::max(r.max_abs_exponent, double(abs(e(i))));
  }
  r.w = K / sum;
  r.out = Mat<S>::Zero(1, V.cols());
  for (Eigen::Index i = 0; i < n; ++i) r.out.row(0) += r.w(i) * V.row(i);
  return r;
}

// NW estimator with the exponential dot-product kernel K(q, k) = exp(q.k / tau).
// q: d_k, K: n x d_k (rows are keys), V: n x d_v.
template <class S> NwResult<S> nw_exp_dot(const Vec<S>& q, const Mat<S>& K, const Mat<S>& V, S tau) {
  Vec<S> e(K.rows());
  for (Eigen::Index i = 0; i < K.rows(); ++i) {
    S dot = S(0);
    for (Eigen::Index j = 0; j < K.cols(); ++j) dot += q(j) * K(i, j);
    e(i) = dot / tau;
  }
  return nw_from_exponents<S>(e, V);
}

// NW estimator with the Gaussian kernel K(q, k) = exp(-||q - k||^2 / (2 h^2)).
template <class S> NwResult<S> nw_gaussian(const Vec<S>& q, const Mat<S>& K, const Mat<S>& V, S h) {
  Vec<S> e(K.rows());
  for (Eigen::Index i = 0; i < K.rows(); ++i) {
    S d2 = S(0);
    for (Eigen::Index j = 0; j < K.cols(); ++j) d2 += (q(j) - K(i, j)) * (q(j) - K(i, j));
    e(i) = -d2 / (S(2) * h * h);
  }
  return nw_from_exponents<S>(e, V);
}

// Gaussian NW smoother in the subspace span(P) of x-space (P: d x d_k orthonormal):
// K(x0, x_i) = exp(-||P^T (x0 - x_i)||^2 / (2 h^2)). X: n x d.
template <class S> NwResult<S> nw_gaussian_projected(const Vec<S>& x0, const Mat<S>& X, const Mat<S>& P,
                                                     const Mat<S>& V, S h) {
  Mat<S> Z(X.rows(), P.cols());
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const Vec<S> diff = x0 - X.row(i).transpose();
    Z.row(i) = (P.transpose() * diff).transpose();
  }
  return nw_gaussian<S>(Vec<S>::Zero(P.cols()), Z, V, h);
}

// Stable smoother weights from log-kernel values: w = softmax(logk) with the maximum subtracted
// (for the Monte Carlo path, where kernels of distant points may underflow).
inline VectorXd stable_weights(const VectorXd& logk) {
  const double mx = logk.maxCoeff();
  VectorXd w = (logk.array() - mx).exp().matrix();
  return w / w.sum();
}

// ---------------------------------------------------------------- head subspaces
// Coordinate block b of size dk in R^d: the d x dk matrix with ones at (b*dk + j, j).
inline MatrixXd coordinate_block(int d, int dk, int b) {
  if ((b + 1) * dk > d || b < 0 || dk < 1) throw std::invalid_argument("coordinate_block: block outside R^d");
  MatrixXd E = MatrixXd::Zero(d, dk);
  for (int j = 0; j < dk; ++j) E(b * dk + j, j) = 1.0;
  return E;
}

// Angle family: P_a(phi) = cos(phi) E_0 + sin(phi) E_a (a = 1..H, E_b the coordinate blocks of
// size dk); every pair has P_a^T P_c = cos^2(phi) I. Needs d >= (H+1) dk.
inline std::vector<MatrixXd> angle_family(int d, int H, int dk, double phi) {
  if (d < (H + 1) * dk) throw std::invalid_argument("angle_family: needs d >= (H+1) dk");
  std::vector<MatrixXd> P;
  const MatrixXd E0 = coordinate_block(d, dk, 0);
  for (int a = 1; a <= H; ++a) P.push_back(std::cos(phi) * E0 + std::sin(phi) * coordinate_block(d, dk, a));
  return P;
}

// ---------------------------------------------------------------- design-exact moments
// Per-design moments of H linear smoothers f_a = w_a^T y, y = f(X) + noise (variance sigma^2):
// m (R x H): m(r, a) = w_{a,r}^T f(X_r); N[r] (H x H): sigma^2 w_{a,r}^T w_{c,r}.
struct DesignMoments {
  MatrixXd m;
  std::vector<MatrixXd> N;
};

// Bias, covariance and MSE of an ensemble with weights alpha from design-exact moments, over the
// designs listed in idx (all when empty), population (1/R) normalisation. By the law of total
// variance mse == (alpha^T bias)^2 + alpha^T cov alpha exactly (up to rounding).
struct EnsembleMoments {
  VectorXd bias;  // H
  MatrixXd cov;   // H x H (design variance of the conditional means + mean noise covariance)
  double mse = 0; // mean_r [(alpha^T m_r - f0)^2 + alpha^T N_r alpha]
};

inline EnsembleMoments design_exact_moments(const DesignMoments& dm, double f0, const VectorXd& alpha,
                                            const std::vector<int>& idx = {}) {
  const int R = idx.empty() ? int(dm.m.rows()) : int(idx.size());
  const int H = int(dm.m.cols());
  if (R < 1) throw std::invalid_argument("design_exact_moments: no designs");
  auto at = [&](int k) { return idx.empty() ? k : idx[size_t(k)]; };
  EnsembleMoments e;
  VectorXd mean = VectorXd::Zero(H);
  MatrixXd Nbar = MatrixXd::Zero(H, H);
  NeumaierSum mse;
  for (int k = 0; k < R; ++k) {
    const int r = at(k);
    mean += dm.m.row(r).transpose();
    Nbar += dm.N[size_t(r)];
    const double dev = alpha.dot(dm.m.row(r).transpose()) - f0;
    mse.add(dev * dev + alpha.dot(dm.N[size_t(r)] * alpha));
  }
  mean /= double(R);
  Nbar /= double(R);
  MatrixXd C = MatrixXd::Zero(H, H);
  for (int k = 0; k < R; ++k) {
    const VectorXd dv = dm.m.row(at(k)).transpose() - mean;
    C += dv * dv.transpose();
  }
  e.cov = C / double(R) + Nbar;
  e.bias = mean.array() - f0;
  e.mse = mse.value() / double(R);
  return e;
}

// Exact bias-variance-covariance split of plain Monte Carlo samples F (T x H) of H estimators of
// f0 under weights alpha, every moment with 1/T normalisation (two-pass, Neumaier sums).
struct BvcSplit {
  double lhs = 0;          // (1/T) sum_t (alpha^T F_t - f0)^2
  VectorXd bias;           // F_bar_a - f0
  MatrixXd cov;            // centred 1/T covariance
  double rhs = 0;          // (alpha^T bias)^2 + alpha^T C alpha
  double rhs_no_cov = 0;   // (alpha^T bias)^2 + sum_a alpha_a^2 C_aa (independent members)
  double scale = 0;        // S = (1/T) sum_t (sum_a |alpha_a| |F_ta| + |f0|)^2
  double bias2 = 0, var_term = 0, cov_term = 0;  // (alpha^T b)^2, sum a^2 C_aa, sum_{a!=c} a a C_ac
};

inline BvcSplit bvc_split(const MatrixXd& F, double f0, const VectorXd& alpha) {
  const Eigen::Index T = F.rows(), H = F.cols();
  if (T < 1 || alpha.size() != H) throw std::invalid_argument("bvc_split: bad shapes");
  BvcSplit s;
  VectorXd mean(H);
  for (Eigen::Index a = 0; a < H; ++a) {
    NeumaierSum m;
    for (Eigen::Index t = 0; t < T; ++t) m.add(F(t, a));
    mean(a) = m.value() / double(T);
  }
  s.cov = MatrixXd(H, H);
  for (Eigen::Index a = 0; a < H; ++a)
    for (Eigen::Index c = a; c < H; ++c) {
      NeumaierSum m;
      for (Eigen::Index t = 0; t < T; ++t) m.add((F(t, a) - mean(a)) * (F(t, c) - mean(c)));
      s.cov(a, c) = s.cov(c, a) = m.value() / double(T);
    }
  NeumaierSum lhs, sc;
  for (Eigen::Index t = 0; t < T; ++t) {
    NeumaierSum e;
    double ab = std::abs(f0);
    for (Eigen::Index a = 0; a < H; ++a) {
      e.add(alpha(a) * F(t, a));
      ab += std::abs(alpha(a)) * std::abs(F(t, a));
    }
    const double dev = e.value() - f0;
    lhs.add(dev * dev);
    sc.add(ab * ab);
  }
  s.lhs = lhs.value() / double(T);
  s.scale = sc.value() / double(T);
  s.bias = mean.array() - f0;
  const double ab = alpha.dot(s.bias);
  s.bias2 = ab * ab;
  NeumaierSum vt, ct;
  for (Eigen::Index a = 0; a < H; ++a)
    for (Eigen::Index c = 0; c < H; ++c) (a == c ? vt : ct).add(alpha(a) * alpha(c) * s.cov(a, c));
  s.var_term = vt.value();
  s.cov_term = ct.value();
  s.rhs = s.bias2 + s.var_term + s.cov_term;
  s.rhs_no_cov = s.bias2 + s.var_term;
  return s;
}

// ---------------------------------------------------------------- curve helpers
// Parabolic vertex of y on the grid x (equally spaced): i = argmin; censored when i is the first
// or last point, else x_i + (dx/2)(y_{i-1} - y_{i+1}) / (y_{i-1} - 2 y_i + y_{i+1}).
struct Vertex {
  double x = std::numeric_limits<double>::quiet_NaN();
  int argmin = -1;
  bool censored = true;
};
inline Vertex parabolic_vertex(const std::vector<double>& x, const std::vector<double>& y) {
  Vertex v;
  if (x.size() != y.size() || x.size() < 3) throw std::invalid_argument("parabolic_vertex: need >= 3 points");
  for (double t : y)
    if (!std::isfinite(t)) return v;  // censored, NaN vertex
  v.argmin = int(std::min_element(y.begin(), y.end()) - y.begin());
  const size_t i = size_t(v.argmin);
  if (i == 0 || i + 1 == y.size()) {
    v.x = x[i];
    return v;
  }
  v.censored = false;
  const double dx = x[i + 1] - x[i];
  const double den = y[i - 1] - 2 * y[i] + y[i + 1];
  v.x = x[i] + 0.5 * dx * (y[i - 1] - y[i + 1]) / den;
  return v;
}

// Population standard deviation (two-pass).
inline double sd_pop(const std::vector<double>& v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double m = neumaier_mean(v);
  NeumaierSum s;
  for (double x : v) s.add((x - m) * (x - m));
  return std::sqrt(s.value() / double(v.size()));
}

}  // namespace attnlab::core

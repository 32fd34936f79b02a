// arXiv:2512.15115 (Ghodsi, 2025): closed forms. See theory/ssm_heads.hpp.
#include "theory/ssm_heads.hpp"

#include "core/ssm.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace attnlab::theory::ssm_heads {

int generic_required_heads(int n, int N, int p, int d, bool hasD) {
  return std::min({n, N + (hasD ? 1 : 0), p * d});
}

int lag_span_dim(const MatrixXd& A, const MatrixXd& B, const MatrixXd& C, const MatrixXd& D, int n, double tol) {
  const core::LinearSSM<double> s{A, B, C, D};
  return core::numerical_rank<double>(core::lag_matrix(s.kernel(n)), tol);
}

double min_operator_residual(const VectorXd& sigma_w, int H) {
  if (H < 0) throw std::invalid_argument("min_operator_residual: H < 0");
  double total = 0, tail = 0;
  for (Eigen::Index r = 0; r < sigma_w.size(); ++r) {
    total += sigma_w(r) * sigma_w(r);
    if (r >= H) tail += sigma_w(r) * sigma_w(r);
  }
  return total > 0 ? std::sqrt(tail / total) : 0.0;
}

double rotation_single_head_residual(double rho, double theta, int n) {
  double g11 = 0, g12 = 0, g22 = 0;
  for (int m = 0; m < n; ++m) {
    const double a2 = double(n - m) * std::pow(rho, 2.0 * m);
    const double c = std::cos(m * theta), s = std::sin(m * theta);
    g11 += 2 * a2 * c * c;
    g12 += 2 * a2 * c * s;
    g22 += 2 * a2 * s * s;
  }
  const double tr = g11 + g22;
  const double det = g11 * g22 - g12 * g12;
  // smallest eigenvalue of the symmetric 2x2 matrix, in the cancellation-free form det / lambda_max
  const double disc = std::sqrt(std::max(0.0, 0.25 * (g11 - g22) * (g11 - g22) + g12 * g12));
  const double lmax = 0.5 * tr + disc;
  const double lmin = lmax > 0 ? std::max(0.0, det) / lmax : 0.0;
  return tr > 0 ? std::sqrt(lmin / tr) : 0.0;
}

double decay_rate(const MatrixXd& A) { return core::spectral_radius(A); }

double decay_envelope(const MatrixXd& A, const MatrixXd& B, const MatrixXd& C, int l) {
  const core::EigenDecomposition e = core::eigen_decompose(A);
  return core::spectral_norm(C) * e.cond * core::spectral_norm(B) * std::pow(core::spectral_radius(A), double(l));
}

MatrixXd single_key_jacobian(const MatrixXd& WQ, const MatrixXd& WK, const MatrixXd& WV, const MatrixXd& WO,
                             const VectorXd& q, const VectorXd& a, const VectorXd& f, int n, int l,
                             double alibi_m) {
  const int i = n - 1, j = i - l;
  if (l < 1 || j < 0) throw std::invalid_argument("single_key_jacobian: need 1 <= l <= n-1");
  const double scale = 1.0 / std::sqrt(double(WQ.rows()));
  const VectorXd g = WK.transpose() * (WQ * q) * scale;  // d s_i. / d x_. for a key
  auto token = [&](int t) -> const VectorXd& { return t == i ? q : (t == j ? a : f); };
  VectorXd s(n);
  for (int t = 0; t <= i; ++t) s(t) = g.dot(token(t)) - alibi_m * double(i - t);
  const double mx = s.maxCoeff();
  VectorXd alpha = (s.array() - mx).exp();
  alpha /= alpha.sum();
  VectorXd ybar = VectorXd::Zero(WV.rows());
  for (int t = 0; t <= i; ++t) ybar += alpha(t) * (WV * token(t));
  return alpha(j) * (WO * WV) + alpha(j) * (WO * (WV * a - ybar)) * g.transpose();
}

}  // namespace attnlab::theory::ssm_heads

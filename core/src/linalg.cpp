#include "core/linalg.hpp"

#include <algorithm>
#include <cmath>

namespace attnlab::core {

MatrixXd orthonormal_basis(const MatrixXd& A, double tol) {
  const auto svd = thin_svd<double>(A);
  const int r = numerical_rank_of_sv<double>(svd.s, tol);
  return svd.U.leftCols(r);
}

VectorXd principal_angles(const MatrixXd& A, const MatrixXd& B, double tol) {
  MatrixXd Qa = orthonormal_basis(A, tol), Qb = orthonormal_basis(B, tol);
  if (Qa.cols() < Qb.cols()) std::swap(Qa, Qb);  // Qb has the smaller dimension
  const Eigen::Index k = Qb.cols();
  VectorXd angles(k);
  if (k == 0) return angles;
  // cosines: singular values of Qa^T Qb (descending) -> angles ascending
  VectorXd c = singular_values<double>(MatrixXd(Qa.transpose() * Qb));
  // sines: singular values of the part of Qb outside span(Qa) (descending) -> angles descending
  MatrixXd P = Qb - Qa * (Qa.transpose() * Qb);
  VectorXd s = singular_values<double>(P);
  for (Eigen::Index i = 0; i < k; ++i) {
    const double ci = std::clamp(c(i), 0.0, 1.0);
    const double si = std::clamp(s(k - 1 - i), 0.0, 1.0);
    // small angles from the sine, large ones from the cosine
    angles(i) = (ci * ci >= 0.5) ? std::asin(si) : std::acos(ci);
  }
  return angles;
}

MatrixXd lstsq_min_norm(const MatrixXd& A, const MatrixXd& b) {
  require_finite(A, "lstsq_min_norm matrix");
  require_finite(b, "lstsq_min_norm right-hand side");
  Eigen::CompleteOrthogonalDecomposition<MatrixXd> cod(A);
  return cod.solve(b);
}

MatrixXd haar_orthogonal(int n, PhiloxStream& rng) {
  MatrixXd G = rng.normal_matrix(n, n);
  Eigen::HouseholderQR<MatrixXd> qr(G);
  MatrixXd Q = qr.householderQ() * MatrixXd::Identity(n, n);
  MatrixXd R = qr.matrixQR().triangularView<Eigen::Upper>();
  for (int j = 0; j < n; ++j)
    if (R(j, j) < 0) Q.col(j) = -Q.col(j);
  return Q;
}

double spectral_norm(const MatrixXd& A) {
  const VectorXd s = singular_values<double>(A);
  return s.size() ? s(0) : 0.0;
}

double spectral_radius(const MatrixXd& A) {
  require_finite(A, "spectral_radius input");
  if (A.size() == 0) return 0.0;
  Eigen::EigenSolver<MatrixXd> es(A, false);
  return es.eigenvalues().cwiseAbs().maxCoeff();
}

EigenDecomposition eigen_decompose(const MatrixXd& A) {
  require_finite(A, "eigen_decompose input");
  Eigen::EigenSolver<MatrixXd> es(A, true);
  EigenDecomposition e;
  e.lambda = es.eigenvalues();
  e.right = es.eigenvectors();
  Eigen::PartialPivLU<Eigen::MatrixXcd> lu(e.right);
  e.left = lu.inverse();
  Eigen::JacobiSVD<Eigen::MatrixXcd> svd(e.right);
  const auto s = svd.singularValues();
  e.cond = s(s.size() - 1) > 0 ? s(0) / s(s.size() - 1) : INFINITY;
  return e;
}

int dominant_index(const EigenDecomposition& e) {
  int best = 0;
  for (int i = 1; i < e.lambda.size(); ++i)
    if (std::abs(e.lambda(i)) > std::abs(e.lambda(best))) best = i;
  return best;
}

MatrixXd block_diagonal(const std::vector<MatrixXd>& blocks) {
  Eigen::Index n = 0;
  for (const auto& b : blocks) n += b.rows();
  MatrixXd M = MatrixXd::Zero(n, n);
  Eigen::Index o = 0;
  for (const auto& b : blocks) {
    M.block(o, o, b.rows(), b.cols()) = b;
    o += b.rows();
  }
  return M;
}

MatrixXd rotation2(double t) {
  MatrixXd R(2, 2);
  R << std::cos(t), -std::sin(t), std::sin(t), std::cos(t);
  return R;
}

}  // namespace attnlab::core

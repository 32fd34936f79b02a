// Linear algebra used by the simulators and checks: thin SVD, numerical rank with a stated
// relative tolerance, column-major vec/unvec, principal angles, minimum-norm least squares,
// Haar orthogonal sampling, spectral radius and norm, eigenvectors (left and right).
// Templated on the scalar where callers need double and boost::multiprecision alike.
// Every decomposition checks that its input is finite first (Eigen's SVD of a matrix
// holding a NaN returns zero singular values: a false "rank collapse").
#pragma once
#include "core/rng.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <complex>
#include <stdexcept>
#include <string>
#include <vector>

namespace attnlab::core {

template <class S> using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
template <class S> using Vec = Eigen::Matrix<S, Eigen::Dynamic, 1>;
using MatrixXd = Eigen::MatrixXd;
using VectorXd = Eigen::VectorXd;

// Throws std::domain_error naming `what` if any entry is NaN or infinite.
template <class Derived>
void require_finite(const Eigen::MatrixBase<Derived>& m, const char* what) {
  using std::isfinite;
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    for (Eigen::Index i = 0; i < m.rows(); ++i)
      if (!isfinite(m(i, j))) throw std::domain_error(std::string("non-finite entry in ") + what);
}

template <class S> struct ThinSvd {
  Mat<S> U;  // m x r, r = min(m, n)
  Vec<S> s;  // descending
  Mat<S> V;  // n x r
};

// The one-sided Jacobi SVD (with Householder QR preconditioning), not Eigen's divide-and-conquer
// BDCSVD: in Eigen 3.4.0 (Debian 12) BDCSVD breaks on exactly repeated singular values, e.g. a
// stack of copies of an orthonormal basis (tests/unit/core_linalg.cpp): it returns NaN while
// reporting success, and it reads out of bounds in its deflation step (a segfault, or silently
// wrong values). Jacobi is slower on large matrices and sound on these.
template <class S> ThinSvd<S> thin_svd(const Mat<S>& A) {
  require_finite(A, "thin_svd input");
  ThinSvd<S> out;
  if (A.rows() == 0 || A.cols() == 0) return out;
  Eigen::JacobiSVD<Mat<S>> svd(A, Eigen::ComputeThinU | Eigen::ComputeThinV);
  out.U = svd.matrixU();
  out.s = svd.singularValues();
  out.V = svd.matrixV();
  return out;
}

// The singular values, descending (Jacobi, see thin_svd).
template <class S> Vec<S> singular_values(const Mat<S>& A) {
  require_finite(A, "singular_values input");
  if (A.rows() == 0 || A.cols() == 0) return Vec<S>();
  return Eigen::JacobiSVD<Mat<S>>(A).singularValues();
}

// Number of singular values strictly above tol * sigma_max (0 for a zero matrix).
template <class S> int numerical_rank_of_sv(const Vec<S>& s, double tol) {
  if (s.size() == 0 || !(s(0) > S(0))) return 0;
  int r = 0;
  for (Eigen::Index i = 0; i < s.size(); ++i)
    if (s(i) > S(tol) * s(0)) ++r;
  return r;
}
template <class S> int numerical_rank(const Mat<S>& A, double tol) { return numerical_rank_of_sv<S>(singular_values<S>(A), tol); }

// vec is column-major: vec(M)[a + p*b] = M(a, b) for M p x d.
template <class S> Vec<S> vec(const Mat<S>& M) {
  return Eigen::Map<const Vec<S>>(M.data(), M.size());
}
template <class S> Mat<S> unvec(const Vec<S>& v, Eigen::Index p, Eigen::Index d) {
  if (v.size() != p * d) throw std::invalid_argument("unvec: size mismatch");
  return Eigen::Map<const Mat<S>>(v.data(), p, d);
}

// Orthonormal basis of the column space of A (numerical rank with tolerance tol).
MatrixXd orthonormal_basis(const MatrixXd& A, double tol = 1e-12);

// Principal angles (radians, ascending) between the column spaces of A and B.
// Uses the singular values of Qa^T Qb for the cosines and, for accuracy of small angles,
// the singular values of (I - Qa Qa^T) Qb for the sines.
VectorXd principal_angles(const MatrixXd& A, const MatrixXd& B, double tol = 1e-12);

// Minimum-norm least-squares solution of A x = b (complete orthogonal decomposition).
MatrixXd lstsq_min_norm(const MatrixXd& A, const MatrixXd& b);

// Haar-distributed orthogonal n x n matrix: QR of a Gaussian matrix, columns' signs fixed so diag(R) > 0.
MatrixXd haar_orthogonal(int n, PhiloxStream& rng);

double spectral_norm(const MatrixXd& A);
double spectral_radius(const MatrixXd& A);

// Eigen-decomposition A = S diag(lambda) S^{-1} for a diagonalizable real matrix.
// right.col(i) is the right eigenvector of lambda(i); left.row(i) the left one (row i of S^{-1}),
// so left * right = I. cond = condition number of S.
struct EigenDecomposition {
  Eigen::VectorXcd lambda;
  Eigen::MatrixXcd right;
  Eigen::MatrixXcd left;
  double cond = 0;
};
EigenDecomposition eigen_decompose(const MatrixXd& A);
// Index of the eigenvalue with the largest modulus (first one on ties).
int dominant_index(const EigenDecomposition& e);

// Block-diagonal matrix of the given square blocks.
MatrixXd block_diagonal(const std::vector<MatrixXd>& blocks);
// 2x2 rotation [[cos t, -sin t], [sin t, cos t]].
MatrixXd rotation2(double theta);

}  // namespace attnlab::core

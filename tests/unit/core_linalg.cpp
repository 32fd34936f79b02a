#include "core/linalg.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using namespace attnlab::core;

TEST_CASE("numerical rank of constructed matrices") {
  PhiloxStream r(3, 0);
  for (int k : {0, 1, 3, 5}) {
    const MatrixXd A = r.normal_matrix(12, k) * r.normal_matrix(k, 9);  // rank k
    CHECK(numerical_rank<double>(A, 1e-10) == k);
  }
  // singular values 1, 1e-8, 1e-14: tolerance decides
  MatrixXd D = MatrixXd::Zero(3, 3);
  D.diagonal() << 1, 1e-8, 1e-14;
  const MatrixXd Q1 = haar_orthogonal(3, r), Q2 = haar_orthogonal(3, r);
  const MatrixXd A = Q1 * D * Q2.transpose();
  CHECK(numerical_rank<double>(A, 1e-10) == 2);
  CHECK(numerical_rank<double>(A, 1e-6) == 1);
}

TEST_CASE("decompositions refuse non-finite input instead of reporting rank 0") {
  MatrixXd A = MatrixXd::Identity(3, 3);
  A(1, 2) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(numerical_rank<double>(A, 1e-10), std::domain_error);
  A(1, 2) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(thin_svd<double>(A), std::domain_error);
}

TEST_CASE("thin SVD reconstructs and is thin") {
  PhiloxStream r(4, 0);
  const MatrixXd A = r.normal_matrix(7, 3);
  const auto s = thin_svd<double>(A);
  CHECK(s.U.cols() == 3);
  CHECK(s.V.rows() == 3);
  CHECK((s.U * s.s.asDiagonal() * s.V.transpose() - A).norm() < 1e-13 * A.norm());
  CHECK((s.U.transpose() * s.U - MatrixXd::Identity(3, 3)).norm() < 1e-14);
}

TEST_CASE("thin SVD of stacked copies of an orthonormal basis (Eigen 3.4.0's BDCSVD breaks there)") {
  // A = [B^T; B^T; ...] with B (d x r) orthonormal: r singular values sqrt(copies), exactly repeated.
  // On these, Eigen 3.4.0's BDCSVD returns NaN or segfaults (so it is not called here); thin_svd and
  // singular_values (Jacobi) must return a finite, exact decomposition.
  for (int seed = 0; seed < 4; ++seed)
    for (int d : {16, 32, 64})
      for (int rank : {4, 8, 16})
        for (int copies : {2, 8, 16}) {
          PhiloxStream g(100 + seed, 0);
          const MatrixXd B = haar_orthogonal(d, g).leftCols(rank);
          MatrixXd A(copies * rank, d);
          for (int c = 0; c < copies; ++c) A.middleRows(c * rank, rank) = B.transpose();
          INFO("seed " << seed << " d " << d << " rank " << rank << " copies " << copies);
          const auto s = thin_svd<double>(A);
          REQUIRE(s.U.allFinite());
          REQUIRE(s.s.allFinite());
          REQUIRE(s.V.allFinite());
          CHECK((s.U * s.s.asDiagonal() * s.V.transpose() - A).norm() < 1e-12 * A.norm());
          CHECK(std::abs(s.s(0) - std::sqrt(double(copies))) < 1e-12);
          CHECK(std::abs(s.s(rank - 1) - std::sqrt(double(copies))) < 1e-12);
          CHECK(numerical_rank_of_sv<double>(s.s, 1e-10) == rank);
          const VectorXd sv = singular_values<double>(A);
          REQUIRE(sv.allFinite());
          CHECK((sv - s.s).cwiseAbs().maxCoeff() < 1e-12);
        }
}

TEST_CASE("vec and unvec are column-major inverses") {
  MatrixXd M(2, 3);
  M << 1, 2, 3, 4, 5, 6;
  const VectorXd v = vec<double>(M);
  // vec(M)[a + p*b] = M(a, b)
  CHECK(v(0) == 1);
  CHECK(v(1) == 4);
  CHECK(v(2) == 2);
  CHECK(v(5) == 6);
  CHECK(unvec<double>(v, 2, 3) == M);
}

TEST_CASE("principal angles of constructed subspaces") {
  // span{e1, e2} and span{e1, cos t e2 + sin t e3}: angles 0 and t
  for (double t : {1e-9, 1e-4, 0.3, 1.2, M_PI / 2}) {
    MatrixXd A = MatrixXd::Zero(4, 2), B = MatrixXd::Zero(4, 2);
    A(0, 0) = 1;
    A(1, 1) = 1;
    B(0, 0) = 2;  // scaling must not matter
    B(1, 1) = std::cos(t);
    B(2, 1) = std::sin(t);
    const VectorXd ang = principal_angles(A, B);
    REQUIRE(ang.size() == 2);
    CHECK(ang(0) == Approx(0.0).margin(1e-15));
    CHECK(ang(1) == Approx(t).epsilon(1e-10));
  }
  // random rotation by a Haar matrix keeps the angles
  PhiloxStream r(5, 0);
  const MatrixXd A = r.normal_matrix(6, 2), B = r.normal_matrix(6, 3), Q = haar_orthogonal(6, r);
  const VectorXd a1 = principal_angles(A, B), a2 = principal_angles(Q * A, Q * B);
  CHECK((a1 - a2).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("minimum-norm least squares") {
  // overdetermined, exact line: y = 2 + 3 t
  MatrixXd A(4, 2);
  A << 1, 0, 1, 1, 1, 2, 1, 3;
  VectorXd y(4);
  y << 2, 5, 8, 11;
  const MatrixXd x = lstsq_min_norm(A, y);
  CHECK(x(0) == Approx(2).epsilon(1e-13));
  CHECK(x(1) == Approx(3).epsilon(1e-13));
  // underdetermined: x1 + x2 = 2 has minimum-norm solution (1, 1)
  MatrixXd B(1, 2);
  B << 1, 1;
  VectorXd b(1);
  b << 2;
  const MatrixXd z = lstsq_min_norm(B, b);
  CHECK(z(0) == Approx(1).epsilon(1e-14));
  CHECK(z(1) == Approx(1).epsilon(1e-14));
}

TEST_CASE("Haar orthogonal matrices are orthogonal with positive-R convention") {
  PhiloxStream r(6, 0);
  const MatrixXd Q = haar_orthogonal(8, r);
  CHECK((Q.transpose() * Q - MatrixXd::Identity(8, 8)).norm() < 1e-13);
  // the distribution of Q(0,0) is symmetric: mean over many draws near 0
  double s = 0;
  for (int i = 0; i < 2000; ++i) s += haar_orthogonal(3, r)(0, 0);
  CHECK(std::abs(s / 2000) < 0.05);
}

TEST_CASE("spectral radius, spectral norm and eigenvectors") {
  const MatrixXd R = 0.9 * rotation2(M_PI / 3);
  CHECK(spectral_radius(R) == Approx(0.9).epsilon(1e-14));
  CHECK(spectral_norm(R) == Approx(0.9).epsilon(1e-14));
  MatrixXd J(2, 2);
  J << 0.5, 1, 0, 0.5;  // Jordan block: rho = 0.5, norm > 1
  CHECK(spectral_radius(J) == Approx(0.5).epsilon(1e-7));
  CHECK(spectral_norm(J) > 1.0);
  MatrixXd A(3, 3);
  A << 0.9, 0.2, 0, 0, 0.4, 0.1, 0, 0, -0.3;
  const auto e = eigen_decompose(A);
  const int k = dominant_index(e);
  CHECK(std::abs(e.lambda(k) - std::complex<double>(0.9, 0)) < 1e-14);
  CHECK((e.left * e.right - Eigen::MatrixXcd::Identity(3, 3)).norm() < 1e-12);
  // left eigenvector: w^T A = lambda w^T
  const Eigen::RowVectorXcd w = e.left.row(k);
  CHECK((w * A.cast<std::complex<double>>() - e.lambda(k) * w).norm() < 1e-13);
}

TEST_CASE("block diagonal") {
  const MatrixXd B = block_diagonal({MatrixXd::Constant(1, 1, 2.0), rotation2(0.0)});
  CHECK(B.rows() == 3);
  CHECK(B(0, 0) == 2);
  CHECK(B(1, 1) == 1);
  CHECK(B(0, 1) == 0);
}

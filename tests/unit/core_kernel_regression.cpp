// Unit tests of core/kernel_regression.hpp: NW references against hand-computed values, the
// Gaussian/dot-product relation, the exact BVC split, design-exact moments, vertex, Kendall tau.
#include "core/kernel_regression.hpp"
#include "core/rng.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace attnlab::core;

TEST_CASE("nw_exp_dot matches a hand computation") {
  VectorXd q(1);
  q << 1.0;
  MatrixXd K(2, 1), V(2, 1);
  K << 0.0, std::log(3.0);  // kernels exp(0) = 1, exp(log 3) = 3 at tau = 1
  V << 2.0, 6.0;
  const auto r = nw_exp_dot<double>(q, K, V, 1.0);
  CHECK(r.w(0) == Approx(0.25));
  CHECK(r.w(1) == Approx(0.75));
  CHECK(r.out(0, 0) == Approx(0.25 * 2 + 0.75 * 6));
  CHECK(r.max_abs_exponent == Approx(std::log(3.0)));
}

TEST_CASE("nw_gaussian equals nw_exp_dot on equal-norm keys, and the projected form equals the coordinate form") {
  PhiloxStream rng(3, 0);
  MatrixXd K = rng.normal_matrix(7, 3);
  for (int i = 0; i < 7; ++i) K.row(i) /= K.row(i).norm();  // unit-norm keys
  const VectorXd q = rng.normal_vector(3);
  const MatrixXd V = rng.normal_matrix(7, 2);
  const double h = 0.8;
  const auto g = nw_gaussian<double>(q, K, V, h);
  const auto e = nw_exp_dot<double>(q, K, V, h * h);
  CHECK((g.out - e.out).cwiseAbs().maxCoeff() < 1e-13);
  // Projected: P = first two coordinates.
  const MatrixXd X = rng.normal_matrix(5, 4), P = coordinate_block(4, 2, 0), W = rng.normal_matrix(5, 1);
  const VectorXd x0 = rng.normal_vector(4);
  const auto pr = nw_gaussian_projected<double>(x0, X, P, W, h);
  const auto co = nw_gaussian<double>(VectorXd(x0.head(2)), MatrixXd(X.leftCols(2)), W, h);
  CHECK((pr.w - co.w).cwiseAbs().maxCoeff() < 1e-14);
}

TEST_CASE("angle_family has P_a^T P_c = cos^2 phi I") {
  const auto P = angle_family(10, 4, 2, 0.7);
  REQUIRE(P.size() == 4);
  for (size_t a = 0; a < 4; ++a)
    for (size_t c = 0; c < 4; ++c) {
      const MatrixXd G = P[a].transpose() * P[c];
      const double want = a == c ? 1.0 : std::cos(0.7) * std::cos(0.7);
      CHECK((G - want * MatrixXd::Identity(2, 2)).cwiseAbs().maxCoeff() < 1e-15);
    }
  CHECK_THROWS(angle_family(9, 4, 2, 0.1));
}

TEST_CASE("bvc_split: LHS = RHS to rounding; the no-covariance form differs by the covariance term") {
  PhiloxStream rng(5, 1);
  MatrixXd F = rng.normal_matrix(1000, 3);
  F.col(1) += 0.5 * F.col(0);  // correlated members
  F.array() += 3.0;            // an offset
  VectorXd al(3);
  al << 0.5, 0.3, 0.2;
  const auto s = bvc_split(F, 2.5, al);
  CHECK(std::abs(s.lhs - s.rhs) <= 64 * 2.2e-16 * s.scale);
  CHECK(s.rhs - s.rhs_no_cov == Approx(s.cov_term));
  CHECK(std::abs(s.cov_term) > 0.01);
  // Hand check with T = 2, H = 1: F = (1, 3), f0 = 0: mean 2, var 1, MSE = 5 = 4 + 1.
  MatrixXd F1(2, 1);
  F1 << 1, 3;
  const auto s1 = bvc_split(F1, 0.0, VectorXd::Ones(1));
  CHECK(s1.lhs == Approx(5.0));
  CHECK(s1.bias2 == Approx(4.0));
  CHECK(s1.var_term == Approx(1.0));
}

TEST_CASE("design_exact_moments: mse = (a^T b)^2 + a^T C a (law of total variance)") {
  PhiloxStream rng(9, 2);
  DesignMoments dm;
  dm.m = rng.normal_matrix(50, 2);
  for (int r = 0; r < 50; ++r) {
    const MatrixXd A = rng.normal_matrix(2, 2);
    dm.N.push_back(A * A.transpose());
  }
  VectorXd al(2);
  al << 0.7, 0.3;
  const auto e = design_exact_moments(dm, 0.1, al);
  const double b = al.dot(e.bias);
  CHECK(e.mse == Approx(b * b + al.dot(e.cov * al)).epsilon(1e-12));
  const auto e2 = design_exact_moments(dm, 0.1, al, {3, 3, 7});
  CHECK(e2.bias(0) == Approx((2 * dm.m(3, 0) + dm.m(7, 0)) / 3 - 0.1));
}

TEST_CASE("parabolic_vertex: exact on a parabola, censored at the edges") {
  std::vector<double> x = {1, 2, 3, 4, 5}, y;
  for (double t : x) y.push_back((t - 3.3) * (t - 3.3));
  const Vertex v = parabolic_vertex(x, y);
  CHECK_FALSE(v.censored);
  CHECK(v.x == Approx(3.3));
  std::vector<double> dec = {5, 4, 3, 2, 1};
  CHECK(parabolic_vertex(x, dec).censored);
  CHECK(parabolic_vertex(x, dec).x == 5);
}

TEST_CASE("neumaier") {
  NeumaierSum s;
  s.add(1.0);
  s.add(1e100);
  s.add(1.0);
  s.add(-1e100);
  CHECK(s.value() == 2.0);
}

// The SSM's backward pass (vector-Jacobian product through the recurrence) against the
// closed-form kernel: d y_t / d x_s = K_{t-s} (K_0 = CB + D, K_m = C A^m B), 0 for s > t.
#include "core/ssm.hpp"

#include <catch2/catch.hpp>

using namespace attnlab::core;

namespace {
LinearSSM<double> random_ssm(PhiloxStream& r, int N, int p, int d, bool withD) {
  // A non-normal, stable A: a random matrix scaled to spectral radius 0.9.
  MatrixXd A = r.normal_matrix(N, N);
  A *= 0.9 / spectral_radius(A);
  return {A, r.normal_matrix(N, d), r.normal_matrix(p, N), withD ? r.normal_matrix(p, d) : MatrixXd::Zero(p, d)};
}
}  // namespace

TEST_CASE("SSM Jacobian blocks from the backward pass equal the closed-form kernel") {
  PhiloxStream r(11, 0);
  for (bool withD : {false, true}) {
    const LinearSSM<double> s = random_ssm(r, 5, 3, 2, withD);
    const int n = 12;
    const auto K = s.kernel(n);
    for (int t : {0, 5, n - 1})
      for (int u = 0; u < n; ++u) {
        const MatrixXd J = s.jacobian_block(n, t, u);
        INFO("withD " << withD << " t " << t << " s " << u);
        if (u > t) {
          CHECK(J.norm() == 0.0);  // causal: exactly zero
        } else {
          CHECK((J - K[t - u]).norm() <= 1e-13 * K[t - u].norm());
        }
      }
  }
}

TEST_CASE("SSM backward is the adjoint of the forward pass") {
  PhiloxStream r(12, 0);
  const LinearSSM<double> s = random_ssm(r, 6, 4, 3, true);
  const MatrixXd X = r.normal_matrix(20, 3), G = r.normal_matrix(20, 4);
  const double lhs = (G.array() * s.forward(X).array()).sum();
  const double rhs = (s.backward(G).array() * X.array()).sum();
  CHECK(std::abs(lhs - rhs) <= 1e-12 * (std::abs(lhs) + 1));
}

TEST_CASE("one backward pass per output coordinate gives every lag's block at once") {
  // What the decay claim does: cotangent e_r at position t; row t-l of the result is row r of K_l.
  PhiloxStream r(13, 0);
  const LinearSSM<double> s = random_ssm(r, 4, 2, 3, false);
  const int n = 30, t = n - 1;
  const auto K = s.kernel(n);
  for (int row = 0; row < 2; ++row) {
    MatrixXd G = MatrixXd::Zero(n, 2);
    G(t, row) = 1.0;
    const MatrixXd dX = s.backward(G);
    for (int l = 0; l < n; ++l) CHECK((dX.row(t - l) - K[l].row(row)).norm() <= 1e-13 * (K[l].norm() + 1e-300));
  }
}

TEST_CASE("rotation SSM: g(l) = 0.9^l exactly from the backward pass") {
  const MatrixXd A = 0.9 * rotation2(M_PI / 3);
  const LinearSSM<double> s{A, MatrixXd::Identity(2, 2), MatrixXd::Identity(2, 2), MatrixXd::Zero(2, 2)};
  const int n = 40;
  for (int l : {1, 7, 39}) CHECK(spectral_norm(s.jacobian_block(n, n - 1, n - 1 - l)) == Approx(std::pow(0.9, l)).epsilon(1e-13));
}

// Unit tests of theory/nw_ensemble.hpp: closed forms against the general determinant/trace
// version, exact rationals at h = 0.5, d_k = 2, and a brute-force Monte Carlo check at large n.
#include "theory/nw_ensemble.hpp"

#include "core/kernel_regression.hpp"
#include "core/rng.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace attnlab;
using namespace attnlab::theory::nw_ensemble;
using core::MatrixXd;
using core::VectorXd;

TEST_CASE("bandwidth and gain are inverse; kappa at h = 0.5 is 5/3") {
  CHECK(bandwidth_from_gain(16, 2) == Approx(1.0));
  CHECK(gain_from_bandwidth(16, bandwidth_from_gain(16, 0.7)) == Approx(0.7));
  CHECK(kappa(0.5) == Approx(5.0 / 3.0));
  CHECK(asymptotic_dk_slope(0.3) == Approx(1.0 / std::log(kappa(0.3))));
  CHECK(asymptotic_dk_slope(0.3) == Approx(1.0851).epsilon(1e-3));
}

TEST_CASE("hdi: 0 aligned, 1 orthogonal, 1 - cos^4 phi on the angle family") {
  const auto P = core::angle_family(10, 4, 2, 0.6);
  CHECK(hdi(P) == Approx(1 - std::pow(std::cos(0.6), 4)));
  CHECK(hdi(core::angle_family(10, 4, 2, 0.0)) == Approx(0.0).margin(1e-14));
  CHECK(hdi(core::angle_family(10, 4, 2, M_PI / 2)) == Approx(1.0));
  const VectorXd th = principal_angles(P[0], P[1]);
  for (Eigen::Index j = 0; j < th.size(); ++j) CHECK(std::cos(th(j)) == Approx(std::pow(std::cos(0.6), 2)));
}

TEST_CASE("phi-family VR: exact rationals at h = 0.5, d_k = 2, and agreement with the general version") {
  // u = 4: rho = [9 / (25 - 16 (1 - t))]^{1}; t = 0: 1; t = 1: 9/25; t = 1/2: 9/17.
  CHECK(vr_phi_family(4, 2, 0.5, 0.0) == Approx(1.0));
  CHECK(vr_phi_family(4, 2, 0.5, 1.0) == Approx(0.25 + 0.75 * 9.0 / 25.0));
  CHECK(vr_phi_family(4, 2, 0.5, 0.5) == Approx(0.25 + 0.75 * 9.0 / 17.0));
  for (double t : {0.0, 0.2, 0.5, 0.9, 1.0}) {
    const double phi = std::acos(std::pow(1 - t, 0.25));
    const auto P = core::angle_family(10, 4, 2, phi);
    CHECK(variance_ratio(P, VectorXd::Constant(4, 0.25), 0.5) == Approx(vr_phi_family(4, 2, 0.5, t)));
    VectorXd c(2);
    c.setConstant(std::cos(phi) * std::cos(phi));
    CHECK(0.25 + 0.75 * rho_angles(c, 0.5) == Approx(vr_phi_family(4, 2, 0.5, t)));
  }
  // orthogonal heads: rho = kappa^{-d_k}
  VectorXd z = VectorXd::Zero(3);
  CHECK(rho_angles(z, 0.7) == Approx(std::pow(kappa(0.7), -3)));
}

TEST_CASE("block_allocation_moments equals the general large-n moments of two disjoint blocks") {
  const int D = 12, dk = 3;
  const double h = 0.6, lam = 0.8, sig = 1.3, n = 500;
  std::vector<MatrixXd> P = {core::coordinate_block(D, dk, 0), core::coordinate_block(D, dk, 1)};
  const MatrixXd M = (lam / D) * MatrixXd::Identity(D, D);
  const auto g = large_n_moments(P, h, M, sig);
  const auto b = block_allocation_moments(D, dk, h, lam, sig, n);
  CHECK(b.b == Approx(g.mu(0) + g.delta(0) / n));
  CHECK(b.v == Approx(g.Gamma(0, 0) / n));
  CHECK(b.c == Approx(g.Gamma(0, 1) / n));
  // noise-only special case: Gamma_aa = sigma^2 kappa^dk
  const auto g0 = large_n_moments(P, h, MatrixXd::Zero(D, D), sig);
  CHECK(g0.Gamma(0, 0) == Approx(sig * sig * std::pow(kappa(h), dk)));
  CHECK(g0.Gamma(0, 1) == Approx(sig * sig));
  // composed MSE at H = 2 equals mse_large_n with uniform weights
  CHECK(composed_mse(b, 2.0) == Approx(mse_large_n(P, VectorXd::Constant(2, 0.5), h, M, sig, n)));
}

TEST_CASE("optimal_dk_continuous minimises budget_mse and grows with n") {
  const double a = optimal_dk_continuous(64, 4000, 0.3, 0.25, 1);
  CHECK(a > 1.0);
  CHECK(a < 32.0);
  CHECK(budget_mse(64, a, 0.3, 0.25, 1, 4000) <= budget_mse(64, a + 0.2, 0.3, 0.25, 1, 4000));
  CHECK(budget_mse(64, a, 0.3, 0.25, 1, 4000) <= budget_mse(64, a - 0.2, 0.3, 0.25, 1, 4000));
  CHECK(optimal_dk_continuous(64, 16000, 0.3, 0.25, 1) > a);
}

TEST_CASE("large-n moments against brute-force Monte Carlo (one head, d = 2)") {
  // f = 0.5 ||x||^2, h = 1, sigma = 1, n = 2000: mean and variance of the NW estimate at 0.
  const int d = 2, n = 2000, T = 2000;
  const double h = 1.0;
  std::vector<MatrixXd> P = {MatrixXd::Identity(d, d)};
  const MatrixXd M = 0.5 * MatrixXd::Identity(d, d);
  const auto th = large_n_moments(P, h, M, 1.0);
  std::vector<double> est(T);
  for (int t = 0; t < T; ++t) {
    core::PhiloxStream rng(11, std::uint64_t(t));
    const MatrixXd X = rng.normal_matrix(n, d);
    VectorXd y = 0.5 * X.rowwise().squaredNorm();
    for (int i = 0; i < n; ++i) y(i) += rng.normal();
    const VectorXd w = core::stable_weights(-X.rowwise().squaredNorm() / (2 * h * h));
    est[size_t(t)] = w.dot(y);
  }
  const double m = core::neumaier_mean(est), sd = core::sd_pop(est);
  CHECK(std::abs(m - (th.mu(0) + th.delta(0) / n)) < 4 * sd / std::sqrt(double(T)));
  CHECK(sd * sd == Approx(th.Gamma(0, 0) / n).epsilon(0.1));
}

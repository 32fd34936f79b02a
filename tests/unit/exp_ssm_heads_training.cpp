// Unit tests of the operator-level helpers of ssm_heads (experiments/ssm_heads/settings.hpp):
// the hand-written gradients of the positional factorization loss against central differences,
// the lag-grouped operator residual against a pair-by-pair sum over the multi-head simulator's
// interaction operators, and the SVD construction (exact at H = k, Eckart-Young below).
#include "experiments/ssm_heads/settings.hpp"
#include "core/optim.hpp"
#include "theory/ssm_heads.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace attnlab;
using namespace attnlab::exp::ssm_heads;
using core::MatrixXd;
using core::VectorXd;

TEST_CASE("the positional factorization loss gradients match central differences") {
  core::PhiloxStream rng(3, 1);
  const int pd = 6, n = 9, H = 2;
  const MatrixXd L = rng.normal_matrix(pd, n);
  const VectorXd w = lag_weights(n);
  const MatrixXd V = rng.normal_matrix(pd, H), c = rng.normal_matrix(H, n);
  MatrixXd gV, gc;
  core::weighted_factorization_loss(L, w, V, c, &gV, &gc);
  const MatrixXd nV = core::central_difference_gradient(
      [&](const MatrixXd& x) { return core::weighted_factorization_loss(L, w, x, c, nullptr, nullptr); }, V, 1e-5);
  const MatrixXd nc = core::central_difference_gradient(
      [&](const MatrixXd& x) { return core::weighted_factorization_loss(L, w, V, x, nullptr, nullptr); }, c, 1e-5);
  CHECK(core::max_relative_error(gV, nV) < 1e-8);
  CHECK(core::max_relative_error(gc, nc) < 1e-8);
  // the loss is sum_m (n - m) ||K_m - sum_h c_h(m) V_h||^2
  double E = 0;
  for (int m = 0; m < n; ++m) E += (n - m) * (L.col(m) - V * c.col(m)).squaredNorm();
  CHECK(core::weighted_factorization_loss(L, w, V, c, nullptr, nullptr) == Approx(E).epsilon(1e-13));
}

TEST_CASE("the lag-grouped operator residual equals the pair-by-pair sum over the simulator's W_ij") {
  core::PhiloxStream srng(1, 0);
  const Setting s = make_setting("S2", srng);
  const std::vector<MatrixXd> K = s.ssm.impulse_response(s.n);
  core::PhiloxStream rng(2, 0);
  PositionalModel m;
  m.p = s.p;
  m.d = s.d;
  m.V = rng.normal_matrix(s.p * s.d, 3);
  m.c = rng.normal_matrix(3, s.n);
  const core::FactorizedLayer<double> layer = positional_layer(m);
  double E = 0, ref = 0;
  for (int i = 0; i < s.n; ++i)
    for (int j = 0; j <= i; ++j) {
      E += (core::interaction_operator(layer, i, j) - K[i - j]).squaredNorm();
      ref += K[i - j].squaredNorm();
    }
  CHECK(relative_operator_residual(m, K) == Approx(std::sqrt(E / ref)).epsilon(1e-12));
}

TEST_CASE("the SVD construction is exact at H = k and attains r_H below") {
  core::PhiloxStream srng(1, 0);
  const Setting s = make_setting("S2", srng);
  const std::vector<MatrixXd> K = s.ssm.kernel(s.n);
  VectorXd sigma;
  const PositionalModel full = svd_positional_model(K, s.k_pred, &sigma);
  CHECK(full.heads() == s.k_pred);
  CHECK(relative_operator_residual(full, K) < 1e-14);
  for (int H = 1; H < s.k_pred; ++H) {
    const double rH = theory::ssm_heads::min_operator_residual(sigma, H);
    CHECK(std::fabs(relative_operator_residual(svd_positional_model(K, H), K) - rH) < 1e-12);
  }
  // value maps are orthonormal under <.,.>_F and vec is column-major
  CHECK((full.V.transpose() * full.V - MatrixXd::Identity(s.k_pred, s.k_pred)).norm() < 1e-13);
  const core::FactorizedLayer<double> layer = positional_layer(full);
  CHECK(layer.V[0](1, 2) == full.V(1 + s.p * 2, 0));
  // the layer's forward equals the SSM's on an input, to rounding
  core::PhiloxStream xr(4, 0);
  const MatrixXd X = xr.normal_matrix(s.n, s.d);
  const MatrixXd Y = s.ssm.forward(X);
  CHECK((core::factorized_forward(layer, X) - Y).norm() / Y.norm() < 1e-13);
}

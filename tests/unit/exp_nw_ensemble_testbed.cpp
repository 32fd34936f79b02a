// Unit tests of the nw_ensemble testbed helpers (designs, head weights, phi-family heads,
// bootstrap indices) and thread-count independence of two Monte Carlo claims.
#include "experiments/common/run.hpp"
#include "experiments/nw_ensemble/claims.hpp"
#include "experiments/nw_ensemble/testbed.hpp"
#include "theory/nw_ensemble.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace attnlab;
using namespace attnlab::exp::nw_ensemble;

TEST_CASE("head_weights: rows sum to 1, equal the direct Gaussian NW weights, uniform at gain 0") {
  core::PhiloxStream rng(1, 0);
  const MatrixXd X = draw_design(40, 6, rng);
  const auto P = phi_heads(6, 2, 2, 0.5);
  const MatrixXd W = head_weights(X, P, 0.7);
  for (int a = 0; a < 2; ++a) {
    CHECK(W.row(a).sum() == Approx(1.0));
    const auto ref = core::nw_gaussian_projected<double>(VectorXd::Zero(6), X, P[size_t(a)], MatrixXd::Ones(40, 1), 0.7);
    CHECK((W.row(a).transpose() - ref.w).cwiseAbs().maxCoeff() < 1e-14);
  }
  const MatrixXd U = head_weights(X, P, 0.7, true);
  CHECK((U.array() - 1.0 / 40).abs().maxCoeff() == 0.0);
}

TEST_CASE("phi_heads hit the target HDI; draw_design with a Cholesky factor has the target covariance") {
  for (double t : {0.0, 0.3, 0.75, 1.0}) CHECK(theory::nw_ensemble::hdi(phi_heads(10, 4, 2, t)) == Approx(t).margin(1e-12));
  core::PhiloxStream rng(2, 0);
  MatrixXd S(2, 2);
  S << 1, 0.8, 0.8, 1;
  const MatrixXd L = Eigen::LLT<MatrixXd>(S).matrixL();
  const MatrixXd X = draw_design(20000, 2, rng, L);
  const MatrixXd C = X.transpose() * X / 20000.0;
  CHECK(C(0, 1) == Approx(0.8).margin(0.03));
}

TEST_CASE("Monte Carlo claims give bit-identical tables with 1 and 2 threads") {
  exp::Registry reg;
  exp::register_nw_ensemble(reg);
  for (const char* id : {"nw_ensemble.angle_decorrelation", "nw_ensemble.optimal_allocation"}) {
    const exp::Claim* c = reg.find_claim(id);
    REQUIRE(c);
    const auto r1 = exp::run_claim(*c, exp::Mode::quick, 3, 1, exp::Device::cpu);
    const auto r2 = exp::run_claim(*c, exp::Mode::quick, 3, 2, exp::Device::cpu);
    REQUIRE(r1.tables.size() == r2.tables.size());
    for (const auto& [name, t] : r1.tables) {
      INFO(name);
      CHECK(t.to_csv() == r2.tables.at(name).to_csv());
    }
  }
}

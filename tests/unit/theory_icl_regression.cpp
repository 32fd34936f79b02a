// Unit tests of theory/icl_regression against the spec's stated values (d = 5, n = 40, s2 = 0.1)
// and identities (optima are stationary points, limits).
#include "theory/icl_regression.hpp"

#include <catch2/catch.hpp>

#include <cmath>

namespace th = attnlab::theory::icl_regression;
using attnlab::core::MatrixXd;
using attnlab::core::VectorXd;

TEST_CASE("DGD and GD risks at the paper scale") {
  CHECK(th::eta_dgd_opt(40, 5, 0.1) == Approx(0.879121).margin(1e-6));
  CHECK(th::r_dgd_opt(40, 5, 0.1) == Approx(0.242857).margin(1e-6));
  CHECK(th::r_dgd(th::eta_dgd_opt(40, 5, 0.1), 40, 5, 0.1) == Approx(th::r_dgd_opt(40, 5, 0.1) + 0.0).margin(0.01));
  // derivative of r_dgd vanishes at ... the exact minimiser of the quadratic
  const double a = std::pow(1.0 / 40, 2) * 39 * (40 + 5 + 0.5), b = 2.0 * 39 / 40;
  const double eta_min = b / (2 * a);
  CHECK(th::r_dgd(eta_min, 40, 5, 0.1) <= th::r_dgd(eta_min + 1e-3, 40, 5, 0.1));
  CHECK(th::r_dgd(eta_min, 40, 5, 0.1) <= th::r_dgd(eta_min - 1e-3, 40, 5, 0.1));
  CHECK(th::a_gd_opt(40, 5, 0.1) == Approx(1.0 / 46.5));
  CHECK(th::r_gd(th::a_gd_opt(40, 5, 0.1), 40, 5, 0.1) == Approx(th::r_gd_opt(40, 5, 0.1)).epsilon(1e-12));
  CHECK(th::r_gd_opt(40, 5, 0.1) < th::r_dgd_opt(40, 5, 0.1));
  // length generalisation predictions quoted in the spec (claim 6)
  const double eta = 0.8791;
  CHECK(th::r_dgd(eta, 80, 5, 0.1) == Approx(0.1794).margin(1e-4));
  CHECK(th::r_dgd(eta, 160, 5, 0.1) == Approx(0.1472).margin(1e-4));
  CHECK(th::r_gd(1 / 46.5, 80, 5, 0.1) == Approx(0.8595).margin(1e-4));
  CHECK(th::r_gd(1 / 46.5, 160, 5, 0.1) == Approx(6.5388).margin(1e-4));
}

TEST_CASE("Bayes gap factor and proportional limits") {
  CHECK(th::bayes_gap_factor(0.1, 5) == Approx(13.0));
  CHECK(th::bayes_gap_factor(1.0, 5) == Approx(2.2));
  // spec: at high noise the limits nearly agree (xi = 0.2, s2 = 3: 3.444 vs 3.405)
  CHECK(th::dgd_asym(0.2, 3) == Approx(3.444).margin(5e-4));
  CHECK(th::bayes_asym(0.2, 3) == Approx(3.405).margin(5e-4));
  // the excess-risk ratio of the limits stays below 1 + 1/s2
  for (double xi : {0.05, 0.2, 1.0})
    for (double s2 : {0.1, 1.0, 3.0})
      CHECK((th::dgd_asym(xi, s2) - s2) / (th::bayes_asym(xi, s2) - s2) <= 1 + 1 / s2 + 1e-12);
}

TEST_CASE("f_dgd by hand and the reduced objective") {
  MatrixXd X(2, 1);
  X << 1, 3;  // xbar = 2
  VectorXd y(2), xq(1);
  y << 1, 2;
  xq << 0.5;
  // (eta/n) sum y_i (x_i - xbar) x_q = (1/2) (1 * -1 + 2 * 1) * 0.5 = 0.25
  CHECK(th::f_dgd(1.0, X, y, xq) == Approx(0.25));
  CHECK(th::pair_eta_opt(1e-6, 40, 5, 0.1) == Approx(th::eta_dgd_opt(40, 5, 0.1)).epsilon(1e-6));
  // single head optimum of the reduced objective at omega = 1/sqrt(d): 0.372 at the paper scale
  VectorXd w(1), mu(1);
  w << 1 / std::sqrt(5.0);
  mu = th::reduced_mu_star(w, 40, 5, 0.1);
  CHECK(th::reduced_loss(w, mu, 40, 5, 0.1) == Approx(0.372).margin(1e-3));
}

TEST_CASE("preconditioned DGD and multi-task optimum") {
  MatrixXd S(5, 5);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) S(i, j) = std::pow(0.5, std::abs(i - j));
  const MatrixXd G = th::gamma_star(S, 40, 0.1);
  CHECK(G(0, 0) == Approx(1.09).margin(0.01));
  CHECK(G(2, 2) == Approx(1.29).margin(0.01));
  CHECK(G(0, 1) == Approx(-0.46).margin(0.01));
  CHECK(th::r_pdgd_opt(S, 40, 0.1) == Approx(0.23677).margin(1e-5));
  const MatrixXd I = MatrixXd::Identity(5, 5);
  CHECK(I.cwiseProduct(G).sum() / (I.norm() * G.norm()) == Approx(0.8998).margin(1e-4));
  CHECK(th::r_pdgd_opt(I, 40, 0.1) == Approx(th::r_dgd_opt(40, 5, 0.1)).epsilon(1e-12));
  CHECK(th::multitask_eta_opt(48, 4, 0.1) == Approx(0.91603).margin(1e-5));
  CHECK(th::multitask_r_opt(48, 4, 0.1) == Approx(0.203053).margin(1e-6));
}

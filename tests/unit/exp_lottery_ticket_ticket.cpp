// Unit tests of experiments/lottery_ticket/ticket.hpp: the ticket construction, the merged and
// network forwards, the paired-ReLU FC ticket and the Clopper-Pearson bound.
#include "experiments/lottery_ticket/ticket.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace attnlab;
using namespace attnlab::exp::lottery_ticket;

TEST_CASE("ticket: structured masks, selected sums, merged equals network") {
  core::PhiloxStream rng(1, 0);
  core::SubsetSumWorkspace ws;
  const int d = 3, m = 16, d_out = 2;
  const TargetHead t = draw_target_head(d, 4, 4, d_out, rng);
  CHECK(core::spectral_norm(t.WQ) == Approx(1.0));
  CHECK(t.A.cwiseAbs().maxCoeff() <= 0.5 + 1e-12);  // ||A|| <= 1/sqrt(d_K)
  SourceHead s = draw_source_head(d, m, m, d_out, SourceLaw::uniform, rng);
  build_ticket(t, s, ws);
  CHECK(s.MK.sum() == d * m);  // one kept entry per column
  CHECK(s.MV.sum() == d * m);
  CHECK((s.A_hat() - s.s_star).cwiseAbs().maxCoeff() < 1e-15);
  CHECK((s.B_hat() - s.t_star).cwiseAbs().maxCoeff() < 1e-15);
  const HeadErrors e = head_errors(t, s);
  CHECK(e.tauQK < 0.05);
  CHECK(e.tauVO < 0.05);
  const MatrixXd X = draw_tokens(9, d, rng);
  for (MaskKind mk : {MaskKind::full, MaskKind::causal}) {
    const MatrixXd ym = merged_forward({s.A_hat()}, {s.B_hat()}, X, mk);
    const MatrixXd yn = network_forward({source_net(s)}, X, mk);
    CHECK((ym - yn).cwiseAbs().maxCoeff() < 1e-13);
  }
  // causal row 0 attends only to itself: output = x_0 B
  const MatrixXd yc = merged_forward({t.A}, {t.B}, X, MaskKind::causal);
  CHECK((yc.row(0) - X.row(0) * t.B).cwiseAbs().maxCoeff() < 1e-15);
  // unnormalized weights with A = 0: every weight is 1, output row = sum of all x_k B
  const MatrixXd yu = merged_forward({MatrixXd::Zero(d, d)}, {t.B}, X, MaskKind::full, false);
  CHECK((yu.row(4) - X.colwise().sum() * t.B).cwiseAbs().maxCoeff() < 1e-13);
}

TEST_CASE("paired-ReLU FC ticket: error is sum_j y_j (w^sign_ij - W_F[i,j])") {
  core::PhiloxStream rng(2, 0);
  core::SubsetSumWorkspace ws;
  const int d = 2, m = 12;
  const MatrixXd WF = unit_spectral_gaussian(d, d, rng);
  FcTicket f = draw_fc_source(d, 2 * m, false, rng);
  build_fc_ticket(WF, f, m, ws);
  // effective weights per sign, from the masks
  MatrixXd wpos = MatrixXd::Zero(d, d), wneg = MatrixXd::Zero(d, d);
  for (int k = 0; k < f.W1.rows(); ++k) {
    const int j = k / (2 * m);
    const double u = f.W1(k, j);
    for (int i = 0; i < d; ++i) (u > 0 ? wpos : wneg)(i, j) += f.M2(i, k) * f.W2(i, k) * u;
  }
  // each sign pool's selection is the exact optimum: never worse than the empty subset, and equal
  // to the solver's answer on the same pool
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j) {
      std::vector<double> pool;
      int taken = 0;
      for (int k = j * 2 * m; k < (j + 1) * 2 * m && taken < m; ++k)
        if (f.W1(k, j) > 0) {
          pool.push_back(f.W2(i, k) * f.W1(k, j));
          ++taken;
        }
      CHECK(std::fabs(wpos(i, j) - WF(i, j)) == Approx(core::best_subset_sum(pool, WF(i, j)).error).margin(1e-15));
      CHECK(std::fabs(wneg(i, j) - WF(i, j)) <= std::fabs(WF(i, j)));
    }
  const MatrixXd Y = draw_tokens(5, d, rng);
  const MatrixXd F = fc_forward(f, Y);
  for (int r = 0; r < 5; ++r)
    for (int i = 0; i < d; ++i) {
      double pred = 0;
      for (int j = 0; j < d; ++j) pred += Y(r, j) * (Y(r, j) > 0 ? wpos(i, j) : wneg(i, j));
      CHECK(F(r, i) == Approx(pred).margin(1e-14));
    }
  // one-signed first layer: N_j empty, negative inputs give exactly 0
  FcTicket g = draw_fc_source(d, 2 * m, true, rng);
  build_fc_ticket(WF, g, m, ws);
  MatrixXd neg = -MatrixXd::Ones(1, d);
  CHECK(fc_forward(g, neg).cwiseAbs().maxCoeff() == 0.0);
}

// Claim 2, icl_regression.dgd_limit: two heads KQ = +-omega J, OV = +-(eta / 2 omega) e_D^T predict
// f_DGD(eta) up to an error O(omega^2) at fixed eta (spec Background 5). f comes from the core/
// multi-head forward, f_DGD from theory::f_dgd on the same prompt.
// Spec: shared/claims/icl_regression.md, "Claim 2".
#include "experiments/common/context.hpp"
#include "experiments/icl_regression/claims.hpp"
#include "core/stats.hpp"
#include "core/training.hpp"
#include "theory/icl_regression.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace attnlab::exp::icl_regression {

namespace {

using core::MatrixXd;
using core::VectorXd;

constexpr double kSlopeLo = 1.9, kSlopeHi = 2.1;  // slope and its 95 % interval inside [1.9, 2.1]
constexpr double kRelErrSmall = 1e-4;              // err(omega_min) <= 1e-4 |f_DGD|
constexpr double kGuardF = 1e-3;                   // guard: |f_DGD| above this

struct Prompt {
  MatrixXd X;  // n x d
  VectorXd y, xq;
};

// The spec's deterministic prompt (no random numbers).
Prompt spec_prompt(int n, int d) {
  Prompt p{MatrixXd(n, d), VectorXd(n), VectorXd(d)};
  VectorXd beta(d);
  for (int j = 1; j <= d; ++j) beta(j - 1) = std::cos(double(j)) / std::sqrt(double(d));
  for (int i = 1; i <= n; ++i) {
    for (int j = 1; j <= d; ++j) p.X(i - 1, j - 1) = std::sin(0.7 * i + 1.3 * j) + 0.5 * std::cos(1.1 * i * j);
    p.y(i - 1) = p.X.row(i - 1).dot(beta) + 0.3 * std::sin(2.0 * i);
  }
  for (int j = 1; j <= d; ++j) p.xq(j - 1) = std::cos(0.5 * j + 0.2);
  return p;
}

// f of the two-head construction by the core forward; mu2 = label weight of head 2 (-mu: zero-sum).
double two_head_f(const Prompt& p, double omega, double mu, double mu2) {
  const int n = int(p.X.rows()), d = int(p.X.cols()), D = d + 1;
  core::PromptBatch b;
  b.resize(1, n, D, 1);
  b.Z.topRows(d) = p.X.transpose();
  b.Z.row(d) = p.y.transpose();
  b.Zq.col(0).head(d) = p.xq;
  b.Zq(d, 0) = 0;
  b.Y(0, 0) = 0;
  core::AttentionModel m = core::AttentionModel::zeros(core::ScoreKind::softmax, false, 2, D, 1);
  m.blocks[0].topLeftCorner(d, d) = omega * MatrixXd::Identity(d, d);
  m.blocks[1].topLeftCorner(d, d) = -omega * MatrixXd::Identity(d, d);
  m.blocks[2](0, d) = mu;
  m.blocks[3](0, d) = mu2;
  return core::forward(m, b)(0, 0);
}

struct Fit {
  core::OlsFit ols;
  std::vector<double> err;
};

Fit fit_errors(const Prompt& p, double eta, const std::vector<double>& omegas, bool control) {
  const double fdgd = theory::icl_regression::f_dgd(eta, p.X, p.y, p.xq);
  Fit f;
  std::vector<double> lx, ly;
  for (double w : omegas) {
    const double mu = eta / (2 * w);
    const double e = std::abs(two_head_f(p, w, mu, control ? mu : -mu) - fdgd);
    f.err.push_back(e);
    lx.push_back(std::log(w));
    ly.push_back(std::log(e));
  }
  f.ols = core::ols_fit(lx, ly);
  return f;
}

Check judge(const Fit& f, double fdgd, const std::string& what) {
  return Check::all({Check::interval_inside(f.ols.slope, f.ols.slope_lo, f.ols.slope_hi, kSlopeLo, kSlopeHi,
                                            "slope of log err on log omega" + what),
                     Check::at_most(f.err.back() / std::abs(fdgd), kRelErrSmall, "err(omega_min)/|f_DGD|" + what)});
}

}  // namespace

Claim dgd_limit() {
  Claim c;
  c.id = "icl_regression.dgd_limit";
  c.kind = Kind::rate;
  c.source = std::string(kSource) +
             ", abstract (\"approximately implement a debiased gradient descent predictor\"); expansion of spec "
             "Background 5 (number not confirmed)";
  c.statement =
      "Two heads with KQ = +-omega J and OV = +-(eta / 2 omega) e_D^T predict f_DGD(eta) up to an error that shrinks "
      "like omega^2 at fixed eta.";
  c.criterion =
      "Least-squares slope of log err on log omega (omega = 0.2 ... 0.0125) and its whole 95 % interval inside [1.9, "
      "2.1], and err(0.0125) <= 1e-4 |f_DGD|.";
  c.control_name = "zero-sum broken: OV = (+mu, +mu)";
  c.control_description =
      "Both heads' label weights positive: the output carries 2 mu ybar with mu = eta / 2 omega, the error grows as "
      "omega shrinks (slope about -1) and the check must fail.";
  c.params = {
      int_param("d", "covariate dimension of the deterministic prompt", 5, 5, 1, 64),
      int_param("n", "context length of the deterministic prompt", 40, 40, 2, 1000),
      real_param("eta", "fixed effective step eta = 2 omega mu", 0.88, 0.88, 1e-3, 10),
      int_param("random_prompts", "random prompts fitted in addition (full mode; reported, not judged)", 0, 20, 0, 1000),
  };
  c.figures = {"dgd_limit"};
  c.run = [](Context& ctx) {
    const int d = int(ctx.integer("d")), n = int(ctx.integer("n"));
    const double eta = ctx.real("eta");
    const std::vector<double> omegas = {0.2, 0.1, 0.05, 0.025, 0.0125};
    const Prompt p = spec_prompt(n, d);
    const double fdgd = theory::icl_regression::f_dgd(eta, p.X, p.y, p.xq);
    const Fit good = fit_errors(p, eta, omegas, false), bad = fit_errors(p, eta, omegas, true);
    auto& t = ctx.csv("dgd_limit.csv", {"prompt", "series", "omega", "mu", "err", "f_dgd", "slope", "slope_lo",
                                        "slope_hi"});
    for (size_t i = 0; i < omegas.size(); ++i) {
      t.row({"spec", "construction", omegas[i], eta / (2 * omegas[i]), good.err[i], fdgd, good.ols.slope,
             good.ols.slope_lo, good.ols.slope_hi});
      t.row({"spec", "control", omegas[i], eta / (2 * omegas[i]), bad.err[i], fdgd, bad.ols.slope, bad.ols.slope_lo,
             bad.ols.slope_hi});
    }
    const int R = int(ctx.integer("random_prompts"));
    for (int r = 0; r < R; ++r) {
      auto rng = ctx.rng("prompt", std::uint64_t(r));
      Prompt q{rng.normal_matrix(n, d), VectorXd(n), rng.normal_vector(d)};
      const VectorXd beta = rng.normal_vector(d, 1.0 / std::sqrt(double(d)));
      q.y = q.X * beta + rng.normal_vector(n, std::sqrt(0.1));
      const Fit f = fit_errors(q, eta, omegas, false);
      const double fq = theory::icl_regression::f_dgd(eta, q.X, q.y, q.xq);
      for (size_t i = 0; i < omegas.size(); ++i)
        t.row({"random" + std::to_string(r), "construction", omegas[i], eta / (2 * omegas[i]), f.err[i], fq,
               f.ols.slope, f.ols.slope_lo, f.ols.slope_hi});
    }
    Outcome o;
    o.guard = Check::at_least(std::abs(fdgd), kGuardF, "|f_DGD| of the prompt");
    o.check = judge(good, fdgd, "");
    o.controls.push_back({"zero-sum broken: OV = (+mu, +mu)", judge(bad, fdgd, " (control)")});
    return o;
  };
  return c;
}

}  // namespace attnlab::exp::icl_regression

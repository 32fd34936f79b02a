// Claim 4, icl_regression.risk_matches_dgd: the trained multi-head model (quick recipe, H = 4)
// reaches the risk of optimally tuned debiased GD with the optimal effective step; a single head
// cannot. Risks on fresh test prompts (shared test stream), R*_DGD and eta* from theory.
// Also writes the data of risk_vs_n.png (risk vs prompt length, with the predicted curves and a
// Monte-Carlo Bayes risk). Spec: shared/claims/icl_regression.md, Background 1-3 and "Claim 4".
#include "experiments/common/context.hpp"
#include "experiments/icl_regression/claims.hpp"
#include "experiments/icl_regression/models.hpp"
#include "theory/icl_regression.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace attnlab::exp::icl_regression {

namespace th = theory::icl_regression;

// R_Bayes(n, d, s2) = s2 + s2 E tr((X^T X + s2 d I)^{-1}) by Monte Carlo over X (draws keyed by
// (family, draw)); returns (mean, standard error).
std::pair<double, double> bayes_risk_mc(Context& ctx, int n, int d, double s2, long draws, const std::string& family);

namespace {

constexpr double kRatioHi = 1.06, kRatioLo = 0.95, kEtaTol = 0.05;
constexpr double kGuardImprove = 0.5;  // guard: mean risk below 0.5 x the zero predictor's (1 + s2)

Check judge(const std::vector<double>& ratio, const std::vector<double>& eta_dev, const std::string& tag) {
  return Check::all({Check::at_most(t_upper(ratio), kRatioHi, "upper t-bound of R/R*_DGD" + tag),
                     Check::at_least(t_lower(ratio), kRatioLo, "lower t-bound of R/R*_DGD" + tag),
                     Check::at_most(t_upper(eta_dev), kEtaTol, "upper t-bound of |eta_hat/eta* - 1|" + tag)},
                    "risk criteria" + tag);
}

}  // namespace

std::pair<double, double> bayes_risk_mc(Context& ctx, int n, int d, double s2, long draws, const std::string& family) {
  std::vector<double> v(size_t(draws), 0.0);
#pragma omp parallel for schedule(static) num_threads(ctx.threads())
  for (long i = 0; i < draws; ++i) {
    auto rng = ctx.rng(family, std::uint64_t(i));
    const MatrixXd X = rng.normal_matrix(n, d);
    const MatrixXd A = X.transpose() * X + s2 * d * MatrixXd::Identity(d, d);
    v[size_t(i)] = s2 + s2 * A.inverse().trace();
  }
  double m = 0, q = 0;
  for (double x : v) m += x;
  m /= double(draws);
  for (double x : v) q += (x - m) * (x - m);
  return {m, std::sqrt(q / double(draws - 1) / double(draws))};
}

Claim risk_matches_dgd() {
  Claim c;
  c.id = "icl_regression.risk_matches_dgd";
  c.kind = Kind::statistical;
  c.source = std::string(kSource) +
             ", abstract (\"implement a debiased gradient descent predictor ... outperforms single-head attention\") "
             "(number not confirmed)";
  c.statement =
      "The trained multi-head model reaches the risk of the optimally tuned debiased GD predictor, with an effective "
      "step equal to the optimal one, while a single head cannot.";
  c.criterion =
      "Over S seeds: upper t-bound of R/R*_DGD <= 1.06, lower t-bound >= 0.95, upper t-bound of |eta_hat/eta* - 1| <= "
      "0.05 (R on fresh test prompts, R*_DGD = s2 + (d + 1 + s2 d)/(n + d + s2 d), eta* = n/(n + d + s2 d)).";
  c.control_name = "H = 1";
  c.control_description = "A single head (risk about 0.405, ratio about 1.67) under the same check: must fail.";
  c.params = {
      int_param("seeds", "number of training seeds S", 4, 8, 2, 64),
      int_param("heads", "number of heads H of the judged models", 4, 4, 2, 16),
      int_param("steps", "SGD steps T of the quick recipe", 3000, 3000, 10, 10000000),
      int_param("n_test", "test prompts per model", 100000, 200000, 1000, 100000000),
      int_param("n_test_curve", "test prompts per point of the risk-vs-n figure", 10000, 100000, 100, 100000000),
      int_param("bayes_draws_curve", "Monte-Carlo draws of the Bayes risk per n of the figure", 2000, 20000, 10, 10000000),
      int_param("paper", "1: train the judged models with the paper recipe (factored, Adam 1e-3, B = 256), 0: quick recipe",
                0, 1, 0, 1),
      int_param("paper_steps", "Adam steps of the paper recipe", 500000, 500000, 10, 10000000),
      int_param("checkpoint_every", "steps between checkpoints of a paper-recipe run (under the run's checkpoints/)",
                10000, 10000, 10, 10000000),
      int_param("sweep", "1: also train H in {2, 4, 8} under the same recipe (drawn in risk_vs_heads, reported, not judged)",
                0, 1, 0, 1),
      int_param("n_sweep", "1: also judge H-head quick-recipe models (T = steps) trained at n in {20, 40, 80} (full)", 0, 1,
                0, 1),
  };
  c.figures = {"risk_vs_n", "risk_vs_heads", "reduced_loss"};
  c.run = [](Context& ctx) {
    const int S = int(ctx.integer("seeds")), H = int(ctx.integer("heads"));
    const bool paper = ctx.integer("paper") == 1;
    Recipe main = quick_recipe(H), single = quick_recipe(1);
    main.T = single.T = ctx.integer("steps");
    if (paper) {
      main = paper_recipe(H, ctx.integer("paper_steps"));
      single = paper_recipe(1, ctx.integer("paper_steps"));
    }
    const Checkpoints ck{ctx.work_dir(), ctx.full() ? "full" : "quick", ctx.integer("checkpoint_every")};
    // Full mode (sweep): the other head counts of risk_vs_heads.png, same recipe, after the judged
    // and single-head models (rows "sweep": reported, not judged).
    std::vector<Recipe> recipes = {main, single};
    if (ctx.integer("sweep") == 1)
      for (int h : {2, 4, 8})
        if (h != H) {
          Recipe r = paper ? paper_recipe(h, ctx.integer("paper_steps")) : quick_recipe(h);
          if (!paper) r.T = ctx.integer("steps");
          recipes.push_back(r);
        }
    // Full mode (n_sweep): the spec's "plus n in {20, 40, 80} with the quick recipe", judged too.
    std::vector<Recipe> by_n;
    if (ctx.integer("n_sweep") == 1)
      for (int nn : {20, 40, 80}) {
        Recipe r = quick_recipe(H);
        r.T = ctx.integer("steps");
        r.n = nn;
        by_n.push_back(r);
      }
    std::vector<std::pair<Recipe, int>> jobs;
    for (const Recipe& r : recipes)
      for (int s = 0; s < S; ++s) jobs.push_back({r, s});
    for (const Recipe& r : by_n)
      for (int s = 0; s < S; ++s) jobs.push_back({r, s});
    train_all(jobs, ctx.seed(), ctx.threads(), ck);
    std::vector<std::shared_ptr<const Trained>> runs;
    std::vector<const core::AttentionModel*> models;
    std::vector<std::string> label;  // multi (judged), single (control), sweep (reported)
    for (size_t k = 0; k < recipes.size(); ++k)
      for (int s = 0; s < S; ++s) {
        runs.push_back(trained(recipes[k], s, ctx.seed()));
        models.push_back(&runs.back()->model);
        label.push_back(k == 0 ? "multi" : k == 1 ? "single" : "sweep");
      }
    const int n = main.n, d = main.d;
    const double s2 = main.s2;
    const double rstar = th::r_dgd_opt(n, d, s2), estar = th::eta_dgd_opt(n, d, s2);
    const std::vector<Risk> risk = test_risk(models, main.task(), ctx.integer("n_test"), ctx.seed(), ctx.threads());

    auto& t = ctx.csv("risk_seeds.csv", {"model", "H", "seed", "risk", "risk_se", "r_dgd_opt", "ratio", "eta_hat",
                                         "eta_opt", "eta_ratio"});
    std::vector<double> ratio_m, dev_m, ratio_1, dev_1;
    double worst_mean = 0;
    for (size_t i = 0; i < runs.size(); ++i) {
      const bool multi = label[i] == "multi";
      const double eta = pattern_metrics(runs[i]->model, d).eta_hat;
      const double ratio = risk[i].finite ? risk[i].mean / rstar : std::nan("");
      if (label[i] != "sweep") {
        (multi ? ratio_m : ratio_1).push_back(ratio);
        (multi ? dev_m : dev_1).push_back(std::abs(eta / estar - 1));
      }
      if (multi) worst_mean = risk[i].finite ? std::max(worst_mean, risk[i].mean) : std::nan("");
      t.row({label[i], runs[i]->recipe.H, runs[i]->seed, risk[i].mean, risk[i].se, rstar, ratio, eta,
             estar, eta / estar});
    }

    // Figure data: risk vs test prompt length for the same models, with the predicted curves.
    auto& tc = ctx.csv("risk_vs_n.csv", {"model", "H", "seed", "n_test", "risk", "risk_se"});
    auto& tp = ctx.csv("risk_vs_n_theory.csv", {"n_test", "r_dgd_opt", "r_dgd_eta_hat", "r_gd_eta_hat", "reduced_single",
                                                "bayes_mc", "bayes_se"});
    double eta_mean = 0;
    for (size_t i = 0; i < size_t(S); ++i) eta_mean += pattern_metrics(runs[i]->model, d).eta_hat / S;
    for (int nt = 10; nt <= 100; nt += 5) {
      const std::vector<Risk> rc = test_risk(models, main.task(nt), ctx.integer("n_test_curve"), ctx.seed(), ctx.threads());
      for (size_t i = 0; i < runs.size(); ++i)
        tc.row({label[i], runs[i]->recipe.H, runs[i]->seed, nt, rc[i].mean, rc[i].se});
      const double e = std::exp(1.0);
      const double red1 = 1 + s2 - 1 / (1 + (1 + s2) * d * e / nt);
      const auto bayes = bayes_risk_mc(ctx, nt, d, s2, ctx.integer("bayes_draws_curve"), "bayes_n" + std::to_string(nt));
      tp.row({nt, th::r_dgd_opt(nt, d, s2), th::r_dgd(eta_mean, nt, d, s2), th::r_gd(eta_mean / n, nt, d, s2), red1,
              bayes.first, bayes.second});
    }

    // Figure data (reduced_loss.png, no criterion): the authors' reduced objective of a symmetric
    // pair KQ = +-omega J, OV = +-mu e_D^T against its exact risk by Monte Carlo (test prompts).
    {
      auto& tr = ctx.csv("reduced_loss.csv", {"omega", "mu", "reduced", "exact_mc", "exact_se", "mu_star", "eta_pair_opt"});
      std::vector<core::AttentionModel> pair;
      std::vector<std::pair<double, double>> grid;
      for (int i = 1; i <= 10; ++i)
        for (int j = 1; j <= 12; ++j) {
          const double om = 0.02 * i, mu = 0.5 * j;
          core::AttentionModel m = core::AttentionModel::zeros(core::ScoreKind::softmax, false, 2, d + 1, 1);
          m.blocks[0].topLeftCorner(d, d) = om * MatrixXd::Identity(d, d);
          m.blocks[1].topLeftCorner(d, d) = -om * MatrixXd::Identity(d, d);
          m.blocks[2](0, d) = mu;
          m.blocks[3](0, d) = -mu;
          pair.push_back(std::move(m));
          grid.push_back({om, mu});
        }
      std::vector<const core::AttentionModel*> pm;
      for (const auto& m : pair) pm.push_back(&m);
      const std::vector<Risk> rr = test_risk(pm, main.task(), std::max<long>(1000, ctx.integer("n_test_curve") / 2),
                                             ctx.seed(), ctx.threads());
      for (size_t i = 0; i < grid.size(); ++i) {
        const auto [om, mu] = grid[i];
        VectorXd w(2), u(2);
        w << om, -om;
        u << mu, -mu;
        const VectorXd ms = th::reduced_mu_star(w, n, d, s2);
        tr.row({om, mu, th::reduced_loss(w, u, n, d, s2), rr[i].mean, rr[i].se, ms(0), th::pair_eta_opt(om, n, d, s2)});
      }
    }

    std::vector<Check> judged = {judge(ratio_m, dev_m, "")};
    if (!by_n.empty()) {
      auto& tl = ctx.csv("risk_lengths.csv", {"n", "H", "seed", "risk", "risk_se", "r_dgd_opt", "ratio", "eta_hat", "eta_opt",
                                              "eta_ratio"});
      for (const Recipe& r : by_n) {
        std::vector<std::shared_ptr<const Trained>> rs;
        std::vector<const core::AttentionModel*> ms;
        for (int s = 0; s < S; ++s) {
          rs.push_back(trained(r, s, ctx.seed()));
          ms.push_back(&rs.back()->model);
        }
        const double rn = th::r_dgd_opt(r.n, d, s2), en = th::eta_dgd_opt(r.n, d, s2);
        const std::vector<Risk> rk = test_risk(ms, r.task(), ctx.integer("n_test"), ctx.seed(), ctx.threads());
        std::vector<double> ratio, dev;
        for (int s = 0; s < S; ++s) {
          const double eta = pattern_metrics(rs[s]->model, d).eta_hat;
          ratio.push_back(rk[s].finite ? rk[s].mean / rn : std::nan(""));
          dev.push_back(std::abs(eta / en - 1));
          worst_mean = rk[s].finite ? std::max(worst_mean, rk[s].mean) : std::nan("");
          tl.row({r.n, H, s, rk[s].mean, rk[s].se, rn, ratio.back(), eta, en, eta / en});
        }
        judged.push_back(judge(ratio, dev, " (quick recipe, n = " + std::to_string(r.n) + ")"));
      }
    }
    Outcome o;
    o.guard = Check::at_most(worst_mean, kGuardImprove * (1 + s2), "max over seeds of the multi-head risk (learned)");
    o.check = judged.size() == 1 ? judged[0] : Check::all(judged, "risk criteria, judged recipe and quick recipe at every n");
    o.controls.push_back({"H = 1", judge(ratio_1, dev_1, " (H = 1)")});
    return o;
  };
  return c;
}

}  // namespace attnlab::exp::icl_regression

// Claim 5, icl_regression.near_bayes: the trained multi-head model's excess risk over the noise
// floor is at most F(s2, d) = (1 + s2 + 1/d)/s2 times the Bayes excess risk (spec Background 4,
// Interpretation of "Bayes-optimal up to a proportional factor"), at s2 = 0.1 and 1.
// R_Bayes by Monte Carlo over X (bayes_risk_mc in risk.cpp). Spec: shared/claims/icl_regression.md.
#include "experiments/common/context.hpp"
#include "experiments/icl_regression/claims.hpp"
#include "experiments/icl_regression/models.hpp"
#include "experiments/icl_regression/recipes.hpp"
#include "theory/icl_regression.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace attnlab::exp::icl_regression {

namespace th = theory::icl_regression;

std::pair<double, double> bayes_risk_mc(Context& ctx, int n, int d, double s2, long draws, const std::string& family);

namespace {
constexpr double kSeMult = 3.0;         // slack: 3 standard errors of the risk estimate
constexpr double kGuardExcess = 1e-3;   // guard: Bayes excess risk above this at every noise level
constexpr double kGuardLearned = 0.5;   // guard: multi-head excess risk R - s2 below 0.5 x the zero predictor's (E|beta|^2 = 1)
// ... or below R*_DGD - s2 + 0.25 where the optimum itself is near 0.5 (full grid: s2 = 3 at n = 20
// has R*_DGD - s2 = 0.525); max(0.5, e* + 0.25) is 0.5 at both quick cells (e* = 0.143, 0.220).
constexpr double kGuardAboveOpt = 0.25;
}  // namespace

Claim near_bayes() {
  Claim c;
  c.id = "icl_regression.near_bayes";
  c.kind = Kind::bound;
  c.source = std::string(kSource) + ", abstract (\"nearly achieves Bayesian optimality up to proportional factor\") "
                                    "(number not confirmed)";
  c.statement =
      "The trained multi-head model's excess risk over the noise floor is at most F times the Bayes-optimal excess "
      "risk, at low and moderate noise.";
  c.criterion =
      "In every seed and noise level s2 in {0.1, 1}: R - s2 <= F (R_Bayes - s2) + 3 se(R), F = (1 + s2 + 1/d)/s2, "
      "R_Bayes by Monte Carlo (20 000 draws).";
  c.interpretation = true;
  c.interpretation_note =
      "The paper's \"up to a proportional factor\" is read as the SNR-dependent constant F(s2, d) = (1 + s2 + 1/d)/s2 "
      "on excess risks, which the optimal DGD provably satisfies (Jensen bound, spec Background 4); the paper's own "
      "constant was not confirmed.";
  c.control_name = "H = 1";
  c.control_description = "Single-head models (excess-risk ratios about 21 and 3.5) under the same bound: must fail.";
  c.params = {
      int_param("seeds", "number of training seeds S", 4, 8, 2, 64),
      int_param("heads", "number of heads H", 4, 4, 2, 16),
      int_param("steps", "SGD steps T of the quick recipe", 3000, 3000, 10, 10000000),
      int_param("n_test", "test prompts per model", 100000, 200000, 1000, 100000000),
      int_param("bayes_draws", "Monte-Carlo draws of the Bayes risk", 20000, 20000, 100, 100000000),
      int_param("grid", "1: s2 in {0.1, 0.5, 1, 3} x n in {20, 40, 80} (full), 0: s2 in {0.1, 1}, n = 40", 0, 1, 0, 1),
  };
  add_params(c.params, paper_params());
  c.figures = {"near_bayes"};
  c.run = [](Context& ctx) {
    const int S = int(ctx.integer("seeds")), H = int(ctx.integer("heads"));
    const bool grid = ctx.integer("grid") == 1, paper = use_paper(ctx);
    const std::vector<double> noise = grid ? std::vector<double>{0.1, 0.5, 1.0, 3.0} : std::vector<double>{0.1, 1.0};
    const std::vector<int> lengths = grid ? std::vector<int>{20, 40, 80} : std::vector<int>{40};
    std::vector<std::pair<Recipe, int>> jobs;
    std::vector<Recipe> recipes;
    for (double s2 : noise)
      for (int n : lengths)
        for (int h : {H, 1}) {
          Recipe r = claim_recipe(ctx, paper, h, s2);
          r.n = n;
          recipes.push_back(r);
          for (int s = 0; s < S; ++s) jobs.push_back({r, s});
        }
    train_all(jobs, ctx.seed(), ctx.threads(), checkpoints(ctx));
    // near_bayes.csv: the n = 40 cells (the figure); full mode adds near_bayes_n.csv, every cell.
    auto& t = ctx.csv("near_bayes.csv", {"model", "H", "s2", "seed", "risk", "risk_se", "r_bayes", "bayes_se", "F",
                                         "excess_ratio", "dgd_opt_ratio", "slack"});
    auto* tn = grid ? &ctx.csv("near_bayes_n.csv", {"model", "H", "n", "s2", "seed", "risk", "risk_se", "r_bayes",
                                                     "bayes_se", "F", "excess_ratio", "dgd_opt_ratio", "slack"})
                    : nullptr;
    std::vector<Check> parts, ctrl;
    double min_bayes_excess = 1e300;
    std::vector<Check> learned;  // guard: at every noise level the multi-head models learned
    for (double s2 : noise)
      for (int n : lengths) {
      const int d = recipes[0].d;
      const std::string fam = n == 40 ? fmt::format("bayes_s2_{}", s2) : fmt::format("bayes_n{}_s2_{}", n, s2);
      const auto bayes = bayes_risk_mc(ctx, n, d, s2, ctx.integer("bayes_draws"), fam);
      const double bex = bayes.first - s2, F = th::bayes_gap_factor(s2, d);
      min_bayes_excess = std::min(min_bayes_excess, bex);
      const std::string at = n == 40 ? fmt::format("s2 = {}", s2) : fmt::format("n = {}, s2 = {}", n, s2);
      std::vector<std::shared_ptr<const Trained>> runs;
      std::vector<const core::AttentionModel*> models;
      for (const Recipe& r : recipes)
        if (r.s2 == s2 && r.n == n)
          for (int s = 0; s < S; ++s) {
            runs.push_back(trained(r, s, ctx.seed()));
            models.push_back(&runs.back()->model);
          }
      const std::vector<Risk> risk = test_risk(models, runs[0]->recipe.task(), ctx.integer("n_test"), ctx.seed(),
                                               ctx.threads());
      double worst = 0;
      for (size_t i = 0; i < runs.size(); ++i)
        if (runs[i]->recipe.H == H) worst = risk[i].finite ? std::max(worst, risk[i].mean - s2) : std::nan("");
      learned.push_back(Check::at_most(worst, std::max(kGuardLearned, th::r_dgd_opt(n, d, s2) - s2 + kGuardAboveOpt),
                                       fmt::format("max over seeds of the multi-head excess risk R - s2 at {} (learned)", at)));
      for (size_t i = 0; i < runs.size(); ++i) {
        const bool multi = runs[i]->recipe.H == H;
        const double ex = risk[i].finite ? risk[i].mean - s2 : std::nan("");
        const double thr = F * bex + kSeMult * risk[i].se;
        const std::string what = fmt::format("R - s2 at {}, seed {}{}", at, runs[i]->seed, multi ? "" : " (H = 1)");
        (multi ? parts : ctrl).push_back(Check::at_most(ex, thr, what));
        if (n == 40)
          t.row({multi ? "multi" : "single", runs[i]->recipe.H, s2, runs[i]->seed, risk[i].mean, risk[i].se,
                 bayes.first, bayes.second, F, ex / bex, (th::r_dgd_opt(n, d, s2) - s2) / bex, kSeMult * risk[i].se});
        if (tn)
          tn->row({multi ? "multi" : "single", runs[i]->recipe.H, n, s2, runs[i]->seed, risk[i].mean, risk[i].se,
                   bayes.first, bayes.second, F, ex / bex, (th::r_dgd_opt(n, d, s2) - s2) / bex, kSeMult * risk[i].se});
      }
      }
    Outcome o;
    learned.insert(learned.begin(), Check::at_least(min_bayes_excess, kGuardExcess, "min Bayes excess risk over noise levels"));
    o.guard = Check::all(learned, "Bayes excess risk positive and models learned");
    o.check = Check::all(parts, "every seed and noise level");
    o.controls.push_back({"H = 1", Check::all(ctrl, "every seed and noise level (H = 1)")});
    return o;
  };
  return c;
}

}  // namespace attnlab::exp::icl_regression

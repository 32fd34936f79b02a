// Claim 6, icl_regression.length_generalization: the softmax model trained at n = 40 (claim 3's
// H = 4 quick-recipe models, shared through the cache) keeps improving on longer prompts and
// follows R_DGD(eta_hat; n'); linear attention (H = 1, lr 0.002, no 1/n normalisation) trained the
// same way degrades sharply. Spec: shared/claims/icl_regression.md, Background 1-2 and "Claim 6".
#include "experiments/common/context.hpp"
#include "experiments/icl_regression/claims.hpp"
#include "experiments/icl_regression/models.hpp"
#include "experiments/icl_regression/recipes.hpp"
#include "theory/icl_regression.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace attnlab::exp::icl_regression {

namespace th = theory::icl_regression;

namespace {

constexpr double kGrowth = 1.02, kDev = 0.08;
constexpr double kGuardRisk = 0.5;  // guard: softmax risk at n = 40 below 0.5 (1 + s2): the models learned

struct Judged {
  Check check;
  std::vector<std::vector<double>> risk;  // [seed][length index]
};

// risk[s][j] at lengths[j]; eta[s]; the check on n' in {80, 160} (lengths[0] = 40).
Check judge(const std::vector<std::vector<double>>& risk, const std::vector<double>& eta, const std::vector<int>& lengths,
            int d, double s2, const std::string& tag) {
  std::vector<Check> parts;
  for (size_t j = 0; j < lengths.size(); ++j) {
    if (lengths[j] != 80 && lengths[j] != 160) continue;
    std::vector<double> growth, dev;
    for (size_t s = 0; s < risk.size(); ++s) {
      growth.push_back(risk[s][j] / risk[s][0]);
      dev.push_back(std::abs(risk[s][j] / th::r_dgd(eta[s], lengths[j], d, s2) - 1));
    }
    const std::string n = " at n' = " + std::to_string(lengths[j]) + tag;
    parts.push_back(Check::at_most(t_upper(growth), kGrowth, "upper t-bound of R(n')/R(40)" + n));
    parts.push_back(Check::at_most(t_upper(dev), kDev, "upper t-bound of |R(n')/R_DGD(eta_hat; n') - 1|" + n));
  }
  return Check::all(parts, "length criteria" + tag);
}

}  // namespace

Claim length_generalization() {
  Claim c;
  c.id = "icl_regression.length_generalization";
  c.kind = Kind::statistical;
  c.source = std::string(kSource) +
             ", abstract (\"softmax attention readily generalizes to sequences longer than those seen during "
             "training\", \"compared to linear transformers\") (number not confirmed)";
  c.statement =
      "A softmax model trained at n = 40 keeps improving on longer prompts and follows the DGD risk curve with its "
      "learned step, while linear attention trained the same way degrades sharply.";
  c.criterion =
      "For n' in {80, 160}, over S seeds: upper t-bound of R(n')/R(40) <= 1.02 and upper t-bound of |R(n')/R_DGD(eta_hat; "
      "n') - 1| <= 0.08 (eta_hat = sum_h mu_h omega_h of each model).";
  c.control_name = "linear attention";
  c.control_description =
      "Linear attention, H = 1, quick recipe with lr 0.002, same data and length shift: R(80)/R(40) about 3.5, "
      "R(160)/R(40) about 27; must fail.";
  c.params = {
      int_param("seeds", "number of training seeds S", 4, 8, 2, 64),
      int_param("heads", "number of heads H of the softmax models", 4, 4, 2, 16),
      int_param("steps", "SGD steps T of the quick recipe", 3000, 3000, 10, 10000000),
      int_param("n_test", "test prompts per model and length", 100000, 200000, 1000, 100000000),
  };
  add_params(c.params, paper_params());  // full: the softmax models under the paper recipe; the linear control stays quick
  c.figures = {"length_generalization"};
  c.run = [](Context& ctx) {
    const int S = int(ctx.integer("seeds")), H = int(ctx.integer("heads"));
    Recipe soft = claim_recipe(ctx, use_paper(ctx), H), lin = quick_recipe(1, 0.1, 0, core::ScoreKind::linear);
    lin.T = ctx.integer("steps");
    std::vector<std::pair<Recipe, int>> jobs;
    for (const Recipe& r : {soft, lin})
      for (int s = 0; s < S; ++s) jobs.push_back({r, s});
    train_all(jobs, ctx.seed(), ctx.threads(), checkpoints(ctx));
    std::vector<std::shared_ptr<const Trained>> runs;
    std::vector<const core::AttentionModel*> models;
    for (const Recipe& r : {soft, lin})
      for (int s = 0; s < S; ++s) {
        runs.push_back(trained(r, s, ctx.seed()));
        models.push_back(&runs.back()->model);
      }
    std::vector<int> lengths = {40, 80, 160};
    if (ctx.full())
      for (int n = 10; n <= 320; n += 10)
        if (std::find(lengths.begin(), lengths.end(), n) == lengths.end()) lengths.push_back(n);
    const int d = soft.d;
    const double s2 = soft.s2;
    std::vector<std::vector<double>> rs(S, std::vector<double>(lengths.size())), rl = rs;
    std::vector<double> eta_s(S), eta_l(S);
    for (int s = 0; s < S; ++s) {
      eta_s[s] = pattern_metrics(runs[s]->model, d).eta_hat;
      eta_l[s] = pattern_metrics(runs[S + s]->model, d).eta_hat;
    }
    auto& t = ctx.csv("length_generalization.csv", {"model", "seed", "n_test", "risk", "risk_se", "eta_hat",
                                                    "predicted", "predicted_opt"});
    double worst40 = 0;
    for (size_t j = 0; j < lengths.size(); ++j) {
      const std::vector<Risk> r = test_risk(models, soft.task(lengths[j]), ctx.integer("n_test"), ctx.seed(), ctx.threads());
      for (int s = 0; s < S; ++s) {
        rs[s][j] = r[s].finite ? r[s].mean : std::nan("");
        rl[s][j] = r[S + s].finite ? r[S + s].mean : std::nan("");
        if (lengths[j] == 40) worst40 = std::max(worst40, rs[s][j]);
        t.row({"softmax", s, lengths[j], r[s].mean, r[s].se, eta_s[s], th::r_dgd(eta_s[s], lengths[j], d, s2),
               th::r_dgd(th::eta_dgd_opt(soft.n, d, s2), lengths[j], d, s2)});
        t.row({"linear", s, lengths[j], r[S + s].mean, r[S + s].se, eta_l[s], th::r_gd(eta_l[s], lengths[j], d, s2),
               th::r_gd(th::a_gd_opt(soft.n, d, s2), lengths[j], d, s2)});
      }
    }
    Outcome o;
    o.guard = Check::at_most(worst40, kGuardRisk * (1 + s2), "max over seeds of the softmax risk at n = 40");
    o.check = judge(rs, eta_s, lengths, d, s2, "");
    o.controls.push_back({"linear attention", judge(rl, eta_l, lengths, d, s2, " (linear attention)")});
    return o;
  };
  return c;
}

}  // namespace attnlab::exp::icl_regression

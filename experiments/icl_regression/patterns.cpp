// Claim 3, icl_regression.attention_patterns: after training (quick recipe, H = 4) every active
// head has KQ covariate block proportional to the identity, the same magnitude across active
// heads, an OV map that reads only the label, label weights that cancel in sum, both signs.
// Spec: shared/claims/icl_regression.md, "Pattern metrics", "Statistical rule" and "Claim 3".
#include "experiments/common/context.hpp"
#include "experiments/icl_regression/claims.hpp"
#include "experiments/icl_regression/models.hpp"
#include "experiments/icl_regression/recipes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

namespace attnlab::exp::icl_regression {

namespace {

constexpr double kRdiag = 0.95, kCv = 0.15, kRb = 0.2, kHom = 1.6, kRov = 0.95, kZ = 0.05;
constexpr double kGuardEta = 0.3;  // guard: every seed's effective step |eta_hat| >= 0.3 (trained)

struct SetResult {
  std::vector<PatternMetrics> pm;
  Check check;
  double min_eta = 0;
};

SetResult judge_set(const std::vector<std::shared_ptr<const Trained>>& runs, int d, const std::string& tag) {
  SetResult s;
  std::vector<double> rd, cv, rb, hom, rov, Z;
  bool split_all = true;
  int n_split = 0;
  s.min_eta = 1e300;
  for (const auto& r : runs) {
    const PatternMetrics pm = pattern_metrics(r->model, d);
    s.pm.push_back(pm);
    rd.push_back(pm.min_r_diag), cv.push_back(pm.max_cv), rb.push_back(pm.max_r_b), hom.push_back(pm.hom);
    rov.push_back(pm.min_r_ov), Z.push_back(pm.Z);
    split_all = split_all && pm.sign_split;
    n_split += pm.sign_split ? 1 : 0;
    s.min_eta = std::min(s.min_eta, std::abs(pm.eta_hat));
  }
  s.check = Check::all({Check::at_least(t_lower(rd), kRdiag, "lower t-bound of min r_diag" + tag),
                        Check::at_most(t_upper(cv), kCv, "upper t-bound of max cv" + tag),
                        Check::at_most(t_upper(rb), kRb, "upper t-bound of max r_b" + tag),
                        Check::at_most(t_upper(hom), kHom, "upper t-bound of hom" + tag),
                        Check::at_least(t_lower(rov), kRov, "lower t-bound of min r_OV" + tag),
                        Check::at_most(t_upper(Z), kZ, "upper t-bound of Z" + tag),
                        Check::equals(n_split, (long long)runs.size(), "seeds with a sign split" + tag)},
                       "pattern criteria" + tag);
  return s;
}

}  // namespace

Claim attention_patterns() {
  Claim c;
  c.id = "icl_regression.attention_patterns";
  c.kind = Kind::statistical;
  c.source = std::string(kSource) +
             ", abstract (diagonal-and-homogeneous KQ; last-entry-only and zero-sum OV; patterns emerge from random "
             "initialization) (number not confirmed)";
  c.statement =
      "After training, every active head has a key-query covariate block proportional to the identity, with the same "
      "magnitude across active heads, an output-value map that reads only the label, and the label weights of all "
      "heads cancel in sum with heads of both signs.";
  c.criterion =
      "Over S seeds (one-sided 95 % t-bounds on the across-seed mean): min r_diag >= 0.95, max cv <= 0.15, max r_b <= "
      "0.2, hom <= 1.6, min r_OV >= 0.95, Z <= 0.05; a sign split in every seed. Expected FAIL in quick mode at "
      "seed 1 (a finding, the threshold kept): the spec's r_b <= 0.2 is not met by the 4-seed t-bound in 23 % of the "
      "4-seed sets drawn from 16 seeds (per-seed max r_b 0.12-0.21, as the spec's own calibration, <= 0.203, "
      "allows), and seed 1's set is one of them (0.124, 0.184, 0.204, 0.149: bound 0.207); every other part holds.";
  c.expected = Verdict::FAIL;
  c.control_name = "H = 1";
  c.control_description =
      "(a) A single head cannot cancel its label mean: Z = 1, no sign split. (b) Anisotropic covariates Sigma_ij = "
      "0.5^|i-j| (same recipe): the KQ block follows Gamma*, diagonal ratio about 0.90 < 0.95. Both must fail.";
  c.params = {
      int_param("seeds", "number of training seeds S", 4, 8, 2, 64),
      int_param("heads", "number of heads H of the judged models", 4, 4, 2, 16),
      int_param("steps", "SGD steps T of the quick recipe", 3000, 30000, 10, 10000000),
      real_param("rho", "correlation of the anisotropic control", 0.5, 0.5, 0.05, 0.95),
      int_param("sweep", "1: also train H in {2, 4, 8} (judged: H >= 4; H = 2's emergence rate reported, not tested)",
                0, 1, 0, 1),
  };
  add_params(c.params, paper_params());
  c.figures = {"patterns_heatmaps", "patterns_metrics", "patterns_dynamics", "patterns_snapshots"};
  c.run = [](Context& ctx) {
    const int S = int(ctx.integer("seeds")), H = int(ctx.integer("heads"));
    const long T = ctx.integer("steps");
    const bool sweep = ctx.integer("sweep") == 1, paper = use_paper(ctx);
    Recipe main = quick_recipe(H), single = quick_recipe(1), aniso = quick_recipe(H, 0.1, ctx.real("rho"));
    main.T = single.T = aniso.T = T;
    // Full mode: quick recipe (T = steps) and paper recipe, each with H in {2, 4, 8} (sweep) or H.
    // Judged: every multi-head set with H >= 3 (the quick-mode set `main` first); H = 2 only
    // reported (spec: its emergence rate, the fraction of seeds with a sign split, is not tested).
    std::vector<int> hs = {H};
    if (sweep)
      for (int h : {2, 4, 8})
        if (h != H) hs.push_back(h);
    struct Set {
      std::string name;
      Recipe recipe;
      bool judged;
    };
    std::vector<Set> extra;  // after the quick-mode sets, in this order
    for (int h : hs)
      if (h != H) {
        Recipe r = quick_recipe(h);
        r.T = T;
        extra.push_back({"isotropic", r, h >= 3});
      }
    if (paper)
      for (int h : hs) extra.push_back({"paper", claim_recipe(ctx, true, h), h >= 3});
    std::vector<std::pair<Recipe, int>> jobs;
    for (const Recipe& r : {main, single, aniso})
      for (int s = 0; s < S; ++s) jobs.push_back({r, s});
    for (const Set& e : extra)
      for (int s = 0; s < S; ++s) jobs.push_back({e.recipe, s});
    train_all(jobs, ctx.seed(), ctx.threads(), checkpoints(ctx));
    auto runs = [&](const Recipe& r) {
      std::vector<std::shared_ptr<const Trained>> v;
      for (int s = 0; s < S; ++s) v.push_back(trained(r, s, ctx.seed()));
      return v;
    };
    const int d = main.d, D = d + 1;
    const auto rm = runs(main), r1 = runs(single), ra = runs(aniso);
    const SetResult sm = judge_set(rm, d, ""), s1 = judge_set(r1, d, " (H = 1)"), sa = judge_set(ra, d, " (aniso)");
    std::vector<std::vector<std::shared_ptr<const Trained>>> rx;
    std::vector<SetResult> sx;
    for (const Set& e : extra) {
      rx.push_back(runs(e.recipe));
      sx.push_back(judge_set(rx.back(), d, fmt::format(" ({} H = {})", e.name == "paper" ? "paper recipe" : "quick recipe", e.recipe.H)));
    }

    auto& th = ctx.csv("patterns_heads.csv", {"model", "H", "seed", "head", "omega", "mu", "c", "active", "r_diag",
                                              "cv", "r_b", "r_ov"});
    auto& ts = ctx.csv("patterns_seeds.csv", {"model", "H", "seed", "min_r_diag", "max_cv", "max_r_b", "hom",
                                              "min_r_ov", "Z", "sign_split", "eta_hat", "n_active", "train_loss",
                                              "train_s"});
    auto& tm = ctx.csv("patterns_matrices.csv", {"model", "H", "seed", "step", "head", "matrix", "row", "col", "value"});
    auto& td = ctx.csv("patterns_dynamics.csv", {"model", "H", "seed", "step", "head", "omega", "mu"});
    std::vector<std::pair<std::string, std::pair<const SetResult*, const std::vector<std::shared_ptr<const Trained>>*>>>
        sets = {{"isotropic", {&sm, &rm}}, {"single", {&s1, &r1}}, {"anisotropic", {&sa, &ra}}};
    for (size_t i = 0; i < extra.size(); ++i) sets.push_back({extra[i].name, {&sx[i], &rx[i]}});
    for (const auto& [name, pr] : sets) {
      const auto& sr = *pr.first;
      const auto& rs = *pr.second;
      for (int s = 0; s < S; ++s) {
        const PatternMetrics& pm = sr.pm[s];
        const int Hs = rs[s]->recipe.H;
        const long Ts = rs[s]->recipe.T;
        for (int h = 0; h < Hs; ++h) {
          const HeadMetrics& hm = pm.heads[h];
          th.row({name, Hs, s, h, hm.omega, hm.mu, hm.c, hm.active, hm.r_diag, hm.cv, hm.r_b, hm.r_ov});
        }
        ts.row({name, Hs, s, pm.min_r_diag, pm.max_cv, pm.max_r_b, pm.hom, pm.min_r_ov, pm.Z, pm.sign_split,
                pm.eta_hat, pm.n_active, rs[s]->final_train_loss, rs[s]->seconds});
        for (const Snapshot& sn : rs[s]->snaps) {
          for (int h = 0; h < Hs; ++h)
            td.row({name, Hs, s, sn.step, h, sn.KQ.block(h * D, 0, d, d).trace() / d, sn.OV(h, d)});
          const bool keep = s == 0 && (sn.step == 1 || sn.step == Ts / 10 || sn.step == Ts);
          if (!keep) continue;
          for (int h = 0; h < Hs; ++h) {
            for (int i = 0; i < D; ++i)
              for (int j = 0; j < D; ++j) tm.row({name, Hs, s, sn.step, h, "KQ", i, j, sn.KQ(h * D + i, j)});
            for (int j = 0; j < D; ++j) tm.row({name, Hs, s, sn.step, h, "OV", 0, j, sn.OV(h, j)});
          }
        }
      }
    }
    // Full mode: the emergence rate of every multi-head set (H = 2's is the spec's reported number).
    std::vector<Check> judged = {sm.check};
    double min_eta = sm.min_eta;
    if (!extra.empty()) {
      auto& te = ctx.csv("patterns_emergence.csv", {"model", "H", "seeds", "sign_split_seeds", "emergence_rate",
                                                    "judged", "check_holds"});
      te.row({"isotropic", H, S, std::count_if(sm.pm.begin(), sm.pm.end(), [](const PatternMetrics& p) { return p.sign_split; }),
              double(std::count_if(sm.pm.begin(), sm.pm.end(), [](const PatternMetrics& p) { return p.sign_split; })) / S,
              true, sm.check.holds});
      for (size_t i = 0; i < extra.size(); ++i) {
        const long k = std::count_if(sx[i].pm.begin(), sx[i].pm.end(), [](const PatternMetrics& p) { return p.sign_split; });
        te.row({extra[i].name, extra[i].recipe.H, S, k, double(k) / S, extra[i].judged, sx[i].check.holds});
        if (extra[i].judged) {
          judged.push_back(sx[i].check);
          min_eta = std::min(min_eta, sx[i].min_eta);
        }
      }
    }
    Outcome o;
    o.guard = Check::at_least(min_eta, kGuardEta, "min over seeds of |eta_hat| (models trained)");
    o.check = judged.size() == 1 ? sm.check : Check::all(judged, "pattern criteria of every judged set (H >= 3, both recipes)");
    o.controls.push_back({"H = 1", s1.check});
    o.controls.push_back({"anisotropic covariates rho = 0.5", sa.check});
    return o;
  };
  return c;
}

}  // namespace attnlab::exp::icl_regression

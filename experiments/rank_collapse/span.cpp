// Claim 7, rank_collapse.attention_span_invariance: attention-only stacks keep every token in the subspace S_L
// generated from row(X) by the value/output maps; a residual ReLU MLP leaves it.
// Spec: shared/claims/rank_collapse.md, "Claim 7".
#include "experiments/common/context.hpp"
#include "experiments/rank_collapse/claims.hpp"
#include "experiments/rank_collapse/settings.hpp"
#include "theory/rank_collapse.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace attnlab::exp::rank_collapse {

namespace {

using core::MatrixXd;

struct SpanSetting {
  std::string name;
  int n, d, r, H, L;
  bool skip, identity_W;
};

struct SpanResult {
  std::vector<double> escape, escape_mlp;  // per layer 1..L
  std::vector<int> dim;                    // dim S_l, l = 0..L
  bool amb = false;
};

SpanResult span_trial(const Context& ctx, const SpanSetting& s, int trial) {
  auto rng = shared_rng(ctx, "span/" + s.name, trial);
  const int n = s.n, d = s.d;
  const double ws = 1.0 / std::sqrt(double(d));
  const MatrixXd X = rng.normal_matrix(n, s.r) * rng.normal_matrix(s.r, d);
  std::vector<core::Block<double>> blocks(s.L);
  std::vector<std::vector<MatrixXd>> W(s.L);
  for (int l = 0; l < s.L; ++l) {
    auto& b = blocks[l];
    for (int h = 0; h < s.H; ++h) {
      core::AttnHead<double> hd;
      hd.WQ = rng.normal_matrix(d, d, ws);
      hd.WK = rng.normal_matrix(d, d, ws);
      hd.WV = s.identity_W ? MatrixXd(MatrixXd::Identity(d, d)) : rng.normal_matrix(d, d, ws);
      W[l].push_back(hd.merged());
      b.attn.heads.push_back(std::move(hd));
    }
    b.skip = s.skip;
    b.f.W1 = rng.normal_matrix(d, 4 * d, ws);
    b.f.W2 = rng.normal_matrix(4 * d, d, 1.0 / std::sqrt(4.0 * d));
    b.f.b1 = rng.normal_vector(4 * d);
  }
  // Predicted subspaces (from row(X) and the value/output maps only).
  core::RankDecision dec;
  const MatrixXd B0 = core::row_space_basis(X, &dec);
  SpanResult out;
  out.amb = dec.ambiguous;
  const std::vector<MatrixXd> bases = theory::cirrincione2026::attention_span_bases(B0, W, s.skip);
  for (const auto& B : bases) out.dim.push_back(int(B.cols()));
  // Attention-only stack and the control (residual MLP X' = Y + f(Y) after every attention layer).
  auto with_mlp = blocks;
  for (auto& b : with_mlp) b.mlp = true;
  const auto xs = core::stack_forward<double>(blocks, X);
  const auto xm = core::stack_forward<double>(with_mlp, X);
  for (int l = 1; l <= s.L; ++l) {
    const MatrixXd& Q = bases[l];
    auto esc = [&](const MatrixXd& Y) { return (Y - Y * Q * Q.transpose()).norm() / Y.norm(); };
    out.escape.push_back(esc(xs[l]));
    out.escape_mlp.push_back(esc(xm[l]));
  }
  return out;
}

}  // namespace

Claim attention_span_invariance() {
  Claim c;
  c.id = "rank_collapse.attention_span_invariance";
  c.kind = Kind::identity;
  c.source = std::string(kSourceC) + ", second result (only the MLP creates feature directions outside the span of "
             "the input embeddings); " + kSourceD + ", Theorem 2.1 (path decomposition)";
  c.statement = "Every token produced by a stack of attention layers (any heads, skips, depth) lies in the subspace "
                "generated from the input tokens' span by the value/output maps alone; an MLP produces components "
                "outside it.";
  c.criterion = "In every trial the escape e = ||X^L - X^L Q Q^T||_F / ||X^L||_F <= 1000 eps_mach L, with Q an "
                "orthonormal basis of the predicted S_L, and dim S_L < d (otherwise the trial is vacuous).";
  c.interpretation = true;
  c.interpretation_note = "'Span' read as the subspace S_L of the recursion S_l = S_{l-1} (+ skip) + sum_h S_{l-1} W_h, "
                          "which reduces to row(X) for pure token mixing (W_h = I). No biases or LN.";
  c.control_name = "with_mlp";
  c.control_description = "A residual ReLU MLP (width 4d, biases) after every attention layer, S_L still from the "
                          "attention weights only: e ~ 0.7-1.";
  c.params = {int_param("seeds", "seeds per setting", 10, 30, 1, 10000),
              int_param("d",
                        "features d of every setting (the input has rank r = 2 quick, 4 full; with skips and generic "
                        "value maps dim S_l doubles per layer, and a trial with dim S_L = d is vacuous)",
                        64, 768, 2, 8192)};
  c.figures = {"attention_span"};
  c.run = [](Context& ctx) {
    const int nt = std::max(1, ctx.threads());
    const int seeds = int(ctx.integer("seeds"));
    std::vector<SpanSetting> settings;
    if (ctx.quick()) {
      settings = {{"a_generic_skip", 16, 64, 2, 1, 3, true, false},
                  {"b_token_mixing", 16, 64, 2, 3, 6, true, true},
                  {"c_generic_noskip", 16, 64, 2, 1, 3, false, false}};
    } else {
      settings = {{"full_H1_L4", 128, 768, 4, 1, 4, true, false},
                  {"full_H2_L4", 128, 768, 4, 2, 4, true, false},
                  {"full_mixing_H2_L4", 128, 768, 4, 2, 4, true, true}};
    }
    for (auto& st : settings) st.d = int(ctx.integer("d"));
    struct Job {
      int s, t;
    };
    std::vector<Job> jobs;
    for (int s = 0; s < int(settings.size()); ++s)
      for (int t = 0; t < seeds; ++t) jobs.push_back({s, t});
    std::vector<SpanResult> res(jobs.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (int j = 0; j < int(jobs.size()); ++j) res[j] = span_trial(ctx, settings[jobs[j].s], jobs[j].t);
    Table& t = ctx.csv("attention_span.csv", {"setting", "trial", "layer", "dim_S", "d", "escape", "escape_mlp", "tolerance"});
    const double eps = std::numeric_limits<double>::epsilon();
    double worst_margin = -std::numeric_limits<double>::infinity(), worst_e = 0, worst_tol = 0;
    double ctl_worst = -std::numeric_limits<double>::infinity(), ctl_min = 1e300;
    long long vacuous = 0, amb = 0;
    double min_norm_ok = 1;
    for (size_t j = 0; j < jobs.size(); ++j) {
      const auto& s = settings[jobs[j].s];
      const auto& r = res[j];
      const double tol = 1000 * eps * s.L;
      for (int l = 1; l <= s.L; ++l)
        t.row({s.name, jobs[j].t, l, r.dim[l], s.d, r.escape[l - 1], r.escape_mlp[l - 1], 1000 * eps * l});
      const double e = r.escape.back(), em = r.escape_mlp.back();
      if (e / tol > worst_margin) {
        worst_margin = e / tol;
        worst_e = e;
        worst_tol = tol;
      }
      ctl_worst = std::max(ctl_worst, em / tol);
      ctl_min = std::min(ctl_min, em);
      vacuous += r.dim.back() >= s.d;
      amb += r.amb;
    }
    (void)min_norm_ok;
    Outcome o;
    o.guard = Check::all({Check::equals(vacuous, 0, "vacuous trials (dim S_L = d)"),
                          Check::equals(amb, 0, "ambiguous rank decisions of row(X)")});
    o.check = Check::custom(worst_margin <= 1, worst_e, worst_tol, 1 - worst_margin,
                            fmt::format("worst escape e = {:.3g} (tolerance 1000 eps L = {:.3g}) over {} trials", worst_e,
                                        worst_tol, jobs.size()));
    o.controls.push_back({"with_mlp", Check::custom(ctl_worst <= 1, ctl_min, worst_tol, 1 - ctl_worst,
                                                    fmt::format("with residual MLP: min escape e = {:.3g}", ctl_min))});
    return o;
  };
  return c;
}

}  // namespace attnlab::exp::rank_collapse

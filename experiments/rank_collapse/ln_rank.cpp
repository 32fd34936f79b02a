// Claims 5 and 6: LayerNorm and rank. Claim 5, rank_collapse.ln_matrix_rank_neutral: zero-bias LN keeps
// the matrix rank when 1_d is not in row(X). Claim 6, rank_collapse.ln_affine_rank_neutral (expected FAIL):
// LN keeps the affine rank of any token set -- refuted for affine subspaces off the origin, rays and n > d.
// Spec: shared/claims/rank_collapse.md, "Claim 5", "Claim 6".
#include "experiments/common/context.hpp"
#include "experiments/rank_collapse/claims.hpp"
#include "experiments/rank_collapse/settings.hpp"
#include "theory/rank_collapse.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace attnlab::exp::rank_collapse {

namespace {

using core::MatrixXd;
using core::VectorXd;

core::LayerNorm<double> random_ln(core::PhiloxStream& rng, int d, bool bias, double eps) {
  core::LayerNorm<double> ln;
  ln.eps = eps;
  ln.g = VectorXd(d);
  for (int j = 0; j < d; ++j) {
    double g = 0;
    do g = 1.0 + 0.3 * rng.normal();
    while (std::fabs(g) < 1e-3);  // nonzero gains (redraw from the same stream)
    ln.g(j) = g;
  }
  if (bias) ln.b = rng.normal_vector(d);
  return ln;
}

// ---------------------------------------------------------------- claim 5

struct MatTrial {
  int n, d, k, offset, trial;
  int rank_x = 0, rank_ln = 0, rank_exact = 0, rank_bias = 0, redraws = 0;
  bool amb = false, amb_bias = false;
};

MatTrial matrix_trial(const Context& ctx, int n, int d, int k, int offset, int trial, double scale) {
  MatTrial r{n, d, k, offset, trial};
  auto rng = shared_rng(ctx, fmt::format("ln_matrix/n{}d{}k{}o{}", n, d, k, offset), trial);
  MatrixXd X;
  for (;;) {  // reject the measure-zero draw with 1_d in row(X)
    X = rng.normal_matrix(n, k) * rng.normal_matrix(k, d);
    if (offset) X.rowwise() += rng.normal_vector(d).transpose();
    MatrixXd Xa(n + 1, d);
    Xa << X, MatrixXd::Ones(1, d);
    if (core::rank_decision(Xa).rank == core::rank_decision(X).rank + 1) break;
    ++r.redraws;
  }
  if (scale != 1) X *= scale;  // after the redraw test, which is scale-free (and holds for X = 0)
  const core::LayerNorm<double> ln0 = random_ln(rng, d, false, 1e-5);
  core::LayerNorm<double> lnb = ln0;
  lnb.b = rng.normal_vector(d);
  const core::RankDecision a = core::rank_decision(X), b = core::rank_decision(ln0.apply(X)),
                           e = theory::cirrincione2026::ln_zero_bias_rank(X), c = core::rank_decision(lnb.apply(X));
  r.rank_x = a.rank;
  r.rank_ln = b.rank;
  r.rank_exact = e.rank;
  r.rank_bias = c.rank;
  r.amb = a.ambiguous || b.ambiguous;
  r.amb_bias = a.ambiguous || c.ambiguous;
  return r;
}

// ---------------------------------------------------------------- claim 6

// Families: 'a' generic n = 8; 'b' r-dim affine subspace off the origin; 'c' the same with offset along 1_d
// (feature-centred version through the origin); 'd' a ray; 'e' generic with n = d + 8 > d.
struct AffTrial {
  char family;
  int n, d, r, trial;
  int aff_x = 0, aff_ln = 0, exact = 0, aff_tanh = 0;
  bool amb = false, amb_exact = false;
  double gap_lo = 0, gap_hi = 0;
};

MatrixXd family_tokens(char fam, int n, int d, int r, core::PhiloxStream& rng) {
  switch (fam) {
    case 'a':
    case 'e': return rng.normal_matrix(n, d);
    case 'b': {
      MatrixXd X = rng.normal_matrix(n, r) * rng.normal_matrix(r, d);
      X.rowwise() += rng.normal_vector(d).transpose();  // generic offset: not through the (centred) origin
      return X;
    }
    case 'c': {
      MatrixXd T;
      for (;;) {  // for r = 1 the coefficients must take both signs (else this is a ray)
        T = rng.normal_matrix(n, r);
        if (r > 1 || (T.maxCoeff() > 0 && T.minCoeff() < 0)) break;
      }
      MatrixXd X = T * rng.normal_matrix(r, d);
      X.array() += 2.0 * rng.normal();  // offset kappa 1_d: X Pi_d = T B Pi_d passes through the origin
      return X;
    }
    case 'd': {
      const VectorXd w = rng.normal_vector(d);
      MatrixXd X(n, d);
      for (int i = 0; i < n; ++i) X.row(i) = rng.uniform(0.2, 3.0) * w.transpose();
      return X;
    }
  }
  throw std::logic_error("family_tokens: unknown family");
}

AffTrial affine_trial(const Context& ctx, char fam, int d, int trial, int n_generic) {
  const int n = fam == 'a' ? n_generic : fam == 'e' ? d + 8 : 12;
  const int r = (fam == 'b' || fam == 'c') ? 1 + trial % 3 : fam == 'd' ? 1 : std::min(n - 1, d);
  AffTrial out{fam, n, d, r, trial};
  auto rng = shared_rng(ctx, fmt::format("ln_affine/{}/d{}", fam, d), trial);
  const MatrixXd X = family_tokens(fam, n, d, r, rng);
  const core::LayerNorm<double> ln = random_ln(rng, d, true, 0.0);
  const core::RankDecision ax = core::affine_rank(X), al = core::affine_rank(ln.apply(X));
  out.aff_x = ax.rank;
  out.aff_ln = al.rank;
  out.amb = ax.ambiguous || al.ambiguous;
  out.gap_lo = al.gap_lo;
  out.gap_hi = al.gap_hi;
  out.exact = theory::cirrincione2026::ln_affine_rank_exact(X, 0.0, &out.amb_exact);
  if (fam == 'b' || fam == 'd') out.aff_tanh = core::affine_rank(MatrixXd(X.array().tanh())).rank;
  return out;
}

}  // namespace

Claim ln_matrix_rank_neutral() {
  Claim c;
  c.id = "rank_collapse.ln_matrix_rank_neutral";
  c.kind = Kind::identity;
  c.source = std::string(kSourceC) + ", first result (zero-bias LN keeps the matrix rank); theorem number not confirmed";
  c.statement = "Zero-bias LayerNorm with nonzero gains leaves the matrix rank of the token matrix unchanged whenever "
                "the all-ones feature vector is not in its row space.";
  c.criterion = "rank(LN_{b=0}(X)) = rank(X) in every trial (tol 1e-9), both rank decisions unambiguous (sigma_k / "
                "sigma_1 >= 1e-6, sigma_{k+1} / sigma_1 <= 1e-12).";
  c.interpretation = true;
  c.interpretation_note = "Stated with the condition 1_d not in row(X), which a proof needs: otherwise rank(LN_{b=0}(X)) = "
                          "rank(X Pi_d) = rank(X) - 1 (exact formula, recorded as a diagnostic).";
  c.control_name = "nonzero_bias";
  c.control_description = "LN with a generic bias b ~ N(0, 1): the added 1 b^T raises the rank by one.";
  c.params = {int_param("trials", "trials per (n, d, k, offset) cell (half of the spec's 20 per k each)", 10, 25, 1, 100000),
              real_param("input_scale",
                         "scale s of every token matrix, X -> s X after its draw (LN is scale-invariant up to its "
                         "eps = 1e-5, so a small s probes eps; s = 0: every token zero, rank 0)",
                         1, 1, 0, 1e6)};
  c.figures = {"ln_rank"};
  c.run = [](Context& ctx) {
    const int nt = std::max(1, ctx.threads());
    const int trials = int(ctx.integer("trials"));
    const double scale = ctx.real("input_scale");
    struct Cell {
      int n, d, k, off, t;
    };
    std::vector<Cell> cells;
    const std::vector<std::pair<int, int>> nd = ctx.quick() ? std::vector<std::pair<int, int>>{{12, 16}, {16, 64}}
                                                            : std::vector<std::pair<int, int>>{{16, 64}, {128, 256}, {512, 768}};
    for (auto [n, d] : nd)
      for (int k : {1, 2, 3, 5, 8})
        for (int off : {0, 1})
          for (int t = 0; t < trials; ++t) cells.push_back({n, d, k, off, t});
    std::vector<MatTrial> res(cells.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (int i = 0; i < int(cells.size()); ++i)
      res[i] = matrix_trial(ctx, cells[i].n, cells[i].d, cells[i].k, cells[i].off, cells[i].t, scale);
    Table& t = ctx.csv("ln_rank_matrix.csv", {"n", "d", "k", "offset", "trial", "rank_x", "rank_ln", "rank_exact",
                                              "rank_ln_bias", "ambiguous", "redraws"});
    long long bad = 0, amb = 0, bad_b = 0, amb_b = 0, exact_mismatch = 0;
    int min_rank = 1 << 30;
    for (const auto& r : res) {
      t.row({r.n, r.d, r.k, r.offset, r.trial, r.rank_x, r.rank_ln, r.rank_exact, r.rank_bias, r.amb, r.redraws});
      bad += r.rank_ln != r.rank_x;
      amb += r.amb;
      bad_b += r.rank_bias != r.rank_x;
      amb_b += r.amb_bias;
      exact_mismatch += r.rank_exact != r.rank_ln;
      min_rank = std::min(min_rank, r.rank_x);
    }
    Outcome o;
    o.guard = Check::at_least(min_rank, 1, "min rank(X) (a nonzero rank to keep)");
    if (!o.guard.holds) {  // a rank-0 input: nothing to keep, the ranks are not judged
      o.check = Check::custom(false, min_rank, 1, -1, "not evaluated (degenerate setting)");
      o.controls.push_back({"nonzero_bias", o.check});
      return o;
    }
    o.check = Check::all({Check::equals(bad, 0, "trials with rank(LN_{b=0}(X)) != rank(X)"),
                          Check::equals(amb, 0, "ambiguous rank decisions")});
    o.check.reason += fmt::format("; diagnostic: exact formula rank(X Pi_d) mismatches in {} of {} trials", exact_mismatch,
                                  res.size());
    o.controls.push_back({"nonzero_bias", Check::all({Check::equals(bad_b, 0, "trials with rank(LN_b(X)) != rank(X)"),
                                                      Check::equals(amb_b, 0, "ambiguous rank decisions")})});
    return o;
  };
  return c;
}

Claim ln_affine_rank_neutral() {
  Claim c;
  c.id = "rank_collapse.ln_affine_rank_neutral";
  c.kind = Kind::identity;
  c.source = std::string(kSourceC) + ", first result (LayerNorm is exactly neutral for the affine rank); definition of "
             "affine rank not confirmed";
  c.statement = "For any token set, LayerNorm (any bias, nonzero gains) leaves the dimension of the affine hull of the "
                "tokens unchanged.";
  c.criterion = "aff(LN(X)) = aff(X) in every trial of every family (a generic n = 8; b r-dim affine subspace off the "
                "origin; c the same with offset along 1_d; d a ray; e generic n = d + 8 > d), rank decisions "
                "unambiguous (tol 1e-9 relative to sigma_max of the uncentred matrix).";
  c.interpretation = true;
  c.interpretation_note =
      "Affine rank read as the dimension of the affine hull, rank(C_n X). Expected FAIL (refuted): the exact formula "
      "aff(LN(X)) = rank(X Pi_d) - [s in col(X Pi_d)] predicts equality for families a and c only; b goes r -> r+1, "
      "d goes 1 -> 0 (LN is scale-invariant per token), e goes d -> d-1.";
  c.expected = Verdict::FAIL;
  c.control_name = "tanh_instead_of_ln";
  c.control_description = "Elementwise tanh in place of LN on families b and d: the image of a line, plane or ray is "
                          "curved, the affine rank rises far above r.";
  c.params = {int_param("trials", "trials per family", 20, 100, 3, 100000),
              int_param("n_generic", "tokens n of the generic family a (aff(X) = min(n - 1, d))", 8, 8, 1, 4096)};
  c.figures = {"ln_rank"};
  c.run = [](Context& ctx) {
    const int nt = std::max(1, ctx.threads());
    const int trials = int(ctx.integer("trials")), n_generic = int(ctx.integer("n_generic"));
    const std::vector<int> ds = ctx.quick() ? std::vector<int>{16} : std::vector<int>{64, 768};
    const std::string fams = "abcde";
    struct Job {
      char f;
      int d, t;
    };
    std::vector<Job> jobs;
    for (int d : ds)
      for (char f : fams)
        for (int t = 0; t < trials; ++t) jobs.push_back({f, d, t});
    std::vector<AffTrial> res(jobs.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (int i = 0; i < int(jobs.size()); ++i) res[i] = affine_trial(ctx, jobs[i].f, jobs[i].d, jobs[i].t, n_generic);
    Table& t = ctx.csv("ln_rank_affine.csv", {"family", "n", "d", "r", "trial", "aff_x", "aff_ln", "aff_exact",
                                              "aff_tanh", "ambiguous", "exact_ambiguous", "gap_lo", "gap_hi"});
    std::map<std::string, std::pair<int, int>> eq;  // "d/family" -> (equal, total)
    long long bad = 0, amb = 0, exact_mismatch = 0, exact_amb = 0, tanh_bad = 0, min_aff = 1 << 30;
    for (const auto& r : res) {
      t.row({std::string(1, r.family), r.n, r.d, r.r, r.trial, r.aff_x, r.aff_ln, r.exact, r.aff_tanh, r.amb,
             r.amb_exact, r.gap_lo, r.gap_hi});
      auto& e = eq[fmt::format("d{}/{}", r.d, r.family)];
      e.first += r.aff_ln == r.aff_x;
      e.second += 1;
      bad += r.aff_ln != r.aff_x;
      amb += r.amb;
      exact_mismatch += r.exact != r.aff_ln;
      exact_amb += r.amb_exact;
      if (r.family == 'b' || r.family == 'd') tanh_bad += r.aff_tanh != r.aff_x;
      min_aff = std::min<long long>(min_aff, r.aff_x);
    }
    std::string counts;
    for (const auto& [k, v] : eq) counts += fmt::format("{}{} {}/{}", counts.empty() ? "" : ", ", k, v.first, v.second);
    Outcome o;
    o.guard = Check::all({Check::at_least(double(min_aff), 1.0, "min aff(X)"),
                          Check::equals(exact_mismatch, 0, "trials where the exact formula misses aff(LN(X))"),
                          Check::equals(exact_amb, 0, "ambiguous exact-formula rank decisions")});
    o.check = Check::all({Check::equals(bad, 0, "trials with aff(LN(X)) != aff(X)"),
                          Check::equals(amb, 0, "ambiguous affine-rank decisions")});
    o.check.reason = "per-family aff(LN(X)) = aff(X) counts: " + counts + "; " + o.check.reason;
    o.controls.push_back({"tanh_instead_of_ln", Check::equals(tanh_bad, 0, "families b, d: trials with aff(tanh(X)) != aff(X)")});
    return o;
  };
  return c;
}

}  // namespace attnlab::exp::rank_collapse

// Claims 6-8 of nw_ensemble: the optimal split of a width budget D = H d_k (claim 6), d_k* growing
// like log n (claim 7) and H* growing nearly linearly in D (claim 8), on this suite's allocation
// model (Interpretation): disjoint coordinate-block heads, f = (lambda/D)||x||^2, fixed per-coordinate
// bandwidth h, x0 = 0. Measured: two heads on blocks [0, d_k) and [d_k, 2 d_k), design-exact b, v, c,
// composed to MSE(d_k) = b^2 + v d_k/D + (1 - d_k/D) c. Spec: shared/claims/nw_ensemble.md, claims 6-8.
#include "core/kernel_regression.hpp"
#include "core/stats.hpp"
#include "experiments/common/context.hpp"
#include "experiments/nw_ensemble/claims.hpp"
#include "experiments/nw_ensemble/testbed.hpp"
#include "theory/nw_ensemble.hpp"

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <limits>

namespace attnlab::exp::nw_ensemble {

namespace th = theory::nw_ensemble;

namespace {

constexpr double kBw = 0.3, kLam = 0.25, kSigma = 1.0;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double fixed_h(int) { return kBw; }
double unit_gain_h(int dk) { return th::bandwidth_from_gain(dk, 1.0); }

// Per grid point g and design r: m1, m2 (w_a^T f), N11, N22, N12 (w_a^T w_c, sigma = 1).
struct AllocData {
  int D = 0, n = 0, R = 0;
  std::vector<int> dks;
  std::vector<std::vector<double>> m1, m2, N11, N22, N12;
};

// One configuration simulated on a set of designs: its d_k grid, bandwidth rule and head layout
// (aligned: head 2 = head 1 on block [0, d_k)).
struct Variant {
  std::vector<int> dks;
  std::function<double(int)> h_of;
  bool aligned = false;
};

// Designs r = 0..R-1 from streams offset + r of family "design", shared by every variant (the
// main setting and its control see the same designs: common random numbers).
std::vector<AllocData> simulate_multi(const Context& ctx, std::uint64_t offset, int D, int n, int R,
                                      const std::vector<Variant>& vars) {
  std::vector<AllocData> out(vars.size());
  int maxc = 0;
  for (size_t k = 0; k < vars.size(); ++k) {
    AllocData& a = out[k];
    a.D = D;
    a.n = n;
    a.R = R;
    a.dks = vars[k].dks;
    for (auto* v : {&a.m1, &a.m2, &a.N11, &a.N22, &a.N12})
      v->assign(a.dks.size(), std::vector<double>(static_cast<size_t>(R)));
    for (int dk : a.dks) maxc = std::max(maxc, vars[k].aligned ? dk : 2 * dk);
  }
  if (maxc > D) throw std::invalid_argument("allocation: grid exceeds the budget");
  const int nt = std::max(1, ctx.threads());
#pragma omp parallel for schedule(dynamic) num_threads(nt)
  for (int r = 0; r < R; ++r) {
    core::PhiloxStream rng = ctx.rng("design", offset + std::uint64_t(r));
    MatrixXd pre(n, maxc + 1);
    VectorXd f(n);
    for (int i = 0; i < n; ++i) {
      double s = 0;
      pre(i, 0) = 0;
      for (int j = 0; j < D; ++j) {
        const double x = rng.normal();
        s += x * x;
        if (j < maxc) pre(i, j + 1) = s;
      }
      f(i) = (kLam / D) * s;
    }
    for (size_t k = 0; k < vars.size(); ++k) {
      AllocData& a = out[k];
      for (size_t g = 0; g < a.dks.size(); ++g) {
        const int dk = a.dks[g];
        const double h = vars[k].h_of(dk);
        const VectorXd w1 = core::stable_weights(-pre.col(dk) / (2 * h * h));
        const VectorXd w2 =
            vars[k].aligned ? w1 : core::stable_weights(-(pre.col(2 * dk) - pre.col(dk)) / (2 * h * h));
        const size_t rr = size_t(r);
        a.m1[g][rr] = w1.dot(f);
        a.m2[g][rr] = w2.dot(f);
        a.N11[g][rr] = w1.squaredNorm();
        a.N22[g][rr] = w2.squaredNorm();
        a.N12[g][rr] = w1.dot(w2);
      }
    }
  }
  return out;
}

// Direct multi-head cross-check: H = D/d_k real heads on all D/d_k disjoint blocks, uniform alpha,
// design-exact per-design error (alpha^T m_r)^2 + sigma^2 ||sum_a alpha_a w_a||^2 on the same designs.
std::vector<double> direct_mha_errors(const Context& ctx, std::uint64_t offset, int D, int n, int R, int dk,
                                      double sigma = kSigma) {
  if (D % dk != 0) throw std::invalid_argument("direct MHA: D/d_k must be an integer");
  const int H = D / dk;
  std::vector<double> err(static_cast<size_t>(R));
  const int nt = std::max(1, ctx.threads());
#pragma omp parallel for schedule(dynamic) num_threads(nt)
  for (int r = 0; r < R; ++r) {
    core::PhiloxStream rng = ctx.rng("design", offset + std::uint64_t(r));
    MatrixXd blk(n, H);  // squared norm of each block
    VectorXd f(n);
    for (int i = 0; i < n; ++i) {
      double s = 0;
      for (int a = 0; a < H; ++a) {
        double q = 0;
        for (int j = 0; j < dk; ++j) {
          const double x = rng.normal();
          q += x * x;
        }
        blk(i, a) = q;
        s += q;
      }
      f(i) = (kLam / D) * s;
    }
    VectorXd wbar = VectorXd::Zero(n);
    double mbar = 0;
    for (int a = 0; a < H; ++a) {
      const VectorXd w = core::stable_weights(-blk.col(a) / (2 * kBw * kBw));
      wbar += w / H;
      mbar += w.dot(f) / H;
    }
    err[size_t(r)] = mbar * mbar + sigma * sigma * wbar.squaredNorm();
  }
  return err;
}

struct Terms {
  double b = 0, v = 0, c = 0, mse = 0;
};
// sigma: the noise level of y = f(x) + sigma eps (the spec's kSigma = 1 unless a claim overrides it).
Terms compose(const AllocData& a, size_t g, const std::vector<int>& idx, double sigma = kSigma) {
  Terms t;
  const double b1 = sel_mean(a.m1[g], idx), b2 = sel_mean(a.m2[g], idx);
  const double v1 = sel_cov(a.m1[g], a.m1[g], idx) + sigma * sigma * sel_mean(a.N11[g], idx);
  const double v2 = sel_cov(a.m2[g], a.m2[g], idx) + sigma * sigma * sel_mean(a.N22[g], idx);
  t.b = 0.5 * (b1 + b2);  // f(x0) = 0
  t.v = 0.5 * (v1 + v2);
  t.c = sel_cov(a.m1[g], a.m2[g], idx) + sigma * sigma * sel_mean(a.N12[g], idx);
  const double H = double(a.D) / a.dks[g];
  t.mse = th::composed_mse(t.b, t.v, t.c, H);
  return t;
}
std::vector<double> curve(const AllocData& a, const std::vector<int>& idx, double sigma = kSigma) {
  std::vector<double> y;
  for (size_t g = 0; g < a.dks.size(); ++g) y.push_back(compose(a, g, idx, sigma).mse);
  return y;
}
std::vector<double> as_x(const std::vector<int>& dks) { return std::vector<double>(dks.begin(), dks.end()); }
core::Vertex vertex_of(const AllocData& a, const std::vector<int>& idx, double sigma = kSigma) {
  return core::parabolic_vertex(as_x(a.dks), curve(a, idx, sigma));
}

std::vector<int> grid(int lo, int hi) {
  std::vector<int> g;
  for (int k = lo; k <= hi; ++k) g.push_back(k);
  return g;
}

std::vector<double> theory_curve(int D, int n, const std::vector<int>& dks, double sigma = kSigma) {
  std::vector<double> y;
  for (int dk : dks) y.push_back(th::budget_mse(D, dk, kBw, kLam, sigma, n));
  return y;
}


// The bootstrap of a sweep (claims 7, 8): per replicate, designs resampled within each sweep value,
// vertices recomputed, slope of y(vertex) on x; replicates with a censored vertex are dropped.
struct SweepFit {
  std::vector<core::Vertex> v;
  std::vector<double> sd;  // bootstrap SD of each vertex
  double slope = kNaN, lo = kNaN, hi = kNaN;
  int dropped = 0, B = 0;
  bool any_censored = false;
};
SweepFit sweep_fit(const Context& ctx, const std::vector<AllocData>& data, const std::vector<double>& xs,
                   const std::function<double(double, double)>& yfun, int B, const std::string& fam) {
  SweepFit s;
  s.B = B;
  std::vector<double> ys;
  for (size_t j = 0; j < data.size(); ++j) {
    s.v.push_back(vertex_of(data[j], {}));
    s.any_censored = s.any_censored || s.v.back().censored;
    ys.push_back(yfun(s.v.back().x, xs[j]));
  }
  if (!s.any_censored) {
    try {
      s.slope = core::ols_fit(xs, ys).slope;
    } catch (const std::exception&) {
    }
  }
  std::vector<std::vector<double>> vb(data.size());
  std::vector<double> slopes;
  for (int b = 0; b < B; ++b) {
    std::vector<double> yb;
    bool cens = false;
    for (size_t j = 0; j < data.size(); ++j) {
      const auto idx = bootstrap_indices(ctx, data[j].R, b, fmt::format("{}/{}", fam, j));
      const core::Vertex v = vertex_of(data[j], idx);
      if (!v.censored) vb[j].push_back(v.x);
      cens = cens || v.censored;
      yb.push_back(yfun(v.x, xs[j]));
    }
    if (cens) {
      ++s.dropped;
      continue;
    }
    try {
      slopes.push_back(core::ols_fit(xs, yb).slope);
    } catch (const std::exception&) {
      ++s.dropped;
    }
  }
  for (auto& v : vb) s.sd.push_back(v.size() >= 2 ? core::sd_pop(v) : kNaN);
  s.lo = core::percentile(slopes, 0.025);
  s.hi = core::percentile(slopes, 0.975);
  return s;
}

Check sweep_check(const SweepFit& s, double lo, double hi, const std::string& tag) {
  std::vector<Check> parts;
  int cens = 0;
  for (const auto& v : s.v) cens += v.censored;
  parts.push_back(Check::equals(cens, 0, tag + "censored vertices"));
  const double frac = s.B > 0 ? double(s.dropped) / s.B : 1.0;
  Check drop = Check::at_most(frac, 0.05, tag + "fraction of bootstrap replicates dropped (censored)");
  if (!drop.holds) drop.reason += " (optimum not identified)";
  parts.push_back(drop);
  if (std::isfinite(s.slope) && std::isfinite(s.lo) && std::isfinite(s.hi))
    parts.push_back(Check::interval_inside(s.slope, s.lo, s.hi, lo, hi, tag + "95% bootstrap CI of the slope"));
  else  // a censored vertex leaves no slope to fit: the criterion fails on identification, not on a NaN
    parts.push_back(Check::custom(false, double(s.dropped), double(s.B), -1.0,
                                  tag + fmt::format("slope not identified ({} of {} bootstrap replicates censored)",
                                                    s.dropped, s.B)));
  return Check::all(parts);
}

}  // namespace

Claim optimal_allocation() {
  Claim c;
  c.id = "nw_ensemble.optimal_allocation";
  c.kind = Kind::statistical;
  c.source = std::string(kSource) + ", fixed-budget allocation D = H d_k (number and closed form not confirmed)";
  c.statement = "Under the budget H = D/d_k with mutually orthogonal heads, the ensemble MSE has an interior minimum in "
                "d_k (an optimal split H* = D/d_k*), located where the large-n theory puts it.";
  c.criterion = "The measured composed MSE(d_k), d_k in {1..12}, has an interior parabolic vertex (not censored) with "
                "|vertex_meas - vertex_pred| <= 0.75 at every n.";
  c.interpretation = true;
  c.interpretation_note =
      "The paper states that under a fixed width budget D = H d_k there is an MSE-optimal split (H*, d_k*) depending on "
      "the data distribution and the smoothness of f. The allocation model (disjoint coordinate-block heads, f = "
      "(lambda/D)||x||^2, fixed per-coordinate bandwidth h, H = D/d_k as a real number) and its closed-form large-n "
      "moments are this suite's interpretation.";
  c.control_name = "aligned_heads";
  c.control_description = "every head uses the same block [0, d_k): the optimum moves to the single-head optimum, checked "
                          "against the orthogonal prediction it must FAIL";
  c.params = {int_param("designs", "designs R per n", 60, 400, 3, 10000000),
              int_param("n_max", "largest n of the sweep {1000, 4000, 16000, 64000} (quick: n = 4000 only)", 4000, 64000,
                        1000, 64000),
              int_param("n_min", "smallest n of the sweep", 4000, 1000, 1000, 64000),
              int_param("bootstrap", "bootstrap resamples B", 300, 300, 10, 100000),
              int_param("direct_check", "direct MHA cross-check at d_k in {2, 4, 8} (1: on)", 0, 1, 0, 1),
              real_param("sigma",
                         "noise level of y = f(x) + sigma eps (spec 1); a large sigma lets the variance dominate and "
                         "pushes the optimum to the d_k = 1 edge, a small one to the widest head",
                         kSigma, kSigma, 0.01, 100.0)};
  c.figures = {"optimal_allocation"};
  c.run = [](Context& ctx) {
    const int R = int(ctx.integer("designs")), B = int(ctx.integer("bootstrap"));
    const double sigma = ctx.real("sigma");
    const int D = 64;
    std::vector<int> ns;
    for (int n : {1000, 4000, 16000, 64000})
      if (n >= ctx.integer("n_min") && n <= ctx.integer("n_max")) ns.push_back(n);
    const std::vector<int> dks = grid(1, 12);
    auto& t = ctx.csv("optimal_allocation.csv",
                      {"n", "dk", "H", "b", "v", "c", "mse_meas", "mse_se", "mse_pred", "control"});
    auto& tv = ctx.csv("optimal_allocation_vertex.csv", {"n", "argmin_meas", "vertex_meas", "vertex_sd", "argmin_pred",
                                                         "vertex_pred", "dk_cont", "H_star", "control_vertex",
                                                         "control_vertex_sd", "censored"});
    std::vector<Check> parts, cparts, guards;
    for (size_t j = 0; j < ns.size(); ++j) {
      const int n = ns[j];
      const std::vector<double> pc = theory_curve(D, n, dks, sigma);
      const core::Vertex vp = core::parabolic_vertex(as_x(dks), pc);
      const double cont = th::optimal_dk_continuous(D, n, kBw, kLam, sigma);
      guards.push_back(Check::custom(!vp.censored, vp.x, 0, vp.censored ? -1 : 1,
                                     fmt::format("predicted vertex interior at n = {} ({:.4g})", n, vp.x)));
      double vert[2], vsd[2];
      int amin[2];
      bool cens[2];
      const auto sims = simulate_multi(ctx, std::uint64_t(j * R), D, n, R, {{dks, fixed_h, false}, {dks, fixed_h, true}});
      for (int ctl = 0; ctl < 2; ++ctl) {
        const AllocData& a = sims[size_t(ctl)];
        const core::Vertex vm = vertex_of(a, {}, sigma);
        std::vector<std::vector<double>> mb(dks.size());
        std::vector<double> vb;
        for (int b = 0; b < B; ++b) {
          const auto idx = bootstrap_indices(ctx, R, b, fmt::format("bootstrap/{}", j));
          const auto y = curve(a, idx, sigma);
          for (size_t g = 0; g < dks.size(); ++g) mb[g].push_back(y[g]);
          const core::Vertex v = core::parabolic_vertex(as_x(dks), y);
          if (!v.censored) vb.push_back(v.x);
        }
        for (size_t g = 0; g < dks.size(); ++g) {
          const Terms tt = compose(a, g, {}, sigma);
          t.row({n, dks[g], double(D) / dks[g], tt.b, tt.v, tt.c, tt.mse, core::sd_pop(mb[g]), pc[g], bool(ctl)});
        }
        vert[ctl] = vm.x;
        amin[ctl] = dks[size_t(std::max(0, vm.argmin))];
        vsd[ctl] = vb.size() >= 2 ? core::sd_pop(vb) : kNaN;
        cens[ctl] = vm.censored;
        std::vector<Check> p;
        p.push_back(Check::custom(!vm.censored, vm.x, 0, vm.censored ? -1 : 1,
                                  fmt::format("{}measured vertex interior at n = {}", ctl ? "aligned: " : "", n)));
        p.push_back(Check::at_most(std::abs(vm.x - vp.x), 0.75,
                                   fmt::format("{}|vertex_meas - vertex_pred| at n = {} (meas {:.4g}, pred {:.4g})",
                                               ctl ? "aligned: " : "", n, vm.x, vp.x)));
        (ctl ? cparts : parts).push_back(Check::all(p));
      }
      tv.row({n, amin[0], vert[0], vsd[0], dks[size_t(std::max(0, vp.argmin))], vp.x, cont, D / cont, vert[1], vsd[1],
              cens[0]});
      if (ctx.integer("direct_check")) {  // full mode: real H = D/d_k heads at the divisors (figure squares)
        auto& td = ctx.csv("optimal_allocation_direct.csv", {"n", "dk", "H", "mse_direct", "mse_direct_se", "mse_composed"});
        const AllocData a = simulate_multi(ctx, std::uint64_t(j * R), D, n, R, {{dks, fixed_h, false}})[0];
        for (int dk : {2, 4, 8}) {
          const auto e = direct_mha_errors(ctx, std::uint64_t(j * R), D, n, R, dk, sigma);
          const double m = sel_mean(e, {});
          const double se = std::sqrt(sel_cov(e, e, {}) / (R - 1.0));
          td.row({n, dk, D / dk, m, se, compose(a, size_t(dk - 1), {}, sigma).mse});
        }
      }
    }
    Outcome o;
    o.guard = Check::all(guards, "non-degeneracy");
    o.check = Check::all(parts);
    o.controls = {{"aligned_heads", Check::all(cparts)}};
    return o;
  };
  return c;
}

Claim dk_log_n() {
  Claim c;
  c.id = "nw_ensemble.dk_log_n";
  c.kind = Kind::rate;
  c.source = std::string(kSource) + ", scaling law: optimal d_k grows like log n (number not confirmed)";
  c.statement = "At fixed budget D the optimal head dimension grows linearly in ln n, with a slope of order 1/ln kappa(h).";
  c.criterion = "No vertex censored, at most 5% of bootstrap replicates dropped, and the 95% percentile-bootstrap CI "
                "(B = 200) of the OLS slope of d_k* on ln n inside [0.5, 1.5] / ln kappa(0.3) = [0.543, 1.628].";
  c.interpretation = true;
  c.interpretation_note =
      "The paper states that the optimal d_k grows like log n. The slope 1/ln kappa(h), the allocation model behind it "
      "(disjoint blocks, fixed bandwidth h = 0.3, f = (lambda/D)||x||^2) and the band [0.5, 1.5] x 1/ln kappa are this "
      "suite's interpretation.";
  c.control_name = "unit_gain";
  c.control_description = "unit-gain projections with the 1/sqrt(d_k) temperature (h = d_k^{1/4}): the MSE falls to "
                          "the widest head, the vertex is censored, must FAIL";
  c.params = {int_param("designs", "designs R per n", 40, 200, 3, 10000000),
              int_param("n_points", "sweep points n_j = round(1000 n_step^j), j < n_points (spec: 1000, 4000, 16000, 64000, 256000)", 3, 5, 3, 5),
              int_param("bootstrap", "bootstrap resamples B", 200, 200, 10, 100000),
              real_param("n_step",
                         "ratio of successive n of the sweep, n_j = round(1000 n_step^j) (spec 4: 1000, 4000, ..., "
                         "256000); a small step leaves too narrow an n range to resolve a log n slope",
                         4.0, 4.0, 1.5, 4.0)};
  c.figures = {"dk_log_n"};
  c.run = [](Context& ctx) {
    const int R = int(ctx.integer("designs")), B = int(ctx.integer("bootstrap")), K = int(ctx.integer("n_points"));
    const double n_step = ctx.real("n_step");
    const int D = 64;
    std::vector<int> ns;  // n_step = 4: {1000, 4000, 16000, 64000, 256000}, first K
    for (int j = 0; j < K; ++j) ns.push_back(int(std::llround(1000.0 * std::pow(n_step, j))));
    const std::vector<int> dks = grid(1, 12);
    std::vector<double> xs;
    for (int n : ns) xs.push_back(std::log(double(n)));
    std::vector<AllocData> main, ctl;
    for (size_t j = 0; j < ns.size(); ++j) {
      auto sims = simulate_multi(ctx, std::uint64_t(j * R), D, ns[j], R, {{dks, fixed_h, false}, {dks, unit_gain_h, false}});
      main.push_back(std::move(sims[0]));
      ctl.push_back(std::move(sims[1]));
    }
    const auto ident = [](double v, double) { return v; };
    const SweepFit fm = sweep_fit(ctx, main, xs, ident, B, "bootstrap");
    const SweepFit fc = sweep_fit(ctx, ctl, xs, ident, B, "bootstrap");
    const double s_inf = th::asymptotic_dk_slope(kBw);
    std::vector<double> cont;
    for (int n : ns) cont.push_back(th::optimal_dk_continuous(D, n, kBw, kLam, kSigma));
    auto& t = ctx.csv("dk_log_n.csv", {"n", "vertex", "vertex_sd", "theory_cont", "theory_vertex", "control_vertex",
                                       "censored", "slope", "slope_lo", "slope_hi", "slope_asymptotic", "slope_theory_cont"});
    const double s_cont = core::ols_fit(xs, cont).slope;
    for (size_t j = 0; j < ns.size(); ++j) {
      const core::Vertex tv = core::parabolic_vertex(as_x(dks), theory_curve(D, ns[j], dks));
      t.row({ns[j], fm.v[j].x, fm.sd[j], cont[j], tv.x, fc.v[j].x, fm.v[j].censored, fm.slope, fm.lo, fm.hi, s_inf, s_cont});
    }
    Outcome o;
    o.guard = Check::at_least(ns.back() / double(ns.front()), 10.0, "n range of the sweep (ratio)");
    o.check = sweep_check(fm, 0.5 * s_inf, 1.5 * s_inf, "");
    o.check.reason += fmt::format("; theory slope over the same n {:.4g}, asymptotic {:.4g}", s_cont, s_inf);
    o.controls = {{"unit_gain", sweep_check(fc, 0.5 * s_inf, 1.5 * s_inf, "unit gain: ")}};
    return o;
  };
  return c;
}

Claim heads_linear_in_budget() {
  Claim c;
  c.id = "nw_ensemble.heads_linear_in_budget";
  c.kind = Kind::rate;
  c.source = std::string(kSource) + ", scaling law: optimal H grows nearly linearly in D (number not confirmed)";
  c.statement = "At fixed n, H*(D) = D/d_k*(D) grows with log-log slope close to 1, because d_k* depends on D only weakly.";
  c.criterion = "No vertex censored, at most 5% of bootstrap replicates dropped, and the 95% percentile-bootstrap CI "
                "(B = 200) of the OLS slope of ln H* on ln D inside [0.85, 1.15].";
  c.interpretation = true;
  c.interpretation_note =
      "The paper states that the optimal number of heads grows nearly linearly in the budget D. The allocation model "
      "(disjoint blocks, f = (lambda/D)||x||^2 normalised so the total signal is fixed, h = 0.3, n = 4000) and the band "
      "[0.85, 1.15] are this suite's interpretation.";
  c.control_name = "unit_gain";
  c.control_description = "unit-gain projections (h = d_k^{1/4}), grid extended to d_k <= D/2: the minimum sits at the "
                          "widest head, the vertex is censored, must FAIL";
  c.params = {int_param("designs", "designs R per D", 40, 200, 3, 10000000),
              int_param("D_points", "sweep points D_j = round(16 D_step^j), j < D_points (spec: 16, 32, 64, 128, 256)", 3, 5, 3, 5),
              int_param("n", "training-set size", 4000, 4000, 100, 10000000),
              int_param("bootstrap", "bootstrap resamples B", 200, 200, 10, 100000),
              real_param("D_step",
                         "ratio of successive budgets of the sweep, D_j = round(16 D_step^j) (spec 2: 16, 32, ..., "
                         "256); a small step leaves too narrow a D range to resolve the log-log slope",
                         2.0, 2.0, 1.2, 2.0)};
  c.figures = {"heads_linear_in_budget"};
  c.run = [](Context& ctx) {
    const int R = int(ctx.integer("designs")), B = int(ctx.integer("bootstrap")), K = int(ctx.integer("D_points"));
    const int n = int(ctx.integer("n"));
    const double D_step = ctx.real("D_step");
    std::vector<int> Ds;  // D_step = 2: {16, 32, 64, 128, 256}, first K
    for (int j = 0; j < K; ++j) Ds.push_back(int(std::llround(16.0 * std::pow(D_step, j))));
    std::vector<double> xs;
    std::vector<AllocData> main, ctl;
    for (size_t j = 0; j < Ds.size(); ++j) {
      xs.push_back(std::log(double(Ds[j])));
      auto sims = simulate_multi(ctx, std::uint64_t(j * R), Ds[j], n, R,
                                 {{grid(1, std::min(12, Ds[j] / 2)), fixed_h, false}, {grid(1, Ds[j] / 2), unit_gain_h, false}});
      main.push_back(std::move(sims[0]));
      ctl.push_back(std::move(sims[1]));
    }
    const auto logH = [](double v, double lnD) { return lnD - std::log(v); };
    const SweepFit fm = sweep_fit(ctx, main, xs, logH, B, "bootstrap");
    const SweepFit fc = sweep_fit(ctx, ctl, xs, logH, B, "bootstrap");
    auto& t = ctx.csv("heads_linear_in_budget.csv", {"D", "vertex", "vertex_sd", "H_star", "theory_dk", "theory_H",
                                                     "control_vertex", "censored", "slope", "slope_lo", "slope_hi",
                                                     "slope_theory"});
    std::vector<double> tH;
    for (int D : Ds) tH.push_back(std::log(D / th::optimal_dk_continuous(D, n, kBw, kLam, kSigma)));
    const double s_th = core::ols_fit(xs, tH).slope;
    for (size_t j = 0; j < Ds.size(); ++j) {
      const double tdk = th::optimal_dk_continuous(Ds[j], n, kBw, kLam, kSigma);
      t.row({Ds[j], fm.v[j].x, fm.sd[j], Ds[j] / fm.v[j].x, tdk, Ds[j] / tdk, fc.v[j].x, fm.v[j].censored, fm.slope,
             fm.lo, fm.hi, s_th});
    }
    Outcome o;
    o.guard = Check::at_least(Ds.back() / double(Ds.front()), 4.0, "D range of the sweep (ratio)");
    o.check = sweep_check(fm, 0.85, 1.15, "");
    o.check.reason += fmt::format("; theory log-log slope {:.4g}", s_th);
    o.controls = {{"unit_gain", sweep_check(fc, 0.85, 1.15, "unit gain: ")}};
    return o;
  };
  return c;
}

}  // namespace attnlab::exp::nw_ensemble

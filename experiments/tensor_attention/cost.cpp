// Claim 4, tensor_attention.near_linear_cost: at fixed d and g the factored method's operation
// count grows linearly in n while the naive method's grows cubically; crossover near
// sqrt(r (3d+6)/(2d+2)). Counts come from the kernels' own counters. Spec: "Claim 4".
#include "core/stats.hpp"
#include "experiments/common/context.hpp"
#include "experiments/tensor_attention/claims.hpp"
#include "theory/tensor_attention.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

namespace attnlab::exp::tensor_attention {

namespace {

using core::MatrixXd;
namespace th = theory::tensor_attention;

struct Run {
  std::string series;  // naive, fast, materialized_low_rank, paper_regime
  int n, d, g;
  long long r = 0;
  core::OpCount ops;
  double predicted = 0;
  std::vector<double> times;
};

Run make_run(const std::string& series, int n, int d, int g) {
  Run r;
  r.series = series;
  r.n = n;
  r.d = d;
  r.g = g;
  return r;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? NAN : v[v.size() / 2];
}
double quantile_of(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return NAN;
  const double pos = q * (v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos)), hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (pos - lo) * (v[hi] - v[lo]);
}

// Slope of ln(count) on ln(n) with its 95% interval; the rate checks of the criterion.
Check rate_checks(const std::vector<Run>& runs, const std::string& series, double lo, double hi, const std::string& label,
                  double* slope_out, double* half_out) {
  std::vector<double> x, y;
  for (const auto& r : runs)
    if (r.series == series) {
      x.push_back(std::log(double(r.n)));
      y.push_back(std::log(double(r.ops.total())));
    }
  if (x.size() < 3) return Check::custom(false, NAN, NAN, -1, label + ": fewer than 3 sizes");
  const core::OlsFit f = core::ols_fit(x, y, 0.95);
  const double half = 0.5 * (f.slope_hi - f.slope_lo);
  if (slope_out) *slope_out = f.slope;
  if (half_out) *half_out = half;
  return Check::all({Check::in_range(f.slope, lo, hi, label + " slope of ln(count) on ln(n)"),
                     Check::at_most(half, 0.02, label + " 95% half-width of the slope")});
}

}  // namespace

Claim near_linear_cost() {
  Claim c;
  c.id = "tensor_attention.near_linear_cost";
  c.kind = Kind::rate;
  c.source = std::string(kSource) + ", abstract and Section 3 (n^{1+o(1)} running time versus the cubic straightforward "
                                    "algorithm)";
  c.statement =
      "At fixed d and g the factored method's work grows linearly in n while the naive method's grows cubically, "
      "with the crossover near sqrt(r (3d+6)/(2d+2)).";
  c.criterion =
      "Least-squares slope of ln(count) on ln(n) (counts accumulated by the kernels: multiply-adds plus exps): fast "
      "in [0.97, 1.03], naive in [2.95, 3.05], each with 95% half-width <= 0.02; measured/predicted count in "
      "[0.5, 2] at every n; fast count < naive count at every n >= 2 n_x where both are measured. Timings never "
      "enter the verdict.";
  c.interpretation = false;
  c.control_name = "materialized_low_rank";
  c.control_description =
      "The same factors, but A~ = U1 (U2 (/) U3)^T (n x n^2) is built before multiplying: the fast-path criterion "
      "applied to its counts sees a slope near 3.";
  c.params = {
      int_param("d", "head dimension", 4, 4, 1, 16),
      int_param("g", "degree", 8, 8, 0, 20),
      real_param("B", "entry bound of the uniform inputs", 0.8, 0.8, 0.01, 2.0),
      int_param("naive_n_max", "largest n of the naive series {32, 48, 64, 96, 128, 192, 256, 384, 512}", 128, 512, 32, 1024),
      int_param("ctrl_n_max", "largest n of the control series {16, 24, 32, 48, 64, 96, 128}", 64, 128, 16, 256),
      int_param("fast_n_max", "largest n of the fast series 64 * 2^k", 4096, 65536, 256, 1 << 20),
      int_param("timing_reps", "wall-time repetitions per point (0: not timed)", 0, 5, 0, 50),
  };
  c.figures = {"tensor_attention_cost_scaling"};
  c.run = [](Context& ctx) {
    const int d = static_cast<int>(ctx.integer("d")), g = static_cast<int>(ctx.integer("g"));
    const double B = ctx.real("B");
    const int reps = static_cast<int>(ctx.integer("timing_reps"));
    const int nt = std::max(1, ctx.threads());
    std::vector<Run> runs;
    for (int n : {32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024})
      if (n <= ctx.integer("naive_n_max")) runs.push_back(make_run("naive", n, d, g));
    for (int n = 64; n <= ctx.integer("fast_n_max"); n *= 2) runs.push_back(make_run("fast", n, d, g));
    for (int n : {16, 24, 32, 48, 64, 96, 128, 192, 256})
      if (n <= ctx.integer("ctrl_n_max")) runs.push_back(make_run("materialized_low_rank", n, d, g));
    // Paper-regime illustration (no verdict): d = ceil(log2 n), B = 0.5, eps = 1/n, g = g_pred.
    for (int l = 6; l <= 12; ++l) {
      const int n = 1 << l;
      runs.push_back(make_run("paper_regime", n, l, th::degree_needed(th::score_range(0.5, 3), 1.0 / n, 1.0)));
    }
    for (auto& r : runs) {
      ctx.progress(fmt::format("{} n={}", r.series, r.n));
      auto rng = ctx.rng("uniform_" + r.series, static_cast<std::uint64_t>(r.n));
      const core::TensorInputs in = core::tensor_inputs_uniform(r.n, r.d, 3, r.series == "paper_regime" ? 0.5 : B, rng);
      const core::MultiIndexSet mi = core::multi_indices(r.d, r.g);
      r.r = static_cast<long long>(mi.size());
      auto once = [&](core::OpCount* ops) {
        if (r.series == "naive")
          core::tensor_attention_naive<double>(in.Q, in.K, in.V, ops, nt);
        else if (r.series == "materialized_low_rank")
          core::tensor_attention_lowrank_materialized<double>(in.Q, in.K, in.V, mi, ops, nt);
        else
          core::tensor_attention_factored<double>(in.Q, in.K, in.V, mi, ops);
      };
      once(&r.ops);
      r.predicted = r.series == "naive" ? th::ops_naive(r.n, r.d)
                    : r.series == "materialized_low_rank" ? th::ops_materialized_lowrank(r.n, r.d, double(r.r))
                                                          : th::ops_fast(r.n, r.d, double(r.r));
      for (int k = 0; k < reps; ++k) {
        const auto t0 = std::chrono::steady_clock::now();
        once(nullptr);
        r.times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
    }
    const double r0 = double(th::tensor_rank(d, g));
    const double nx = th::crossover_n(d, r0);
    auto& tab = ctx.csv("near_linear_cost.csv", {"series", "n", "d", "g", "r", "madd", "exps", "count", "predicted",
                                                 "ratio", "crossover_n", "control"});
    for (const auto& r : runs)
      tab.row({r.series, r.n, r.d, r.g, r.r, r.ops.madd, r.ops.exps, r.ops.total(), r.predicted,
               double(r.ops.total()) / r.predicted, nx, r.series == "materialized_low_rank"});
    if (reps > 0) {
      auto& tim = ctx.csv("near_linear_cost_timing.csv",
                          {"series", "n", "d", "g", "r", "reps", "threads", "median_s", "q25_s", "q75_s"});
      for (const auto& r : runs)
        tim.row({r.series, r.n, r.d, r.g, r.r, reps, nt, median_of(r.times), quantile_of(r.times, 0.25),
                 quantile_of(r.times, 0.75)});
    }

    double s_fast = NAN, h_fast = NAN, s_naive = NAN, h_naive = NAN, s_ctrl = NAN, h_ctrl = NAN;
    std::vector<Check> own = {rate_checks(runs, "fast", 0.97, 1.03, "fast", &s_fast, &h_fast),
                              rate_checks(runs, "naive", 2.95, 3.05, "naive", &s_naive, &h_naive)};
    std::vector<Check> ctl = {rate_checks(runs, "materialized_low_rank", 0.97, 1.03, "materialized_low_rank (as fast)",
                                          &s_ctrl, &h_ctrl)};
    int compared = 0;
    for (const auto& r : runs) {
      if (r.series == "paper_regime") continue;
      const double ratio = double(r.ops.total()) / r.predicted;
      const std::string what = fmt::format("{} n={} measured/predicted count", r.series, r.n);
      if (r.series == "materialized_low_rank") {
        // The control is held to the fast path's prediction, as the criterion it mimics.
        ctl.push_back(Check::in_range(double(r.ops.total()) / th::ops_fast(r.n, d, r0), 0.5, 2.0,
                                      fmt::format("materialized_low_rank n={} count / ops_fast", r.n)));
        continue;
      }
      own.push_back(Check::in_range(ratio, 0.5, 2.0, what));
      if (r.series == "fast" && r.n >= 2 * nx)
        for (const auto& q : runs)
          if (q.series == "naive" && q.n == r.n) {
            ++compared;
            own.push_back(Check::at_most(double(r.ops.total()), double(q.ops.total()) * (1 - 1e-12),
                                         fmt::format("fast count vs naive count at n={}", r.n)));
          }
    }
    int n_fast = 0, n_naive = 0, n_ctrl = 0;
    for (const auto& r : runs) {
      n_fast += r.series == "fast";
      n_naive += r.series == "naive";
      n_ctrl += r.series == "materialized_low_rank";
    }
    Outcome o;
    o.check = Check::all(own);
    o.check.reason += fmt::format("; slopes fast {:.4f} (+-{:.2g}), naive {:.4f} (+-{:.2g}); n_x = {:.2f}; {} sizes "
                                  "compared fast < naive",
                                  s_fast, h_fast, s_naive, h_naive, nx, compared);
    o.controls = {{"materialized_low_rank", Check::all(ctl)}};
    o.controls[0].check.reason += fmt::format("; control slope {:.4f}", s_ctrl);
    o.guard = Check::all({Check::at_least(n_fast, 3, "fast sizes"), Check::at_least(n_naive, 3, "naive sizes"),
                          Check::at_least(n_ctrl, 3, "control sizes"),
                          Check::at_least(compared, 1, "sizes where fast and naive are both measured beyond 2 n_x")},
                         "non-degeneracy");
    return o;
  };
  return c;
}

}  // namespace attnlab::exp::tensor_attention

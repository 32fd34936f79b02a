// Claim 1, tensor_attention.factored_identity: the factored evaluation diag(U1 w)^{-1} U1 W of
// polynomial tensor attention equals the materialised diag(P_g(S) 1)^{-1} P_g(S) (V1 (/) ...) to
// rounding, for orders t = 2, 3, 4. Spec: shared/claims/tensor_attention.md, "Claim 1".
#include "experiments/common/context.hpp"
#include "experiments/tensor_attention/claims.hpp"
#include "theory/tensor_attention.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace attnlab::exp::tensor_attention {

namespace {

using core::MatrixXd;

constexpr double kTol = 4096 * kEps;  // 2^12 eps = 9.09e-13, fixed before measuring
constexpr double kMaxEntriesA = 262144;  // delta_A only where n^t <= 2^18

struct Case {
  int t, n, d, g, seed;
  std::string family;
  bool control;
  // measured
  long long r = 0, r_pred = 0;
  double delta_out = NAN, delta_A = NAN, min_den = NAN, norm_poly = NAN;
};

}  // namespace

Claim factored_identity() {
  Claim c;
  c.id = "tensor_attention.factored_identity";
  c.kind = Kind::identity;
  c.source = std::string(kSource) +
             ", Section 3.1 (A~ = U1 (U2 (/) U3)^T and A~ (V1 (/) V2) without forming A~); multi-index "
             "factorisation and Kronecker-Hadamard identity: lemma number not confirmed";
  c.statement =
      "For every degree g, the factored evaluation diag(U1 w)^{-1} U1 W (W = o_k U_{k+1}^T V_k, w = o_k U_{k+1}^T 1) "
      "equals the materialised polynomial attention diag(P_g(S) 1)^{-1} P_g(S) (V1 (/) ... (/) V_{t-1}) to "
      "rounding, for orders t = 2, 3, 4.";
  c.criterion =
      "Over all cases: max delta_out = ||T_fast - T_poly||_inf / ||T_poly||_inf <= 2^12 eps = 9.09e-13 and max "
      "delta_A = max|U1 (U2 (/) ...)^T - P_g(S)| / max|P_g(S)| <= 9.09e-13 (where n^t <= 2^18); the column "
      "count r equals C(d+g, d) exactly; every approximate row sum D~_i > 0.";
  c.interpretation = true;
  c.interpretation_note =
      "The paper's polynomial is replaced by the truncated Taylor polynomial P_g, and r = C(d+g, d) is the exact "
      "column count of the multi-index construction (the paper states a binomial rank bound whose exact form is "
      "not confirmed); the 1/d score normalisation follows the matrix-case paper (arXiv:2302.13214).";
  c.control_name = "swapped_value_pairing";
  c.control_description =
      "t = 3 and 4 only: the fast path pairs key-feature slot k with the value matrix of the reversed slot "
      "(U2 with V2, U3 with V1, ...): a different contraction, so delta_out is far above 2^12 eps.";
  c.params = {
      int_param("seeds", "input draws per (family, t, d, g)", 2, 5, 1, 1000),
      int_param("d_max", "largest head dimension (d from 2 in steps of 2)", 4, 6, 2, 12),
      int_param("g_max", "largest degree", 8, 10, 2, 16),
      int_param("g_step", "degree step (g = 2, 2 + step, ...)", 2, 1, 1, 8),
      int_param("n2", "tokens for order t = 2", 64, 256, 2, 4096),
      int_param("n3", "tokens for order t = 3", 20, 64, 2, 256),
      int_param("n4", "tokens for order t = 4", 10, 24, 2, 64),
      real_param("B", "entry bound", 0.8, 0.8, 0.01, 2.0),
  };
  c.figures = {"tensor_attention_identity"};
  c.run = [](Context& ctx) {
    const int seeds = static_cast<int>(ctx.integer("seeds"));
    const int d_max = static_cast<int>(ctx.integer("d_max")), g_max = static_cast<int>(ctx.integer("g_max")),
              g_step = static_cast<int>(ctx.integer("g_step"));
    const double B = ctx.real("B");
    const int nt_[3] = {static_cast<int>(ctx.integer("n2")), static_cast<int>(ctx.integer("n3")),
                        static_cast<int>(ctx.integer("n4"))};
    std::vector<Case> cases;
    for (bool control : {false, true})
      for (int t : {2, 3, 4}) {
        if (control && t == 2) continue;  // one value slot: no pairing to swap
        for (int g = 2; g <= g_max; g += g_step)
          for (int d = 2; d <= d_max; d += 2)
            for (const char* fam : {"uniform", "extremal"})
              for (int s = 0; s < seeds; ++s) cases.push_back({t, nt_[t - 2], d, g, s, fam, control});
      }
    const int nt = std::max(1, ctx.threads());
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (int q = 0; q < static_cast<int>(cases.size()); ++q) {
      Case& k = cases[q];
      auto rng = ctx.rng(fmt::format("{}_t{}_d{}", k.family, k.t, k.d), static_cast<std::uint64_t>(k.seed));
      const core::TensorInputs in = draw_inputs(k.family, k.n, k.d, k.t, B, rng);
      const core::MultiIndexSet mi = core::multi_indices(k.d, k.g);
      std::vector<int> pairing;
      if (k.control)
        for (int s = 0; s < k.t - 1; ++s) pairing.push_back(k.t - 2 - s);
      const auto fast = core::tensor_attention_factored<double>(in.Q, in.K, in.V, mi, nullptr, pairing);
      const MatrixXd poly = core::tensor_attention_poly_materialized<double>(in.Q, in.K, in.V, k.g);
      k.r = fast.rank;
      k.r_pred = theory::tensor_attention::tensor_rank(k.d, k.g);
      k.norm_poly = poly.cwiseAbs().maxCoeff();
      k.delta_out = max_abs_diff(fast.out, poly) / k.norm_poly;
      k.min_den = fast.den.minCoeff();
      if (!k.control && std::pow(double(k.n), k.t) <= kMaxEntriesA) {
        const auto U = core::poly_factors<double>(in.Q, in.K, mi);
        const MatrixXd At = U[0] * core::khatri_rao<double>(std::vector<MatrixXd>(U.begin() + 1, U.end())).transpose();
        const MatrixXd P = core::tensor_scores<double>(in.Q, in.K).unaryExpr([g = k.g](double s) { return core::taylor_exp(s, g); });
        k.delta_A = max_abs_diff(At, P) / P.cwiseAbs().maxCoeff();
      }
    }

    auto& tab = ctx.csv("factored_identity.csv", {"case", "t", "n", "d", "g", "family", "seed", "r", "r_pred", "delta_out",
                                                 "delta_A", "min_den", "norm_poly", "tolerance", "control"});
    double max_out = 0, max_A = 0, min_den = INFINITY, min_norm = INFINITY, ctrl_min = INFINITY;
    int rank_ok = 0, own = 0, ctrl = 0;
    std::vector<Check> ctrl_parts;
    double ctrl_max_out = 0, ctrl_min_den = INFINITY;
    int ctrl_rank_ok = 0;
    for (size_t q = 0; q < cases.size(); ++q) {
      const Case& k = cases[q];
      tab.row({static_cast<long long>(q), k.t, k.n, k.d, k.g, k.family, k.seed, k.r, k.r_pred, k.delta_out, k.delta_A,
               k.min_den, k.norm_poly, kTol, k.control});
      if (!k.control) {
        ++own;
        max_out = std::max(max_out, k.delta_out);
        if (std::isfinite(k.delta_A)) max_A = std::max(max_A, k.delta_A);
        min_den = std::min(min_den, k.min_den);
        min_norm = std::min(min_norm, k.norm_poly);
        rank_ok += k.r == k.r_pred;
      } else {
        ++ctrl;
        ctrl_max_out = std::max(ctrl_max_out, k.delta_out);
        ctrl_min = std::min(ctrl_min, k.delta_out);
        ctrl_min_den = std::min(ctrl_min_den, k.min_den);
        ctrl_rank_ok += k.r == k.r_pred;
      }
    }
    auto check_of = [](double mo, double ma, int rok, int count, double mden, bool with_A) {
      std::vector<Check> p = {Check::at_most(mo, kTol, "max delta_out"),
                              Check::equals(rok, count, "cases with r = C(d+g, d)"),
                              Check::custom(mden > 0, mden, 0.0, mden > 0 ? 1.0 : -1.0,
                                            fmt::format("min approximate row sum {:.3g} > 0", mden))};
      if (with_A) p.push_back(Check::at_most(ma, kTol, "max delta_A"));
      return Check::all(p);
    };
    Outcome o;
    o.check = check_of(max_out, max_A, rank_ok, own, min_den, true);
    o.check.reason += fmt::format("; {} cases, max delta_out {:.3g}, max delta_A {:.3g}", own, max_out, max_A);
    Check ctl = check_of(ctrl_max_out, 0, ctrl_rank_ok, ctrl, ctrl_min_den, false);
    ctl.reason += fmt::format("; {} control cases, delta_out from {:.3g} to {:.3g}", ctrl, ctrl_min, ctrl_max_out);
    o.controls = {{"swapped_value_pairing", ctl}};
    // Non-degeneracy: the outputs compared are not trivially small, and every case ran.
    o.guard = Check::all({Check::at_least(min_norm, 1e-6, "min ||T_poly||_inf (floor 1e-6, far above rounding)"),
                          Check::at_least(own, 1, "cases"), Check::at_least(ctrl, 1, "control cases")},
                         "non-degeneracy");
    return o;
  };
  return c;
}

}  // namespace attnlab::exp::tensor_attention

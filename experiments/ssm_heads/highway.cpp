// Claim 5, ssm_heads.attention_gradient_highway: a single causal softmax head without positional
// information has inputs (one query, one matching key at distance l, identical fillers) on which
// ||d y_i / d x_{i-l}||_2 does not depend on l and is not small.
// Spec: shared/claims/ssm_heads.md, "Gradient paths" (softmax head, highway inputs) and "Claim 5".
//
// Measured: g(l) from p vector-Jacobian products through the softmax head (values, softmax and
// score path) with the cotangent on output row i = n-1 (MultiHeadSoftmax::backward_row).
// Predicted: the flat profile g(l) = g* = ||J||_2, J = theory single_key_jacobian.
// Also measured for the figure (not judged): SSM S1 (g(l) = 0.9^l) and its H = k positional
// emulator (spec "Construction"), whose Jacobian comes from the factorized layer's VJP.
#include "experiments/common/context.hpp"
#include "experiments/ssm_heads/claims.hpp"
#include "experiments/ssm_heads/settings.hpp"
#include "core/attention.hpp"
#include "core/ssm.hpp"
#include "theory/ssm_heads.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace attnlab::exp::ssm_heads {

namespace {

using core::MatrixXd;
using core::VectorXd;

constexpr double kEps = std::numeric_limits<double>::epsilon();
constexpr double kFlatUlps = 8;        // (1): max_l |g(l) - g(1)| / g(1) <= 8 n eps
constexpr double kPredTol = 1e-12;     // (2): |g(1) - g*| / g* <= 1e-12
constexpr double kPathFraction = 0.5;  // (3): g(1) >= 0.5 ||W_O W_V||_2

struct HighwaySetting {
  int n = 0, d = 0;
  core::SoftmaxHead<double> head;
  VectorXd q, u, f_rand;
};

struct Series {
  int n = 0, d = 0;
  std::string filler;  // "zero" or "random"
  bool alibi = false;
  std::vector<double> g, g_pred;  // l = 1..n-1 (index l-1)
  double norm_WOWV = 0, s_a = 0, alpha_key = 0;
};

// The highway input: x_{n-1} = q, x_{n-1-l} = a, every other token = f.
MatrixXd highway_input(int n, int l, const VectorXd& q, const VectorXd& a, const VectorXd& f) {
  MatrixXd X = f.transpose().replicate(n, 1);
  X.row(n - 1) = q.transpose();
  X.row(n - 1 - l) = a.transpose();
  return X;
}

// g(l) = ||J_{n-1, n-1-l}||_2 from p VJPs (one per output coordinate) through the softmax head.
double softmax_g(const core::MultiHeadSoftmax<double>& mh, const MatrixXd& X, int l, const core::SoftmaxOptions& opt) {
  const int n = int(X.rows()), i = n - 1;
  const Eigen::Index p = mh.heads[0].WO.rows();
  MatrixXd J(p, X.cols());
  for (Eigen::Index r = 0; r < p; ++r) {
    const VectorXd e = VectorXd::Unit(p, r);
    J.row(r) = mh.backward_row(X, i, e, opt).row(i - l);
  }
  return core::spectral_norm(J);
}

// J_{n-1, n-1-l} for l = 1..n-1 of a layer from p VJPs of a given backward function.
template <class Backward>
std::vector<double> g_profile(int n, int p, int d, Backward&& backward) {
  std::vector<MatrixXd> J(n - 1, MatrixXd(p, d));
  for (int r = 0; r < p; ++r) {
    MatrixXd G = MatrixXd::Zero(n, p);
    G(n - 1, r) = 1.0;
    const MatrixXd dX = backward(G);
    for (int l = 1; l < n; ++l) J[l - 1].row(r) = dX.row(n - 1 - l);
  }
  std::vector<double> g(n - 1);
  for (int l = 1; l < n; ++l) g[l - 1] = core::spectral_norm(J[l - 1]);
  return g;
}

// The H = k(n) positional emulator of an SSM (spec "Construction of an exact H = k(n) head model"),
// built by the experiment's shared construction (settings.hpp), k = numerical rank of L_n.
core::FactorizedLayer<double> positional_emulator(const core::LinearSSM<double>& ssm, int n, int* k_out) {
  const std::vector<MatrixXd> K = ssm.kernel(n);
  const int k = core::numerical_rank<double>(core::lag_matrix(K), kRankTol);
  if (k_out) *k_out = k;
  return positional_layer(svd_positional_model(K, k));
}

std::vector<int> geometric(int lo, int hi) {
  std::vector<int> v;
  for (long x = lo; x <= hi; x *= 4) v.push_back(int(x));
  return v;
}

}  // namespace

Claim attention_gradient_highway() {
  Claim c;
  c.id = "ssm_heads.attention_gradient_highway";
  c.kind = Kind::identity;
  c.source = std::string(kSource) + ", Gradient Highway Result, attention half (number not confirmed)";
  c.statement =
      "For a single causal softmax head without positional information there are inputs (query at i = n-1, one "
      "matching key at distance l, identical fillers elsewhere) on which ||d y_i / d x_{i-l}||_2 is the same for "
      "every distance l and is not small.";
  c.criterion =
      "For every (n, d) and filler: max_l |g(l) - g(1)| / g(1) <= 8 n eps; |g(1) - g*| / g* <= 1e-12 with g* = "
      "||J||_2 from the closed-form single-key Jacobian; and g(1) >= 0.5 ||W_O W_V||_2 (the path does not vanish).";
  c.interpretation = true;
  c.interpretation_note =
      "The paper says attention admits distance-independent gradient paths; the input family (query q, key a = "
      "s_a u / ||u||^2 with s_a = log n + 3 + u.f, identical fillers f, no positional encoding) is this suite's "
      "construction. The SSM S1 and its H = k positional emulator are drawn for contrast only: the emulator has the "
      "SSM's Jacobian and decays exactly like it; it is not a highway.";
  c.control_name = "ALiBi bias -0.5 (i - j)";
  c.control_description =
      "The same head and inputs with the additive bias b_ij = -0.5 (i - j): the key's weight falls like e^{-0.5 l}, "
      "g(l) falls with l (relative deviation of order 1), so the flatness condition must fail.";
  c.params = {
      int_param("n_min", "smallest sequence length; n runs over n_min * 4^k <= n_max", 64, 64, 4, 4096),
      int_param("n_max", "largest sequence length", 64, 1024, 4, 4096),
      int_param("d_min", "smallest width d = p = d_k = d_v; d runs over d_min * 4^k <= d_max", 4, 4, 1, 256),
      int_param("d_max", "largest width", 4, 16, 1, 256),
      real_param("filler_norm", "norm of the random filler f (the other filler is f = 0)", 0.6, 0.6, 0.0, 100.0),
      real_param("score_margin",
                 "s_a - s_f = log n + score_margin: the key's score lead over the fillers; at -log n the key scores "
                 "like a filler and its weight falls to about 1/n (no highway)",
                 3.0, 3.0, -100.0, 100.0),
      real_param("alibi_m", "ALiBi slope m of the control, b_ij = -m (i - j)", 0.5, 0.5, 1e-6, 100.0),
  };
  c.figures = {"ssm_heads_gradient_highway"};
  c.check_params = [id = c.id](const std::map<std::string, double>& v) -> std::string {
    if (v.at(id + ".n_min") > v.at(id + ".n_max")) return "n_min must be <= n_max";
    if (v.at(id + ".d_min") > v.at(id + ".d_max")) return "d_min must be <= d_max";
    return "";
  };
  c.run = [](Context& ctx) {
    const std::vector<int> ns = geometric(int(ctx.integer("n_min")), int(ctx.integer("n_max")));
    const std::vector<int> ds = geometric(int(ctx.integer("d_min")), int(ctx.integer("d_max")));
    if (ns.empty() || ds.empty()) throw std::invalid_argument("need n_min <= n_max and d_min <= d_max");
    for (int n : ns)
      if (n < 3) throw std::invalid_argument("n must be at least 3");
    const double filler_norm = ctx.real("filler_norm"), margin = ctx.real("score_margin"), m = ctx.real("alibi_m");

    // Weights, query and random filler of each (n, d), from its own stream.
    std::vector<HighwaySetting> settings;
    for (int n : ns)
      for (int d : ds) {
        core::PhiloxStream rng = ctx.rng("weights", settings.size());
        HighwaySetting s;
        s.n = n;
        s.d = d;
        const double sc = 1.0 / std::sqrt(double(d));
        s.head = {rng.normal_matrix(d, d, sc), rng.normal_matrix(d, d, sc), rng.normal_matrix(d, d, sc),
                  rng.normal_matrix(d, d, sc)};
        s.q = rng.normal_vector(d);
        s.q /= s.q.norm();
        s.u = s.head.WK.transpose() * (s.head.WQ * s.q) / std::sqrt(double(d));
        const VectorXd z = rng.normal_vector(d);
        s.f_rand = filler_norm * z / z.norm();
        settings.push_back(std::move(s));
      }

    // Series: (setting, filler, alibi). Each (series, l) is one slot.
    std::vector<Series> series;
    std::vector<std::pair<int, VectorXd>> fill;  // setting index, filler
    for (size_t si = 0; si < settings.size(); ++si)
      for (int alibi = 0; alibi < 2; ++alibi)
        for (int fz = 0; fz < 2; ++fz) {
          const auto& s = settings[si];
          Series r;
          r.n = s.n;
          r.d = s.d;
          r.filler = fz == 0 ? "zero" : "random";
          r.alibi = alibi == 1;
          r.g.assign(s.n - 1, 0.0);
          r.g_pred.assign(s.n - 1, 0.0);
          r.norm_WOWV = core::spectral_norm(s.head.value_map());
          series.push_back(std::move(r));
          fill.push_back({int(si), fz == 0 ? VectorXd(VectorXd::Zero(s.d)) : s.f_rand});
        }
    std::vector<MatrixXd> biases;  // per setting, the n x n ALiBi bias
    for (const auto& s : settings) biases.push_back(core::alibi_bias<double>(s.n, m));

    struct Slot {
      int series, l;
    };
    std::vector<Slot> slots;
    for (size_t k = 0; k < series.size(); ++k)
      for (int l = 1; l < series[k].n; ++l) slots.push_back({int(k), l});
    std::vector<std::string> errors(slots.size());
#pragma omp parallel for schedule(dynamic, 16) num_threads(ctx.threads())
    for (long t = 0; t < long(slots.size()); ++t) {
      try {
        const Slot sl = slots[t];
        Series& r = series[sl.series];
        const HighwaySetting& s = settings[fill[sl.series].first];
        const VectorXd& f = fill[sl.series].second;
        const double s_a = std::log(double(s.n)) + margin + s.u.dot(f);
        const VectorXd a = s_a * s.u / s.u.squaredNorm();
        const MatrixXd X = highway_input(s.n, sl.l, s.q, a, f);
        core::MultiHeadSoftmax<double> mh;
        mh.heads = {s.head};
        core::SoftmaxOptions opt;
        opt.causal = true;
        if (r.alibi) opt.bias = &biases[fill[sl.series].first];
        r.g[sl.l - 1] = softmax_g(mh, X, sl.l, opt);
        const MatrixXd J = theory::ssm_heads::single_key_jacobian(s.head.WQ, s.head.WK, s.head.WV, s.head.WO, s.q, a,
                                                                  f, s.n, sl.l, r.alibi ? m : 0.0);
        r.g_pred[sl.l - 1] = core::spectral_norm(J);
        if (sl.l == 1) {
          r.s_a = s_a;
          r.alpha_key = core::softmax_weights(s.head, X, opt)(s.n - 1, s.n - 2);
        }
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    }
    for (const auto& e : errors)
      if (!e.empty()) throw std::runtime_error(e);

    // SSM S1 (A = 0.9 R(pi/3), B = C = I_2; deterministic) at each n, and its H = k emulator.
    core::PhiloxStream s1rng = ctx.rng("S1", 0);
    const Setting S1 = make_setting("S1", s1rng);
    struct SsmSeries {
      int n = 0, k = 0;
      std::vector<double> g_ssm, g_emu;
    };
    std::vector<SsmSeries> ssm_series(ns.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(ctx.threads())
    for (long t = 0; t < long(ns.size()); ++t) {
      const int n = ns[t];
      SsmSeries& r = ssm_series[t];
      r.n = n;
      const int p = int(S1.ssm.out_dim()), d = int(S1.ssm.in_dim());
      r.g_ssm = g_profile(n, p, d, [&](const MatrixXd& G) { return S1.ssm.backward(G); });
      const core::FactorizedLayer<double> emu = positional_emulator(S1.ssm, n, &r.k);
      r.g_emu = g_profile(n, p, d, [&](const MatrixXd& G) { return core::factorized_backward(emu, G); });
    }

    // CSVs and checks.
    auto& csv = ctx.csv("ssm_heads_gradient_highway.csv",
                        {"series", "n", "d", "filler", "l", "g", "g_rel", "g_pred", "rel_dev", "tol_flat"});
    auto& sum = ctx.csv("ssm_heads_gradient_highway_summary.csv",
                        {"series", "n", "d", "filler", "g1", "g_star", "max_rel_dev", "max_rel_dev_eps", "tol_flat",
                         "pred_rel_err", "norm_WOWV", "g1_over_norm", "s_a", "alpha_key_l1", "holds_flat",
                         "holds_pred", "holds_path"});
    std::vector<Check> main_parts, control_parts, guard_parts;
    for (const Series& r : series) {
      const std::string name = fmt::format("{}{}_n{}_d{}", r.alibi ? "alibi_" : "softmax_", r.filler, r.n, r.d);
      const double tol = kFlatUlps * r.n * kEps;
      const double g1 = r.g[0], gstar = r.g_pred[0];
      double maxdev = 0;
      for (int l = 1; l < r.n; ++l) {
        const double dev = std::fabs(r.g[l - 1] - g1) / g1;
        maxdev = std::isnan(dev) ? dev : std::max(maxdev, dev);
        csv.row({r.alibi ? "alibi" : "softmax", r.n, r.d, r.filler, l, r.g[l - 1], r.g[l - 1] / g1, r.g_pred[l - 1],
                 dev, tol});
      }
      const double pred_err = std::fabs(g1 - gstar) / gstar;
      const double path_floor = kPathFraction * r.norm_WOWV;
      std::vector<Check> parts = {
          Check::at_most(maxdev, tol, name + ": max_l |g(l) - g(1)|/g(1)"),
          Check::at_most(pred_err, kPredTol, name + ": |g(1) - g*|/g*"),
          Check::at_least(g1, path_floor, name + ": g(1) vs 0.5 ||W_O W_V||"),
      };
      sum.row({r.alibi ? "alibi" : "softmax", r.n, r.d, r.filler, g1, gstar, maxdev, maxdev / kEps, tol, pred_err,
               r.norm_WOWV, g1 / r.norm_WOWV, r.s_a, r.alpha_key, int(parts[0].holds), int(parts[1].holds),
               int(parts[2].holds)});
      auto& dst = r.alibi ? control_parts : main_parts;
      dst.insert(dst.end(), parts.begin(), parts.end());
      if (!r.alibi) guard_parts.push_back(Check::at_least(g1, path_floor, name + ": path g(1) vs 0.5 ||W_O W_V||"));
    }
    for (const SsmSeries& r : ssm_series) {
      for (int l = 1; l < r.n; ++l) {
        const double pred = std::pow(0.9, double(l));  // S1: ||0.9^l R(l pi/3)||_2 = 0.9^l
        csv.row({"ssm_S1", r.n, 2, "", l, r.g_ssm[l - 1], r.g_ssm[l - 1] / r.g_ssm[0], pred,
                 std::fabs(r.g_ssm[l - 1] - pred) / pred, std::numeric_limits<double>::quiet_NaN()});
      }
      for (int l = 1; l < r.n; ++l)
        csv.row({fmt::format("emulator_S1_H{}", r.k), r.n, 2, "", l, r.g_emu[l - 1], r.g_emu[l - 1] / r.g_emu[0],
                 r.g_ssm[l - 1], std::fabs(r.g_emu[l - 1] - r.g_ssm[l - 1]) / r.g_ssm[l - 1],
                 std::numeric_limits<double>::quiet_NaN()});
    }
    Outcome o;
    o.guard = Check::all(guard_parts, "highway path does not vanish");
    o.check = Check::all(main_parts, "flat, as predicted, not small");
    o.controls = {{"ALiBi bias -0.5 (i - j)", Check::all(control_parts, "ALiBi")}};
    return o;
  };
  return c;
}

}  // namespace attnlab::exp::ssm_heads

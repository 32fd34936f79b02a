// Claim 1, icl_regression.gradient_check: the hand-written backward pass of the query-readout
// multi-head attention layer (core/training) equals central finite differences of the loss for
// softmax / linear scores, merged / factored parameters, 1 / 2 outputs (8 variants).
// Spec: shared/claims/icl_regression.md, "Loss and hand-written gradient" and "Claim 1".
#include "experiments/common/context.hpp"
#include "experiments/icl_regression/claims.hpp"
#include "core/training.hpp"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace attnlab::exp::icl_regression {

namespace {
constexpr double kTol = 1e-6;         // criterion: relative L2 error <= 1e-6 in every variant
constexpr double kGradFloor = 1e-3;   // guard: ||g_FD|| above this in every variant
}  // namespace

Claim gradient_check() {
  Claim c;
  c.id = "icl_regression.gradient_check";
  c.kind = Kind::identity;
  c.source = std::string(kSource) + "; infrastructure for every training claim (no paper number)";
  c.statement =
      "The hand-written backward pass of the query-readout multi-head attention layer equals central finite "
      "differences of the loss, for softmax and linear attention, merged and factored parameters, single and multiple "
      "outputs.";
  c.criterion = "||g_hand - g_FD||_2 / ||g_FD||_2 <= 1e-6 in each of the 8 variants (h = 1e-6, float64).";
  c.control_name = "softmax Jacobian without its mean term";
  c.control_description =
      "The softmax backward uses ds_i = p_i dp_i (dropping -p_i sum_j p_j dp_j): the relative error is O(1) in the "
      "softmax variants and the check must fail.";
  c.params = {
      int_param("d", "covariate dimension", 4, 4, 1, 32),
      int_param("n", "context length", 10, 10, 2, 200),
      int_param("heads", "number of heads H", 3, 3, 1, 16),
      int_param("batch", "prompts per batch B", 8, 8, 1, 1024),
      real_param("h", "finite-difference step", 1e-6, 1e-6, 1e-9, 1e-2),
  };
  c.figures = {"gradient_check"};
  c.run = [](Context& ctx) {
    const int d = int(ctx.integer("d")), n = int(ctx.integer("n")), H = int(ctx.integer("heads")),
              B = int(ctx.integer("batch"));
    const double h = ctx.real("h");
    auto& t = ctx.csv("gradient_check.csv",
                      {"variant", "kind", "params", "outputs", "control", "rel_error", "grad_norm", "threshold"});
    std::vector<Check> parts, ctrl_parts;
    double min_norm = 1e300;
    int v = 0;
    for (int k : {1, 2})
      for (bool factored : {false, true})
        for (core::ScoreKind kind : {core::ScoreKind::softmax, core::ScoreKind::linear}) {
          core::RegressionTask task;
          task.d = d, task.n = n, task.k = k, task.s2 = 0.1;
          core::PromptBatch b;
          auto rng = ctx.rng("data", std::uint64_t(v));
          core::sample_regression_batch(task, B, rng, b);
          core::AttentionModel m = core::AttentionModel::zeros(kind, factored, H, task.D(), k);
          auto prng = ctx.rng("params", std::uint64_t(v));
          m.init_uniform(prng, 0.5);
          std::vector<core::MatrixXd> g;
          core::loss_and_grad(m, b, &g);
          const core::VectorXd fd = core::central_difference_gradient(
              [&](const core::AttentionModel& w) { return core::loss_and_grad(w, b, nullptr); }, m, h);
          const double err = core::relative_l2_error(core::flatten(g), fd);
          const std::string kname = kind == core::ScoreKind::softmax ? "softmax" : "linear";
          const std::string name = fmt::format("{}/{}/k={}", kname, factored ? "factored" : "merged", k);
          min_norm = std::min(min_norm, fd.norm());
          parts.push_back(Check::at_most(err, kTol, "rel. error " + name));
          t.row({name, kname, factored ? "factored" : "merged", k, false, err, fd.norm(), kTol});
          if (kind == core::ScoreKind::softmax) {
            core::BackwardOptions bad;
            bad.drop_softmax_mean = true;
            std::vector<core::MatrixXd> gb;
            core::loss_and_grad(m, b, &gb, bad);
            const double eb = core::relative_l2_error(core::flatten(gb), fd);
            ctrl_parts.push_back(Check::at_most(eb, kTol, "rel. error (no mean term) " + name));
            t.row({name + " (control)", kname, factored ? "factored" : "merged", k, true, eb, fd.norm(), kTol});
          }
          ++v;
        }
    Outcome o;
    o.guard = Check::at_least(min_norm, kGradFloor, "min ||g_FD||_2 over variants");
    o.check = Check::all(parts, "8 variants");
    o.controls.push_back({"softmax Jacobian without its mean term", Check::all(ctrl_parts, "4 softmax variants")});
    return o;
  };
  return c;
}

}  // namespace attnlab::exp::icl_regression

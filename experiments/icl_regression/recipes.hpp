// Full-mode wiring shared by the training claims: the params that switch a claim's models to
// the paper recipe (factored, Adam 1e-3, B = 256, paper_steps steps, atomic resumable
// checkpoints under Context::work_dir()), and the recipe a claim trains under them. Models of
// the same recipe and seed are trained once per process and shared (models.hpp cache), so the
// claims that train paper H = 4 at s2 = 0.1 (claims 3-7) share those runs.
// Spec: shared/claims/icl_regression.md, "Training recipes" and each claim's "Full:" setting.
#pragma once
#include "experiments/common/context.hpp"
#include "experiments/icl_regression/models.hpp"

#include <vector>

namespace attnlab::exp::icl_regression {

// "paper" (quick 0, full 1), "paper_steps" (500 000), "checkpoint_every" (10 000).
inline std::vector<ParamSpec> paper_params() {
  return {int_param("paper", "1: train the judged models with the paper recipe (factored, Adam 1e-3, B = 256), 0: quick recipe",
                    0, 1, 0, 1),
          int_param("paper_steps", "Adam steps of the paper recipe", 500000, 500000, 10, 10000000),
          int_param("checkpoint_every", "steps between checkpoints of a paper-recipe run (under the run's checkpoints/)",
                    10000, 10000, 10, 10000000)};
}

inline bool use_paper(Context& ctx) { return ctx.integer("paper") == 1; }

inline Checkpoints checkpoints(Context& ctx) {
  return Checkpoints{ctx.work_dir(), ctx.full() ? "full" : "quick", ctx.integer("checkpoint_every")};
}

// The quick recipe with T = "steps", or the paper recipe with T = "paper_steps" when paper = 1.
inline Recipe claim_recipe(Context& ctx, bool paper, int H, double s2 = 0.1, double rho = 0) {
  if (paper) return paper_recipe(H, ctx.integer("paper_steps"), s2, rho);
  Recipe r = quick_recipe(H, s2, rho);
  r.T = ctx.integer("steps");
  return r;
}

// Appends params to a claim's list.
inline void add_params(std::vector<ParamSpec>& to, const std::vector<ParamSpec>& more) {
  to.insert(to.end(), more.begin(), more.end());
}

}  // namespace attnlab::exp::icl_regression

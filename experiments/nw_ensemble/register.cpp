// Registration of the nw_ensemble experiment (claims in experiments/nw_ensemble/).
#include "experiments/nw_ensemble/claims.hpp"

namespace attnlab::exp {

void register_nw_ensemble(Registry& r) {
  using namespace nw_ensemble;
  Experiment e;
  e.name = "nw_ensemble";
  e.title = "Multi-head attention as an ensemble of Nadaraya-Watson estimators: identities, BVC split, head diversity, allocation";
  e.source = kSource;
  e.claims = {softmax_is_nw(), mha_is_nw_ensemble(), bvc_identity(), angle_decorrelation(), mse_decreases_with_hdi(),
              optimal_allocation(), dk_log_n(), heads_linear_in_budget()};
  // Where each claim's non-degeneracy guard trips (tests/unit/exp_degenerate.cpp runs them).
  set_degenerate(e, "softmax_is_nw", {{"input_scale", 0.01}},
                 "input_scale = 0.01 shrinks the logits to ~1e-4: the kernel weights are uniform to within "
                 "n max_i |w_i - 1/n| = 3.1e-4 (median), below the 0.5 floor, so the NW estimator is a plain mean");
  set_degenerate(e, "mha_is_nw_ensemble", {{"H_max", 1}},
                 "H_max = 1 leaves only single-head instances: 0 instances with H >= 2, so neither the ensemble nor "
                 "the single-wide-head control is exercised");
  set_degenerate(e, "bvc_identity", {{"trials", 2}},
                 "with two Monte Carlo trials the covariance term is noise, below 1 % of the MSE");
  set_degenerate(e, "angle_decorrelation", {{"n", 2}}, "n = 2 is far below the 200 kappa^dk the asymptotics need");
  set_degenerate(e, "mse_decreases_with_hdi", {{"n", 100000}, {"designs", 3}},
                 "at n = 1e5 the predicted MSE gap between HDI 0 and 1 is below 0.1 % of the MSE");
  set_degenerate(e, "optimal_allocation", {{"sigma", 10.0}},
                 "noise level sigma = 10 lets the variance dominate: the predicted MSE(d_k) is smallest at the d_k = 1 "
                 "edge (vertex censored at 1), so there is no interior split to locate");
  set_degenerate(e, "dk_log_n", {{"n_step", 2.0}},
                 "n_step = 2 sweeps n = 1000, 2000, 4000: an n ratio of 4 < 10, too narrow to resolve a log n slope");
  set_degenerate(e, "heads_linear_in_budget", {{"D_step", 1.5}},
                 "D_step = 1.5 sweeps D = 16, 24, 36: a D ratio of 2.25 < 4, too narrow to resolve the log-log slope");
  r.add(std::move(e));
}

}  // namespace attnlab::exp

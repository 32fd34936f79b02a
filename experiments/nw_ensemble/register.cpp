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
  const std::map<std::string, double> none;
  set_degenerate(e, "softmax_is_nw", none,
                 "the guard (min S_j, kernel weights far from uniform) reads instance families the claim fixes");
  set_degenerate(e, "mha_is_nw_ensemble", none, "the guard (min S_j, control instances with H >= 2) holds for any count");
  set_degenerate(e, "bvc_identity", {{"trials", 2}},
                 "with two Monte Carlo trials the covariance term is noise, below 1 % of the MSE");
  set_degenerate(e, "angle_decorrelation", {{"n", 2}}, "n = 2 is far below the 200 kappa^dk the asymptotics need");
  set_degenerate(e, "mse_decreases_with_hdi", {{"n", 100000}, {"designs", 3}},
                 "at n = 1e5 the predicted MSE gap between HDI 0 and 1 is below 0.1 % of the MSE");
  set_degenerate(e, "optimal_allocation", none, "the guard (predicted vertex interior) holds on the whole accepted n range");
  set_degenerate(e, "dk_log_n", none, "n_points >= 3 always spans n 1000..16000, a ratio >= 10");
  set_degenerate(e, "heads_linear_in_budget", none, "D_points >= 3 always spans D 16..64, a ratio >= 4");
  r.add(std::move(e));
}

}  // namespace attnlab::exp

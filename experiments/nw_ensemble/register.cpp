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
  r.add(std::move(e));
}

}  // namespace attnlab::exp

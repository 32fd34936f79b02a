// Registration of the icl_regression experiment (claims in experiments/icl_regression/).
#include "experiments/icl_regression/claims.hpp"

namespace attnlab::exp {

void register_icl_regression(Registry& r) {
  using namespace icl_regression;
  Experiment e;
  e.name = "icl_regression";
  e.title = "What multi-head softmax attention learns on in-context linear regression";
  e.source = kSource;
  e.claims = {gradient_check(), dgd_limit(), attention_patterns(), risk_matches_dgd(), near_bayes(),
              length_generalization(), preconditioned_gd(), multitask_superposition()};
  r.add(std::move(e));
}

}  // namespace attnlab::exp

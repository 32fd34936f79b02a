// Registration of the icl_regression experiment (claims in experiments/icl_regression/).
#include "experiments/icl_regression/claims.hpp"

#include <map>
#include <string>

namespace attnlab::exp {

void register_icl_regression(Registry& r) {
  using namespace icl_regression;
  Experiment e;
  e.name = "icl_regression";
  e.title = "What multi-head softmax attention learns on in-context linear regression";
  e.source = kSource;
  e.claims = {gradient_check(), dgd_limit(), attention_patterns(), risk_matches_dgd(), near_bayes(),
              length_generalization(), preconditioned_gd(), multitask_superposition()};
  // Where each claim's non-degeneracy guard trips (tests/unit/exp_degenerate.cpp runs them):
  // 10 training steps leave every model untrained (risk about 1 + s2, eta_hat about 0).
  const std::map<std::string, double> untrained{{"steps", 10}};
  set_degenerate(e, "gradient_check", {{"d", 1}, {"n", 2}, {"heads", 1}, {"batch", 1}},
                 "one prompt of two tokens in one dimension, one head: min ||g_FD|| = 5.3e-4 < 1e-3");
  set_degenerate(e, "dgd_limit", {{"eta", 0.001}}, "eta = 0.001 makes |f_DGD| of the prompt fall below 1e-3");
  set_degenerate(e, "attention_patterns", untrained, "10 SGD steps: |eta_hat| of every seed far below 0.3");
  set_degenerate(e, "risk_matches_dgd", untrained, "10 SGD steps: risk about 1 + s2, above 0.5 (1 + s2)");
  set_degenerate(e, "near_bayes", untrained, "10 SGD steps: multi-head excess risk R - s2 about 1, above 0.5, at both noise levels");
  set_degenerate(e, "length_generalization", untrained, "10 SGD steps: softmax risk at n = 40 above 0.5 (1 + s2)");
  set_degenerate(e, "preconditioned_gd", untrained, "10 SGD steps: anisotropic-model risk above 0.5 (1 + s2)");
  set_degenerate(e, "multitask_superposition", untrained, "10 SGD steps: H = 3 risk above 0.5 x 2 (1 + s2)");
  r.add(std::move(e));
}

}  // namespace attnlab::exp

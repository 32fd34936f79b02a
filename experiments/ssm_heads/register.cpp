#include "experiments/ssm_heads/claims.hpp"

namespace attnlab::exp {

void register_ssm_heads(Registry& r) {
  using namespace ssm_heads;
  Experiment e;
  e.name = "ssm_heads";
  e.title = "How many attention heads a linear SSM needs: head count, rank gap, gradient highways";
  e.source = kSource;
  e.claims = {exact_emulation_at_k(), deficit_below_k(),           single_head_rank_gap(),
              ssm_gradient_decay(),   attention_gradient_highway(), lower_bound_scope()};
  // Where each claim's non-degeneracy guard trips (tests/unit/exp_degenerate.cpp runs them).
  const std::map<std::string, double> none;
  set_degenerate(e, "exact_emulation_at_k", none,
                 "the guard reads the spec's fixed SSMs S1-S7 (r_{k-1} floor, gap condition); no parameter moves them");
  set_degenerate(e, "deficit_below_k", none, "the guard reads the spec's fixed settings (gap condition, measured k >= 2)");
  set_degenerate(e, "single_head_rank_gap", none,
                 "the guard reads the spec's fixed SSMs and the largest r_1 of the rotation sweep, which always holds "
                 "theta = pi/2 or near it");
  set_degenerate(e, "ssm_gradient_decay", {{"n", 4000}, {"lag_max", 3500}},
                 "lags up to 3500 push g = rho^lag below the 1e-250 floor");
  set_degenerate(e, "attention_gradient_highway", none,
                 "the guard is g(1) >= 0.5 ||W_O W_V||, which the construction (anchor score log n + margin >= log n) "
                 "keeps for every accepted parameter");
  set_degenerate(e, "lower_bound_scope", none, "the guard reads the fixed normal-A SSMs (k >= 2, r_1, gap condition)");
  r.add(std::move(e));
}

}  // namespace attnlab::exp

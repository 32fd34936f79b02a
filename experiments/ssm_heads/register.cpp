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
  set_degenerate(e, "exact_emulation_at_k", {{"rho_max", 0.05}},
                 "rho_max = 0.05 makes the random SSMs forget within a few steps: S2 and S3 fail the gap condition "
                 "after 200 redraws (sigma_k / sigma_1 = 1.4e-9 and 5.0e-11 < 1e-6), so k(n) is not resolvable");
  set_degenerate(e, "deficit_below_k", {{"rho_max", 0.05}},
                 "rho_max = 0.05: S2 fails the gap condition after 200 redraws (sigma_6 / sigma_1 = 1.4e-9 < 1e-6), "
                 "so its lag operator has fewer than k resolvable directions");
  set_degenerate(e, "single_head_rank_gap", {{"rho_max", 0.05}},
                 "rho_max = 0.05: S2 fails the gap condition after 200 redraws (sigma_6 / sigma_1 = 1.4e-9 < 1e-6); "
                 "S1, S7 and the rotation sweep still hold");
  set_degenerate(e, "ssm_gradient_decay", {{"n", 4000}, {"lag_max", 3500}},
                 "lags up to 3500 push g = rho^lag below the 1e-250 floor");
  set_degenerate(e, "attention_gradient_highway", {{"score_margin", -4.0}},
                 "score_margin = -4 (about -log n at n = 64) puts the key's score level with the fillers: its weight "
                 "falls to 0.018 and g(1) = 0.018 ||W_O W_V|| < 0.5 ||W_O W_V||");
  set_degenerate(e, "lower_bound_scope", {{"d", 1}},
                 "d = p = 1 makes the SSM scalar: measured k = 1 and r_1 = 0 (< 1e-3), one positional head already "
                 "matches it");
  r.add(std::move(e));
}

}  // namespace attnlab::exp

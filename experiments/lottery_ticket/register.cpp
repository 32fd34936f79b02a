// Registration of the lottery_ticket experiment (claims in experiments/lottery_ticket/).
#include "experiments/lottery_ticket/claims.hpp"

namespace attnlab::exp {

void register_lottery_ticket(Registry& r) {
  using namespace lottery_ticket;
  Experiment e;
  e.name = "lottery_ticket";
  e.title = "Strong lottery tickets inside random multi-head attention: subset sums, merged weights, width and length";
  e.source = kSource;
  e.claims = {subset_sum_rate(), merge_identity(), mha_error_rate(), length_independent_bound(), theorem_width_success(), transformer_rate()};
  // Where each claim's non-degeneracy guard trips (tests/unit/exp_degenerate.cpp runs them).
  set_degenerate(e, "subset_sum_rate", {{"fit_from", 16}, {"trials", 3}},
                 "fitting only m = 16, 20 with 3 trials each leaves 6 fitted trials per law (< 9) on 2 pool sizes "
                 "(< 3), too few for a slope");
  set_degenerate(e, "merge_identity", {{"token_scale", 0}},
                 "all-zero tokens make every output 0, so the identity holds vacuously: smallest max|y_merged| = 0 "
                 "< 1e-3");
  set_degenerate(e, "mha_error_rate", {{"token_scale", 0}},
                 "all-zero tokens make target and ticket outputs both 0: smallest fitted E = 0 < 1e-14, no rate "
                 "to measure");
  set_degenerate(e, "length_independent_bound", {{"token_scale", 0}},
                 "all-zero tokens make every error 0, so E <= B_prop holds vacuously: smallest E = 0 < 1e-14");
  set_degenerate(e, "theorem_width_success", {{"token_scale", 0}},
                 "all-zero tokens make every error 0, so every trial succeeds vacuously: largest E = 0 < 1e-12");
  set_degenerate(e, "transformer_rate", {{"token_scale", 0}},
                 "all-zero tokens (no biases anywhere) keep every block's output 0: smallest fitted E = 0 < 1e-14, "
                 "no rate to measure");
  r.add(std::move(e));
}

}  // namespace attnlab::exp

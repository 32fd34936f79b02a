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
  const std::map<std::string, double> none;
  set_degenerate(e, "subset_sum_rate", none,
                 "the guard needs 9 fitted trials per law; the parameter check (3 pool sizes, 3 trials) already refuses fewer");
  set_degenerate(e, "merge_identity", none, "the guard (outputs and masks not empty) held in every setting tried (dK 1, trials 1); open");
  set_degenerate(e, "mha_error_rate", none, "the guard (fitted errors above 1e-14) was not reached by any parameter tried (m_max 40, dK 1); open");
  set_degenerate(e, "length_independent_bound", none, "the guard (smallest E above 1e-14) was not reached by any parameter tried (T_max_log2 2, trials 1); open");
  set_degenerate(e, "theorem_width_success", none, "the guard (largest E >= 1e-12) held in every setting tried (T 1, trials 10); open");
  set_degenerate(e, "transformer_rate", none, "the guard (fitted errors above 1e-14) was not reached by any parameter tried; open");
  r.add(std::move(e));
}

}  // namespace attnlab::exp

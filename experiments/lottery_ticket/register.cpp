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
  r.add(std::move(e));
}

}  // namespace attnlab::exp

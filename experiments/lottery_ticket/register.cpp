// Registration of the lottery_ticket experiment (claims in experiments/lottery_ticket/).
#include "experiments/common/claim.hpp"

namespace attnlab::exp {

void register_lottery_ticket(Registry& r) {
  (void)r;  // no claims registered yet
}

}  // namespace attnlab::exp

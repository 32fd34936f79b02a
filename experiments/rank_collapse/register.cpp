// Registration of the rank_collapse experiment (claims in experiments/rank_collapse/).
#include "experiments/common/claim.hpp"

namespace attnlab::exp {

void register_rank_collapse(Registry& r) {
  (void)r;  // no claims registered yet
}

}  // namespace attnlab::exp

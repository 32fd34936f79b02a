// Registration of the nw_ensemble experiment (claims in experiments/nw_ensemble/).
#include "experiments/common/claim.hpp"

namespace attnlab::exp {

void register_nw_ensemble(Registry& r) {
  (void)r;  // no claims registered yet
}

}  // namespace attnlab::exp

// Registration of the icl_regression experiment (claims in experiments/icl_regression/).
#include "experiments/common/claim.hpp"

namespace attnlab::exp {

void register_icl_regression(Registry& r) {
  (void)r;  // no claims registered yet
}

}  // namespace attnlab::exp

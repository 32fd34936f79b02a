// Registration of the tensor_attention experiment (claims in experiments/tensor_attention/).
#include "experiments/common/claim.hpp"

namespace attnlab::exp {

void register_tensor_attention(Registry& r) {
  (void)r;  // no claims registered yet
}

}  // namespace attnlab::exp

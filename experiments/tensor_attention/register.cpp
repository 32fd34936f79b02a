// Registration of the tensor_attention experiment (claims in experiments/tensor_attention/).
#include "experiments/tensor_attention/claims.hpp"

namespace attnlab::exp {

void register_tensor_attention(Registry& r) {
  using namespace tensor_attention;
  Experiment e;
  e.name = "tensor_attention";
  e.title = "Kronecker (tensor) attention: exact factored evaluation, Taylor error, degree budget, near-linear cost";
  e.source = kSource;
  e.claims = {factored_identity(), taylor_error_bound(), degree_budget(), near_linear_cost(), match3_expressivity(),
              tpa_factored_cache()};
  r.add(std::move(e));
}

}  // namespace attnlab::exp

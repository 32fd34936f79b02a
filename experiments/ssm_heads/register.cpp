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
  r.add(std::move(e));
}

}  // namespace attnlab::exp

// TEMPORARY placeholder, to be replaced by the real claim (single_head_rank_gap).
#include "experiments/ssm_heads/claims.hpp"
#include <stdexcept>

namespace attnlab::exp::ssm_heads {

Claim single_head_rank_gap() {
  Claim c;
  c.id = "ssm_heads.single_head_rank_gap";
  c.source = kSource;
  c.statement = "placeholder";
  c.criterion = "placeholder";
  c.control_name = "placeholder";
  c.run = [](Context&) -> Outcome { throw std::runtime_error("not implemented yet"); };
  return c;
}

}  // namespace attnlab::exp::ssm_heads

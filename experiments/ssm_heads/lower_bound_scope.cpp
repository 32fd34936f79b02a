// TEMPORARY placeholder, to be replaced by the real claim (lower_bound_scope).
#include "experiments/ssm_heads/claims.hpp"
#include <stdexcept>

namespace attnlab::exp::ssm_heads {

Claim lower_bound_scope() {
  Claim c;
  c.id = "ssm_heads.lower_bound_scope";
  c.source = kSource;
  c.statement = "placeholder";
  c.criterion = "placeholder";
  c.control_name = "placeholder";
  c.run = [](Context&) -> Outcome { throw std::runtime_error("not implemented yet"); };
  return c;
}

}  // namespace attnlab::exp::ssm_heads

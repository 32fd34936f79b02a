// TEMPORARY placeholder, to be replaced by the real claim (ssm_gradient_decay).
#include "experiments/ssm_heads/claims.hpp"
#include <stdexcept>

namespace attnlab::exp::ssm_heads {

Claim ssm_gradient_decay() {
  Claim c;
  c.id = "ssm_heads.ssm_gradient_decay";
  c.source = kSource;
  c.statement = "placeholder";
  c.criterion = "placeholder";
  c.control_name = "placeholder";
  c.run = [](Context&) -> Outcome { throw std::runtime_error("not implemented yet"); };
  return c;
}

}  // namespace attnlab::exp::ssm_heads

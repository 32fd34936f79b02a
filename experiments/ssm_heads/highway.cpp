// TEMPORARY placeholder, to be replaced by the real claim (attention_gradient_highway).
#include "experiments/ssm_heads/claims.hpp"
#include <stdexcept>

namespace attnlab::exp::ssm_heads {

Claim attention_gradient_highway() {
  Claim c;
  c.id = "ssm_heads.attention_gradient_highway";
  c.source = kSource;
  c.statement = "placeholder";
  c.criterion = "placeholder";
  c.control_name = "placeholder";
  c.run = [](Context&) -> Outcome { throw std::runtime_error("not implemented yet"); };
  return c;
}

}  // namespace attnlab::exp::ssm_heads

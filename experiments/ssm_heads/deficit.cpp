// TEMPORARY placeholder, to be replaced by the real claim (deficit_below_k).
#include "experiments/ssm_heads/claims.hpp"
#include <stdexcept>

namespace attnlab::exp::ssm_heads {

Claim deficit_below_k() {
  Claim c;
  c.id = "ssm_heads.deficit_below_k";
  c.source = kSource;
  c.statement = "placeholder";
  c.criterion = "placeholder";
  c.control_name = "placeholder";
  c.run = [](Context&) -> Outcome { throw std::runtime_error("not implemented yet"); };
  return c;
}

}  // namespace attnlab::exp::ssm_heads

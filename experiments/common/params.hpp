// Internal to experiments/common: validating one parameter value (shared by effective_params,
// --set and --config).
#pragma once
#include "experiments/common/claim.hpp"

#include <string>

namespace attnlab::exp {

// "" when `v` is acceptable for `p` (finite, an integer where one is declared, inside
// [lo, hi]); otherwise one sentence naming `full_name`, the value and what is accepted.
std::string check_param_value(const std::string& full_name, const ParamSpec& p, double v);

}  // namespace attnlab::exp

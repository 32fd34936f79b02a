// The fixed settings of the ssm_heads spec (S1-S7, Z1, Z2) and the random-SSM generator with
// its gap condition. Shared by several claims of this experiment.
#pragma once
#include "core/rng.hpp"
#include "core/ssm.hpp"

#include <string>
#include <vector>

namespace attnlab::exp::ssm_heads {

struct Setting {
  std::string id;                   // "S1".."S7", "Z1", "Z2", or a full-grid label
  int n = 0, p = 0, d = 0, N = 0;
  core::LinearSSM<double> ssm;
  int k_pred = 0;                   // predicted k(n) (table value or generic_required_heads)
  std::string dynamics;             // one-line description
  int redraws = 0;                  // draws rejected by the gap condition
  bool gap_ok = true;               // false if 200 redraws all failed
};

// Builds a named setting of the spec's table. Random parts draw from `rng` (the caller passes
// ctx.rng(<id>, trial)); a draw violating the gap condition (sigma_k/sigma_1 >= 1e-6 and
// sigma_{k+1}/sigma_1 <= 1e-12 for L_n) is redrawn from the continuation of the same stream,
// at most 200 times.
Setting make_setting(const std::string& id, core::PhiloxStream& rng);

// A random normal-A SSM of the full grid (n, p, d, N; D = 0) under the same gap condition.
Setting make_random_setting(const std::string& label, int n, int p, int d, int N, core::PhiloxStream& rng);

}  // namespace attnlab::exp::ssm_heads

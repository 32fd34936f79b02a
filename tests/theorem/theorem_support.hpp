// Shared by the theorem tests: run one registered claim in quick mode, in memory.
#pragma once
#include "experiments/common/run.hpp"

#include <string>

namespace attnlab::test {

inline const exp::Claim& claim(const std::string& id) {
  static bool registered = [] {
    exp::register_ssm_heads(exp::global_registry());
    return true;
  }();
  (void)registered;
  const exp::Claim* c = exp::global_registry().find_claim(id);
  if (!c) throw std::runtime_error("no claim " + id);
  return *c;
}

inline exp::ClaimResult run_quick(const std::string& id, std::uint64_t seed = 1,
                                  const std::map<std::string, double>& overrides = {}) {
  return exp::run_claim(claim(id), exp::Mode::quick, seed, 2, exp::Device::cpu, overrides);
}

}  // namespace attnlab::test

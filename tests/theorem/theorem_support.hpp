// Shared by the theorem tests: run one registered claim in quick mode, in memory.
#pragma once
#include "experiments/common/run.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

#include <string>

namespace attnlab::test {

inline const exp::Claim& claim(const std::string& id) {
  static bool registered = [] {
    exp::register_ssm_heads(exp::global_registry());
    exp::register_nw_ensemble(exp::global_registry());
    exp::register_rank_collapse(exp::global_registry());
    exp::register_lottery_ticket(exp::global_registry());
    exp::register_tensor_attention(exp::global_registry());
    exp::register_icl_regression(exp::global_registry());
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

// Index of a CSV column by name (fails the test if absent).
inline size_t col(const exp::Table& t, const std::string& name) {
  const auto& h = t.header();
  const auto it = std::find(h.begin(), h.end(), name);
  REQUIRE(it != h.end());
  return static_cast<size_t>(it - h.begin());
}

// A numeric cell as double (integers included).
inline double num(const exp::Cell& c) { return c.t == exp::Cell::T::real ? c.r : double(c.i); }

// The contract every theorem test asserts: the verdict is the expected one, and for an
// expected PASS the guard and the check hold; every negative control's check FAILS.
inline void require_expected_verdict_and_failing_controls(const exp::ClaimResult& r) {
  INFO(r.claim->id << ": " << r.reason);
  CHECK(r.verdict == r.claim->expected);
  if (r.claim->expected == exp::Verdict::PASS) {
    CHECK(r.verdict == exp::Verdict::PASS);
    CHECK(r.outcome.guard.holds);
    CHECK(r.outcome.check.holds);
  }
  REQUIRE(!r.outcome.controls.empty());
  CHECK(r.outcome.controls[0].name == r.claim->control_name);
  for (const auto& c : r.outcome.controls) {
    INFO(c.name << ": " << c.check.reason);
    CHECK_FALSE(c.check.holds);
  }
}

}  // namespace attnlab::test

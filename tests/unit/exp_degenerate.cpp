// "Every check can fail", the guard half: each claim declares a degenerate setting
// (Claim::degenerate, parameter overrides) under which its non-degeneracy guard must trip,
// or says in Claim::degenerate_note why no parameter reaches the guard. This test runs every
// declared setting in quick mode and asserts that the verdict is FAIL for the guard's reason,
// never a PASS and never an error. One CTest entry per experiment (the Catch2 tag).
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace attnlab;

namespace {

void check_experiment(const std::string& name) {
  (void)test::claim("ssm_heads.exact_emulation_at_k");  // registers every experiment
  const exp::Experiment* e = exp::global_registry().find_experiment(name);
  REQUIRE(e != nullptr);
  int reached = 0, unreachable = 0;
  for (const exp::Claim& c : e->claims) {
    INFO(c.id);
    CHECK_FALSE(c.degenerate_note.empty());  // every claim says where its guard trips, or why nowhere
    if (c.degenerate.empty()) {
      ++unreachable;
      continue;
    }
    std::map<std::string, double> overrides;
    for (const auto& [short_name, value] : c.degenerate)
      for (const exp::ParamSpec& p : c.params)
        if (p.name == short_name) overrides[exp::param_full_name(c, p)] = value;
    REQUIRE(overrides.size() == c.degenerate.size());
    const exp::ClaimResult r = test::run_quick(c.id, 1, overrides);
    INFO(r.reason);
    CHECK(r.verdict == exp::Verdict::FAIL);
    CHECK(r.reason.rfind("degenerate setting: ", 0) == 0);
    ++reached;
  }
  WARN(name << ": " << reached << " guards tripped by a declared setting, " << unreachable
            << " with no parameter that reaches them (see each claim's degenerate_note)");
}

}  // namespace

TEST_CASE("ssm_heads guards trip", "[ssm_heads]") { check_experiment("ssm_heads"); }
TEST_CASE("nw_ensemble guards trip", "[nw_ensemble]") { check_experiment("nw_ensemble"); }
TEST_CASE("rank_collapse guards trip", "[rank_collapse]") { check_experiment("rank_collapse"); }
TEST_CASE("lottery_ticket guards trip", "[lottery_ticket]") { check_experiment("lottery_ticket"); }
TEST_CASE("tensor_attention guards trip", "[tensor_attention]") { check_experiment("tensor_attention"); }
TEST_CASE("icl_regression guards trip", "[icl_regression]") { check_experiment("icl_regression"); }

// Theorem test: lottery_ticket.merge_identity in quick mode (spec: shared/claims/lottery_ticket.md, Claim 2).
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;

TEST_CASE("merge_identity: PASS in quick mode, both controls fail") {
  const exp::ClaimResult r = test::run_quick("lottery_ticket.merge_identity");
  test::require_expected_verdict_and_failing_controls(r);
  REQUIRE(r.outcome.controls.size() == 2);
  CHECK(r.outcome.controls[1].name == "logit_scale_dK");
  const exp::Table& t = r.tables.at("merge_identity.csv");
  const size_t v = test::col(t, "variant"), r1 = test::col(t, "r1"), r2 = test::col(t, "r2"), r3 = test::col(t, "r3");
  for (const auto& row : t.rows()) {
    CHECK(test::num(row[r3]) < 1e-13);  // the target's two forms agree in every row
    if (row[v].s == "ticket") {
      CHECK(test::num(row[r1]) < 1e-13);
      CHECK(test::num(row[r2]) < 1e-13);
    } else if (row[v].s == "dense_first_factor_masks") {
      CHECK(test::num(row[r2]) > 1e-3);  // every trial fails, not only the worst
    } else {
      CHECK(test::num(row[r1]) > 1e-6);
    }
  }
}

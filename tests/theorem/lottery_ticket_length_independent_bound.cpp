// Theorem test: lottery_ticket.length_independent_bound in quick mode (spec: shared/claims/lottery_ticket.md, Claim 4).
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;

TEST_CASE("length_independent_bound: PASS in quick mode, unnormalized attention fails") {
  const exp::ClaimResult r = test::run_quick("lottery_ticket.length_independent_bound");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("length_independence.csv");
  const size_t v = test::col(t, "variant"), T = test::col(t, "T"), ratio = test::col(t, "ratio");
  int ctrl_over = 0, ctrl_n = 0;
  for (const auto& row : t.rows()) {
    if (row[v].s == "ticket") {
      CHECK(test::num(row[ratio]) <= 1.0);
    } else if (test::num(row[T]) == 1024) {
      ++ctrl_n;
      ctrl_over += test::num(row[ratio]) > 1.0;
    }
  }
  CHECK(ctrl_n == 20 * 2);
  CHECK(ctrl_over >= ctrl_n * 9 / 10);  // essentially every trial exceeds B_prop at T = 1024
}

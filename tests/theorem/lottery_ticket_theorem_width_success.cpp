// Theorem test: lottery_ticket.theorem_width_success in quick mode (spec: shared/claims/lottery_ticket.md, Claim 5).
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;

TEST_CASE("theorem_width_success: PASS in quick mode, the narrow source fails") {
  const exp::ClaimResult r = test::run_quick("lottery_ticket.theorem_width_success");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& s = r.tables.at("theorem_width_success_summary.csv");
  const size_t v = test::col(s, "variant"), mK = test::col(s, "mK"), mV = test::col(s, "mV"),
               frac = test::col(s, "fraction");
  for (const auto& row : s.rows()) {
    if (row[v].s == "C_ref") {
      CHECK(test::num(row[mK]) == 22);  // spec: m_K = 22, m_V = 16 at H = 2, d = 2, eps = 0.1
      CHECK(test::num(row[mV]) == 16);
      CHECK(test::num(row[frac]) >= 0.95);
    } else {
      CHECK(test::num(row[mK]) == 4);
      CHECK(test::num(row[mV]) == 3);
      CHECK(test::num(row[frac]) > 0.4);
      CHECK(test::num(row[frac]) < 0.85);  // about two thirds
    }
  }
}

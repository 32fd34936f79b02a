// Theorem test: lottery_ticket.transformer_rate in quick mode (spec: shared/claims/lottery_ticket.md, Claim 6).
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace attnlab;

TEST_CASE("transformer_rate: PASS in quick mode, the one-signed FC fails") {
  const exp::ClaimResult r = test::run_quick("lottery_ticket.transformer_rate");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& f = r.tables.at("transformer_error_vs_width_fits.csv");
  const size_t v = test::col(f, "variant"), s = test::col(f, "slope"), b = test::col(f, "block"),
               ic = test::col(f, "intercept");
  double ic1 = 0, ic3 = 0;
  for (const auto& row : f.rows()) {
    if (row[v].s == "ticket") {
      CHECK(std::fabs(test::num(row[s]) + std::log(2.0)) < 0.2);
      if (test::num(row[b]) == 1) ic1 = test::num(row[ic]);
      if (test::num(row[b]) == 3) ic3 = test::num(row[ic]);
    } else {
      CHECK(std::fabs(test::num(row[s])) < 0.1);
    }
  }
  CHECK(ic3 > ic1);  // the prefactor grows with depth
}

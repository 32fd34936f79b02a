// Theorem test of nw_ensemble.bvc_identity: quick mode reaches its expected verdict, the negative
// control fails, and claim-specific assertions on the CSV.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("nw_ensemble.bvc_identity: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick("nw_ensemble.bvc_identity");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("bvc_identity.csv");
  const size_t res = col(t, "resid_over_epsS"), ctl = col(t, "control"), cov = col(t, "cov_term"), lhs = col(t, "lhs");
  int n = 0;
  for (const auto& row : t.rows()) {
    if (num(row[ctl]) > 0) { CHECK(num(row[res]) > 1e6); continue; }
    ++n;
    CHECK(num(row[res]) <= 256);
    CHECK(num(row[cov]) > 0.01 * num(row[lhs]));  // positively correlated heads
  }
  CHECK(n == 10);
}

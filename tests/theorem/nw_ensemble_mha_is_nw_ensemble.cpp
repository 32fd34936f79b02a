// Theorem test of nw_ensemble.mha_is_nw_ensemble: quick mode reaches its expected verdict, the negative
// control fails, and claim-specific assertions on the CSV.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("nw_ensemble.mha_is_nw_ensemble: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick("nw_ensemble.mha_is_nw_ensemble");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("mha_is_nw_ensemble.csv");
  const size_t pass = col(t, "passed"), ctl = col(t, "control"), H = col(t, "H");
  int ctl_rows = 0;
  for (const auto& row : t.rows()) {
    if (num(row[ctl]) > 0) { ++ctl_rows; CHECK(num(row[H]) >= 2); CHECK(num(row[pass]) == 0); }
    else CHECK(num(row[pass]) == 1);
  }
  CHECK(ctl_rows > 0);
}

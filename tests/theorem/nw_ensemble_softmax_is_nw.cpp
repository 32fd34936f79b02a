// Theorem test of nw_ensemble.softmax_is_nw: quick mode reaches its expected verdict, the negative
// control fails, and claim-specific assertions on the CSV.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("nw_ensemble.softmax_is_nw: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick("nw_ensemble.softmax_is_nw");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("softmax_is_nw.csv");
  const size_t var = col(t, "variant"), pass = col(t, "passed"), ctl = col(t, "control");
  int main_rows = 0, ctl_rows = 0;
  for (const auto& row : t.rows()) {
    if (num(row[ctl]) > 0) { ++ctl_rows; CHECK(num(row[pass]) == 0); }
    else { ++main_rows; CHECK(num(row[pass]) == 1); }
    (void)var;
  }
  CHECK(main_rows == 600);
  CHECK(ctl_rows == 200);
}

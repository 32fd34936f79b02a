// Theorem test of nw_ensemble.heads_linear_in_budget: quick mode reaches its expected verdict, the negative
// control fails, and claim-specific assertions on the CSV.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("nw_ensemble.heads_linear_in_budget: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick("nw_ensemble.heads_linear_in_budget");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("heads_linear_in_budget.csv");
  const size_t H = col(t, "H_star"), D = col(t, "D"), cv = col(t, "control_vertex");
  double prev = 0;
  for (const auto& row : t.rows()) {
    CHECK(num(row[H]) > prev);
    prev = num(row[H]);
    CHECK(num(row[cv]) == num(row[D]) / 2);  // unit gain: H* stuck at 2
  }
}

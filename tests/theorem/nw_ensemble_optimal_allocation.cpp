// Theorem test of nw_ensemble.optimal_allocation: quick mode reaches its expected verdict, the negative
// control fails, and claim-specific assertions on the CSV.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("nw_ensemble.optimal_allocation: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick("nw_ensemble.optimal_allocation");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("optimal_allocation_vertex.csv");
  const size_t vm = col(t, "vertex_meas"), vp = col(t, "vertex_pred"), cv = col(t, "control_vertex");
  REQUIRE(t.rows().size() == 1);
  const auto& row = t.rows()[0];
  CHECK(std::abs(num(row[vm]) - num(row[vp])) <= 0.75);
  CHECK(num(row[cv]) < num(row[vp]) - 1.5);  // aligned heads: the single-head optimum, lower
}

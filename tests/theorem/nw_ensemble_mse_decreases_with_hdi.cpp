// Theorem test of nw_ensemble.mse_decreases_with_hdi: quick mode reaches its expected verdict, the negative
// control fails, and claim-specific assertions on the CSV.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("nw_ensemble.mse_decreases_with_hdi: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick("nw_ensemble.mse_decreases_with_hdi");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("mse_vs_hdi.csv");
  const size_t m = col(t, "mse_meas"), ctl = col(t, "control");
  std::vector<double> main, flat;
  for (const auto& row : t.rows()) (num(row[ctl]) > 0 ? flat : main).push_back(num(row[m]));
  REQUIRE(main.size() == 9);
  REQUIRE(flat.size() == 9);
  CHECK(main.back() < main.front());
  for (double v : flat) CHECK(v == flat.front());  // uniform attention: the same estimator at every HDI
}

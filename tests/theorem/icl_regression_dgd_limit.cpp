// Theorem test of icl_regression.dgd_limit (claim 2): quick mode PASSes, the same-sign control
// fails, the fitted slope is the reference 1.9939 and the control's slope is negative.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("dgd_limit: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick("icl_regression.dgd_limit");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("dgd_limit.csv");
  const size_t series = col(t, "series"), slope = col(t, "slope"), err = col(t, "err"), fd = col(t, "f_dgd");
  int rows = 0;
  for (const auto& row : t.rows()) {
    ++rows;
    if (row[series].s == "construction") {
      CHECK(num(row[slope]) == Approx(1.9939).margin(5e-4));  // spec reference value
      CHECK(num(row[err]) < 2e-3 * std::abs(num(row[fd])) * 10);
    } else {
      CHECK(num(row[slope]) < 0);
    }
  }
  CHECK(rows == 10);
}

// Theorem test of rank_collapse.san_cubic_rate (claim 2): slope ~3 over 60 uncensored points; frozen attention
// and skip give slope ~1 (both controls fail).
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("san_cubic_rate: quick mode PASSes, frozen attention and skip fail") {
  const exp::ClaimResult r = test::run_quick("rank_collapse.san_cubic_rate");
  test::require_expected_verdict_and_failing_controls(r);
  REQUIRE(r.outcome.controls.size() == 2);
  const exp::Table& f = r.tables.at("san_cubic_rate_fit.csv");
  const size_t arm = col(f, "arm"), slope = col(f, "slope"), pts = col(f, "points");
  for (const auto& row : f.rows()) {
    CHECK(num(row[pts]) == 60);
    if (row[arm].s == "san") CHECK(num(row[slope]) == Approx(3.0).margin(0.1));
    else CHECK(num(row[slope]) == Approx(1.0).margin(0.3));
  }
}

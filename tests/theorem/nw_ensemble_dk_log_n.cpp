// Theorem test of nw_ensemble.dk_log_n: quick mode reaches its expected verdict, the negative
// control fails, and claim-specific assertions on the CSV.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("nw_ensemble.dk_log_n: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick("nw_ensemble.dk_log_n");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("dk_log_n.csv");
  const size_t v = col(t, "vertex"), cv = col(t, "control_vertex"), cen = col(t, "censored");
  double prev = 0;
  for (const auto& row : t.rows()) {
    CHECK(num(row[cen]) == 0);
    CHECK(num(row[v]) > prev);  // d_k* grows with n
    prev = num(row[v]);
    CHECK(num(row[cv]) == 12);  // unit gain: the widest head
  }
}

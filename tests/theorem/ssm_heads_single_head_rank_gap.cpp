// Theorem test of ssm_heads.single_head_rank_gap (claim 3): quick mode reaches its expected
// verdict, the guard and check hold, both controls (Z1, Z2) fail, and the measured ranks and
// residuals match the spec's numbers.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

using namespace attnlab;
using test::col;
using test::num;


TEST_CASE("single_head_rank_gap: quick mode PASSes and both controls fail") {
  const exp::ClaimResult r = test::run_quick("ssm_heads.single_head_rank_gap");
  test::require_expected_verdict_and_failing_controls(r);
  REQUIRE(r.outcome.controls.size() == 2);
  INFO(r.reason);

  const exp::Table& t = r.tables.at("ssm_heads_rank_gap.csv");
  const size_t kind = col(t, "kind"), label = col(t, "label"), H = col(t, "H"), rp = col(t, "rank_pred"),
               rm = col(t, "rank_meas"), r1 = col(t, "r1");
  int softmax = 0;
  for (const auto& row : t.rows()) {
    INFO(row[label].s);
    if (row[kind].s == "softmax") {
      ++softmax;
      CHECK(row[rm].i == row[rp].i);
      if (row[H].i == 1) CHECK(row[rm].i == 1);  // one head spans one dimension
    } else if (row[kind].s == "ssm") {
      CHECK(row[rm].i == row[rp].i);
      CHECK(row[rm].i >= 2);
      CHECK(row[r1].r >= 1e-3);
    } else {  // controls Z1, Z2
      CHECK(row[rm].i == 1);
      CHECK(row[r1].r < 1e-12);
    }
  }
  CHECK(softmax == 4);

  // The spec's closed-form values for rho = 0.9, n = 16: 0.6538 at pi/2, 0.4821 at 2.9.
  const exp::Table& s = r.tables.at("ssm_heads_rank_gap_sweep.csv");
  const size_t k2 = col(s, "kind"), th = col(s, "theta"), meas = col(s, "r1_meas");
  for (const auto& row : s.rows()) {
    if (row[k2].s != "measured") continue;
    if (std::fabs(row[th].r - std::numbers::pi / 2) < 1e-12) CHECK(row[meas].r == Approx(0.6538).margin(1e-4));
    if (std::fabs(row[th].r - 2.9) < 1e-12) CHECK(row[meas].r == Approx(0.4821).margin(1e-4));
  }
}

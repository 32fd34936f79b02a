// Theorem test of nw_ensemble.angle_decorrelation: quick mode reaches its expected verdict, the negative
// control fails, and claim-specific assertions on the CSV.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("nw_ensemble.angle_decorrelation: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick("nw_ensemble.angle_decorrelation");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("angle_decorrelation.csv");
  const size_t hdi = col(t, "hdi"), vr = col(t, "vr_meas"), pred = col(t, "vr_pred"), ctl = col(t, "control");
  double vr0 = 0, vr1 = 1;
  for (const auto& row : t.rows()) {
    if (num(row[ctl]) > 0) continue;
    if (num(row[hdi]) == 0) { vr0 = num(row[vr]); CHECK(std::abs(num(row[pred]) - 1.0) < 1e-12); }
    if (num(row[hdi]) == 1) vr1 = num(row[vr]);
  }
  CHECK(vr0 > 0.99);
  CHECK(vr1 < 0.6);  // 1/4 + 3/4 * kappa^{-2} = 0.52 at h = 0.5, d_k = 2
}

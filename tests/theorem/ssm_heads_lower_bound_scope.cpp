// Theorem test: ssm_heads.lower_bound_scope in quick mode (spec: shared/claims/ssm_heads.md, Claim 6).
#include "tests/theorem/theorem_support.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;
using test::num;


TEST_CASE("lower_bound_scope: PASS in quick mode, input-independent coefficients fail") {
  const exp::ClaimResult r = test::run_quick("ssm_heads.lower_bound_scope");
  test::require_expected_verdict_and_failing_controls(r);
  REQUIRE(r.outcome.controls.size() == 1);
  INFO(r.reason);

  // Measured facts per d: the SSM needs k >= 2 heads at the operator level (r_1 >= 1e-3), yet the
  // free head's worst residual for i >= d-1 is at rounding level, while the positional head's
  // smallest residual stays above 1e-3.
  const exp::Table& s = r.tables.at("ssm_heads_lower_bound_scope_settings.csv");
  REQUIRE(s.rows().size() == 3);
  for (const auto& row : s.rows()) {
    INFO("d = " << num(row[col(s, "d")]));
    CHECK(num(row[col(s, "k_meas")]) >= 2);
    CHECK(num(row[col(s, "k_meas")]) == num(row[col(s, "k_pred")]));
    CHECK(num(row[col(s, "r1")]) >= 1e-3);
    CHECK(num(row[col(s, "max_free_judged")]) < 1e-12);
    CHECK(num(row[col(s, "min_pos_judged")]) > 1e-3);
  }
}

TEST_CASE("lower_bound_scope: CSVs do not depend on the thread count") {
  const auto& c = test::claim("ssm_heads.lower_bound_scope");
  const auto a = exp::run_claim(c, exp::Mode::quick, 7, 1, exp::Device::cpu);
  const auto b = exp::run_claim(c, exp::Mode::quick, 7, 2, exp::Device::cpu);
  REQUIRE(a.tables.size() == b.tables.size());
  for (const auto& [name, tb] : a.tables) CHECK(tb.to_csv() == b.tables.at(name).to_csv());
}

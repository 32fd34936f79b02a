// Theorem test of icl_regression.attention_patterns (claim 3): quick mode FAILs on the r_b
// bound alone (the expected finding, see the claim's criterion), both controls
// (H = 1, anisotropic covariates) fail, and the per-seed tables show the mechanism: both signs,
// zero-sum OV (Z small), eta_hat near eta* = 0.879 for H = 4; Z = 1 for H = 1.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("attention_patterns: quick mode FAILs on r_b alone and both controls fail") {
  const exp::ClaimResult r = test::run_quick("icl_regression.attention_patterns");
  test::require_expected_verdict_and_failing_controls(r);
  INFO(r.outcome.check.reason);
  CHECK(r.outcome.guard.holds);
  CHECK_FALSE(r.outcome.check.holds);
  CHECK(r.outcome.check.reason.find("r_b") != std::string::npos);
  CHECK(r.outcome.check.reason.find("6 of 7 parts hold") != std::string::npos);
  CHECK(r.outcome.controls.size() == 2);
  const exp::Table& t = r.tables.at("patterns_seeds.csv");
  const size_t model = col(t, "model"), Z = col(t, "Z"), eta = col(t, "eta_hat"), split = col(t, "sign_split"),
               rd = col(t, "min_r_diag");
  int iso = 0;
  for (const auto& row : t.rows()) {
    INFO(row[model].s);
    if (row[model].s == "isotropic") {
      ++iso;
      CHECK(row[split].i == 1);
      CHECK(num(row[Z]) < 0.05);
      CHECK(num(row[eta]) == Approx(0.879).margin(0.03));
    } else if (row[model].s == "single") {
      CHECK(num(row[Z]) == Approx(1.0));
      CHECK(row[split].i == 0);
    } else {
      CHECK(num(row[rd]) < 0.95);  // Gamma*-shaped KQ under correlated covariates
    }
  }
  CHECK(iso == 4);
  CHECK(r.tables.at("patterns_dynamics.csv").rows().size() > 100);
}

// Theorem test of icl_regression.gradient_check (claim 1): quick mode PASSes, the control (softmax
// Jacobian without its mean term) fails, all 8 variants are within 1e-8 and the control is O(0.1).
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("gradient_check: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick("icl_regression.gradient_check");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("gradient_check.csv");
  const size_t ctrl = col(t, "control"), err = col(t, "rel_error");
  int variants = 0, controls = 0;
  for (const auto& row : t.rows()) {
    if (row[ctrl].i) {
      ++controls;
      CHECK(num(row[err]) > 0.05);
    } else {
      ++variants;
      CHECK(num(row[err]) < 1e-8);
    }
  }
  CHECK(variants == 8);
  CHECK(controls == 4);
}

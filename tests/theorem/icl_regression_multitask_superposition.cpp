// Theorem test of icl_regression.multitask_superposition (claim 8): quick mode PASSes, the H = 2
// control fails, every H = 3 seed has a shared head (sel >= 0.5), task preconditioners aligned with
// their supports (cos > 0.95), and risk within 15 % of R_opt = 0.406107.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("multitask_superposition: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick("icl_regression.multitask_superposition");
  test::require_expected_verdict_and_failing_controls(r);
  CHECK(r.claim->interpretation);
  const exp::Table& t = r.tables.at("multitask_seeds.csv");
  const size_t model = col(t, "model"), sel = col(t, "max_sel"), cs = col(t, "min_cos"), ro = col(t, "r_opt"),
               ratio = col(t, "ratio");
  int main_rows = 0;
  for (const auto& row : t.rows()) {
    CHECK(num(row[ro]) == Approx(0.406107).margin(1e-6));
    if (row[model].s != "main") continue;
    ++main_rows;
    CHECK(num(row[sel]) >= 0.5);
    CHECK(num(row[cs]) > 0.95);
    CHECK(num(row[ratio]) < 1.15);
    CHECK(num(row[ratio]) > 1.0);
  }
  CHECK(main_rows == 4);
}

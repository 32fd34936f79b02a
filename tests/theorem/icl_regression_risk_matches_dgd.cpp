// Theorem test of icl_regression.risk_matches_dgd (claim 4): quick mode PASSes, the H = 1 control
// fails, the multi-head risks sit just above R*_DGD = 0.242857 and the single head near 0.405.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("risk_matches_dgd: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick("icl_regression.risk_matches_dgd");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("risk_seeds.csv");
  const size_t model = col(t, "model"), risk = col(t, "risk"), rstar = col(t, "r_dgd_opt");
  for (const auto& row : t.rows()) {
    CHECK(num(row[rstar]) == Approx(0.242857).margin(1e-6));
    if (row[model].s == "multi")
      CHECK((num(row[risk]) > 0.242 && num(row[risk]) < 0.256));
    else
      CHECK((num(row[risk]) > 0.39 && num(row[risk]) < 0.42));
  }
  CHECK(t.rows().size() == 8);
  // risk vs n: 19 lengths x 8 models, theory rows for every length
  CHECK(r.tables.at("risk_vs_n.csv").rows().size() == 19 * 8);
  CHECK(r.tables.at("risk_vs_n_theory.csv").rows().size() == 19);
}

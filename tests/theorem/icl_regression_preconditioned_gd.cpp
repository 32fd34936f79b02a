// Theorem test of icl_regression.preconditioned_gd (claim 7): quick mode PASSes, the isotropic-model
// control fails, the anisotropic models' P is within 1 % of Gamma* in direction and their risk within
// 6 % of R*_PDGD = 0.23677, while isotropic models sit near cos 0.90 and 3 x the risk.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("preconditioned_gd: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick("icl_regression.preconditioned_gd");
  test::require_expected_verdict_and_failing_controls(r);
  CHECK(r.claim->interpretation);
  const exp::Table& t = r.tables.at("preconditioned_seeds.csv");
  const size_t model = col(t, "model"), cp = col(t, "cos_P_gamma"), ratio = col(t, "ratio"), rs = col(t, "r_pdgd_opt");
  int an = 0;
  for (const auto& row : t.rows()) {
    CHECK(num(row[rs]) == Approx(0.23677).margin(1e-5));
    if (row[model].s == "anisotropic") {
      ++an;
      CHECK(num(row[cp]) > 0.99);
      CHECK(num(row[ratio]) < 1.06);
    } else {
      CHECK(num(row[cp]) == Approx(0.90).margin(0.02));
      CHECK(num(row[ratio]) > 2.5);
    }
  }
  CHECK(an == 4);
}

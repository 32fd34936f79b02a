// Theorem test of rank_collapse.san_residual_bound (claim 1): the bound holds in every trial and layer with no
// censored value and a non-vacuous sqrt(c) m(X^0) < 1; the skip control violates it at layer 1.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("san_residual_bound: quick mode PASSes and the skip control fails") {
  const exp::ClaimResult r = test::run_quick("rank_collapse.san_residual_bound");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("san_residual_bound.csv");
  const size_t arm = col(t, "arm"), layer = col(t, "layer"), hl = col(t, "holds_layer"), cz = col(t, "censored"),
               rho = col(t, "log10_rho"), fl = col(t, "log10_floor_rho"), sc = col(t, "log10_sqrt_c_m0");
  int san_rows = 0, skip_l1_viol = 0, skip_l1 = 0;
  double lowest_mlp = 0;
  for (const auto& row : t.rows()) {
    if (row[arm].s == "skip_control") {
      if (num(row[layer]) == 1) {
        ++skip_l1;
        skip_l1_viol += num(row[hl]) == 0;
      }
      continue;
    }
    CHECK(num(row[cz]) == 0);
    CHECK(num(row[rho]) > num(row[fl]));  // above the precision floor
    if (num(row[layer]) >= 1) CHECK(num(row[hl]) == 1);
    if (row[arm].s == "san") {
      ++san_rows;
      CHECK(num(row[sc]) < 0);  // sqrt(c) m0 < 1
    } else {
      lowest_mlp = std::min(lowest_mlp, num(row[rho]));
    }
  }
  CHECK(san_rows == 2 * 10 * 4);  // H in {1, 2}, 10 seeds, layers 0..3
  CHECK(skip_l1_viol == skip_l1);  // every skip trial violates the per-layer bound at layer 1
  // The MLP arm goes below the 100-digit floor (1e-80): it needs the 150-digit type (spec).
  CHECK(lowest_mlp < -80);
}

// Theorem test of ssm_heads.deficit_below_k (claim 2): quick mode reaches its expected verdict,
// the guard and check hold, the control (H = k) fails, the SVD model attains r_H, and the
// trained models of S1 and S5 reach the Eckart-Young bound from above.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

using namespace attnlab;
using test::col;
using test::num;


TEST_CASE("deficit_below_k: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick("ssm_heads.deficit_below_k");
  test::require_expected_verdict_and_failing_controls(r);
  INFO(r.reason);

  const exp::Table& t = r.tables.at("ssm_heads_deficit_settings.csv");
  const size_t set = col(t, "setting"), role = col(t, "role"), rH = col(t, "r_H"), diff = col(t, "svd_abs_diff"),
               mr = col(t, "min_random"), mt = col(t, "min_trained"), nt = col(t, "n_trained"), kp = col(t, "k_pred"),
               km = col(t, "k_meas");
  int judged = 0;
  for (const auto& row : t.rows()) {
    INFO(row[set].s << " " << row[role].s);
    CHECK(row[km].i == row[kp].i);
    CHECK(row[diff].r <= 1e-10);
    if (row[role].s != "criterion") continue;
    ++judged;
    CHECK(row[rH].r >= 1e-8);
    CHECK(row[mr].r >= row[rH].r - 1e-10);
    if (row[set].s == "S1" || row[set].s == "S5") {
      CHECK(row[nt].i == 2);
      CHECK(row[mt].r >= row[rH].r - 1e-10);
      CHECK(row[mt].r <= row[rH].r * (1 + 1e-3));  // Adam reaches the bound (from above)
    }
  }
  CHECK(judged == 6);  // H = k-1 in S1..S6
}

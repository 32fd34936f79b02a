// Theorem test of icl_regression.near_bayes (claim 5): quick mode PASSes, the H = 1 control fails,
// the Monte-Carlo Bayes risks match the spec (0.11445 at s2 = 0.1, 1.1257 at s2 = 1) and the
// multi-head excess-risk ratios lie between the optimal DGD's (9.87, 1.75) and F (13, 2.2).
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("near_bayes: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick("icl_regression.near_bayes");
  test::require_expected_verdict_and_failing_controls(r);
  CHECK(r.claim->interpretation);
  const exp::Table& t = r.tables.at("near_bayes.csv");
  const size_t model = col(t, "model"), s2 = col(t, "s2"), rb = col(t, "r_bayes"), ratio = col(t, "excess_ratio"),
               F = col(t, "F"), dgd = col(t, "dgd_opt_ratio");
  for (const auto& row : t.rows()) {
    const bool low = num(row[s2]) < 0.5;
    CHECK(num(row[rb]) == Approx(low ? 0.11445 : 1.1257).margin(low ? 1e-4 : 1e-3));
    if (row[model].s == "multi") {
      CHECK(num(row[ratio]) > num(row[dgd]) * 0.98);
      CHECK(num(row[ratio]) < num(row[F]));
    } else {
      CHECK(num(row[ratio]) > num(row[F]));
    }
  }
  CHECK(t.rows().size() == 16);
}

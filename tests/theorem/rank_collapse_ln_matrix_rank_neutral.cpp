// Theorem test of rank_collapse.ln_matrix_rank_neutral (claim 5): zero-bias LN keeps rank(X) in all 200 trials,
// the exact formula rank(X Pi_d) agrees, and a nonzero bias raises the rank by one (control fails).
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("ln_matrix_rank_neutral: quick mode PASSes and the nonzero_bias control fails") {
  const exp::ClaimResult r = test::run_quick("rank_collapse.ln_matrix_rank_neutral");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("ln_rank_matrix.csv");
  const size_t k = col(t, "k"), off = col(t, "offset"), rx = col(t, "rank_x"), rl = col(t, "rank_ln"),
               re = col(t, "rank_exact"), rb = col(t, "rank_ln_bias"), amb = col(t, "ambiguous");
  CHECK(t.rows().size() == 200);
  for (const auto& row : t.rows()) {
    CHECK(num(row[rx]) == num(row[k]) + num(row[off]));
    CHECK(num(row[rl]) == num(row[rx]));
    CHECK(num(row[re]) == num(row[rx]));
    CHECK(num(row[rb]) == num(row[rx]) + 1);
    CHECK(num(row[amb]) == 0);
  }
}

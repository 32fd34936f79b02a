// Theorem test of rank_collapse.residual_generic_rank (claim 4): 30/30 seeds keep rank 16 with kappa^-1 well
// above 1e-6; the no-skip control collapses to rank 1.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("residual_generic_rank: quick mode PASSes and the no_skip control fails") {
  const exp::ClaimResult r = test::run_quick("rank_collapse.residual_generic_rank");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("residual_generic_rank.csv");
  const size_t arm = col(t, "arm"), layer = col(t, "layer"), rank = col(t, "rank"), k = col(t, "kappa_inv");
  int res = 0;
  for (const auto& row : t.rows()) {
    if (num(row[layer]) != 12) continue;
    if (row[arm].s == "residual") {
      ++res;
      CHECK(num(row[rank]) == 16);
      CHECK(num(row[k]) > 0.05);
    } else if (row[arm].s == "no_skip") {
      CHECK(num(row[rank]) == 1);
    }
  }
  CHECK(res == 30);
}

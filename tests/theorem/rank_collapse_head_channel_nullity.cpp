// Theorem test of rank_collapse.head_channel_nullity (claim 8): nullity n(H-1)d_k in all 27 cells for the pure
// sum and the shared projection; concatenation with an invertible W_O has nullity 0 (control fails).
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("head_channel_nullity: quick mode PASSes and the concat control fails") {
  const exp::ClaimResult r = test::run_quick("rank_collapse.head_channel_nullity");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("head_channel_nullity.csv");
  const size_t kind = col(t, "kind"), n = col(t, "n"), H = col(t, "H"), dk = col(t, "dk"), m = col(t, "measured");
  int cells = 0;
  for (const auto& row : t.rows()) {
    const double pred = num(row[n]) * (num(row[H]) - 1) * num(row[dk]);
    if (row[kind].s == "control_concat_invertible") CHECK(num(row[m]) == 0);
    else {
      CHECK(num(row[m]) == pred);
      ++cells;
    }
  }
  CHECK(cells == 54);
}

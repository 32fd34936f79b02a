// Theorem test of rank_collapse.pgop_overhead (claim 9): counted overheads 1/d_k per model (1.5625 % for
// d_k = 64, 3.125 % for d_k = 32), gates = 1 reproduce standard MHA; per-channel gates exceed 1.6 % (control).
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("pgop_overhead: quick mode PASSes and the per_channel_gates control fails") {
  const exp::ClaimResult r = test::run_quick("rank_collapse.pgop_overhead");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("pgop_overhead.csv");
  const size_t kind = col(t, "kind"), dk = col(t, "dk"), ratio = col(t, "ratio");
  for (const auto& row : t.rows()) {
    if (row[kind].s == "pgop") CHECK(num(row[ratio]) == Approx(1.0 / num(row[dk])).epsilon(1e-15));
    else CHECK(num(row[ratio]) == Approx(512.0 / 769.0));
  }
  const exp::Table& f = r.tables.at("pgop_forward.csv");
  CHECK(f.rows().size() == 5);
  for (const auto& row : f.rows()) CHECK(num(row[col(f, "rel_diff_normwise")]) <= num(row[col(f, "threshold")]));
}

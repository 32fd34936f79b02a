// Theorem test of rank_collapse.ln_affine_rank_neutral (claim 6, expected FAIL): per-family equality counts
// 20/20 (a), 0/20 (b), 20/20 (c), 0/20 (d), 0/20 (e); the exact formula matches aff(LN(X)) in every trial; no
// ambiguous rank decision; the tanh control fails.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("ln_affine_rank_neutral: expected FAIL with the predicted per-family counts") {
  const exp::ClaimResult r = test::run_quick("rank_collapse.ln_affine_rank_neutral");
  test::require_expected_verdict_and_failing_controls(r);
  CHECK(r.verdict == exp::Verdict::FAIL);
  CHECK(r.outcome.guard.holds);  // the FAIL is not a degenerate setting or a formula mismatch
  const exp::Table& t = r.tables.at("ln_rank_affine.csv");
  const size_t fam = col(t, "family"), r_ = col(t, "r"), ax = col(t, "aff_x"), al = col(t, "aff_ln"),
               ex = col(t, "aff_exact"), amb = col(t, "ambiguous"), eamb = col(t, "exact_ambiguous"), d = col(t, "d");
  std::map<std::string, int> eq, total;
  for (const auto& row : t.rows()) {
    const std::string f = row[fam].s;
    ++total[f];
    eq[f] += num(row[al]) == num(row[ax]);
    CHECK(num(row[ex]) == num(row[al]));
    CHECK(num(row[amb]) == 0);
    CHECK(num(row[eamb]) == 0);
    if (f == "b") CHECK(num(row[al]) == num(row[r_]) + 1);
    if (f == "d") CHECK(num(row[al]) == 0);
    if (f == "e") CHECK(num(row[al]) == num(row[d]) - 1);
  }
  CHECK(eq["a"] == 20);
  CHECK(eq["b"] == 0);
  CHECK(eq["c"] == 20);
  CHECK(eq["d"] == 0);
  CHECK(eq["e"] == 0);
  for (const auto& [f, n] : total) CHECK(n == 20);
  CHECK(r.reason.find("d16/a 20/20, d16/b 0/20, d16/c 20/20, d16/d 0/20, d16/e 0/20") != std::string::npos);
}

// Theorem test of rank_collapse.hopfield_hidden_state (claim 10): Delta_s > 0 for every seed with a large mean;
// the treated arm stays far above the floor; a' = 0 in both arms gives Delta = 0 (control fails).
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("hopfield_hidden_state: quick mode PASSes and the alpha_prime_zero control fails") {
  const exp::ClaimResult r = test::run_quick("rank_collapse.hopfield_hidden_state");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& d = r.tables.at("hopfield_delta.csv");
  const size_t arm = col(d, "arm"), delta = col(d, "delta");
  int n = 0;
  for (const auto& row : d.rows())
    if (row[arm].s == "a0.5") {
      ++n;
      CHECK(num(row[delta]) > 10);
    }
  CHECK(n == 10);
  const exp::Table& t = r.tables.at("hopfield_hidden_state.csv");
  const size_t a = col(t, "arm"), layer = col(t, "layer"), rho = col(t, "log10_rho"), cz = col(t, "censored");
  for (const auto& row : t.rows())
    if (row[a].s == "a0.5" && num(row[layer]) == 6) {
      CHECK(num(row[cz]) == 0);
      CHECK(num(row[rho]) > -20);
    }
}

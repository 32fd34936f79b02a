// Theorem test of rank_collapse.skip_prevents_collapse (claim 3): the skip stack keeps rho_L / rho_0 near 1,
// the pure SAN control collapses to the double floor; the stress series collapses without pre-LN.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("skip_prevents_collapse: quick mode PASSes and the no_skip control fails") {
  const exp::ClaimResult r = test::run_quick("rank_collapse.skip_prevents_collapse");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("skip_prevents_collapse.csv");
  const size_t v = col(t, "variant"), layer = col(t, "layer"), lr = col(t, "log10_ratio");
  std::map<std::string, double> worst, best;
  for (const auto& row : t.rows()) {
    const std::string name = row[v].s;
    const bool last = (name.rfind("stress", 0) == 0) ? num(row[layer]) == 48 : num(row[layer]) == 12;
    if (!last) continue;
    worst[name] = std::min(worst.count(name) ? worst[name] : 1e9, num(row[lr]));
    best[name] = std::max(best.count(name) ? best[name] : -1e9, num(row[lr]));
  }
  CHECK(worst["san_skip"] > -0.1);
  CHECK(best["san"] < -10);          // double floor
  CHECK(best["stress_noln"] < -10);  // the statement's limit: large weights collapse despite skips
  CHECK(worst["stress_preln"] > -3);
  REQUIRE(r.tables.count("path_length_distribution.csv"));
}

// Theorem test of tensor_attention.near_linear_cost (claim 4): quick mode PASSes, the control
// (materialised low rank) fails, counts follow the cost model, no timing file in quick mode.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;

namespace {
const char* kId = "tensor_attention.near_linear_cost";
}

TEST_CASE("near_linear_cost: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick(kId);
  test::require_expected_verdict_and_failing_controls(r);
  CHECK(r.tables.count("near_linear_cost_timing.csv") == 0);  // never timed in quick mode
  const exp::Table& t = r.tables.at("near_linear_cost.csv");
  const size_t s = col(t, "series"), ratio = col(t, "ratio"), n = col(t, "n"), cnt = col(t, "count");
  int naive = 0, fast = 0, ctrl = 0;
  long long naive64 = 0, fast64 = 0;
  for (const auto& row : t.rows()) {
    if (row[s].s == "paper_regime") continue;
    CHECK(row[ratio].r > 0.9);
    CHECK(row[ratio].r < 1.2);
    naive += row[s].s == "naive";
    fast += row[s].s == "fast";
    ctrl += row[s].s == "materialized_low_rank";
    if (row[n].i == 64 && row[s].s == "naive") naive64 = row[cnt].i;
    if (row[n].i == 64 && row[s].s == "fast") fast64 = row[cnt].i;
  }
  CHECK(naive == 5);
  CHECK(fast == 7);
  CHECK(ctrl == 5);
  CHECK(fast64 < naive64);
}

TEST_CASE("near_linear_cost: CSVs are the same bits with 1 and 2 threads") {
  const exp::ClaimResult a = exp::run_claim(test::claim(kId), exp::Mode::quick, 4, 1, exp::Device::cpu);
  const exp::ClaimResult b = exp::run_claim(test::claim(kId), exp::Mode::quick, 4, 2, exp::Device::cpu);
  for (const auto& [name, table] : a.tables) CHECK(table.to_csv() == b.tables.at(name).to_csv());
}

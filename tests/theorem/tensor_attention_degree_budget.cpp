// Theorem test of tensor_attention.degree_budget (claim 3): quick mode PASSes, the control (entries
// 2B at the budget for B) fails, g_pred matches the spec's table, g_meas <= g_pred and nondecreasing.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;

namespace {
const char* kId = "tensor_attention.degree_budget";
}

TEST_CASE("degree_budget: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick(kId);
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("degree_budget_summary.csv");
  const size_t ctrl = col(t, "control"), tt = col(t, "t"), gp = col(t, "g_pred"), gm = col(t, "g_meas"),
               e = col(t, "eps_out_at_g_pred");
  std::vector<long long> gpred3;
  long long prev2 = -1, prev3 = -1;
  for (const auto& row : t.rows()) {
    if (row[ctrl].i == 0) {
      CHECK(row[gm].i >= 0);
      CHECK(row[gm].i <= row[gp].i);
      CHECK(row[gp].i - row[gm].i <= 5);  // prototype: 0 to 4 degrees below
      long long& prev = row[tt].i == 2 ? prev2 : prev3;
      CHECK(row[gm].i >= prev);
      prev = row[gm].i;
      if (row[tt].i == 3) gpred3.push_back(row[gp].i);
    } else {
      CHECK(row[e].r > 1e-5);  // far above eps = 1e-6 at every grid point (prototype: t = 2 from ~5e-5)
    }
  }
  CHECK(gpred3 == std::vector<long long>{4, 7, 10, 14, 19});
  CHECK(r.tables.at("degree_budget_threshold_map.csv").rows().size() == 3 * 15);
}

TEST_CASE("degree_budget: CSVs are the same bits with 1 and 2 threads") {
  const exp::ClaimResult a = exp::run_claim(test::claim(kId), exp::Mode::quick, 2, 1, exp::Device::cpu);
  const exp::ClaimResult b = exp::run_claim(test::claim(kId), exp::Mode::quick, 2, 2, exp::Device::cpu);
  for (const auto& [name, table] : a.tables) CHECK(table.to_csv() == b.tables.at(name).to_csv());
}

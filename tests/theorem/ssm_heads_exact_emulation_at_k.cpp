// Theorem test of ssm_heads.exact_emulation_at_k (claim 1): quick mode reaches its expected
// verdict, the guard and check hold, the control (H = k-1 heads) fails, and the measured k
// equals the predicted k in every setting. Also: the CSVs do not depend on the thread count.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

using namespace attnlab;
using test::col;
using test::num;

namespace {
const char* kId = "ssm_heads.exact_emulation_at_k";
}  // namespace

TEST_CASE("exact_emulation_at_k: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick(kId);
  test::require_expected_verdict_and_failing_controls(r);
  INFO(r.reason);
  CHECK(r.outcome.check.measured <= 256 * 2.220446049250313e-16);

  const exp::Table& t = r.tables.at("ssm_heads_exact_emulation_settings.csv");
  REQUIRE(t.rows().size() == 7);  // S1..S7
  const size_t kp = col(t, "k_pred"), km = col(t, "k_meas"), e1 = col(t, "max_err_H_k_minus_1"),
               rk = col(t, "r_k_minus_1");
  for (const auto& row : t.rows()) {
    INFO(row[col(t, "setting")].s);
    CHECK(row[km].i == row[kp].i);
    CHECK(row[e1].r > 1e-4);   // H = k-1 leaves an O(r_{k-1}) error (S2-S4: 3e-4..0.16)
    CHECK(row[rk].r > 1e-4);
  }
  // S5 (stalled growth) has k(16) = 2 and S3 is n-limited (k = 8 = n).
  CHECK(t.rows()[4][km].i == 2);
  CHECK(t.rows()[2][km].i == 8);
}

TEST_CASE("exact_emulation_at_k: CSVs are the same bits with 1 and 2 threads") {
  const exp::ClaimResult a = exp::run_claim(test::claim(kId), exp::Mode::quick, 3, 1, exp::Device::cpu);
  const exp::ClaimResult b = exp::run_claim(test::claim(kId), exp::Mode::quick, 3, 2, exp::Device::cpu);
  REQUIRE(a.tables.size() == b.tables.size());
  for (const auto& [name, table] : a.tables) {
    INFO(name);
    CHECK(table.to_csv() == b.tables.at(name).to_csv());
  }
}

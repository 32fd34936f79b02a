// Theorem test of tensor_attention.tpa_factored_cache (claim 6): quick mode PASSes, the control
// (truncated key rank) fails, the cache holds (R_K + R_V)(h + d_h) scalars per token (96 for the
// quick configuration, ratio 8/3 against MHA's 256).
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;

namespace {
const char* kId = "tensor_attention.tpa_factored_cache";
}

TEST_CASE("tpa_factored_cache: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick(kId);
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("tpa_factored_cache.csv");
  REQUIRE(t.rows().size() == 2);
  const auto& own = t.rows()[0];
  const auto& ctl = t.rows()[1];
  CHECK(own[col(t, "control")].i == 0);
  CHECK(own[col(t, "cache_scalars")].i == 32 * 96);
  CHECK(own[col(t, "cache_per_token")].r == 96.0);
  CHECK(own[col(t, "ratio_measured")].r == Approx(8.0 / 3.0));
  CHECK(own[col(t, "rel_diff")].r <= 4096 * 2.220446049250313e-16);
  CHECK(ctl[col(t, "rel_diff")].r > 0.05);  // prototype ~0.3
}

TEST_CASE("tpa_factored_cache: CSVs are the same bits with 1 and 2 threads") {
  const exp::ClaimResult a = exp::run_claim(test::claim(kId), exp::Mode::quick, 8, 1, exp::Device::cpu);
  const exp::ClaimResult b = exp::run_claim(test::claim(kId), exp::Mode::quick, 8, 2, exp::Device::cpu);
  for (const auto& [name, table] : a.tables) CHECK(table.to_csv() == b.tables.at(name).to_csv());
}

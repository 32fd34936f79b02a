// Theorem test: ssm_heads.attention_gradient_highway in quick mode (spec: shared/claims/ssm_heads.md, Claim 5).
#include "tests/theorem/theorem_support.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using namespace attnlab;
using test::col;
using test::num;


TEST_CASE("attention_gradient_highway: PASS in quick mode, the ALiBi control fails") {
  const exp::ClaimResult r = test::run_quick("ssm_heads.attention_gradient_highway");
  test::require_expected_verdict_and_failing_controls(r);
  REQUIRE(r.outcome.controls.size() == 1);
  INFO(r.reason);

  // Measured facts: the softmax profile is flat to 8 n eps, the ALiBi one deviates by order 1;
  // S1's g(l) is 0.9^l and its H = k positional emulator has the SSM's profile (no highway).
  const double eps = std::numeric_limits<double>::epsilon();
  const exp::Table& sum = r.tables.at("ssm_heads_gradient_highway_summary.csv");
  for (const auto& row : sum.rows()) {
    const std::string series = row[col(sum, "series")].s;
    const double dev = num(row[col(sum, "max_rel_dev")]), n = num(row[col(sum, "n")]);
    INFO(series << " n " << n << " max_rel_dev " << dev);
    if (series == "softmax") CHECK(dev <= 8 * n * eps);
    else CHECK(dev > 0.5);
  }
  const exp::Table& t = r.tables.at("ssm_heads_gradient_highway.csv");
  int ssm = 0, emu = 0;
  for (const auto& row : t.rows()) {
    const std::string series = row[col(t, "series")].s;
    const double dev = num(row[col(t, "rel_dev")]);
    if (series == "ssm_S1") {
      ++ssm;
      CHECK(dev < 1e-12);
    }
    if (series.rfind("emulator_S1_H2", 0) == 0) {
      ++emu;
      CHECK(dev < 1e-12);
    }
  }
  CHECK(ssm == 63);
  CHECK(emu == 63);
}

TEST_CASE("attention_gradient_highway: CSVs do not depend on the thread count") {
  const auto& c = test::claim("ssm_heads.attention_gradient_highway");
  const auto a = exp::run_claim(c, exp::Mode::quick, 5, 1, exp::Device::cpu);
  const auto b = exp::run_claim(c, exp::Mode::quick, 5, 2, exp::Device::cpu);
  REQUIRE(a.tables.size() == b.tables.size());
  for (const auto& [name, tb] : a.tables) CHECK(tb.to_csv() == b.tables.at(name).to_csv());
}

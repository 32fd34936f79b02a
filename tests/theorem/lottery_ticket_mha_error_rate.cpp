// Theorem test: lottery_ticket.mha_error_rate in quick mode (spec: shared/claims/lottery_ticket.md, Claim 3).
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace attnlab;

TEST_CASE("mha_error_rate: PASS in quick mode, the one-signed source fails") {
  const exp::ClaimResult r = test::run_quick("lottery_ticket.mha_error_rate");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& f = r.tables.at("mha_error_vs_width_fits.csv");
  const size_t v = test::col(f, "variant"), s = test::col(f, "slope");
  for (const auto& row : f.rows()) {
    if (row[v].s == "ticket") CHECK(std::fabs(test::num(row[s]) + std::log(2.0)) < 0.2);
    else CHECK(std::fabs(test::num(row[s])) < 0.1);  // plateau
  }
  // the realized error never exceeds the propagation bound (claim 4's bound, here at T = 16)
  const exp::Table& t = r.tables.at("mha_error_vs_width.csv");
  const size_t E = test::col(t, "E"), B = test::col(t, "B_prop"), vv = test::col(t, "variant");
  for (const auto& row : t.rows())
    if (row[vv].s == "ticket") CHECK(test::num(row[E]) <= test::num(row[B]));
}

TEST_CASE("mha_error_rate: CSVs do not depend on the thread count") {
  const auto& c = test::claim("lottery_ticket.mha_error_rate");
  const auto a = exp::run_claim(c, exp::Mode::quick, 5, 1, exp::Device::cpu);
  const auto b = exp::run_claim(c, exp::Mode::quick, 5, 2, exp::Device::cpu);
  for (const auto& [name, t] : a.tables) CHECK(t.to_csv() == b.tables.at(name).to_csv());
}

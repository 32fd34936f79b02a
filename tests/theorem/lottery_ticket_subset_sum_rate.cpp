// Theorem test: lottery_ticket.subset_sum_rate in quick mode (spec: shared/claims/lottery_ticket.md, Claim 1).
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace attnlab;

TEST_CASE("subset_sum_rate: PASS in quick mode, the one-signed control fails") {
  const exp::ClaimResult r = test::run_quick("lottery_ticket.subset_sum_rate");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("subset_sum_rate.csv");
  const size_t law = test::col(t, "law"), z = test::col(t, "z"), err = test::col(t, "err");
  int n = 0;
  for (const auto& row : t.rows()) {
    // one-signed pools cannot beat |z| for negative targets (empty subset gives exactly |z|)
    if (row[law].s == "one_signed_samples" && test::num(row[z]) < 0) CHECK(test::num(row[err]) >= -test::num(row[z]) - 1e-15);
    CHECK(test::num(row[err]) >= 0);
    ++n;
  }
  CHECK(n == 3 * 4 * 300);
}

TEST_CASE("subset_sum_rate: CSVs do not depend on the thread count") {
  const auto& c = test::claim("lottery_ticket.subset_sum_rate");
  const auto a = exp::run_claim(c, exp::Mode::quick, 3, 1, exp::Device::cpu);
  const auto b = exp::run_claim(c, exp::Mode::quick, 3, 2, exp::Device::cpu);
  for (const auto& [name, t] : a.tables) CHECK(t.to_csv() == b.tables.at(name).to_csv());
}

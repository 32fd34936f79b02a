// Theorem test of icl_regression.length_generalization (claim 6): quick mode PASSes, the
// linear-attention control fails, softmax risk falls with n' while linear attention's grows by
// more than 3x at n' = 80 and more than 15x at n' = 160, each near its predicted curve.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("length_generalization: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick("icl_regression.length_generalization");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("length_generalization.csv");
  const size_t model = col(t, "model"), seed = col(t, "seed"), n = col(t, "n_test"), risk = col(t, "risk"),
               pred = col(t, "predicted");
  std::map<std::pair<std::string, long long>, std::map<long long, double>> R;
  for (const auto& row : t.rows()) {
    R[{row[model].s, row[seed].i}][row[n].i] = num(row[risk]);
    CHECK(num(row[risk]) == Approx(num(row[pred])).epsilon(0.06));  // both models follow their predicted curve
  }
  CHECK(R.size() == 8);
  for (auto& [key, byn] : R) {
    INFO(key.first << " seed " << key.second);
    if (key.first == "softmax") {
      CHECK(byn[80] < byn[40]);
      CHECK(byn[160] < byn[80]);
    } else {
      CHECK(byn[80] > 3 * byn[40]);
      CHECK(byn[160] > 15 * byn[40]);
    }
  }
}

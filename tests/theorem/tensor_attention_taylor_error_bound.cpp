// Theorem test of tensor_attention.taylor_error_bound (claim 2): quick mode PASSes, the control
// (entries beyond the bound) fails, the extremal family nearly attains rho_g, CSVs thread-independent.
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;

namespace {
const char* kId = "tensor_attention.taylor_error_bound";
}

TEST_CASE("taylor_error_bound: quick mode PASSes and its control fails") {
  const exp::ClaimResult r = test::run_quick(kId);
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("taylor_error_bound.csv");
  const size_t ctrl = col(t, "control"), fam = col(t, "family"), ent = col(t, "eps_ent"), rho = col(t, "rho"),
               out = col(t, "eps_out"), E = col(t, "E");
  int own = 0, violated = 0;
  for (const auto& row : t.rows()) {
    if (row[ctrl].i == 0) {
      ++own;
      if (row[fam].s == "extremal") {
        CHECK(row[ent].r / row[rho].r >= 0.7);  // prototype 0.78..0.98
        CHECK(row[ent].r / row[rho].r <= 1.0 + 1e-6);
      }
      CHECK(row[out].r <= row[E].r * 1.01 + 1e-9);
    } else {
      violated += row[ent].r > row[rho].r * 10;
    }
  }
  CHECK(own == 288);  // spec: 288 quick cases
  CHECK(violated > 0);
}

TEST_CASE("taylor_error_bound: CSVs are the same bits with 1 and 2 threads") {
  const exp::ClaimResult a = exp::run_claim(test::claim(kId), exp::Mode::quick, 5, 1, exp::Device::cpu);
  const exp::ClaimResult b = exp::run_claim(test::claim(kId), exp::Mode::quick, 5, 2, exp::Device::cpu);
  for (const auto& [name, table] : a.tables) CHECK(table.to_csv() == b.tables.at(name).to_csv());
}

// Theorem test of rank_collapse.attention_span_invariance (claim 7): escape at rounding level in every layer of
// the three settings, dim S_L as predicted (16, 2, 2), and the residual MLP escapes (control fails).
#include "tests/theorem/theorem_support.hpp"

#include <catch2/catch.hpp>

using namespace attnlab;
using test::col;
using test::num;

TEST_CASE("attention_span_invariance: quick mode PASSes and the with_mlp control fails") {
  const exp::ClaimResult r = test::run_quick("rank_collapse.attention_span_invariance");
  test::require_expected_verdict_and_failing_controls(r);
  const exp::Table& t = r.tables.at("attention_span.csv");
  const size_t s = col(t, "setting"), layer = col(t, "layer"), dim = col(t, "dim_S"), e = col(t, "escape"),
               em = col(t, "escape_mlp");
  for (const auto& row : t.rows()) {
    CHECK(num(row[e]) < 1e-13);
    const int l = int(num(row[layer]));
    if (row[s].s == "a_generic_skip") CHECK(num(row[dim]) == 2 << l);  // r 2^l
    else CHECK(num(row[dim]) == 2);
    if (l == int(row[s].s == "b_token_mixing" ? 6 : 3)) CHECK(num(row[em]) > 0.3);
  }
}

// Unit tests of theory/tensor_attention.hpp against the spec's reference values and hand cases.
#include "core/tensor_attention.hpp"
#include "theory/tensor_attention.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace attnlab::theory::tensor_attention;

TEST_CASE("tensor_rank and score_range") {
  CHECK(tensor_rank(4, 8) == 495);
  CHECK(tensor_rank(4, 0) == 1);
  CHECK(tensor_rank(2, 3) == 10);
  CHECK(tensor_rank(4, 37) == 101270);
  CHECK(std::exp(log_tensor_rank(4, 37)) == Approx(101270.0).epsilon(1e-12));
  CHECK(score_range(0.5, 3) == 0.125);
  CHECK(score_range(2.0, 2) == 4.0);
}

TEST_CASE("rho_g, lower bound and E_g: hand values and the Lagrange bound itself") {
  // rho_0(1) = e * 1 / 1! = e
  CHECK(taylor_rel_error_bound(0, 1.0) == Approx(std::exp(1.0)));
  CHECK(taylor_rel_error_bound(2, 0.5) == Approx(std::exp(0.5) * 0.125 / 6.0));
  CHECK(taylor_rel_error_lower(2, 0.5) == Approx((1 - 0.5 / 4) * std::exp(0.5) * 0.125 / 6.0));
  CHECK(taylor_rel_error_lower(1, 5.0) == 0.0);
  CHECK(std::isinf(output_error_bound(0, 2.0, 1.0)));
  const double rho = taylor_rel_error_bound(5, 1.0);
  CHECK(output_error_bound(5, 1.0, 2.0) == Approx(2 * rho / (1 - rho) * 2.0));
  // The error at s = -beta lies between the lower and the upper bound; at s = +beta below the upper.
  for (double beta : {0.3, 1.0, 2.5})
    for (int g : {2, 5, 9}) {
      const double e_neg = std::abs(attnlab::core::taylor_exp(-beta, g) * std::exp(beta) - 1);
      const double e_pos = std::abs(attnlab::core::taylor_exp(beta, g) * std::exp(-beta) - 1);
      CHECK(e_neg <= taylor_rel_error_bound(g, beta) * (1 + 1e-9));
      CHECK(e_neg >= taylor_rel_error_lower(g, beta) * (1 - 1e-9));
      CHECK(e_pos <= taylor_rel_error_bound(g, beta) * (1 + 1e-9));
    }
}

TEST_CASE("degree_needed: the spec's reference table (t = 3, b_V = 1, eps = 1e-6)") {
  const double Bs[] = {0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0};
  const int g[] = {4, 7, 10, 14, 19, 27, 37};
  const long long r[] = {70, 330, 1001, 3060, 8855, 31465, 101270};
  for (int k = 0; k < 7; ++k) {
    INFO("B = " << Bs[k]);
    const int gp = degree_needed(score_range(Bs[k], 3), 1e-6, 1.0);
    CHECK(gp == g[k]);
    CHECK(tensor_rank(4, gp) == r[k]);
  }
}

TEST_CASE("positivity of P_g on [-beta, beta] where rho_g(beta) < 1") {
  for (double beta : {0.5, 1.0, 2.0, 4.0})
    for (int g = 0; g <= 20; ++g) {
      if (!(taylor_rel_error_bound(g, beta) < 1)) continue;
      for (int k = 0; k <= 200; ++k) {
        const double s = -beta + 2 * beta * k / 200;
        CHECK(attnlab::core::taylor_exp(s, g) > 0);
      }
    }
}

TEST_CASE("cost model: counts, crossover, break-even entry bound") {
  CHECK(ops_naive(10, 4, 3) == 1000 * 10 + 2 * 100 * 4 + 2 * 10 * 4);
  CHECK(ops_fast(10, 4, 495, 3) == 3 * 10 * 495 * 4 + 6 * 10 * 495 + 495 * 4 + 495);
  CHECK(ops_naive(10, 4, 2) == 100 * 10 + 80);
  CHECK(crossover_n(4, 495) == Approx(std::sqrt(495.0 * 18 / 10)));
  CHECK(crossover_n(4, 495) == Approx(29.85).margin(0.01));
  // Spec: B_x = 1.31 (log2 n = 8), 1.56 (16), 2.25 (64) for t = 3.
  CHECK(breakeven_entry_bound(8, 3) == Approx(1.31).margin(0.01));
  CHECK(breakeven_entry_bound(16, 3) == Approx(1.56).margin(0.01));
  CHECK(breakeven_entry_bound(64, 3) == Approx(2.25).margin(0.01));
}

TEST_CASE("Match3 lambda_suff and TPA cache") {
  CHECK(match3_lambda_suff(8, 64) == Approx(2256.19).margin(0.01));
  CHECK(std::cbrt(4 * match3_lambda_suff(8, 64)) == Approx(20.82).margin(0.01));
  CHECK(tpa_cache_per_token(8, 16, 2, 2) == 96);
  CHECK(tpa_cache_ratio(8, 16, 2, 2) == Approx(2.667).margin(5e-4));
  CHECK(tpa_cache_ratio(22, 64, 2, 2) == Approx(8.186).margin(5e-4));
  CHECK(tpa_cache_ratio(32, 128, 1, 1) == Approx(25.6));
}

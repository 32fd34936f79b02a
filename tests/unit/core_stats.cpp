#include "core/stats.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <stdexcept>

using namespace attnlab::core;

TEST_CASE("kendall_tau and percentile") {
  CHECK(kendall_tau({1, 2, 3, 4}, {1, 2, 3, 4}) == Approx(1.0));
  CHECK(kendall_tau({1, 2, 3, 4}, {4, 3, 2, 1}) == Approx(-1.0));
  CHECK(kendall_tau({1, 2, 3}, {1, 3, 2}) == Approx(1.0 / 3));
  CHECK(kendall_tau({1, 1, 2}, {1, 2, 2}) == Approx(1.0 / 3));  // tied pairs count 0 (tau-a)
  CHECK_THROWS_AS(kendall_tau({1, 2}, {1}), std::invalid_argument);
  CHECK(percentile({1, 2, 3, 4, 5}, 0.5) == Approx(3.0));
  CHECK(percentile({5, 1, 3}, 0.25) == Approx(2.0));  // sorted first, then interpolated
  CHECK(percentile({2, 4}, 0.975) == Approx(3.95));
  CHECK(std::isnan(percentile({}, 0.5)));
}

TEST_CASE("Student-t quantiles match tables") {
  CHECK(student_t_quantile(0.975, 1) == Approx(12.7062).epsilon(1e-5));
  CHECK(student_t_quantile(0.975, 10) == Approx(2.2281).epsilon(1e-4));
  CHECK(student_t_quantile(0.95, 30) == Approx(1.6973).epsilon(1e-4));
}

TEST_CASE("mean with a Student-t interval") {
  const auto m = mean_ci({1, 2, 3, 4, 5});
  CHECK(m.mean == Approx(3));
  CHECK(m.sd == Approx(std::sqrt(2.5)));
  const double half = 2.7764451 * std::sqrt(2.5) / std::sqrt(5.0);
  CHECK(m.lo == Approx(3 - half).epsilon(1e-6));
  CHECK(m.hi == Approx(3 + half).epsilon(1e-6));
  CHECK(one_sided_upper({1, 2, 3, 4, 5}) == Approx(3 + 2.1318468 * std::sqrt(2.5) / std::sqrt(5.0)).epsilon(1e-6));
  CHECK(one_sided_lower({1, 2, 3, 4, 5}) == Approx(3 - 2.1318468 * std::sqrt(2.5) / std::sqrt(5.0)).epsilon(1e-6));
  CHECK_THROWS(mean_ci({1.0}));
  CHECK_THROWS(mean_ci({1.0, NAN}));
}

TEST_CASE("OLS on an exact line has a zero-width slope interval") {
  const auto f = ols_fit({0, 1, 2, 3, 4}, {1, 3.5, 6, 8.5, 11});
  CHECK(f.slope == Approx(2.5).epsilon(1e-14));
  CHECK(f.intercept == Approx(1).epsilon(1e-14));
  CHECK(f.slope_hi - f.slope_lo < 1e-12);
  CHECK(f.r2 == Approx(1));
}

TEST_CASE("OLS slope interval on noisy data matches the textbook formula") {
  // y = 1 + 2x + e, residuals fixed: se = sqrt(SSE/(n-2)/Sxx)
  const std::vector<double> x{0, 1, 2, 3, 4, 5}, e{0.1, -0.2, 0.05, 0.15, -0.1, 0.0};
  std::vector<double> y;
  for (int i = 0; i < 6; ++i) y.push_back(1 + 2 * x[i] + e[i]);
  const auto f = ols_fit(x, y);
  double mx = 2.5, sxx = 0, sxy = 0, my = 0;
  for (double v : y) my += v / 6;
  for (int i = 0; i < 6; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  const double b = sxy / sxx, a = my - b * mx;
  double sse = 0;
  for (int i = 0; i < 6; ++i) sse += std::pow(y[i] - a - b * x[i], 2);
  const double se = std::sqrt(sse / 4 / sxx);
  CHECK(f.slope == Approx(b));
  CHECK(f.slope_se == Approx(se));
  CHECK(f.slope_lo == Approx(b - 2.7764451 * se).epsilon(1e-6));
  CHECK(f.slope_lo < 2.0);
  CHECK(f.slope_hi > 2.0);
  CHECK_THROWS(ols_fit({1, 1, 1}, {1, 2, 3}));
}

TEST_CASE("Clopper-Pearson one-sided lower bound: closed forms and the defining tail") {
  // k = n: P(Bin(n, p) >= n) = p^n = 1 - level, so p_lo = (1 - level)^{1/n}
  CHECK(clopper_pearson_lower(200, 200) == Approx(std::pow(0.05, 1.0 / 200)).epsilon(1e-12));
  CHECK(clopper_pearson_lower(0, 10) == 0.0);
  // k = 1: P(Bin(n, p) >= 1) = 1 - (1 - p)^n = 0.05, so p_lo = 1 - 0.95^{1/n}
  CHECK(clopper_pearson_lower(1, 20) == Approx(1 - std::pow(0.95, 1.0 / 20)).epsilon(1e-12));
  // k = 50, n = 100: the binomial upper tail at p_lo equals 0.05 (summed directly)
  const double p = clopper_pearson_lower(50, 100);
  double tail = 0, logc = 0;  // log C(100, j), accumulated
  for (int j = 0; j <= 100; ++j) {
    if (j > 0) logc += std::log(double(100 - j + 1)) - std::log(double(j));
    if (j >= 50) tail += std::exp(logc + j * std::log(p) + (100 - j) * std::log1p(-p));
  }
  CHECK(tail == Approx(0.05).epsilon(1e-9));
  CHECK_THROWS(clopper_pearson_lower(3, 2));
  CHECK_THROWS(clopper_pearson_lower(0, 0));
}

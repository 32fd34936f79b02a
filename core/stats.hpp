// Statistics for verdicts: mean with a Student-t interval, one-sided bounds, and the OLS
// slope with its Student-t confidence interval (Boost.Math gives the quantiles; Boost's
// own OLS gives no slope interval, so it is computed here); sample percentiles and Kendall's tau.
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace attnlab::core {

// Quantile of Student's t with `dof` degrees of freedom at probability p.
double student_t_quantile(double p, double dof);

struct MeanInterval {
  double mean = 0, sd = 0, lo = 0, hi = 0;  // two-sided interval at `level`
  int n = 0;
};
// Throws std::invalid_argument for n < 2 or non-finite data.
MeanInterval mean_ci(const std::vector<double>& x, double level = 0.95);
// One-sided bounds: mean + t_{level, n-1} * sd / sqrt(n) (upper), and the lower mirror.
double one_sided_upper(const std::vector<double>& x, double level = 0.95);
double one_sided_lower(const std::vector<double>& x, double level = 0.95);

// One-sided Clopper-Pearson (exact binomial) lower confidence bound at `level` for a success
// probability, after k successes in n trials: the p with P(Bin(n, p) >= k) = 1 - level, and 0
// when k = 0. Throws std::invalid_argument unless 0 <= k <= n and n >= 1.
double clopper_pearson_lower(long long k, long long n, double level = 0.95);

struct OlsFit {
  double intercept = 0, slope = 0;
  double slope_se = 0;            // standard error of the slope
  double slope_lo = 0, slope_hi = 0;  // two-sided CI at `level`, n - 2 dof
  double r2 = 0;
  int n = 0;
};
// Least-squares fit y = a + b x. Throws std::invalid_argument for n < 3, constant x or non-finite data.
OlsFit ols_fit(const std::vector<double>& x, const std::vector<double>& y, double level = 0.95);

// Kendall's tau-a between x and y (pairs with ties count 0).
inline double kendall_tau(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = x.size();
  if (n != y.size() || n < 2) throw std::invalid_argument("kendall_tau: need two equal-length samples");
  long long s = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      const double a = x[i] - x[j], b = y[i] - y[j];
      s += (a * b > 0) - (a * b < 0);
    }
  return double(s) / (0.5 * double(n) * double(n - 1));
}

// Percentile of a sample (linear interpolation, p in [0, 1]).
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const double pos = p * double(v.size() - 1);
  const size_t lo = size_t(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - double(lo)) * (v[hi] - v[lo]);
}

}  // namespace attnlab::core

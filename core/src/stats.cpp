#include "core/stats.hpp"

#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <cmath>
#include <stdexcept>

namespace attnlab::core {

namespace {
void require_finite(const std::vector<double>& x, const char* what) {
  for (double v : x)
    if (!std::isfinite(v)) throw std::invalid_argument(std::string("non-finite value in ") + what);
}
}  // namespace

double student_t_quantile(double p, double dof) {
  boost::math::students_t dist(dof);
  return boost::math::quantile(dist, p);
}

MeanInterval mean_ci(const std::vector<double>& x, double level) {
  if (x.size() < 2) throw std::invalid_argument("mean_ci needs at least 2 values");
  require_finite(x, "mean_ci");
  MeanInterval m;
  m.n = static_cast<int>(x.size());
  double s = 0;
  for (double v : x) s += v;
  m.mean = s / m.n;
  double ss = 0;
  for (double v : x) ss += (v - m.mean) * (v - m.mean);
  m.sd = std::sqrt(ss / (m.n - 1));
  const double half = student_t_quantile(0.5 + level / 2, m.n - 1) * m.sd / std::sqrt(double(m.n));
  m.lo = m.mean - half;
  m.hi = m.mean + half;
  return m;
}

double one_sided_upper(const std::vector<double>& x, double level) {
  const MeanInterval m = mean_ci(x, 0.5);
  return m.mean + student_t_quantile(level, m.n - 1) * m.sd / std::sqrt(double(m.n));
}

double one_sided_lower(const std::vector<double>& x, double level) {
  const MeanInterval m = mean_ci(x, 0.5);
  return m.mean - student_t_quantile(level, m.n - 1) * m.sd / std::sqrt(double(m.n));
}

OlsFit ols_fit(const std::vector<double>& x, const std::vector<double>& y, double level) {
  if (x.size() != y.size()) throw std::invalid_argument("ols_fit: x and y differ in length");
  if (x.size() < 3) throw std::invalid_argument("ols_fit needs at least 3 points");
  require_finite(x, "ols_fit x");
  require_finite(y, "ols_fit y");
  OlsFit f;
  f.n = static_cast<int>(x.size());
  double mx = 0, my = 0;
  for (int i = 0; i < f.n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= f.n;
  my /= f.n;
  double sxx = 0, sxy = 0, syy = 0;
  for (int i = 0; i < f.n; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (!(sxx > 0)) throw std::invalid_argument("ols_fit: x is constant");
  f.slope = sxy / sxx;
  f.intercept = my - f.slope * mx;
  double sse = 0;
  for (int i = 0; i < f.n; ++i) {
    const double r = y[i] - f.intercept - f.slope * x[i];
    sse += r * r;
  }
  f.slope_se = std::sqrt(sse / (f.n - 2) / sxx);
  const double t = student_t_quantile(0.5 + level / 2, f.n - 2);
  f.slope_lo = f.slope - t * f.slope_se;
  f.slope_hi = f.slope + t * f.slope_se;
  f.r2 = syy > 0 ? 1 - sse / syy : 1.0;
  return f;
}

double clopper_pearson_lower(long long k, long long n, double level) {
  if (n <= 0 || k < 0 || k > n) throw std::invalid_argument("clopper_pearson_lower: need 0 <= k <= n and n >= 1");
  if (k == 0) return 0.0;
  return boost::math::ibeta_inv(double(k), double(n - k + 1), 1.0 - level);
}

}  // namespace attnlab::core

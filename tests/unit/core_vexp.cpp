// core/vexp.hpp: exp_shift_sum against std::exp in ulps over the whole range of double and float
// (random arguments, a fine grid near 0, the overflow and underflow edges, subnormal results), the
// special values (+-inf, NaN, exp(0) = 1 exactly), every tail length, and the returned sum.
#include "core/rng.hpp"
#include "core/vexp.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

using namespace attnlab::core;

namespace {
// Distance in units in the last place between two finite values of the same sign (ordered bits).
template <class S> double ulps(S a, S b) {
  using U = std::conditional_t<sizeof(S) == 8, std::int64_t, std::int32_t>;
  U ia, ib;
  std::memcpy(&ia, &a, sizeof(S));
  std::memcpy(&ib, &b, sizeof(S));
  if (ia < 0) ia = std::numeric_limits<U>::min() - ia;
  if (ib < 0) ib = std::numeric_limits<U>::min() - ib;
  return std::fabs(double(ia > ib ? ia - ib : ib - ia));  // same sign: no overflow
}

// Largest ulp distance of exp_shift_sum(x - m) from std::exp(x - m) (the shift applied in S).
template <class S> double max_ulps(const std::vector<S>& args, S m) {
  std::vector<S> y = args;
  exp_shift_sum(y.data(), std::ptrdiff_t(y.size()), m);
  double worst = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    const S ref = std::exp(S(args[i] - m));
    REQUIRE(std::isfinite(y[i]) == std::isfinite(ref));
    if (std::isfinite(ref)) worst = std::max(worst, ulps(y[i], ref));
  }
  return worst;
}

template <class S> std::vector<S> uniform(PhiloxStream& r, S lo, S hi, int n) {
  std::vector<S> v(static_cast<size_t>(n));
  for (auto& x : v) x = S(lo + (hi - lo) * r.uniform());
  return v;
}
}  // namespace

TEST_CASE("exp_shift_sum is within 2 ulp of std::exp over the range of double", "[vexp]") {
  PhiloxStream r(11, 0);
  CHECK(max_ulps(uniform<double>(r, -745.0, 709.7, 200000), 0.0) <= 2.0);
  CHECK(max_ulps(uniform<double>(r, -1.0, 1.0, 100000), 0.0) <= 2.0);
  CHECK(max_ulps(uniform<double>(r, -40.0, 0.0, 100000), 0.0) <= 2.0);  // softmax's range
  CHECK(max_ulps(uniform<double>(r, 700.0, 709.78, 20000), 0.0) <= 2.0);  // near overflow
  CHECK(max_ulps(uniform<double>(r, -708.5, -700.0, 20000), 0.0) <= 2.0);  // near the smallest normal
  // subnormal results: the absolute error is what counts there (a subnormal has fewer bits)
  std::vector<double> sub = uniform<double>(r, -744.0, -709.0, 20000), y = sub;
  exp_shift_sum(y.data(), std::ptrdiff_t(y.size()), 0.0);
  for (size_t i = 0; i < sub.size(); ++i) CHECK(std::fabs(y[i] - std::exp(sub[i])) <= 2 * 4.9406564584124654e-324);
}

TEST_CASE("exp_shift_sum is within 2 ulp of std::exp over the range of float", "[vexp]") {
  PhiloxStream r(12, 0);
  CHECK(max_ulps(uniform<float>(r, -87.3f, 88.7f, 200000), 0.0f) <= 2.0);
  CHECK(max_ulps(uniform<float>(r, -1.0f, 1.0f, 100000), 0.0f) <= 2.0);
  CHECK(max_ulps(uniform<float>(r, -20.0f, 0.0f, 100000), 0.0f) <= 2.0);
  CHECK(max_ulps(uniform<float>(r, 80.0f, 88.72f, 20000), 0.0f) <= 2.0);
}

TEST_CASE("exp_shift_sum: special values, the shift, every tail length and the sum", "[vexp]") {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> s = {0.0, -inf, inf, nan, 710.0, -746.0, 1e300, -1e300, -0.0};
  exp_shift_sum(s.data(), std::ptrdiff_t(s.size()), 0.0);
  CHECK(s[0] == 1.0);
  CHECK(s[1] == 0.0);
  CHECK(s[2] == inf);
  CHECK(std::isnan(s[3]));
  CHECK(s[4] == inf);
  CHECK(s[5] == 0.0);
  CHECK(s[6] == inf);
  CHECK(s[7] == 0.0);
  CHECK(s[8] == 1.0);
  const float finf = std::numeric_limits<float>::infinity();
  std::vector<float> f = {0.0f, -finf, finf, std::numeric_limits<float>::quiet_NaN(), 89.0f, -105.0f, 1e30f, -1e30f, 0.5f};
  exp_shift_sum(f.data(), std::ptrdiff_t(f.size()), 0.0f);
  CHECK(f[0] == 1.0f);
  CHECK(f[1] == 0.0f);
  CHECK(f[2] == finf);
  CHECK(std::isnan(f[3]));
  CHECK(f[4] == finf);
  CHECK(f[5] == 0.0f);
  CHECK(f[6] == finf);
  CHECK(f[7] == 0.0f);
  CHECK(ulps(f[8], std::exp(0.5f)) <= 2.0);

  // A lane out of the fast range sends its whole vector down the full path: the other lanes
  // must come out with the same bits as in a vector that takes the fast path.
  std::vector<double> fast = {-3.5, 0.25, 700.0, -700.0, -3.5, 0.25, 700.0, -800.0};
  std::vector<float> fastf = {-3.5f, 0.25f, 80.0f, -80.0f, 1.0f, 2.0f, 3.0f, 4.0f,
                              -3.5f, 0.25f, 80.0f, -80.0f, 1.0f, 2.0f, 3.0f, -100.0f};
  exp_shift_sum(fast.data(), 8, 0.0);
  exp_shift_sum(fastf.data(), 16, 0.0f);
  for (int i = 0; i < 3; ++i) CHECK(fast[size_t(i)] == fast[size_t(i + 4)]);
  for (int i = 0; i < 7; ++i) CHECK(fastf[size_t(i)] == fastf[size_t(i + 8)]);

  PhiloxStream r(13, 0);
  for (int n = 0; n <= 19; ++n) {  // every tail of the 4- and 8-wide loops
    const std::vector<double> x = uniform<double>(r, -5.0, 5.0, n);
    std::vector<double> y = x;
    const double m = 1.25;
    const double sum = exp_shift_sum(y.data(), n, m);
    double ref = 0;
    for (int i = 0; i < n; ++i) {
      CHECK(ulps(y[size_t(i)], std::exp(x[size_t(i)] - m)) <= 2.0);
      ref += std::exp(x[size_t(i)] - m);
    }
    CHECK(std::fabs(sum - ref) <= 1e-14 * std::max(1.0, ref));
    const std::vector<float> xf = uniform<float>(r, -5.0f, 5.0f, n);
    std::vector<float> yf = xf;
    const float sf = exp_shift_sum(yf.data(), n, 0.5f);
    double reff = 0;
    for (int i = 0; i < n; ++i) {
      CHECK(ulps(yf[size_t(i)], std::exp(xf[size_t(i)] - 0.5f)) <= 2.0);
      reff += std::exp(double(xf[size_t(i)]) - 0.5);
    }
    CHECK(std::fabs(double(sf) - reff) <= 1e-6 * std::max(1.0, reff));
  }
}

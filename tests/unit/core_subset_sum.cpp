// Unit tests of core/subset_sum.hpp: the meet-in-the-middle solver against brute force on small
// pools, edge cases (empty pool, empty subset, all-negative pools, exact hits), the sorted
// enumeration, the coverage radius and the batch interface.
#include "core/rng.hpp"
#include "core/subset_sum.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

using namespace attnlab::core;

TEST_CASE("subset sum: meet in the middle equals brute force on random small pools") {
  PhiloxStream rng(11, 0);
  for (int m = 0; m <= 14; ++m) {
    for (int rep = 0; rep < 40; ++rep) {
      std::vector<double> v(m);
      for (auto& x : v) x = rng.uniform(-1, 1) * (rep % 3 == 0 ? rng.uniform(-1, 1) : 1.0);
      const double t = rng.uniform(-1.5, 1.5);
      const SubsetSumResult a = best_subset_sum(v, t), b = best_subset_sum_brute(v, t);
      INFO("m " << m << " rep " << rep);
      REQUIRE(std::fabs(a.error - b.error) <= 1e-15);
      // the returned mask reproduces the reported sum and error
      CHECK(std::fabs(masked_sum(v, a.mask) - a.sum) <= 1e-14);
      CHECK(std::fabs(std::fabs(t - a.sum) - a.error) <= 1e-15);
      CHECK((m == 64 || (a.mask >> m) == 0));
      CHECK(a.mask == b.mask);  // distinct sums: the optimum is unique
    }
  }
}

TEST_CASE("subset sum: edge cases") {
  SECTION("empty pool: only the empty subset") {
    const std::vector<double> v;
    const auto r = best_subset_sum(v, 0.3);
    CHECK(r.mask == 0);
    CHECK(r.sum == 0.0);
    CHECK(r.error == Approx(0.3));
  }
  SECTION("the empty subset wins when the target is 0 or near it") {
    const std::vector<double> v{0.7, -0.9, 0.55, 0.8};
    const auto r = best_subset_sum(v, 1e-3);
    CHECK(r.mask == 0);
    CHECK(r.error == Approx(1e-3));
  }
  SECTION("all-negative pool against a positive target: empty subset") {
    const std::vector<double> v{-0.1, -0.5, -0.25, -0.9, -0.3};
    const auto r = best_subset_sum(v, 0.4);
    CHECK(r.mask == 0);
    CHECK(r.error == Approx(0.4));
  }
  SECTION("all-negative pool against a negative target") {
    const std::vector<double> v{-0.1, -0.5, -0.25, -0.9, -0.3};
    const auto r = best_subset_sum(v, -0.85);  // -0.5 - 0.25 - 0.1
    CHECK(r.error <= 1e-15);
    CHECK(r.mask == ((1u << 0) | (1u << 1) | (1u << 2)));
    CHECK(r.error == best_subset_sum_brute(v, -0.85).error);
  }
  SECTION("exact hits with dyadic values are found with error 0") {
    const std::vector<double> v{0.5, 0.25, 0.125, 0.0625, -1.0, 0.75};
    for (double t : {0.0, 0.5, 0.375, -0.25, 1.0, 0.9375, -0.6875}) {
      const auto r = best_subset_sum(v, t);
      INFO("t " << t);
      CHECK(r.error == 0.0);
      CHECK(masked_sum(v, r.mask) == t);
      CHECK(r.mask == best_subset_sum_brute(v, t).mask);  // tie-break: smallest mask
    }
  }
  SECTION("whole pool selected") {
    const std::vector<double> v{0.3, 0.2, 0.1};
    const auto r = best_subset_sum(v, 5.0);
    CHECK(r.mask == 7u);
    CHECK(r.error == Approx(4.4));
  }
  SECTION("bad input") {
    std::vector<double> big(41, 0.1);
    CHECK_THROWS_AS(best_subset_sum(big, 0.0), std::invalid_argument);
    std::vector<double> nan{0.1, std::nan("")};
    CHECK_THROWS_AS(best_subset_sum(nan, 0.0), std::invalid_argument);
    CHECK_THROWS_AS(best_subset_sum(std::vector<double>{0.1}, INFINITY), std::invalid_argument);
  }
}

TEST_CASE("subset sum: large pools reach about 2^-m and agree with an independent split") {
  PhiloxStream rng(5, 1);
  for (int m : {24, 32, 40}) {
    std::vector<double> v(m);
    for (auto& x : v) x = rng.uniform(-1, 1);
    const double t = rng.uniform(-1, 1);
    const auto r = best_subset_sum(v, t);
    CHECK(std::fabs(masked_sum(v, r.mask) - t) == Approx(r.error).margin(1e-14));
    CHECK(r.error < 1e-3);  // about 2^-m in expectation; 1e-3 is a very safe floor
    // reversing the pool gives the same optimum error (different split, same answer)
    std::vector<double> w(v.rbegin(), v.rend());
    CHECK(std::fabs(best_subset_sum(w, t).error - r.error) <= 1e-15);
  }
}

TEST_CASE("subset sum: sorted enumeration and coverage radius") {
  const std::vector<double> v{0.5, -0.25, 0.125};
  const auto s = sorted_subset_sums(v);
  const std::vector<double> expect{-0.25, -0.125, 0.0, 0.125, 0.25, 0.375, 0.5, 0.625};
  REQUIRE(s.size() == 8);
  for (size_t k = 0; k < 8; ++k) CHECK(s[k] == expect[k]);
  // sums in [-0.25, 0.625], step 0.125: over [-1,1] the far ends dominate: dist(-1) = 0.75
  CHECK(coverage_radius(v, -1, 1) == Approx(0.75));
  CHECK(coverage_radius(v, -0.25, 0.625) == Approx(0.0625));  // half of the 0.125 gap
  CHECK(coverage_radius(std::vector<double>{}, -1, 1) == Approx(1.0));
  // brute-force sup on a fine grid matches
  PhiloxStream rng(3, 2);
  std::vector<double> w(10);
  for (auto& x : w) x = rng.uniform(-1, 1);
  const double r = coverage_radius(w, -1, 1);
  double sup = 0;
  for (int g = 0; g <= 20000; ++g) sup = std::max(sup, best_subset_sum(w, -1.0 + 2.0 * g / 20000).error);
  CHECK(sup <= r + 1e-15);
  CHECK(sup >= r - 2.0 / 20000);
}

TEST_CASE("subset sum: batch results do not depend on the thread count") {
  PhiloxStream rng(9, 0);
  std::vector<std::vector<double>> pools(50);
  std::vector<double> targets(50);
  for (size_t k = 0; k < pools.size(); ++k) {
    pools[k].resize(8 + k % 13);
    for (auto& x : pools[k]) x = rng.uniform(-1, 1);
    targets[k] = rng.uniform(-1, 1);
  }
  const auto a = best_subset_sum_batch(pools, targets, 1), b = best_subset_sum_batch(pools, targets, 2);
  for (size_t k = 0; k < pools.size(); ++k) {
    CHECK(a[k].mask == b[k].mask);
    CHECK(a[k].error == b[k].error);
    CHECK(a[k].mask == best_subset_sum(pools[k], targets[k]).mask);
  }
}

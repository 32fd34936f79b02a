// Exact best-subset-sum approximation (meet in the middle); see core/subset_sum.hpp.
#include "core/subset_sum.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace attnlab::core {

namespace {

void check_input(std::span<const double> values, double target, int max_m) {
  if (int(values.size()) > max_m)
    throw std::invalid_argument("subset sum: pool of " + std::to_string(values.size()) + " values exceeds " +
                                std::to_string(max_m));
  if (!std::isfinite(target)) throw std::invalid_argument("subset sum: non-finite target");
  for (double v : values)
    if (!std::isfinite(v)) throw std::invalid_argument("subset sum: non-finite pool value");
}

// Better: strictly smaller error, or equal error with a smaller mask.
inline bool better(double err, std::uint64_t mask, double best_err, std::uint64_t best_mask) {
  return err < best_err || (err == best_err && mask < best_mask);
}

}  // namespace

void sorted_subset_sums(std::span<const double> values, std::vector<double>& sums, std::vector<std::uint32_t>& masks,
                        std::vector<double>& tmp_s, std::vector<std::uint32_t>& tmp_m) {
  const size_t n = values.size();
  if (n > 26) throw std::invalid_argument("sorted_subset_sums: at most 26 values");
  const size_t total = size_t(1) << n;
  sums.resize(total);
  masks.resize(total);
  tmp_s.resize(total);
  tmp_m.resize(total);
  sums[0] = 0.0;
  masks[0] = 0;
  size_t len = 1;
  for (size_t k = 0; k < n; ++k) {
    const double x = values[k];
    const std::uint32_t bit = std::uint32_t(1) << k;
    // merge sums[0..len) with sums[0..len) + x into tmp, then swap
    size_t i = 0, j = 0, o = 0;
    while (i < len && j < len) {
      const double b = sums[j] + x;
      if (sums[i] <= b) {
        tmp_s[o] = sums[i];
        tmp_m[o++] = masks[i++];
      } else {
        tmp_s[o] = b;
        tmp_m[o++] = masks[j++] | bit;
      }
    }
    while (i < len) {
      tmp_s[o] = sums[i];
      tmp_m[o++] = masks[i++];
    }
    while (j < len) {
      tmp_s[o] = sums[j] + x;
      tmp_m[o++] = masks[j++] | bit;
    }
    len *= 2;
    std::swap(sums, tmp_s);
    std::swap(masks, tmp_m);
  }
}

std::vector<double> sorted_subset_sums(std::span<const double> values) {
  std::vector<double> s, ts;
  std::vector<std::uint32_t> m, tm;
  sorted_subset_sums(values, s, m, ts, tm);
  return s;
}

SubsetSumResult best_subset_sum(std::span<const double> values, double target, SubsetSumWorkspace& ws) {
  check_input(values, target, kSubsetSumMaxPool);
  const size_t m = values.size();
  const size_t h = m / 2;  // left half: values[0..h), right half: values[h..m)
  sorted_subset_sums(values.subspan(0, h), ws.ls, ws.lm, ws.tmp_s, ws.tmp_m);
  sorted_subset_sums(values.subspan(h), ws.rs, ws.rm, ws.tmp_s, ws.tmp_m);
  const std::vector<double>& A = ws.ls;
  const std::vector<double>& B = ws.rs;
  const size_t na = A.size(), nb = B.size();
  SubsetSumResult best;
  best.error = std::numeric_limits<double>::infinity();
  best.mask = ~std::uint64_t(0);
  auto consider = [&](size_t i, size_t j) {
    const double s = A[i] + B[j];
    const double e = std::fabs(target - s);
    const std::uint64_t mk = std::uint64_t(ws.lm[i]) | (std::uint64_t(ws.rm[j]) << h);
    if (better(e, mk, best.error, best.mask)) {
      best.error = e;
      best.sum = s;
      best.mask = mk;
    }
  };
  // Two pointers: as A[i] increases the best partner index in B decreases.
  size_t j = nb - 1;
  for (size_t i = 0; i < na; ++i) {
    const double need = target - A[i];
    while (j > 0 && B[j] > need) --j;
    consider(i, j);
    if (j + 1 < nb) consider(i, j + 1);
    if (best.error == 0.0 && best.mask == 0) break;  // cannot be beaten
  }
  return best;
}

SubsetSumResult best_subset_sum(std::span<const double> values, double target) {
  SubsetSumWorkspace ws;
  return best_subset_sum(values, target, ws);
}

double masked_sum(std::span<const double> values, std::uint64_t mask) {
  double s = 0;
  for (size_t k = 0; k < values.size(); ++k)
    if ((mask >> k) & 1u) s += values[k];
  return s;
}

SubsetSumResult best_subset_sum_brute(std::span<const double> values, double target) {
  check_input(values, target, 26);
  const std::uint64_t total = std::uint64_t(1) << values.size();
  SubsetSumResult best;
  best.error = std::numeric_limits<double>::infinity();
  best.mask = ~std::uint64_t(0);
  for (std::uint64_t mk = 0; mk < total; ++mk) {
    const double s = masked_sum(values, mk);
    const double e = std::fabs(target - s);
    if (better(e, mk, best.error, best.mask)) {
      best.error = e;
      best.sum = s;
      best.mask = mk;
    }
  }
  return best;
}

double coverage_radius(std::span<const double> values, double lo, double hi) {
  if (values.size() > 22) throw std::invalid_argument("coverage_radius: at most 22 values");
  if (!(lo <= hi)) throw std::invalid_argument("coverage_radius: lo > hi");
  const std::vector<double> s = sorted_subset_sums(values);
  auto dist = [&](double z) {
    // distance from z to the sorted set s
    size_t a = 0, b = s.size();
    while (a < b) {
      const size_t c = (a + b) / 2;
      if (s[c] < z) a = c + 1; else b = c;
    }
    double d = std::numeric_limits<double>::infinity();
    if (a < s.size()) d = std::min(d, std::fabs(s[a] - z));
    if (a > 0) d = std::min(d, std::fabs(z - s[a - 1]));
    return d;
  };
  double r = std::max(dist(lo), dist(hi));
  for (size_t l = 0; l + 1 < s.size(); ++l) {
    const double mid = 0.5 * (s[l] + s[l + 1]);
    if (mid >= lo && mid <= hi) r = std::max(r, 0.5 * (s[l + 1] - s[l]));
  }
  return r;
}

std::vector<SubsetSumResult> best_subset_sum_batch(const std::vector<std::vector<double>>& pools,
                                                   const std::vector<double>& targets, int threads) {
  if (pools.size() != targets.size()) throw std::invalid_argument("best_subset_sum_batch: size mismatch");
  std::vector<SubsetSumResult> out(pools.size());
  std::vector<std::string> errors(pools.size());
#pragma omp parallel num_threads(threads < 1 ? 1 : threads)
  {
    SubsetSumWorkspace ws;
#pragma omp for schedule(dynamic, 4)
    for (long k = 0; k < long(pools.size()); ++k) {
      try {
        out[k] = best_subset_sum(pools[k], targets[k], ws);
      } catch (const std::exception& e) {
        errors[k] = e.what();
      }
    }
  }
  for (const auto& e : errors)
    if (!e.empty()) throw std::invalid_argument(e);
  return out;
}

}  // namespace attnlab::core

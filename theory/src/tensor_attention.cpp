// Closed forms of theory/tensor_attention.hpp (spec shared/claims/tensor_attention.md).
#include "theory/tensor_attention.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace attnlab::theory::tensor_attention {

double score_range(double B, int t) { return std::pow(B, t); }

long long tensor_rank(int d, int g) {
  if (d < 0 || g < 0) throw std::invalid_argument("tensor_rank: negative argument");
  // C(d+g, d) = prod_{k=1}^{d} (g + k) / k, exact in integers at every step.
  unsigned __int128 c = 1;
  for (int k = 1; k <= d; ++k) {
    c = c * static_cast<unsigned __int128>(g + k) / static_cast<unsigned>(k);
    if (c > static_cast<unsigned __int128>(std::numeric_limits<long long>::max()))
      throw std::overflow_error("tensor_rank: C(d+g, d) exceeds 63 bits");
  }
  return static_cast<long long>(c);
}

double log_tensor_rank(int d, int g) {
  return std::lgamma(double(d + g) + 1) - std::lgamma(double(d) + 1) - std::lgamma(double(g) + 1);
}

double taylor_rel_error_bound(int g, double beta) {
  if (beta <= 0) return 0.0;
  return std::exp(beta + (g + 1) * std::log(beta) - std::lgamma(double(g) + 2.0));
}

double taylor_rel_error_lower(int g, double beta) {
  if (!(beta < g + 2)) return 0.0;
  return (1.0 - beta / (g + 2)) * taylor_rel_error_bound(g, beta);
}

double output_error_bound(int g, double beta, double bV) {
  const double rho = taylor_rel_error_bound(g, beta);
  if (!(rho < 1)) return std::numeric_limits<double>::infinity();
  return 2.0 * rho / (1.0 - rho) * bV;
}

int degree_needed(double beta, double eps, double bV) {
  for (int g = 0; g < 100000; ++g) {
    const double rho = taylor_rel_error_bound(g, beta);
    if (rho < 0.5 && output_error_bound(g, beta, bV) <= eps) return g;
  }
  throw std::runtime_error("degree_needed: no degree below 100000");
}

double ops_naive(double n, double d, int t) {
  double pre = 0;
  for (int k = 2; k <= t - 1; ++k) pre += std::pow(n, k) * d;
  return std::pow(n, t) * (2 * d + 2) + 2 * pre + 2 * n * d;
}

double ops_fast(double n, double d, double r, int t) { return t * n * r * d + 2.0 * t * n * r + (t - 2) * (r * d + r); }

double ops_materialized_lowrank(double n, double d, double r, int t) {
  double pre = 0;
  for (int k = 2; k <= t - 1; ++k) pre += std::pow(n, k) * d;
  return std::pow(n, t) * r + std::pow(n, t) * (d + 1) + 2 * pre + 4 * n * r;
}

double crossover_n(double d, double r) { return std::sqrt(r * (3 * d + 6) / (2 * d + 2)); }

double breakeven_entry_bound(double log2_n, int t) {
  const int d = static_cast<int>(std::ceil(log2_n));
  const double eps = std::exp2(-log2_n);
  const double target = (t - 1) * log2_n * std::log(2.0);  // ln n^{t-1}
  auto reached = [&](double B) {
    const int g = degree_needed(std::pow(B, t), eps, 1.0);
    return log_tensor_rank(d, g) >= target;
  };
  double lo = 0.0, hi = 1.0;
  while (!reached(hi)) hi *= 2;
  for (int it = 0; it < 60; ++it) {
    const double mid = 0.5 * (lo + hi);
    (reached(mid) ? hi : lo) = mid;
  }
  return hi;
}

double match3_threshold(int M) { return 0.5 * (1.0 + std::cos(2.0 * M_PI / M)); }

double match3_lambda_suff(int n, int M) {
  const double theta = 2.0 * M_PI / M;
  const double tau = match3_threshold(M);
  const double ps = 0.5 * (1.0 + tau);
  return (std::log(double(n) * n - 1.0) + std::log(ps / (1.0 - ps))) / (1.0 - std::cos(theta));
}

long long tpa_cache_per_token(int h, int d_h, int R_K, int R_V) {
  return static_cast<long long>(R_K + R_V) * (h + d_h);
}

double tpa_cache_ratio(int h, int d_h, int R_K, int R_V) {
  return 2.0 * h * d_h / static_cast<double>(tpa_cache_per_token(h, d_h, R_K, R_V));
}

}  // namespace attnlab::theory::tensor_attention

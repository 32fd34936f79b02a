// Predictions of the rank_collapse experiment; see theory/rank_collapse.hpp for sources.
#include "theory/rank_collapse.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace attnlab::theory {

namespace dong2021 {

double path_count(int L, int H, int k) {
  if (k < 0 || k > L) return 0;
  return std::exp(std::lgamma(L + 1.0) - std::lgamma(k + 1.0) - std::lgamma(L - k + 1.0) + k * std::log(double(H)));
}

std::vector<double> path_length_shares(int L, int H) {
  std::vector<double> s(L + 1);
  const double total = L * std::log1p(double(H));
  for (int k = 0; k <= L; ++k)
    s[k] = std::exp(std::lgamma(L + 1.0) - std::lgamma(k + 1.0) - std::lgamma(L - k + 1.0) + k * std::log(double(H)) -
                    total);
  return s;
}

}  // namespace dong2021

namespace cirrincione2026 {

int ln_matrix_rank_paper(const core::MatrixXd& X) { return core::rank_decision(X).rank; }

core::RankDecision ln_zero_bias_rank(const core::MatrixXd& X) {
  return core::rank_decision(core::centre_features<double>(X));
}

int ln_affine_rank_paper(const core::MatrixXd& X) { return core::affine_rank(X).rank; }

int ln_affine_rank_exact(const core::MatrixXd& X, double eps, bool* ambiguous) {
  const core::MatrixXd C = core::centre_features<double>(X);
  core::VectorXd s(X.rows());
  for (Eigen::Index i = 0; i < X.rows(); ++i) s(i) = std::sqrt(C.row(i).squaredNorm() / double(X.cols()) + eps);
  // Decide both ranks relative to the larger reference so that scaling s does not matter: normalise s.
  const core::VectorXd sc = s / s.norm() * core::singular_values<double>(C)(0);
  core::MatrixXd Cs(C.rows(), C.cols() + 1);
  Cs << C, sc;
  const core::RankDecision a = core::rank_decision(C), b = core::rank_decision(Cs);
  if (ambiguous) *ambiguous = a.ambiguous || b.ambiguous;
  return a.rank - (b.rank == a.rank ? 1 : 0);
}

std::vector<core::MatrixXd> attention_span_bases(const core::MatrixXd& basis0,
                                                 const std::vector<std::vector<core::MatrixXd>>& W, bool skip) {
  std::vector<core::MatrixXd> out{basis0};
  for (const auto& layer : W) {
    const core::MatrixXd& B = out.back();  // d x k, columns span S_{l-1} (as column vectors)
    const Eigen::Index d = B.rows(), k = B.cols();
    const Eigen::Index blocks = Eigen::Index(layer.size()) + (skip ? 1 : 0);
    core::MatrixXd G(blocks * k, d);  // rows: generators (row vectors) of S_l
    Eigen::Index r = 0;
    if (skip) {
      G.middleRows(r, k) = B.transpose();
      r += k;
    }
    for (const auto& Wh : layer) {
      G.middleRows(r, k) = B.transpose() * Wh;  // rows v^T W_h for v in S_{l-1}
      r += k;
    }
    out.push_back(core::row_space_basis(G));
  }
  return out;
}

long long head_channel_nullity(long long n, long long H, long long dk) { return n * (H - 1) * dk; }
long long head_channel_nullity_general(long long n, long long H, long long dk, long long rank_WO) {
  return n * (H * dk - rank_WO);
}

long long pgop_extra_parameters(long long d, long long H) { return H * (d + 1); }
long long output_projection_parameters(long long d, long long H) { return H * (d / H) * d + d; }
double pgop_overhead_ratio(long long d, long long H) { return double(H) / double(d); }
double pgop_table_ratio(long long d, long long H, long long n_max) { return double(n_max * H) / double(d * d + d); }

int generic_rank_after_residual_stack(int n, int d) { return std::min(n, d); }

}  // namespace cirrincione2026

namespace masumura_taki2025 {
double published_bound_log10(double log10_r1c1, double log10_r2c2, double log10_res0, int L) {
  double best = -std::numeric_limits<double>::infinity();
  double p = 1;  // 3^m
  for (int m = 0; m <= L; ++m) {
    const double v = (p - 1) / 2 * log10_r1c1 + p * (L - m) * log10_r2c2 + p * log10_res0;
    best = std::max(best, v);
    p *= 3;
  }
  return best;
}
}  // namespace masumura_taki2025

}  // namespace attnlab::theory

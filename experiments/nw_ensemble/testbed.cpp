#include "experiments/nw_ensemble/testbed.hpp"

#include <cmath>

namespace attnlab::exp::nw_ensemble {

MatrixXd draw_design(int n, int d, core::PhiloxStream& rng, const MatrixXd& L) {
  MatrixXd X(n, d);
  VectorXd z(d);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < d; ++j) z(j) = rng.normal();
    if (L.size() == 0) X.row(i) = z.transpose();
    else X.row(i) = (L * z).transpose();
  }
  return X;
}

MatrixXd head_weights(const MatrixXd& X, const std::vector<MatrixXd>& P, double h, bool gain0) {
  const int H = int(P.size());
  const Eigen::Index n = X.rows();
  MatrixXd W(H, n);
  for (int a = 0; a < H; ++a) {
    if (gain0) {
      W.row(a).setConstant(1.0 / double(n));
      continue;
    }
    const MatrixXd Z = X * P[size_t(a)];
    const VectorXd logk = -Z.rowwise().squaredNorm() / (2.0 * h * h);
    W.row(a) = core::stable_weights(logk).transpose();
  }
  return W;
}

std::vector<MatrixXd> phi_heads(int d, int H, int dk, double hdi_target) {
  const double phi = std::acos(std::pow(std::max(0.0, 1.0 - hdi_target), 0.25));
  return core::angle_family(d, H, dk, phi);
}

std::vector<int> bootstrap_indices(const Context& ctx, int R, int b, const std::string& family) {
  core::PhiloxStream rng = ctx.rng(family, std::uint64_t(b));
  std::vector<int> idx(static_cast<size_t>(R));
  for (int k = 0; k < R; ++k) idx[size_t(k)] = int(rng.next_u64() % std::uint64_t(R));
  return idx;
}

double sel_mean(const std::vector<double>& x, const std::vector<int>& idx) {
  core::NeumaierSum s;
  if (idx.empty()) {
    for (double v : x) s.add(v);
    return s.value() / double(x.size());
  }
  for (int i : idx) s.add(x[size_t(i)]);
  return s.value() / double(idx.size());
}

double sel_cov(const std::vector<double>& x, const std::vector<double>& y, const std::vector<int>& idx) {
  const double mx = sel_mean(x, idx), my = sel_mean(y, idx);
  core::NeumaierSum s;
  if (idx.empty()) {
    for (size_t i = 0; i < x.size(); ++i) s.add((x[i] - mx) * (y[i] - my));
    return s.value() / double(x.size());
  }
  for (int i : idx) s.add((x[size_t(i)] - mx) * (y[size_t(i)] - my));
  return s.value() / double(idx.size());
}

}  // namespace attnlab::exp::nw_ensemble

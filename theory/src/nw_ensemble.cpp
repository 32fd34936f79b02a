// Predictions of Fokoue, "Multi-Head Attention as Ensemble Nadaraya-Watson Estimation"
// (arXiv:2605.20271, v1; theorem and equation numbers not confirmed). Every formula except the
// softmax-NW bandwidth map is this suite's Interpretation (shared/claims/nw_ensemble.md):
// Gaussian integrals E exp(-x^T A x / 2) = det(I + A)^{-1/2} with the tilted law N(0, (I + A)^{-1}),
// the delta method for a ratio of sample means, and the Ueda-Nakano ensemble decomposition.
#include "theory/nw_ensemble.hpp"

#include <boost/math/tools/minima.hpp>

#include <cmath>
#include <stdexcept>

namespace attnlab::theory::nw_ensemble {

double bandwidth_from_gain(double dk, double g) { return std::pow(dk, 0.25) / g; }
double gain_from_bandwidth(double dk, double h) { return std::pow(dk, 0.25) / h; }

double kappa(double h) {
  const double u = 1.0 / (h * h);
  return (1.0 + u) / std::sqrt(1.0 + 2.0 * u);
}

VectorXd principal_angles(const MatrixXd& Pa, const MatrixXd& Pc) { return core::principal_angles(Pa, Pc); }

double hdi(const std::vector<MatrixXd>& P) {
  const int H = int(P.size());
  if (H < 2) throw std::invalid_argument("hdi: needs H >= 2");
  const Eigen::Index d = P[0].rows(), dk = P[0].cols();
  MatrixXd Pi = MatrixXd::Zero(d, d);
  for (const auto& p : P) {
    const MatrixXd Q = core::orthonormal_basis(p);
    if (Q.cols() != dk || p.rows() != d) throw std::invalid_argument("hdi: heads must have equal full-rank shape");
    Pi += Q * Q.transpose();
  }
  const double fro2 = Pi.squaredNorm();
  return (double(H) * H * dk - fro2) / (double(H) * (H - 1) * dk);
}

double rho_angles(const VectorXd& cos_theta, double h) {
  const double u = 1.0 / (h * h);
  double r = 1.0;
  for (Eigen::Index j = 0; j < cos_theta.size(); ++j) {
    const double c = std::clamp(cos_theta(j), -1.0, 1.0);
    r *= std::sqrt(1.0 + 2.0 * u) / std::sqrt((1.0 + u) * (1.0 + u) - c * c * u * u);
  }
  return r;
}

namespace {

struct Spd {
  double logdet = 0;
  MatrixXd inv;
};
Spd spd(const MatrixXd& A) {
  core::require_finite(A, "nw_ensemble theory SPD matrix");
  Eigen::LLT<MatrixXd> llt(A);
  if (llt.info() != Eigen::Success) throw std::runtime_error("nw_ensemble theory: matrix not SPD");
  Spd s;
  const MatrixXd L = llt.matrixL();
  for (Eigen::Index i = 0; i < L.rows(); ++i) s.logdet += 2.0 * std::log(L(i, i));
  s.inv = llt.solve(MatrixXd::Identity(A.rows(), A.cols()));
  return s;
}

std::vector<MatrixXd> kernel_matrices(const std::vector<MatrixXd>& P, double h) {
  std::vector<MatrixXd> B;
  for (const auto& p : P) B.push_back(p * p.transpose() / (h * h));
  return B;
}

}  // namespace

double variance_ratio(const std::vector<MatrixXd>& P, const VectorXd& alpha, double h) {
  const int H = int(P.size());
  if (alpha.size() != H) throw std::invalid_argument("variance_ratio: alpha size");
  const auto B = kernel_matrices(P, h);
  const Eigen::Index d = P[0].rows();
  const MatrixXd I = MatrixXd::Identity(d, d);
  std::vector<double> logEK(H);
  for (int a = 0; a < H; ++a) logEK[a] = -0.5 * spd(I + B[a]).logdet;
  MatrixXd G(H, H);
  for (int a = 0; a < H; ++a)
    for (int c = a; c < H; ++c) G(a, c) = G(c, a) = std::exp(-0.5 * spd(I + B[a] + B[c]).logdet - logEK[a] - logEK[c]);
  return alpha.dot(G * alpha) / (G.trace() / H);
}

double vr_phi_family(int H, int dk, double h, double hdi_value) {
  const double u = 1.0 / (h * h);
  const double rho = std::pow((1.0 + 2.0 * u) / ((1.0 + u) * (1.0 + u) - (1.0 - hdi_value) * u * u), dk / 2.0);
  return 1.0 / H + (1.0 - 1.0 / H) * rho;
}

LargeNMoments large_n_moments(const std::vector<MatrixXd>& P, double h, const MatrixXd& M, double sigma) {
  const int H = int(P.size());
  const auto B = kernel_matrices(P, h);
  const Eigen::Index d = P[0].rows();
  const MatrixXd I = MatrixXd::Identity(d, d);
  LargeNMoments r;
  r.mu = VectorXd(H);
  r.delta = VectorXd(H);
  r.Gamma = MatrixXd(H, H);
  std::vector<double> logEK(H);
  for (int a = 0; a < H; ++a) {
    const Spd s1 = spd(I + B[a]), s2 = spd(I + 2.0 * B[a]);
    logEK[a] = -0.5 * s1.logdet;
    r.mu(a) = (M * s1.inv).trace();
    r.delta(a) = -std::exp(-0.5 * s2.logdet - 2.0 * logEK[a]) * ((M * s2.inv).trace() - r.mu(a));
  }
  for (int a = 0; a < H; ++a)
    for (int c = a; c < H; ++c) {
      const Spd s = spd(I + B[a] + B[c]);
      const MatrixXd MS = M * s.inv;
      const double t = MS.trace();
      const double bracket = sigma * sigma + 2.0 * (MS * MS).trace() + (t - r.mu(a)) * (t - r.mu(c));
      r.Gamma(a, c) = r.Gamma(c, a) = std::exp(-0.5 * s.logdet - logEK[a] - logEK[c]) * bracket;
    }
  return r;
}

double mse_large_n(const std::vector<MatrixXd>& P, const VectorXd& alpha, double h, const MatrixXd& M, double sigma,
                   double n) {
  const LargeNMoments m = large_n_moments(P, h, M, sigma);
  const double bias = alpha.dot(m.mu) + alpha.dot(m.delta) / n;  // f(x0) = x0^T M x0 = 0 at x0 = 0
  return bias * bias + alpha.dot(m.Gamma * alpha) / n;
}

EnsembleTerms large_n_terms(const std::vector<MatrixXd>& P, double h, const MatrixXd& M, double sigma, double n) {
  const LargeNMoments m = large_n_moments(P, h, M, sigma);
  const int H = int(P.size());
  EnsembleTerms t;
  t.b = (m.mu.sum() + m.delta.sum() / n) / H;
  t.v = m.Gamma.trace() / H / n;
  t.c = H > 1 ? (m.Gamma.sum() - m.Gamma.trace()) / (double(H) * (H - 1)) / n : 0.0;
  return t;
}

EnsembleTerms block_allocation_moments(double D, double dk, double h, double lambda, double sigma, double n) {
  const double h2 = h * h;
  const double s1 = h2 / (h2 + 1.0), s2 = h2 / (h2 + 2.0), l = lambda / D;
  const double kd = std::pow(kappa(h), dk);
  const double s2sq = sigma * sigma;
  const double mu = l * ((D - dk) + dk * s1);
  const double delta = kd * l * dk * (s1 - s2);
  const double Gd = kd * (s2sq + 2.0 * l * l * ((D - dk) + dk * s2 * s2) + l * l * dk * dk * (s1 - s2) * (s1 - s2));
  const double Go = s2sq + 2.0 * l * l * ((D - 2.0 * dk) + 2.0 * dk * s1 * s1) + l * l * dk * dk * (1.0 - s1) * (1.0 - s1);
  EnsembleTerms t;
  t.b = mu + delta / n;
  t.v = Gd / n;
  t.c = Go / n;
  return t;
}

double composed_mse(double b, double v, double c, double H) { return b * b + v / H + (1.0 - 1.0 / H) * c; }

double budget_mse(double D, double dk, double h, double lambda, double sigma, double n) {
  return composed_mse(block_allocation_moments(D, dk, h, lambda, sigma, n), D / dk);
}

double optimal_dk_continuous(double D, double n, double h, double lambda, double sigma) {
  const auto f = [&](double dk) { return budget_mse(D, dk, h, lambda, sigma, n); };
  const auto r = boost::math::tools::brent_find_minima(f, 1.0, D / 2.0, 40);
  return r.first;
}

double asymptotic_dk_slope(double h) { return 1.0 / std::log(kappa(h)); }

}  // namespace attnlab::theory::nw_ensemble

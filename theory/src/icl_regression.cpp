#include "theory/icl_regression.hpp"

#include <cmath>
#include <stdexcept>

namespace attnlab::theory::icl_regression {

double r_dgd(double eta, int n, int d, double s2) {
  const double N = n;
  return s2 + 1 - 2 * eta * (N - 1) / N + (eta / N) * (eta / N) * (N - 1) * (N + d + s2 * d);
}
double eta_dgd_opt(int n, int d, double s2) { return double(n) / (n + d + s2 * d); }
double r_dgd_opt(int n, int d, double s2) { return s2 + (d + 1 + s2 * d) / (n + d + s2 * d); }

double r_gd(double a, int n, int d, double s2) {
  const double N = n;
  return s2 + 1 - 2 * a * N + a * a * N * (N + d + 1 + s2 * d);
}
double a_gd_opt(int n, int d, double s2) { return 1.0 / (n + d + 1 + s2 * d); }
double r_gd_opt(int n, int d, double s2) { return s2 + (d + 1 + s2 * d) / (n + d + 1 + s2 * d); }

double bayes_asym(double xi, double s2) {
  const double t = s2 + (1 - xi) / xi;
  return 0.5 * (s2 + (xi - 1) / xi + std::sqrt(4 * s2 + t * t));
}
double dgd_asym(double xi, double s2) { return s2 + xi * (1 + s2) / (1 + xi * (1 + s2)); }
double bayes_gap_factor(double s2, int d) { return (1 + s2 + 1.0 / d) / s2; }

double f_dgd(double eta, const MatrixXd& X, const VectorXd& y, const VectorXd& xq) {
  const double n = double(X.rows());
  const VectorXd xbar = X.colwise().mean().transpose();
  double s = 0;
  for (Eigen::Index i = 0; i < X.rows(); ++i) s += y(i) * (X.row(i).transpose() - xbar).dot(xq);
  return eta / n * s;
}

namespace {
MatrixXd reduced_M(const VectorXd& w, int n, int d, double s2) {
  const MatrixXd ww = w * w.transpose();
  return ww + ((1 + s2) / n) * (double(d) * ww).array().exp().matrix();
}
}  // namespace

double reduced_loss(const VectorXd& w, const VectorXd& mu, int n, int d, double s2) {
  return 1 + s2 - 2 * mu.dot(w) + mu.dot(reduced_M(w, n, d, s2) * mu);
}
VectorXd reduced_mu_star(const VectorXd& w, int n, int d, double s2) {
  return reduced_M(w, n, d, s2).ldlt().solve(w);
}
double pair_eta_opt(double w, int n, int d, double s2) {
  if (w == 0) return eta_dgd_opt(n, d, s2);
  return 1.0 / (1 + ((1 + s2) / n) * std::sinh(d * w * w) / (w * w));
}

MatrixXd gamma_star(const MatrixXd& S, int n, double s2) {
  const int d = int(S.rows());
  const double c = (S.trace() + d * s2) / n;
  return (S + c * MatrixXd::Identity(d, d)).inverse();
}
double r_pdgd_opt(const MatrixXd& S, int n, double s2) {
  const int d = int(S.rows());
  const MatrixXd G = gamma_star(S, n, s2);
  return s2 + S.trace() / d - (double(n - 1) / n) * (S * G * S).trace() / d;
}

double multitask_eta_opt(int n, int dk, double s2) { return double(n) / (n + dk + s2 * dk); }
double multitask_r_opt(int n, int dk, double s2) { return s2 + (dk + 1 + s2 * dk) / (n + dk + s2 * dk); }

}  // namespace attnlab::theory::icl_regression

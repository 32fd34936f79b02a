// What "Multi-Head Attention as Ensemble Nadaraya-Watson Estimation: Variance Reduction,
// Decorrelation, and Optimal Head Diversity" (E. Fokoue, arXiv:2605.20271, v1, May 2026)
// predicts. Theorem and equation numbers, the paper's exact HDI formula, covariance model and
// closed form of (H*, d_k*) are NOT confirmed. Everything below marked "Interpretation" is this
// suite's reading (shared/claims/nw_ensemble.md): standard NW theory, the Ueda-Nakano ensemble
// decomposition, principal angles and Gaussian integrals on an isotropic Gaussian testbed.
// Pure functions: closed forms and determinants/traces, never a simulation.
#pragma once
#include "core/linalg.hpp"

#include <vector>

namespace attnlab::theory::nw_ensemble {

using core::MatrixXd;
using core::VectorXd;

// Softmax-is-NW identity (paper's background): with W_Q = W_K = g P and tau = sqrt(d_k), the
// key-norm-biased softmax head is a Gaussian NW smoother in span(P) with h = d_k^{1/4} / g.
double bandwidth_from_gain(double dk, double g);
double gain_from_bandwidth(double dk, double h);

// Interpretation (Gaussian testbed): per-coordinate variance inflation of a Gaussian-kernel NW
// head at the origin, kappa(h) = (1 + 1/h^2) / sqrt(1 + 2/h^2) > 1.
double kappa(double h);

// Principal angles (radians, ascending) between span(Pa) and span(Pc); cos theta_j = sigma_j(Qa^T Qc)
// after orthonormalising (core::principal_angles).
VectorXd principal_angles(const MatrixXd& Pa, const MatrixXd& Pc);

// Interpretation: Head Diversity Index, the mean squared sine of the principal angles over all
// ordered head pairs, HDI = (H^2 d_k - ||Pi||_F^2) / (H (H-1) d_k), Pi = sum_a P_a P_a^T (P_a
// orthonormalised first). 0 for one shared subspace, 1 for mutually orthogonal heads. H >= 2.
double hdi(const std::vector<MatrixXd>& P);

// Interpretation (noise-only, Gaussian testbed): inter-head correlation from the principal-angle
// cosines, rho = prod_j sqrt(1 + 2/h^2) / sqrt((1 + 1/h^2)^2 - cos^2 theta_j / h^4).
double rho_angles(const VectorXd& cos_theta, double h);

// Interpretation (noise-only): large-n variance-reduction factor VR = a^T Gamma a / (tr Gamma / H),
// Gamma_ac = det(I + B_a + B_c)^{-1/2} / (E K_a E K_c), B_a = P_a P_a^T / h^2 (sigma^2 cancels).
double variance_ratio(const std::vector<MatrixXd>& P, const VectorXd& alpha, double h);

// Interpretation: VR on the phi-family (uniform alpha): 1/H + (1 - 1/H) rho, with
// rho = [(1 + 2u) / ((1 + u)^2 - (1 - HDI) u^2)]^{d_k/2}, u = 1/h^2.
double vr_phi_family(int H, int dk, double h, double hdi_value);

// Interpretation (delta method, exact to O(1/n)): moments of H Gaussian-kernel NW heads at x0 = 0
// on x ~ N(0, I_d), y = x^T M x + N(0, sigma^2): E f_a = mu_a + delta_a / n, Cov = Gamma / n.
struct LargeNMoments {
  VectorXd mu, delta;  // per head
  MatrixXd Gamma;      // H x H
};
LargeNMoments large_n_moments(const std::vector<MatrixXd>& P, double h, const MatrixXd& M, double sigma);

// Interpretation: MSE_inf(n) = (sum a_a mu_a - f(x0) + sum a_a delta_a / n)^2 + a^T Gamma a / n
// (f(x0) = 0 at the origin).
double mse_large_n(const std::vector<MatrixXd>& P, const VectorXd& alpha, double h, const MatrixXd& M,
                   double sigma, double n);

// The three ensemble terms of the large-n theory for exchangeable heads with uniform weights:
// bias b = mean(mu + delta/n), variance v = mean Gamma_aa / n, covariance c = mean_{a != c} Gamma_ac / n.
struct EnsembleTerms {
  double b = 0, v = 0, c = 0;
};
EnsembleTerms large_n_terms(const std::vector<MatrixXd>& P, double h, const MatrixXd& M, double sigma, double n);

// Interpretation (allocation model): D = d, disjoint coordinate blocks of size d_k, f = (lambda/D)||x||^2,
// bandwidth h fixed per coordinate, x0 = 0. Closed forms of b = mu + delta/n, v = Gamma_d/n,
// c = Gamma_o/n (d_k real, 1 <= d_k <= D/2).
EnsembleTerms block_allocation_moments(double D, double dk, double h, double lambda, double sigma, double n);

// Ueda-Nakano composition (exact for exchangeable heads): MSE = b^2 + v/H + (1 - 1/H) c.
double composed_mse(double b, double v, double c, double H);
inline double composed_mse(const EnsembleTerms& t, double H) { return composed_mse(t.b, t.v, t.c, H); }

// Interpretation: MSE under the budget H = D/d_k (continuous relaxation).
double budget_mse(double D, double dk, double h, double lambda, double sigma, double n);

// Interpretation: the continuous minimiser d_k* of budget_mse over d_k in [1, D/2] (Brent).
double optimal_dk_continuous(double D, double n, double h, double lambda, double sigma);

// Interpretation: asymptotic slope of d_k* against ln n, 1 / ln kappa(h).
double asymptotic_dk_slope(double h);

}  // namespace attnlab::theory::nw_ensemble

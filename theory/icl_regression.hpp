// Predictions for "In-Context Linear Regression Demystified: Training Dynamics and Mechanistic
// Interpretability of Multi-Head Softmax Attention" (He, Pan, Chen, Yang, arXiv:2503.12734, ICML 2025).
// Theorem and equation numbers of the paper were not confirmed: every formula here is a standard
// fact derived in shared/claims/icl_regression.md ("Background", items 1-8), cited by item.
// Pure functions; nothing here simulates.
#pragma once
#include "core/linalg.hpp"

namespace attnlab::theory::icl_regression {

using core::MatrixXd;
using core::VectorXd;

// Background 1: risk of debiased GD with step eta at prompt length n (Sigma = I, E||beta||^2 = 1).
double r_dgd(double eta, int n, int d, double s2);
double eta_dgd_opt(int n, int d, double s2);  // n / (n + d + s2 d)
double r_dgd_opt(int n, int d, double s2);    // s2 + (d + 1 + s2 d) / (n + d + s2 d)
// Background 2: plain GD f = a sum_i y_i x_i^T x_q.
double r_gd(double a, int n, int d, double s2);
double a_gd_opt(int n, int d, double s2);
double r_gd_opt(int n, int d, double s2);
// Background 3: proportional limits (d/n -> xi).
double bayes_asym(double xi, double s2);
double dgd_asym(double xi, double s2);
// Background 4: F(s2, d) = (1 + s2 + 1/d) / s2 (Interpretation of "up to a proportional factor").
double bayes_gap_factor(double s2, int d);
// Background 1: f_DGD(eta) = (eta / n) sum_i y_i (x_i - xbar)^T x_q on given data (X: n x d).
double f_dgd(double eta, const MatrixXd& X, const VectorXd& y, const VectorXd& xq);
// Background 6 (the authors' reduced objective; figures only, never a criterion).
double reduced_loss(const VectorXd& omega, const VectorXd& mu, int n, int d, double s2);
VectorXd reduced_mu_star(const VectorXd& omega, int n, int d, double s2);
double pair_eta_opt(double omega, int n, int d, double s2);
// Background 7: Gamma* = (Sigma + c I)^{-1}, c = (tr Sigma + d s2) / n, and R*_PDGD.
MatrixXd gamma_star(const MatrixXd& Sigma, int n, double s2);
double r_pdgd_opt(const MatrixXd& Sigma, int n, double s2);
// Background 8: per-task optimum with support size dk.
double multitask_eta_opt(int n, int dk, double s2);
double multitask_r_opt(int n, int dk, double s2);

}  // namespace attnlab::theory::icl_regression

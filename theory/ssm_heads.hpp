// What "How Many Heads Make an SSM? A Unified Framework for Attention and State Space
// Models" (A. Ghodsi, arXiv:2512.15115, v1, Dec 2025) predicts. Theorem and equation numbers
// are not confirmed; each function names the result it encodes. Pure functions: closed forms
// and decompositions of given matrices, never a simulation.
#pragma once
#include "core/linalg.hpp"

namespace attnlab::theory::ssm_heads {

using core::MatrixXd;
using core::VectorXd;

// Equivalence (Head-Count) Theorem: heads needed by a generic linear SSM on length-n inputs,
// k(n) = min(n, N + [D != 0], p d) (distinct eigenvalues, Gaussian B, C, D).
int generic_required_heads(int n, int N, int p, int d, bool hasD);

// k(n) = dim span{K_0..K_{n-1}}: numerical rank (singular values > tol * sigma_max) of the lag
// matrix built from the closed-form kernel K_0 = CB + D, K_m = C A^m B.
int lag_span_dim(const MatrixXd& A, const MatrixXd& B, const MatrixXd& C, const MatrixXd& D, int n, double tol);

// Interpretation (this suite's Eckart-Young reading of the necessity half): the least relative
// operator residual of any H-head factorized model, r_H = sqrt(sum_{r>H} sigma_r^2) / ||L_w||_F,
// from the singular values of the weighted lag matrix L_w (descending).
double min_operator_residual(const VectorXd& sigma_w, int H);

// Interaction Rank Gap, closed form for A = rho R(theta), B = C = I_2: the best single-head
// residual r_1 = sqrt(lambda_min(G) / tr G), G = 2 sum_m (n-m) rho^{2m} [[c^2, cs], [cs, s^2]],
// c = cos(m theta), s = sin(m theta).
double rotation_single_head_residual(double rho, double theta, int n);

// Gradient Highway Result, SSM half (Interpretation: geometric decay at rate rho(A) for a
// minimal realization): the predicted rate, rho(A).
double decay_rate(const MatrixXd& A);

// Envelope for diagonalizable A = S Lambda S^{-1}: ||C A^l B||_2 <= ||C|| ||S|| ||S^{-1}|| ||B|| rho(A)^l.
double decay_envelope(const MatrixXd& A, const MatrixXd& B, const MatrixXd& C, int l);

// Gradient Highway Result, attention half: closed-form Jacobian J_{i,j} = d y_i / d x_j of one
// causal softmax head (W_Q, W_K: d_k x d, W_V: d_v x d, W_O: p x d_v) at i = n-1, j = i-l, on the
// highway input (x_i = q, x_{i-l} = a, every other token = f), with the ALiBi bias -m (i-j)
// (m = 0: none):  J = alpha_ij W_O W_V + alpha_ij W_O (W_V x_j - ybar_i) g_i^T,
// ybar_i = sum_l alpha_il W_V x_l, g_i = W_K^T W_Q x_i / sqrt(d_k).
MatrixXd single_key_jacobian(const MatrixXd& WQ, const MatrixXd& WK, const MatrixXd& WV, const MatrixXd& WO,
                             const VectorXd& q, const VectorXd& a, const VectorXd& f, int n, int l,
                             double alibi_m);

}  // namespace attnlab::theory::ssm_heads
